// Sandbox engines on one SandboxNetwork over a real store, each with a Recorder standing
// in for the webhook outbox. Use it as
//   const sandbox = new SandboxWorld();
//   afterEach(sandbox.close);
//   const { world, peer, stop, row } = sandbox;
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/db.js';
import { newMessageId } from '../../src/domain/ids.js';
import { SandboxEngine } from '../../src/engines/sandbox/engine.js';
import { SandboxNetwork } from '../../src/engines/sandbox/network.js';
import type { EngineEmitter, EngineEvents, IncomingMessage, MessageContent, OutgoingMessage } from '../../src/engines/engine.js';
import type { TestDatabase } from './postgres.js';

export type StatusEvent = EngineEvents['messageStatus'][0];
export type RevokeEvent = EngineEvents['messageRevoked'][0];
export type Recorded = { message?: IncomingMessage; status?: StatusEvent; revoke?: RevokeEvent };

/** Stands in for the outbox: events count once recorded() took them; failNext drops a batch, gate holds it. */
export class Recorder {
  readonly messages: IncomingMessage[] = [];
  readonly statuses: StatusEvent[] = [];
  readonly revokes: RevokeEvent[] = [];
  /** Every event emitted (recorded or not). */
  readonly emitted: Recorded[] = [];
  private pending: Recorded[] = [];
  failNext: ((ev: Recorded) => boolean) | null = null;
  /** While set, recording waits for it (a slow outbox). */
  gate: Promise<void> | null = null;

  watch(events: EngineEmitter): void {
    const add = (ev: Recorded) => {
      this.emitted.push(ev);
      this.pending.push(ev);
    };
    events.on('message', (message) => add({ message }));
    events.on('messageStatus', (status) => add({ status }));
    events.on('messageRevoked', (revoke) => add({ revoke }));
  }

  recorded = async (): Promise<void> => {
    const batch = this.pending.splice(0);
    if (this.gate) await this.gate;
    const fail = this.failNext;
    if (fail && batch.some(fail)) {
      this.failNext = null;
      throw new Error('simulated: the webhook could not be written');
    }
    for (const b of batch) {
      if (b.message) this.messages.push(b.message);
      if (b.status) this.statuses.push(b.status);
      if (b.revoke) this.revokes.push(b.revoke);
    }
  };

  /** The statuses recorded for `id`, in order (SENT included). */
  statusesOf(id: string): string[] {
    return this.statusEventsOf(id).map((s) => s.status);
  }

  statusEventsOf(id: string): StatusEvent[] {
    return this.statuses.filter((s) => s.ids.includes(id));
  }

  /** [status, participant] of each receipt for `id`, SENT included. */
  receiptsOf(id: string): Array<[string, string | undefined]> {
    return this.statusEventsOf(id).map((s) => [s.status, s.participant]);
  }

  message(id: string): IncomingMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }
}

export interface Peer {
  engine: SandboxEngine;
  rec: Recorder;
  phone: string;
  jid: string;
  send(to: string, content: MessageContent, extra?: Partial<OutgoingMessage>): Promise<string>;
}

/** One store and network per test (world()), the engines running on it, and close() after each test. */
export class SandboxWorld {
  store: Store | null = null;
  network: SandboxNetwork | null = null;
  /** Engines close() closes: every peer's, and any other pushed here. */
  readonly engines: SandboxEngine[] = [];
  private drop: (() => Promise<void>) | null = null;

  /** A fresh store (SQLite in a new data dir unless `db` names another database) and a network on it. */
  world = async (receiptDelayMs = 10, db?: TestDatabase): Promise<{ db: Store['db']; net: SandboxNetwork }> => {
    this.drop = db?.drop ?? null;
    this.store = await openStore({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'openzap-sandbox-world-')), databaseUrl: db?.url ?? null });
    this.network = new SandboxNetwork(this.store.db, receiptDelayMs, this.store.dialect);
    await this.network.resume();
    return { db: this.store.db, net: this.network };
  };

  /** A sandbox instance with its engine running (already paired when it was before). */
  peer = async (name: string, phone: string): Promise<Peer> => {
    const rec = new Recorder();
    const engine = new SandboxEngine(`INST-${name}`, this.store!.db, this.network!, rec.recorded);
    rec.watch(engine.events);
    this.engines.push(engine);
    await engine.connect();
    if (engine.state().status !== 'connected') await engine.pair(phone);
    const send = async (to: string, content: MessageContent, extra: Partial<OutgoingMessage> = {}) => {
      const id = extra.id ?? newMessageId();
      await engine.messages.send({ ...extra, id, to, content });
      return id;
    };
    return { engine, rec, phone, jid: `${phone}@s.whatsapp.net`, send };
  };

  stop = async (p: Peer): Promise<void> => {
    this.engines.splice(this.engines.indexOf(p.engine), 1);
    await p.engine.close();
  };

  row = (id: string) => this.store!.db.selectFrom('sandbox_messages').selectAll().where('id', '=', id).executeTakeFirst();

  close = async (): Promise<void> => {
    for (const e of this.engines.splice(0)) await e.close();
    this.network?.close();
    await this.store?.close();
    await this.drop?.();
    this.store = null;
    this.network = null;
    this.drop = null;
  };
}
