// Owns one engine per running instance: creates it by kind, wires its events to the
// webhook sink and the queue worker, stops it on expiry, logout or shutdown. It follows
// each event until its webhook is in the outbox, so an engine can wait for that before it
// acknowledges anything upstream (recorded()).
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database, InstanceRow, SandboxDeviceRow } from '../store/schema.js';
import type { Instances } from '../domain/instances.js';
import { isExpired } from '../domain/instances.js';
import { Unsupported } from '../domain/errors.js';
import type { EngineEventSink } from '../webhooks/event-sink.js';
import type { ConnectionStatus, IncomingMessage, WhatsAppEngine } from './engine.js';
import type { SandboxNetwork } from './sandbox/network.js';
import { SandboxEngine } from './sandbox/engine.js';
import type { BaileysEngine } from './baileys/engine.js';
import type { SocketFactory } from './baileys/connection.js';
import type { MediaPort } from '../media/media.js';

export interface ManagerDeps {
  db: Kysely<Database>;
  instances: Instances;
  network: SandboxNetwork;
  /** Engines read media to send and keep media they receive. */
  media: MediaPort;
  sink: EngineEventSink;
  log: Logger;
  /** Called when an instance becomes connected (the queue drains). */
  onConnected: (instanceId: string) => void;
  /** Baileys engine settings: the key sealing its auth state, the WhatsApp Web version, a socket factory (tests). */
  baileys?: {
    secretKey: Buffer | null;
    waWebVersion: [number, number, number] | null;
    createSocket?: SocketFactory;
    /** OPENZAP_MESSAGE_RETENTION_DAYS: how long raw and history messages are kept (default 7). */
    messageRetentionDays?: number;
  };
}

/**
 * The Baileys engine module, imported when the first Baileys instance starts: Baileys and
 * its dependencies (libsignal, the WhatsApp protobufs) take ~0.4 s to load, a third of a
 * start-up that runs only sandbox instances (bench 4).
 */
let baileysEngine: typeof BaileysEngine | null = null;
async function loadBaileys(): Promise<void> {
  baileysEngine ??= (await import('./baileys/engine.js')).BaileysEngine;
}

/** Engines this build can run. */
export function assertEngineAvailable(kind: string): void {
  if (kind === 'sandbox' || kind === 'baileys') return;
  throw new Unsupported(
    `The "${kind}" engine is not available in this build of OpenZap yet; create the instance with "engine": "sandbox".`,
  );
}

export class EngineManager {
  private readonly engines = new Map<string, WhatsAppEngine>();
  private readonly status = new Map<string, ConnectionStatus>();
  /** Per instance: event handlings not finished yet. */
  private readonly recording = new Map<string, Set<Promise<void>>>();

  constructor(private readonly d: ManagerDeps) {}

  engine(instanceId: string): WhatsAppEngine | undefined {
    return this.engines.get(instanceId);
  }

  sandbox(instanceId: string): SandboxEngine | undefined {
    const e = this.engines.get(instanceId);
    return e instanceof SandboxEngine ? e : undefined;
  }

  /** @param devices start-up: every sandbox device, read at once (a sandbox engine not in it has none). */
  private create(inst: InstanceRow, devices?: ReadonlyMap<string, SandboxDeviceRow>): WhatsAppEngine {
    assertEngineAvailable(inst.engine);
    if (inst.engine === 'baileys') {
      const b = this.d.baileys;
      if (!baileysEngine) throw new Error('the Baileys engine module is not loaded (start() loads it)');
      return new baileysEngine({
        db: this.d.db,
        instanceId: inst.id,
        logger: this.d.log,
        secretKey: b?.secretKey ?? null,
        version: b?.waWebVersion ?? null,
        createSocket: b?.createSocket,
        retentionMs: b?.messageRetentionDays ? b.messageRetentionDays * 86_400_000 : undefined,
        instances: this.d.instances,
        media: this.d.media,
      });
    }
    return new SandboxEngine(inst.id, this.d.db, this.d.network, () => this.recorded(inst.id), devices ? (devices.get(inst.id) ?? null) : undefined);
  }

  /** Resolves once every event the instance's engine emitted so far is recorded; rejects if one could not be. */
  async recorded(instanceId: string): Promise<void> {
    const pending = this.recording.get(instanceId);
    if (pending && pending.size > 0) await Promise.all([...pending]);
  }

  /** Follow an event's handling for recorded(); a failure is logged here, never thrown at the emitter. */
  private track(id: string, what: string, work: Promise<unknown>): void {
    let pending = this.recording.get(id);
    if (!pending) this.recording.set(id, (pending = new Set()));
    const p = work.then(() => undefined);
    pending.add(p);
    p.catch((err) => this.d.log.error({ err, instanceId: id }, `${what} event could not be recorded`)).finally(() => {
      pending.delete(p);
      if (pending.size === 0 && this.recording.get(id) === pending) this.recording.delete(id);
    });
  }

