// Drains each instance's queue in order while its engine is connected, honouring
// delayMessage, delayTyping and the default gap. A row is marked "sending" before the
// engine is called and deleted, in the same transaction that writes its webhooks, once the
// engine confirmed it; a crash in between resends with the same message id, which the
// engine recognises (at most once when the engine can confirm, as DESIGN.md §5 asks).
// With no gap, the next row's mark is written while the row before it is sent (premark).
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, QueueRow } from '../store/schema.js';
import type { GapRange } from '../config.js';
import type { WhatsAppEngine } from '../engines/engine.js';
import type { Instances } from '../domain/instances.js';
import type { WebhookOutbox } from '../webhooks/outbox.js';
import { deliveryCallback, receivedCallback, type MediaUrls } from '../webhooks/payloads.js';
import { ApiError } from '../domain/errors.js';
import { HEAD_ROWS, type QueuedPayload, type SendQueue } from './send-queue.js';
import { messagesSent } from '../metrics.js';
import { grouped } from '../store/tx-batcher.js';
import { statement, type Statement } from '../store/compiled.js';

const MAX_TRANSIENT_ATTEMPTS = 5;
/** How long a graceful stop waits for a send under way: the longest delayTyping (15 s) and the send itself. */
const STOP_GRACE_MS = 18_000;
/** Rows a queue's worker holds in memory at most (read ahead, or appended as they are stored). */
const MAX_AHEAD = 64;

export interface EngineLookup {
  engine(instanceId: string): WhatsAppEngine | undefined;
}

class Drainer {
  running: Promise<void> | null = null;
  dirty = false;
  /** When this instance last sent; null until read from the store (a restart must not burst the queue). */
  lastSentAt: number | null = null;
  private wakeSleep: (() => void) | null = null;
  private readonly gapDeadline = new Map<number, number>();
  /** Rows that failed transiently: not before this time. */
  private readonly retryAt = new Map<number, number>();
  /**
   * Rows the engine sent whose confirmation (queue row removed, webhooks written) is being
   * written: the next row is sent meanwhile (docs/benchmarks.md F31). Their seqs, with the write.
   */
  private readonly confirming = new Map<number, Promise<void>>();
  /**
   * The last confirmation's turn: resolved once it was handed to the group commit (where
   * writes commit in order) or committed (where they may not); the next one waits for it, so
   * that webhook ids follow send order (lane order).
   */
  private lastConfirm: Promise<void> = Promise.resolve();
  /**
   * Rows may be hidden behind the confirmations under way (reads skip their seqs): one of
   * them failed (its row goes again), or the queue was read past them (on Postgres a row
   * accepted earlier can commit later, with a lower seq). Looked at once none is under way.
   */
  private hiddenRows = false;
  /**
   * Rows read ahead, oldest first, not yet sent. Read again after anything but an append
   * (a removal, a reconnect, a failure: `forgetAhead`). A row deleted since it was read is
   * caught by markSending, which claims only a row still there.
   */
  private ahead: QueueRow[] = [];
  /** The last read reached the end of the queue, and nothing was added since it began: no need to read again. */
  private aheadIsAll = false;
  /** Bumped by forgetAhead: a read that began before it is not used. */
  private aheadGeneration = 0;
  /** A read of the queue is under way. */
  private reading = false;
  /** The seq of the last row taken from `ahead` to be sent. */
  private lastTaken = 0;

  constructor(
    readonly instanceId: string,
    private readonly w: QueueWorker,
  ) {}

  /**
   * Look at the queue again. `interrupt`: cut a wait short (the head may have changed: a
   * removal, a reconnect); a message appended behind the head needs no interruption — the
   * wait under way is for the head, and the loop reads the queue again when it ends.
   */
  kick(interrupt = true, added?: QueueRow): void {
    this.dirty = true;
    if (interrupt) {
      this.forgetAhead();
      this.interrupt();
    } else if (!added || !this.appended(added)) {
      this.aheadIsAll = false;
    }
    this.start();
  }

