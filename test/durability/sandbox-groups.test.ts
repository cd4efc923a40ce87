// Group receipts and revokes survive restarts (DESIGN.md §4, §5): every simulated member
// acknowledges a group message exactly once per step however the process stops in between,
// and a revoke a sandbox recipient has not recorded is handed over again after a restart,
// once. Each "process" is a store, a SandboxNetwork and SandboxEngines; a restart closes them
// all and opens the same data again (SQLite file, or the same Postgres database).
import { afterEach, describe, expect, it } from 'vitest';
import { newMessageId } from '../../src/domain/ids.js';
import { simulatedGroupMembers } from '../../src/engines/sandbox/wire.js';
import type { MessageContent } from '../../src/engines/engine.js';
import { waitFor } from '../helpers/http.js';
import { databases } from '../helpers/postgres.js';
import { Outbox as SandboxOutbox, SandboxRestarts, sleep, type SandboxInstances, type SandboxProcess } from './support.js';

const GROUP = '120363000000000042@g.us';
const MEMBERS = simulatedGroupMembers(GROUP).map((p) => `${p}@s.whatsapp.net`);
const voiceNote: MessageContent = { type: 'audio', media: { id: 'MEDIA-VOICE', mimeType: 'audio/ogg; codecs=opus', size: 4096 }, ptt: true, seconds: 3 };

class Outbox extends SandboxOutbox {
  /** Each member's receipts for `id`, in order. */
  byMember(id: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of this.statuses) {
      if (!s.ids.includes(id) || !s.participant) continue;
      expect(s).toMatchObject({ chatJid: GROUP, device: 0 });
      (out[s.participant] ??= []).push(s.status);
    }
    return out;
  }
}

const processes = new SandboxRestarts();
afterEach(processes.stopAll);

describe.each(databases)('sandbox groups and revokes across restarts ($name)', (backend) => {
  const first = async (delayMs: number, instances: SandboxInstances): Promise<SandboxProcess> => processes.first(delayMs, instances, await backend.open());
  const { again } = processes;

  const everyMember = (receipts: string[]) => Object.fromEntries(MEMBERS.map((m) => [m, receipts]));

  it('a restart before the members received a group message: each member still acknowledges it once', async () => {
    const DELAY = 250;
    const a = { phone: '5500700000101', outbox: new Outbox() };
    let p = await first(DELAY, { A: a });
    const id = newMessageId();
    await p.engine('A').messages.send({ id, to: GROUP, content: { type: 'text', text: 'before the restart' } });
    expect(a.outbox.count(id, 'SENT')).toBe(1);
    expect(a.outbox.byMember(id)).toEqual({});

    p = await again(p, DELAY, { A: a });
    await waitFor(() => a.outbox.count(id, 'READ') === 3, 5000, 'READ from every member');
    await sleep(3 * DELAY);
    expect(a.outbox.byMember(id)).toEqual(everyMember(['RECEIVED', 'READ']));

    p = await again(p, DELAY, { A: a }); // nothing is owed any more
    await sleep(3 * DELAY);
    expect(a.outbox.byMember(id)).toEqual(everyMember(['RECEIVED', 'READ']));
    expect(a.outbox.count(id, 'SENT')).toBe(1);
  });

  it('a restart between READ and PLAYED of a group voice note: each member plays it once after', async () => {
    const DELAY = 250;
    const a = { phone: '5500700000111', outbox: new Outbox() };
    let p = await first(DELAY, { A: a });
    const id = newMessageId();
    await p.engine('A').messages.send({ id, to: GROUP, content: voiceNote });
    await waitFor(() => a.outbox.count(id, 'READ') === 3, 5000, 'READ from every member');
    await waitFor(async () => {
      for (const m of simulatedGroupMembers(GROUP)) if ((await p.row(`${id}:${m}`))?.status !== 'read') return false;
      return true;
    }, 2000, 'rows read');
    expect(a.outbox.count(id, 'PLAYED')).toBe(0); // still due

    p = await again(p, DELAY, { A: a });
    await waitFor(() => a.outbox.count(id, 'PLAYED') === 3, 5000, 'PLAYED from every member');
    await sleep(3 * DELAY);
    expect(a.outbox.byMember(id)).toEqual(everyMember(['RECEIVED', 'READ', 'PLAYED']));
    for (const m of simulatedGroupMembers(GROUP)) expect(await p.row(`${id}:${m}`)).toMatchObject({ status: 'played', delivered: 1 });
  });

  it('a member receipt the sender could not record comes again, and the sender away gets them all when back', async () => {
    const a = { phone: '5500700000121', outbox: new Outbox() };
    let p = await first(10, { A: a });
    a.outbox.failNext = (e) => e.s?.status === 'READ';
    const id = newMessageId();
    await p.engine('A').messages.send({ id, to: GROUP, content: { type: 'text', text: 'x' } });
    await waitFor(() => a.outbox.count(id, 'READ') === 3, 5000, 'READ');
    expect(a.outbox.failures).toBe(1);
    expect(a.outbox.byMember(id)).toEqual(everyMember(['RECEIVED', 'READ']));

    // A goes away right after sending: the members' receipts wait for it, across a restart.
    const later = newMessageId();
    await p.engine('A').messages.send({ id: later, to: GROUP, content: voiceNote });
    await p.stopEngine('A');
    await sleep(100);
    p = await again(p, 10, { A: a });
    await waitFor(() => a.outbox.count(later, 'PLAYED') === 3, 5000, 'PLAYED');
    await sleep(100);
    expect(a.outbox.byMember(later)).toEqual(everyMember(['RECEIVED', 'READ', 'PLAYED']));
  });

  it('a revoke the recipient did not record is handed over after the restart, once', async () => {
    const a = { phone: '5500700000131', outbox: new Outbox() };
    const b = { phone: '5500700000132', outbox: new Outbox() };
    let p = await first(10, { B: b, A: a });
    const bJid = `${b.phone}@s.whatsapp.net`;
    const failed = newMessageId();
    const away = newMessageId();
    await p.engine('A').messages.send({ id: failed, to: bJid, content: { type: 'text', text: 'one' } });
    await p.engine('A').messages.send({ id: away, to: bJid, content: { type: 'text', text: 'two' } });
    expect(b.outbox.messages.map((m) => m.id)).toEqual([failed, away]);

    // B cannot record the first revoke; B is away for the second.
    b.outbox.failNext = (e) => e.r !== undefined;
    await expect(p.engine('A').messages.delete({ id: failed, chatJid: bJid, fromMe: true })).rejects.toThrow(/could not be written/);
    await p.stopEngine('B');
    await p.engine('A').messages.delete({ id: away, chatJid: bJid, fromMe: true });
    expect(b.outbox.revokes).toEqual([]);
    expect(await p.row(failed)).toMatchObject({ delivered: 0 });
    expect(await p.row(away)).toMatchObject({ delivered: 0 });

    p = await again(p, 10, { B: b, A: a });
    expect(b.outbox.revokes.map((r) => r.id).sort()).toEqual([failed, away].sort());
    for (const r of b.outbox.revokes) expect(r).toMatchObject({ chatJid: `${a.phone}@s.whatsapp.net`, senderJid: `${a.phone}@s.whatsapp.net`, fromMe: false });
    expect(await p.row(failed)).toMatchObject({ delivered: 1 });
    expect(await p.row(away)).toMatchObject({ delivered: 1 });

    p = await again(p, 10, { B: b, A: a });
    expect(b.outbox.revokes).toHaveLength(2);
    expect(b.outbox.messages).toHaveLength(2);
  });
});
