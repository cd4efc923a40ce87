// Voice-note receipts survive restarts (DESIGN.md §4, §5): a simulated contact that has
// read a voice note still plays it after the process restarts, exactly once; a PLAYED that
// could not be recorded comes again; a round video sent to an instance that was down is
// delivered, read and played across restarts. Each "process" is a SQLite store, a
// SandboxNetwork and SandboxEngines; a restart closes them all and opens the same file again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { newMessageId } from '../../src/domain/ids.js';
import { SandboxEngine } from '../../src/engines/sandbox/engine.js';
import { SandboxNetwork } from '../../src/engines/sandbox/network.js';
import type { EngineEvents, MessageContent } from '../../src/engines/engine.js';
import { waitFor } from '../helpers/http.js';

type StatusEvent = EngineEvents['messageStatus'][0];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const CONTACT = '5511987650077@s.whatsapp.net';
const voiceNote: MessageContent = { type: 'audio', media: { id: 'MEDIA-VOICE', mimeType: 'audio/ogg; codecs=opus', size: 4096 }, ptt: true, seconds: 3 };
const roundVideo: MessageContent = { type: 'ptv', media: { id: 'MEDIA-PTV', mimeType: 'video/mp4', size: 8192 }, seconds: 5 };

/** The outbox of one instance across every process: what was recorded, in order. */
class Outbox {
  readonly statuses: StatusEvent[] = [];
  readonly messages: EngineEvents['message'][0][] = [];
  /** The next batch holding a matching status is not recorded (the write fails). */
  failNext: ((s: StatusEvent) => boolean) | null = null;
  failures = 0;

  statusesOf(id: string): string[] {
    return this.statuses.filter((s) => s.ids.includes(id)).map((s) => s.status);
  }
}

/** One OpenZap process: the store, the network and the engines of the given instances. */
class Process {
  private constructor(
    readonly dataDir: string,
    readonly store: Store,
    readonly network: SandboxNetwork,
    readonly engines: Map<string, SandboxEngine>,
  ) {}

  static async start(dataDir: string, delayMs: number, instances: Instances): Promise<Process> {
    const store = await openStore({ dataDir, databaseUrl: null });
    const network = new SandboxNetwork(store.db, delayMs);
    const p = new Process(dataDir, store, network, new Map());
    for (const [id, inst] of Object.entries(instances)) await p.run(id, inst.phone, inst.outbox);
    await network.resume(); // start-up is over, as server.ts does
    return p;
  }

  async run(instanceId: string, phone: string, outbox: Outbox): Promise<SandboxEngine> {
    let pending: Array<{ s?: StatusEvent; m?: EngineEvents['message'][0] }> = [];
    const recorded = async () => {
      const batch = pending;
      pending = [];
      const fail = outbox.failNext;
      if (fail && batch.some((b) => b.s && fail(b.s))) {
        outbox.failNext = null;
        outbox.failures++;
        throw new Error('simulated: the webhook could not be written');
      }
      for (const b of batch) {
        if (b.s) outbox.statuses.push(b.s);
        if (b.m) outbox.messages.push(b.m);
      }
    };
    const engine = new SandboxEngine(instanceId, this.store.db, this.network, recorded);
    engine.events.on('messageStatus', (s) => pending.push({ s }));
    engine.events.on('message', (m) => pending.push({ m }));
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
    return this.store.db.selectFrom('sandbox_messages').select(['status', 'delivered']).where('id', '=', id).executeTakeFirst();
  }

  /** The process goes away: timers die with it, nothing else is written. */
  async stop(): Promise<void> {
    this.network.close();
    for (const e of this.engines.values()) await e.close();
    await this.store.close();
  }
}

const running: Process[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});

type Instances = Record<string, { phone: string; outbox: Outbox }>;

async function first(delayMs: number, instances: Instances): Promise<Process> {
  const p = await Process.start(fs.mkdtempSync(path.join(os.tmpdir(), 'openzap-sandbox-receipts-')), delayMs, instances);
  running.push(p);
  return p;
}

/** Stop the process and start a new one on the same data; engines start in the order given. */
async function again(p: Process, delayMs: number, instances: Instances): Promise<Process> {
  running.splice(running.indexOf(p), 1);
  await p.stop();
  const next = await Process.start(p.dataDir, delayMs, instances);
  running.push(next);
  return next;
}

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
    a.outbox.failNext = (s) => s.status === 'PLAYED';
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
    a.outbox.failNext = (s) => s.status === 'PLAYED';
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