  private start(): void {
    if (this.running || this.w.stopped) return;
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.dirty && !this.w.stopped) this.start();
    });
  }

  /**
   * A row just stored (its seq known): when the rows read ahead are the whole queue and no read
   * is under way, it joins them, and the queue need not be read again (F32). Not when it
   * would not be last, or the rows held in memory are already many (a read takes them later).
   */
  private appended(row: QueueRow): boolean {
    if (!this.aheadIsAll || this.reading || this.ahead.length >= MAX_AHEAD) return false;
    if (row.seq <= this.lastTaken || row.seq <= (this.ahead.at(-1)?.seq ?? 0)) return false;
    this.ahead.push(row);
    return true;
  }

  private forgetAhead(): void {
    this.ahead = [];
    this.aheadIsAll = false;
    this.aheadGeneration++;
  }

  /** The oldest row not sent yet, from the rows read ahead or, when they ran out, read now. */
  private async next(): Promise<QueueRow | undefined> {
    while (this.ahead.length === 0) {
      if (this.aheadIsAll) return undefined;
      const generation = this.aheadGeneration;
      this.aheadIsAll = true; // until a kick says otherwise while reading
      this.reading = true;
      let rows: QueueRow[];
      try {
        const after = this.confirming.size > 0 ? Math.max(...this.confirming.keys()) : 0;
        if (after > 0) this.hiddenRows = true;
        rows = await this.w.queue.head(this.instanceId, after);
      } finally {
        this.reading = false;
      }
      if (generation !== this.aheadGeneration) continue; // removed or failed meanwhile: read again
      if (rows.length === HEAD_ROWS) this.aheadIsAll = false;
      this.ahead = rows;
      if (rows.length === 0) return undefined;
    }
    return this.ahead[0];
  }

  /** Cut a wait for a delay or gap short (the row is read again). */
  interrupt(): void {
    if (this.wakeSleep) this.wakeSleep();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakeSleep = null;
        resolve();
      }
      this.wakeSleep = done;
    });
  }

  private async run(): Promise<void> {
    try {
      this.lastSentAt ??= await this.w.lastSentAt(this.instanceId);
      while (!this.w.stopped) {
        this.dirty = false;
        const engine = this.w.engines.engine(this.instanceId);
        if (!engine || engine.state().status !== 'connected') break;
        const row = await this.next();
        if (!row) break;
        const wait = this.waitFor(row) - Date.now();
        if (wait > 0) {
          this.forgetAhead(); // re-read after the wait: the row may have been deleted or the engine gone meanwhile
          await this.sleep(wait);
          continue;
        }
        this.ahead.shift();
        this.lastTaken = row.seq;
        await this.sendRow(engine, row);
        // Reads of the main SQLite connection resolve at once: without a macrotask here a long
        // queue would be a chain of microtasks that keeps HTTP requests and webhook responses
        // waiting. (Left out when writes are macrotasks anyway, the 100 queues of bench 2
        // took more CPU per message, not less: docs/benchmarks.md F31.)
        await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      this.forgetAhead();
      this.w.log.error({ err, instanceId: this.instanceId }, 'queue worker failed; retrying shortly');
      setTimeout(() => this.kick(), 1000).unref();
    } finally {
      // The drainer is done only once what it sent is confirmed (a graceful stop waits for it).
      while (this.confirming.size > 0) await Promise.allSettled([...this.confirming.values()]);
    }
  }

  /** When a row may be sent. A row already claimed before a crash goes at once. */
  private waitFor(row: QueueRow): number {
    if (row.status === 'sending') return 0;
    return Math.max(this.retryAt.get(row.seq) ?? 0, this.paced(row));
  }

  /** delayMessage counts from the previous send (or from acceptance); otherwise the configured gap. */
  private paced(row: QueueRow): number {
    const last = this.lastSentAt ?? 0;
    if (row.delay_message != null) return Math.max(row.created_at, last) + row.delay_message * 1000;
    let deadline = this.gapDeadline.get(row.seq);
    if (deadline === undefined) {
      const { min, max } = this.w.gap;
      deadline = last + min + Math.floor(Math.random() * (max - min + 1));
      this.gapDeadline.set(row.seq, deadline);
    }
    return deadline;
  }

  /**
   * With no gap between sends, the "sending" mark of the row after `row` is written while
   * `row` is sent: the instance's sends then cost one writer round trip each instead of two
   * (docs/benchmarks.md F33). Only for rows that go at once anyway (no delay, no typing,
   * not behind a typing row) — the mark means "may have been sent": a row marked and not
   * sent yet (the send before it failed, a crash) goes at once when it is next, with its id,
   * as after a crash; meanwhile it cannot be deleted, as a row being sent cannot.
   */
  private premark(row: QueueRow): void {
    const next = this.ahead[0];
    if (!next || this.w.gap.max > 0 || row.delay_typing || next.status !== 'queued') return;
    if (next.delay_message != null || next.delay_typing || this.retryAt.has(next.seq) || this.premarked.has(next.seq)) return;
    const marked = this.w.queue.markSending(next.seq);
    marked.catch(() => undefined); // awaited by sendRow (a failure fails that send)
    this.premarked.set(next.seq, marked);
  }

  /** "sending" marks written ahead (premark), by seq, until their row is sent. */
  private readonly premarked = new Map<number, Promise<boolean>>();

  private async sendRow(engine: WhatsAppEngine, row: QueueRow): Promise<void> {
    const resumed = row.status === 'sending';
    const premarked = this.premarked.get(row.seq);
    this.premarked.delete(row.seq);
    if (!(await (premarked ?? this.w.queue.markSending(row.seq)))) return;
    this.premark(row);
    this.gapDeadline.delete(row.seq);
    this.retryAt.delete(row.seq);
    const payload = JSON.parse(row.payload) as QueuedPayload;
    try {
      if (row.delay_typing && !resumed) {
        // Audio shows "recording audio…" for delayTyping (send-audio), everything else "typing…".
        await engine.messages.sendPresence(row.jid, payload.content.type === 'audio' ? 'recording' : 'composing');
        // Not interruptible by new messages: "typing…" lasts what the client asked for.
        await new Promise((r) => setTimeout(r, row.delay_typing! * 1000));
      }
      const result = await engine.messages.send({
        id: row.message_id,
        to: row.jid,
        content: payload.content,
        quotedId: payload.quotedId,
        privateAnswer: payload.privateAnswer,
        editId: payload.editId,
        forwarded: payload.forwarded,
        quotedIsStatus: payload.quotedIsStatus,
      });
      if (row.delay_typing) await engine.messages.sendPresence(row.jid, 'paused').catch(() => undefined);
      this.lastSentAt = Date.now();
      messagesSent.inc();
      // The next row may go while this one's confirmation is written: sends stay in order, and
      // each confirmation is handed over after the previous one's turn (lastConfirm), so their
      // webhooks get ids in send order (lane order) on Postgres too, where two group commits
      // can run at once. A crash before it is written resends the row with the same id, as before.
      const phone = engine.state().phone;
      let handed!: () => void;
      const turn = { after: this.lastConfirm, handed: () => handed() };
      this.lastConfirm = new Promise<void>((r) => (handed = r));
      const confirmed = this.w
        .confirm(row, payload, result.timestamp, phone, turn)
        .catch((err: Error) => {
          this.hiddenRows = true;
          return this.failedRow(row, err);
        })
        .catch((err: unknown) => {
          this.w.log.error({ err, instanceId: this.instanceId, zaapId: row.zaap_id }, 'could not record a sent message; retrying shortly');
          setTimeout(() => this.kick(), 1000).unref();
        });
      this.confirming.set(row.seq, confirmed);
      void confirmed.finally(() => {
        this.confirming.delete(row.seq);
        // Otherwise the rows held are still the whole queue when they were: reading it again
        // after every confirmation found nothing new, once per message (F34).
        if (this.confirming.size === 0 && (this.hiddenRows || !this.aheadIsAll)) {
          this.hiddenRows = false;
          this.kick(false);
        }
      });
    } catch (err) {
      await this.failedRow(row, err as Error);
    }
  }

  private async failedRow(row: QueueRow, err: Error): Promise<void> {
    this.forgetAhead(); // the failed row stays first in the queue (rows read after it would overtake it)
    const retryInMs = await this.w.failed(row, err);
    if (retryInMs !== null) this.retryAt.set(row.seq, Date.now() + retryInMs);
  }
}

