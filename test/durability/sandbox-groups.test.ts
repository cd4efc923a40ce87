// Group receipts and revokes survive restarts (DESIGN.md §4, §5): every simulated member
// acknowledges a group message exactly once per step however the process stops in between,
// and a revoke a sandbox recipient has not recorded is handed over again after a restart,
// once. Each "process" is a store, a SandboxNetwork and SandboxEngines; a restart closes them
// all and opens the same data again (SQLite file, or the same Postgres database).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { newMessageId } from '../../src/domain/ids.js';
import { SandboxEngine } from '../../src/engines/sandbox/engine.js';
import { SandboxNetwork } from '../../src/engines/sandbox/network.js';
import { simulatedGroupMembers } from '../../src/engines/sandbox/wire.js';
import type { EngineEvents, MessageContent } from '../../src/engines/engine.js';
import { waitFor } from '../helpers/http.js';
import { PG_URL, freshDatabase } from '../helpers/postgres.js';

type StatusEvent = EngineEvents['messageStatus'][0];
type RevokeEvent = EngineEvents['messageRevoked'][0];
type Ev = { s?: StatusEvent; m?: EngineEvents['message'][0]; r?: RevokeEvent };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const GROUP = '120363000000000042@g.us';
const MEMBERS = simulatedGroupMembers(GROUP).map((p) => `${p}@s.whatsapp.net`);
const voiceNote: MessageContent = { type: 'audio', media: { id: 'MEDIA-VOICE', mimeType: 'audio/ogg; codecs=opus', size: 4096 }, ptt: true, seconds: 3 };

/** The outbox of one instance across every process: what was recorded, in order. */
class Outbox {
  readonly statuses: StatusEvent[] = [];
  readonly messages: EngineEvents['message'][0][] = [];
  readonly revokes: RevokeEvent[] = [];
  /** The next batch holding a matching event is not recorded (the write fails). */
  failNext: ((e: Ev) => boolean) | null = null;
  failures = 0;

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

  count(id: string, status: string): number {
    return this.statuses.filter((s) => s.ids.includes(id) && s.status === status).length;
  }
}

type Instances = Record<string, { phone: string; outbox: Outbox }>;

/** One OpenZap process: the store, the network and the engines of the given instances. */
class Process {
  private constructor(
    readonly dataDir: string,
    readonly url: string | null,
    readonly store: Store,
    readonly network: SandboxNetwork,
    readonly engines: Map<string, SandboxEngine>,
  ) {}

  static async start(dataDir: string, url: string | null, delayMs: number, instances: Instances): Promise<Process> {
    const store = await openStore({ dataDir, databaseUrl: url });
    const network = new SandboxNetwork(store.db, delayMs);
    const p = new Process(dataDir, url, store, network, new Map());
    for (const [id, inst] of Object.entries(instances)) await p.run(id, inst.phone, inst.outbox);
    await network.resume(); // start-up is over, as server.ts does
    return p;
  }

  async run(instanceId: string, phone: string, outbox: Outbox): Promise<SandboxEngine> {
    let pending: Ev[] = [];
    const recorded = async () => {
      const batch = pending;
      pending = [];
      const fail = outbox.failNext;
      if (fail && batch.some(fail)) {
        outbox.failNext = null;
        outbox.failures++;
        throw new Error('simulated: the webhook could not be written');
      }
      for (const b of batch) {
        if (b.s) outbox.statuses.push(b.s);
        if (b.m) outbox.messages.push(b.m);
        if (b.r) outbox.revokes.push(b.r);
      }
    };
    const engine = new SandboxEngine(instanceId, this.store.db, this.network, recorded);
    engine.events.on('messageStatus', (s) => pending.push({ s }));
    engine.events.on('message', (m) => pending.push({ m }));
    engine.events.on('messageRevoked', (r) => pending.push({ r }));
    this.engines.set(instanceId, engine);
    await engine.connect();
    if (engine.state().status !== 'connected') await engine.pair(phone);
    return engine;
  }

  engine(instanceId: string): SandboxEngine {
    return this.engines.get(instanceId)!;
  }

  async stopEngine(instanceId: string): Promise<void> {
    await this.engines.get(instanceId)?.close();
    this.engines.delete(instanceId);
  }

  row(id: string) {
    return this.store.db.selectFrom('sandbox_messages').select(['status', 'delivered', 'content']).where('id', '=', id).executeTakeFirst();
  }

  /** The process goes away: timers die with it, nothing else is written. */
  async stop(): Promise<void> {
    this.network.close();
    for (const e of this.engines.values()) await e.close();
    await this.store.close();
  }
}

const backends: Array<{ name: string; open: () => Promise<{ url: string | null; drop: () => Promise<void> }> }> = [
  { name: 'sqlite', open: async () => ({ url: null, drop: async () => undefined }) },
];
if (PG_URL) backends.push({ name: 'postgres', open: freshDatabase });

const running: Process[] = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  for (const d of drops.splice(0)) await d();
});

describe.each(backends)('sandbox groups and revokes across restarts ($name)', (backend) => {
  async function first(delayMs: number, instances: Instances): Promise<Process> {
    const db = await backend.open();
    drops.push(db.drop);
    const p = await Process.start(fs.mkdtempSync(path.join(os.tmpdir(), 'openzap-sandbox-groups-')), db.url, delayMs, instances);
    running.push(p);
    return p;
  }

  /** Stop the process and start a new one on the same data. */
  async function again(p: Process, delayMs: number, instances: Instances): Promise<Process> {
    running.splice(running.indexOf(p), 1);
    await p.stop();
    const next = await Process.start(p.dataDir, p.url, delayMs, instances);
    running.push(next);
    return next;
  }

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