  /** Start the instance's engine (idempotent). Expired instances are not started. */
  async start(inst: InstanceRow, devices?: ReadonlyMap<string, SandboxDeviceRow>): Promise<WhatsAppEngine | undefined> {
    if (inst.engine === 'baileys') await loadBaileys();
    const existing = this.engines.get(inst.id);
    if (existing) return existing;
    if (isExpired(inst)) return undefined;
    const engine = this.create(inst, devices);
    this.engines.set(inst.id, engine);
    this.wire(inst.id, engine);
    await engine.connect();
    return engine;
  }

  private wire(id: string, engine: WhatsAppEngine): void {
    const { sink, instances } = this.d;
    // Synchronous when cached, so that events reach the sink in the order they were emitted.
    const withInstance = (fn: (inst: InstanceRow) => Promise<unknown>): Promise<unknown> => {
      const hit = instances.cached(id);
      if (hit) return fn(hit);
      return instances.get(id).then((inst) => inst && fn(inst));
    };
    engine.events.on('connection', (ev) => {
      const prev = this.status.get(id);
      this.status.set(id, ev.status);
      const work = withInstance(async (inst) => {
        if (ev.status === 'connected' && ev.phone && inst.phone !== ev.phone) inst = await instances.update(id, { phone: ev.phone });
        await sink.connection(inst, prev, ev);
        if (ev.status === 'connected') this.d.onConnected(id);
      });
      this.track(id, 'connection', work);
    });
    engine.events.on('message', (m) => {
      let inst: InstanceRow | undefined;
      const work = withInstance((i) => {
        inst = i;
        return sink.message(i, m, engine.state().phone, (tx) => this.remember(tx, id, m));
      });
      this.track(id, 'message', work);
      // Auto-read after the message is recorded, outside recorded(): it waits on the sender's events, not ours.
      void work
        .then(
          // A status is "seen" under update-auto-read-status, any other message "read" under update-auto-read-message.
          () => (!m.fromMe && (m.broadcast ? inst?.auto_read_status : inst?.auto_read_message) === 1 ? engine.messages.read(m.chatJid, [m.id]) : undefined),
          () => undefined, // not recorded: track() logged it
        )
        .catch((err) => this.d.log.warn({ err, instanceId: id }, 'auto-read failed'));
    });
    engine.events.on('messageStatus', (ev) => {
      // Several a message: with no status webhook set there is nothing to record or wait for.
      const hit = instances.cached(id);
      if (hit && !hit.message_status_url) return;
      this.track(id, 'status', withInstance((inst) => sink.status(inst, ev)));
    });
    engine.events.on('presence', (ev) => this.track(id, 'presence', withInstance((inst) => sink.presence(inst, ev))));
    engine.events.on('call', (ev) => this.track(id, 'call', withInstance((inst) => sink.call(inst, ev, engine.state().phone))));
    engine.events.on('messageRevoked', (ev) => this.track(id, 'revoke', withInstance((inst) => sink.revoke(inst, ev, engine.state().phone))));
    engine.events.on('notification', (ev) => this.track(id, 'notification', withInstance((inst) => sink.notification(inst, ev, engine.state().phone))));
  }

  /** Received messages join the recent-message store (replies, reads and edits refer to them). */
  private async remember(tx: Transaction<Database>, instanceId: string, m: IncomingMessage): Promise<void> {
    await tx
      .insertInto('messages')
      .values({
        instance_id: instanceId,
        message_id: m.id,
        zaap_id: null,
        chat_jid: m.chatJid,
        from_me: m.fromMe ? 1 : 0,
        sender_jid: m.senderJid,
        kind: m.content.type,
        payload: JSON.stringify({ content: m.content, quotedId: m.quotedId }),
        status: 'RECEIVED',
        created_at: m.timestamp,
      })
      .onConflict((oc) => oc.columns(['instance_id', 'message_id']).doNothing())
      .execute();
  }

  /** Stop an engine without logging it out (expiry, deletion, shutdown). */
  async stop(instanceId: string): Promise<void> {
    const engine = this.engines.get(instanceId);
    if (!engine) return;
    this.engines.delete(instanceId);
    this.status.delete(instanceId);
    engine.events.removeAllListeners();
    await engine.close();
  }

  async startAll(rows: InstanceRow[]): Promise<void> {
    // One read of the sandbox devices for all engines, not one per engine (bench 4: 1,000 instances).
    const devices = rows.some((r) => r.engine === 'sandbox') ? await this.d.network.devices() : undefined;
    for (const r of rows) {
      try {
        await this.start(r, devices);
      } catch (err) {
        this.d.log.error({ err, instanceId: r.id }, 'instance engine could not start');
      }
    }
  }

  /** Stop engines of instances whose due date has passed; their data stays. */
  async stopExpired(now = Date.now()): Promise<void> {
    for (const id of [...this.engines.keys()]) {
      const inst = this.d.instances.cached(id);
      if (inst && isExpired(inst, now)) {
        this.d.log.info({ instanceId: id }, 'instance expired; engine stopped');
        await this.stop(id);
      }
    }
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.engines.keys()].map((id) => this.stop(id)));
  }
}