export class QueueWorker {
  stopped = false;
  private readonly drainers = new Map<string, Drainer>();

  constructor(
    private readonly db: Kysely<Database>,
    readonly queue: SendQueue,
    readonly engines: EngineLookup,
    private readonly instances: Instances,
    private readonly outbox: WebhookOutbox,
    readonly gap: GapRange,
    readonly log: Logger,
    private readonly urls: MediaUrls,
  ) {
    queue.onChanged((id, change, row) => this.kick(id, change !== 'added', row));
    this.insertSent = statement(
      queue.dialect,
      'insert into "messages" ("instance_id", "message_id", "zaap_id", "chat_jid", "from_me", "sender_jid", "kind", "payload", "status", "created_at") ' +
        'values (?, ?, ?, ?, 1, null, ?, ?, \'SENT\', ?) on conflict ("instance_id", "message_id") do nothing',
    );
  }

  /** The sent message's row, once per message: compiled once (store/compiled.ts). */
  private readonly insertSent: Statement;

  /** Until release(): kicks are only remembered (start-up: the server listens before queues drain). */
  private held: Set<string> | null = new Set();

  /**
   * Start-up is over: the queues that hold rows start draining. One query names them; the
   * instances kicked meanwhile (every engine that connected) need no drainer of their own
   * when their queue is empty (bench 4: 2,000 queries with 1,000 idle instances).
   */
  async release(): Promise<void> {
    const held = this.held ?? new Set<string>();
    this.held = null; // later kicks reach their drainer directly
    let ids: Iterable<string> = held;
    try {
      ids = await this.queue.instancesWithWork();
    } catch (err) {
      this.log.warn({ err }, 'could not list the queues with rows; looking at every instance kicked during start-up');
    }
    for (const id of ids) this.kick(id);
  }

