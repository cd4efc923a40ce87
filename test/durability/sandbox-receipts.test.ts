// Voice-note receipts survive restarts (DESIGN.md §4, §5): a simulated contact that has
// read a voice note still plays it after the process restarts, exactly once; a PLAYED that
// could not be recorded comes again; a round video sent to an instance that was down is
// delivered, read and played across restarts. Each "process" is a SQLite store, a
// SandboxNetwork and SandboxEngines; a restart closes them all and opens the same file again.
import { afterEach, describe, expect, it } from 'vitest';
import { newMessageId } from '../../src/domain/ids.js';
import type { MessageContent } from '../../src/engines/engine.js';
import { waitFor } from '../helpers/http.js';
import { Outbox, SandboxRestarts, sleep } from './support.js';

const CONTACT = '5511987650077@s.whatsapp.net';
const voiceNote: MessageContent = { type: 'audio', media: { id: 'MEDIA-VOICE', mimeType: 'audio/ogg; codecs=opus', size: 4096 }, ptt: true, seconds: 3 };
const roundVideo: MessageContent = { type: 'ptv', media: { id: 'MEDIA-PTV', mimeType: 'video/mp4', size: 8192 }, seconds: 5 };

const processes = new SandboxRestarts();
afterEach(processes.stopAll);
const { first, again } = processes;

describe('sandbox voice-note receipts across restarts', () => {
  it('a contact that read a voice note before the restart plays it after, once', async () => {
    const DELAY = 250;
    const a = { phone: '5500700000001', outbox: new Outbox() };
    let p = await first(DELAY, { A: a });
    const id = newMessageId();
    await p.engine('A').messages.send({ id, to: CONTACT, content: voiceNote });
    await waitFor(() => a.outbox.statusesOf(id).includes('READ'), 5000, 'READ');
    await waitFor(async () => (await p.row(id))?.status === 'read', 2000, 'row read');
    expect(a.outbox.statusesOf(id)).toEqual(['SENT', 'RECEIVED', 'READ']); // PLAYED is still due

    p = await again(p, DELAY, { A: a }); // the process stops between READ and PLAYED
    await waitFor(() => a.outbox.statusesOf(id).includes('PLAYED'), 5000, 'PLAYED after the restart');
    await sleep(3 * DELAY);
    expect(a.outbox.statusesOf(id)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
    expect(a.outbox.statuses.at(-1)).toMatchObject({ chatJid: CONTACT, ids: [id], status: 'PLAYED' });
    expect(await p.row(id)).toMatchObject({ status: 'played', delivered: 1 });

    p = await again(p, DELAY, { A: a }); // nothing is owed any more
    await sleep(3 * DELAY);
    expect(a.outbox.statusesOf(id)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
  });

  it('a restart before the contact received a round video: every receipt still comes, once', async () => {
    const DELAY = 250;
    const a = { phone: '5500700000011', outbox: new Outbox() };
    let p = await first(DELAY, { A: a });
    const id = newMessageId();
    await p.engine('A').messages.send({ id, to: CONTACT, content: roundVideo });
    expect(a.outbox.statusesOf(id)).toEqual(['SENT']);
    p = await again(p, DELAY, { A: a });
    await waitFor(() => a.outbox.statusesOf(id).includes('PLAYED'), 5000, 'PLAYED');
    await sleep(3 * DELAY);
    expect(a.outbox.statusesOf(id)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
  });

  it('a PLAYED the sender could not record comes again', async () => {
    const a = { phone: '5500700000021', outbox: new Outbox() };
    const p = await first(10, { A: a });
    a.outbox.failNext = (e) => e.s?.status === 'PLAYED';
    const id = newMessageId();
    await p.engine('A').messages.send({ id, to: CONTACT, content: voiceNote });
    await waitFor(() => a.outbox.statusesOf(id).includes('PLAYED'), 5000, 'PLAYED');
    expect(a.outbox.failures).toBe(1);
    expect(a.outbox.statusesOf(id)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
    await waitFor(async () => (await p.row(id))?.status === 'played', 2000, 'row played');
  });

  it('a round video to an instance that was down: delivered after the restart, then read and played once', async () => {
    const a = { phone: '5500700000031', outbox: new Outbox() };
    const b = { phone: '5500700000032', outbox: new Outbox() };
    // B first: after the restart B's engine starts before A's, and A must still get its receipts.
    let p = await first(10, { B: b, A: a });
    await p.stopEngine('B');
    const id = newMessageId();
    await p.engine('A').messages.send({ id, to: `${b.phone}@s.whatsapp.net`, content: roundVideo });
    expect(await p.row(id)).toMatchObject({ status: 'sent', delivered: 0 });

    p = await again(p, 10, { B: b, A: a });
    expect(b.outbox.messages.map((m) => [m.id, m.content])).toEqual([[id, roundVideo]]);
    expect(a.outbox.statusesOf(id)).toEqual(['SENT', 'RECEIVED']);

    // B plays it, but A's PLAYED cannot be written: B's call fails and the network keeps it due.
    await p.engine('B').messages.read(`${a.phone}@s.whatsapp.net`, [id]);
    a.outbox.failNext = (e) => e.s?.status === 'PLAYED';
    await expect(p.engine('B').messages.played(`${a.phone}@s.whatsapp.net`, [id])).rejects.toThrow(/could not be written/);
    expect(await p.row(id)).toMatchObject({ status: 'read' });

    p = await again(p, 10, { B: b, A: a });
    await p.engine('B').messages.played(`${a.phone}@s.whatsapp.net`, [id]);
    await p.engine('B').messages.played(`${a.phone}@s.whatsapp.net`, [id]);
    expect(a.outbox.statusesOf(id)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
    expect(await p.row(id)).toMatchObject({ status: 'played', delivered: 1 });
    expect(b.outbox.messages).toHaveLength(1);
  });
});