  kick(instanceId: string, interrupt = true, added?: QueueRow): void {
    if (this.stopped) return;
    if (this.held) {
      this.held.add(instanceId);
      return;
    }
    let d = this.drainers.get(instanceId);
    if (!d) {
      d = new Drainer(instanceId, this);
      this.drainers.set(instanceId, d);
    }
    d.kick(interrupt, added);
  }

  /** The last send of the instance before this process started (its queue keeps its pace across a restart). */
  async lastSentAt(instanceId: string): Promise<number> {
    const r = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('instance_id', '=', instanceId)
      .where('from_me', '=', 1)
      .executeTakeFirst();
    return Math.min(Number(r?.at ?? 0), Date.now());
  }

  /**
   * The engine confirmed the message: one transaction removes it from the queue and writes its
   * webhooks. `turn`: handed over only after `after` (the previous confirmation's turn);
   * `handed` once this one's webhook ids are settled relative to the next (handed to a group
   * commit that commits in order, else committed), or it failed.
   */
  async confirm(
    row: QueueRow,
    payload: QueuedPayload,
    timestamp: number,
    phone: string | null,
    turn: { after: Promise<void>; handed: () => void },
  ): Promise<void> {
    try {
      await this.confirmInTurn(row, payload, timestamp, phone, turn);
    } finally {
      turn.handed();
    }
  }

  private async confirmInTurn(row: QueueRow, payload: QueuedPayload, timestamp: number, phone: string | null, turn: { after: Promise<void>; handed: () => void }): Promise<void> {
    const inst = await this.instances.get(row.instance_id);
    const rows = inst ? [this.outbox.row(inst, 'DeliveryCallback', deliveryCallback(inst, { jid: row.jid, zaapId: row.zaap_id, messageId: row.message_id }))] : [];
    // The sent message as a ReceivedCallback goes only with "notify sent by me" (webhookUrl): not built otherwise.
    if (inst?.received_url && inst.notify_sent_by_me === 1) {
      const sent = {
        id: row.message_id,
        chatJid: row.jid,
        senderJid: phone ? `${phone}@s.whatsapp.net` : row.jid,
        senderName: inst.profile_name,
        fromMe: true,
        fromApi: true,
        timestamp,
        content: payload.content,
        quotedId: payload.quotedId,
        isEdit: payload.editId !== undefined,
        ...(payload.forwarded ? { forwarded: true } : {}),
        ...(payload.quotedIsStatus ? { isStatusReply: true } : {}),
        ...(row.jid === 'status@broadcast' ? { broadcast: true } : {}),
      };
      rows.push(this.outbox.row(inst, 'ReceivedCallback', receivedCallback(inst, sent, phone, this.urls)));
    }
    const webhooks = this.outbox.insertion(rows);
    await turn.after;
    const batcher = grouped(this.db);
    const write = batcher.write([
      this.queue.removeSent(row.seq),
      this.insertSent([row.instance_id, row.message_id, row.zaap_id, row.jid, row.kind, row.payload, timestamp]),
      ...webhooks.statements,
    ]);
    if (batcher.inOrder) turn.handed();
    const results = await write;
    const lanes = webhooks.lanes(results.slice(2));
    if (lanes.length > 0) this.outbox.notify(lanes);
  }

  /**
   * Not sent: wait for the connection, retry a transient error a few times (returns in how
   * many ms), or give up with a DeliveryCallback error.
   */
  async failed(row: QueueRow, err: Error): Promise<number | null> {
    const permanent = err instanceof ApiError && err.statusCode !== 409;
    if (err instanceof ApiError && err.statusCode === 409) {
      await this.queue.requeue(row.seq, err.message); // not connected: waits for the reconnect
      return null;
    }
    if (!permanent && row.attempts + 1 < MAX_TRANSIENT_ATTEMPTS) {
      this.log.warn({ err, instanceId: row.instance_id, zaapId: row.zaap_id }, 'send failed; will retry');
      await this.queue.requeue(row.seq, err.message);
      return 1000 * (row.attempts + 1);
    }
    this.log.warn({ err: err.message, instanceId: row.instance_id, zaapId: row.zaap_id }, 'message dropped from the queue');
    const inst = await this.instances.get(row.instance_id);
    const webhooks = this.outbox.insertion(
      inst ? [this.outbox.row(inst, 'DeliveryCallback', deliveryCallback(inst, { jid: row.jid, zaapId: row.zaap_id, messageId: row.message_id, error: err.message }))] : [],
    );
    const results = await grouped(this.db).write([this.queue.removeSent(row.seq), ...webhooks.statements]);
    const lanes = webhooks.lanes(results.slice(1));
    if (lanes.length > 0) this.outbox.notify(lanes);
    return null;
  }

  /** Stop taking new rows. A send already handed to the engine (typing included) finishes: graceful shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running: Promise<void>[] = [];
    for (const d of this.drainers.values()) {
      d.interrupt(); // a message still waiting for its delay stays queued
      if (d.running) running.push(d.running);
    }
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, STOP_GRACE_MS)));
    await Promise.race([Promise.allSettled(running), grace]);
    clearTimeout(timer);
  }
}
