// Delivers the outbox: at least once, in id order per lane (instance, URL), with
// exponential backoff and jitter until the retry horizon, then kept as failed (replayable).
// A lane whose head is waiting for a retry blocks the events behind it: order first.
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Agent } from 'undici';
import { postStatus } from '../net/post.js';
import type { Logger } from 'pino';
import type { Database, OutboxRow } from '../store/schema.js';
import type { Instances } from '../domain/instances.js';
import { checkUrl, guardedAgent, type GuardOptions } from '../net/guard.js';
import { webhookAttempts } from '../metrics.js';
import { PENDING, outboxPending, type Lane } from './outbox.js';
import { grouped } from '../store/tx-batcher.js';
import { insertStatement, statement, type Statement } from '../store/compiled.js';
import type { Dialect } from '../store/migrations.js';

export interface DeliveryOptions extends GuardOptions {
  retryHorizonMs: number;
  backoffBaseMs: number;
  timeoutMs: number;
  concurrency: number;
  /** For the compiled statements (default sqlite). */
  dialect?: Dialect;
}

const MAX_BACKOFF_MS = 10 * 60_000;
const LANE_BATCH = 200;
/** Rows a lane keeps in memory at most; past it the lane reads the outbox again. */
const KNOWN_LIMIT = 1000;
/** Pause after the store failed under a lane or a scan (a full disk, a lost connection): retry, but calmly. */
const STORE_ERROR_PAUSE_MS = 1000;

export function backoffMs(attempt: number, baseMs: number, rand = Math.random()): number {
  const d = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
  return Math.round(d / 2 + (rand * d) / 2); // "equal jitter": never less than half the step
}

export function signature(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** The attempt counter's two series, bound once (a labelled inc() hashes its labels each time). */
const attemptsDelivered = webhookAttempts.labels({ outcome: 'delivered' });
const attemptsFailed = webhookAttempts.labels({ outcome: 'failed' });

type Outcome = { ok: boolean; status: number | null; error: string | null; ms: number };

/**
 * What the worker knows of a lane without reading the outbox (docs/benchmarks.md F28). When
 * `synced`, `rows` are exactly the lane's pending rows after the ones already taken: the
 * lane's last read found all of its pending rows, and every row committed since was handed
 * over by the writer (Lane.rows). Anything that could break that — rows not handed over, a
 * row not newer than the newest seen, a hand-over during a read, a failed delivery, a
 * replay, too many rows — makes the lane read the outbox again.
 */
interface LaneState {
  synced: boolean;
  rows: OutboxRow[];
  /** The highest id read or handed over on this lane (ids only grow within a lane). */
  lastId: number;
  /** Hand-overs so far: one arriving while the lane reads means the read may have missed its rows. */
  handed: number;
}

export class WebhookDelivery {
  private readonly agent: Agent;
  private readonly active = new Set<string>();
  /** Lanes paused after a store error: not before this time (in memory; a restart clears it). */
  private readonly pausedUntil = new Map<string, number>();
  /** Running lanes that got new rows after their last read. */
  private readonly dirty = new Set<string>();
  /**
   * Lanes with pending rows that found every slot taken, in arrival order: a lane that ends
   * hands its slot to the first (rescanning the outbox for them cost 1–2 ms per look,
   * tens of times a second under load: docs/benchmarks.md F17).
   */
  private readonly waiting = new Map<string, { instanceId: string; url: string }>();
  private readonly known = new Map<string, LaneState>();
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private stopped = true;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly instances: Instances,
    private readonly opts: DeliveryOptions,
    private readonly log: Logger,
  ) {
    // A lane has one request under way at most: as many connections per origin as lanes run
    // at once, so that lanes sharing a receiver (every instance posting to one CRM) do not
    // queue behind each other for a connection (32 held bench 2 to 32 requests under way: F32).
    this.agent = guardedAgent({ ...opts, connections: opts.concurrency });
    const d = opts.dialect ?? 'sqlite';
    this.sql = {
      // A literal limit (as a parameter SQLite plans it worse: F32).
      lane: statement(d, `select * from "webhook_outbox" where ${PENDING} and "instance_id" = ? and "url" = ? order by "id" limit ${LANE_BATCH}`),
      attempt: insertStatement(d, 'webhook_attempts', ['outbox_id', 'attempt', 'at', 'status_code', 'error', 'duration_ms']),
      delivered: statement(
        d,
        'update "webhook_outbox" set "status" = ?, "attempts" = ?, "delivered_at" = ?, "last_status" = ?, "last_error" = ?, "last_duration_ms" = ? where "id" = ?',
      ),
      retry: statement(
        d,
        'update "webhook_outbox" set "status" = ?, "attempts" = ?, "next_attempt_at" = ?, "last_status" = ?, "last_error" = ?, "last_duration_ms" = ? where "id" = ?',
      ),
    };
  }

  /** A lane's next rows and the outcome statements (one delivery = an outbox update, plus an attempt row if it failed), compiled once. */
  private readonly sql: { lane: Statement; attempt: Statement; delivered: Statement; retry: Statement };

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stop taking new work; wait for the requests under way (their outcome is recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inflight]);
    await this.agent.close().catch(() => undefined);
  }

  wake(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.track(
        this.scan().catch((err) => {
          // Nothing else may wake us (no new event): look again after a pause.
          this.log.error({ err }, 'webhook scan failed; retrying shortly');
          this.arm(Date.now() + STORE_ERROR_PAUSE_MS);
        }),
      );
    });
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.stopped ? null : setTimeout(() => this.wake(), Math.max(10, at - Date.now()));
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err) => this.log.error({ err }, 'webhook delivery loop failed')).finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  /**
   * New rows were committed on these lanes: start them directly instead of scanning the
   * whole outbox (the scan groups every pending row; it stays for start-up, retries and
   * when all lane slots are taken). A lane already running picks the rows up itself.
   */
  lanes(lanes: Lane[]): void {
    if (this.stopped) return;
    // No lane named (a replay): look at everything, and trust no lane's memory.
    if (lanes.length === 0) {
      for (const st of this.known.values()) this.forget(st);
      return this.wake();
    }
    for (const { instanceId, url, rows } of lanes) {
      const lane = `${instanceId}\n${url}`;
      this.handOver(this.state(lane), rows);
      if (this.active.has(lane)) {
        this.dirty.add(lane);
        continue;
      }
      if (this.pausedUntil.has(lane)) {
        this.wake();
        continue;
      }
      if (this.active.size >= this.opts.concurrency) {
        this.waiting.set(lane, { instanceId, url });
        continue;
      }
      this.startLane(lane, instanceId, url);
    }
  }

  private state(lane: string): LaneState {
    let st = this.known.get(lane);
    if (!st) this.known.set(lane, (st = { synced: false, rows: [], lastId: 0, handed: 0 }));
    return st;
  }

  private forget(st: LaneState): void {
    st.synced = false;
    st.rows = [];
  }

  /** Rows just committed on a lane (in id order), or undefined when the writer could not say which. */
  private handOver(st: LaneState, rows: OutboxRow[] | undefined): void {
    st.handed++;
    const first = rows?.[0];
    const last = rows?.[rows.length - 1];
    if (!first || !last || first.id <= st.lastId || st.rows.length + rows.length > KNOWN_LIMIT) {
      if (last) st.lastId = Math.max(st.lastId, last.id);
      return this.forget(st);
    }
    st.lastId = last.id;
    if (st.synced) for (const r of rows) st.rows.push(r);
  }

  /**
   * The lane's next rows: from memory when it is in sync, else read from the outbox (and in
   * sync from then on if the read saw all of them and nothing was handed over meanwhile).
   */
  private async nextRows(st: LaneState, instanceId: string, url: string): Promise<OutboxRow[]> {
    if (st.synced) return st.rows.splice(0, LANE_BATCH);
    const handed = st.handed;
    const { rows } = await this.db.executeQuery<OutboxRow>(this.sql.lane([instanceId, url]));
    const last = rows[rows.length - 1];
    if (last) st.lastId = Math.max(st.lastId, Number(last.id));
    if (rows.length < LANE_BATCH && st.handed === handed) {
      st.synced = true;
      st.rows = [];
    }
    return rows;
  }

  /** A slot is free: the longest-waiting lane gets it. */
  private startWaiting(): void {
    for (const [lane, { instanceId, url }] of this.waiting) {
      if (this.active.size >= this.opts.concurrency) return;
      this.waiting.delete(lane);
      if (!this.active.has(lane) && !this.pausedUntil.has(lane)) this.startLane(lane, instanceId, url);
    }
  }

  private startLane(lane: string, instanceId: string, url: string): void {
    this.active.add(lane);
    this.dirty.delete(lane);
    this.waiting.delete(lane);
    const st = this.state(lane);
    const run = this.runLane(st, instanceId, url).catch((err) => {
      // E.g. a 2xx whose outcome could not be written: delivering again at once would be a
      // hot loop of duplicates against the receiver.
      this.log.error({ err, instanceId }, 'webhook lane failed; pausing it');
      this.pausedUntil.set(lane, Date.now() + STORE_ERROR_PAUSE_MS);
      return 'blocked' as const;
    });
    this.track(
      run.then((end) => {
        this.active.delete(lane);
        // A lane that stopped short (a failure, a retry due later, a stop) reads the outbox next time.
        if (end === 'blocked') this.forget(st);
        if (this.stopped) return;
        // Emptied: only rows written while it finished need it again. Blocked (a retry is due
        // later, or paused): the scan arms the timer.
        // It yielded its slot, or more rows arrived while it finished: it goes behind the lanes already waiting.
        if (end === 'yield' || (end === 'empty' && this.dirty.delete(lane))) {
          if (this.waiting.size === 0) return this.startLane(lane, instanceId, url);
          this.waiting.delete(lane);
          this.waiting.set(lane, { instanceId, url });
        } else if (end === 'blocked') this.wake();
        this.startWaiting();
      }),
    );
  }

  /** Find every lane's head; start the due lanes, arm a timer for the earliest one waiting. */
  private async scan(): Promise<void> {
    if (this.stopped) return;
    const heads = await this.db
      .selectFrom('webhook_outbox')
      .select(['id', 'instance_id', 'url', 'next_attempt_at'])
      .where('id', 'in', (eb) =>
        eb.selectFrom('webhook_outbox').select((e) => e.fn.min('id').as('id')).where(outboxPending).groupBy(['instance_id', 'url']),
      )
      .execute();
    const now = Date.now();
    let nextDue = Infinity;
    for (const h of heads) {
      const lane = `${h.instance_id}\n${h.url}`;
      if (this.active.has(lane)) continue;
      const due = Math.max(h.next_attempt_at, this.pausedUntil.get(lane) ?? 0);
      if (due > now) {
        nextDue = Math.min(nextDue, due);
        continue;
      }
      this.pausedUntil.delete(lane);
      this.forget(this.state(lane)); // found by a scan: its rows come from the outbox
      // No slot: it waits for one (a lane that ends starts it), no timer needed.
      if (this.active.size >= this.opts.concurrency) {
        this.waiting.set(lane, { instanceId: h.instance_id, url: h.url });
        continue;
      }
      this.startLane(lane, h.instance_id, h.url);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (nextDue !== Infinity) this.arm(nextDue);
  }

  /**
   * Deliver a lane's pending rows in order until it is empty or a delivery fails; after each
   * batch it yields its slot when other lanes wait for one (a busy lane must not starve them).
   */
  private async runLane(st: LaneState, instanceId: string, url: string): Promise<'empty' | 'blocked' | 'yield'> {
    // Pipelined: the next event of the lane is posted while the outcomes of the previous ones
    // are being written (and fsynced), each handed to the group commit as soon as it is known
    // (waiting for each before the next, as a chain, held a lane to one fsync per event: F32).
    // Order holds — a POST starts only after the previous one succeeded — and a crash before
    // an outcome is written re-delivers from that event (at least once). Every outcome is
    // written before the lane reads the outbox again or stops.
    const writes: Promise<void>[] = [];
    let writeFailed = false;
    const written = () => Promise.all(writes.splice(0));
    try {
      for (let batch = 0; !this.stopped; batch++) {
        if (batch > 0 && this.waiting.size > 0) return 'yield';
        if (!st.synced || writes.length >= LANE_BATCH) await written();
        const rows = await this.nextRows(st, instanceId, url);
        if (rows.length === 0) return 'empty';
        for (const row of rows) {
          // An outcome that could not be written: stop posting; the finally below rethrows (the lane pauses).
          if (this.stopped || writeFailed) return 'blocked';
          if (row.next_attempt_at > Date.now()) return 'blocked'; // waiting for its retry: the scan re-arms the lane
          const attempt = row.attempts + 1;
          const outcome = await this.post(row, attempt);
          (outcome.ok ? attemptsDelivered : attemptsFailed).inc();
          const write = this.record(row, attempt, outcome);
          // Handled now (the lane keeps posting while it is written); awaited below.
          write.catch(() => (writeFailed = true));
          writes.push(write);
          if (!outcome.ok) return 'blocked';
        }
      }
      return 'blocked';
    } finally {
      await written();
    }
  }

  /** Write an attempt's outcome: delivered, or the next retry (or failed past the horizon). */
  private async record(row: OutboxRow, attempt: number, outcome: Outcome): Promise<void> {
    const now = Date.now();
    if (outcome.ok) {
      // The delivering attempt is the row's last one (outbox.attempts() lists it from here).
      await grouped(this.db).write([this.sql.delivered(['delivered', attempt, now, outcome.status, null, outcome.ms, row.id])]);
    } else {
      const next = now + backoffMs(attempt - (row.attempts_before ?? 0), this.opts.backoffBaseMs);
      const gaveUp = next > (row.retry_from ?? row.created_at) + this.opts.retryHorizonMs;
      await grouped(this.db).write([
        this.sql.attempt([row.id, attempt, now, outcome.status, outcome.error, outcome.ms]),
        this.sql.retry([gaveUp ? 'failed' : 'pending', attempt, gaveUp ? row.next_attempt_at : next, outcome.status, outcome.error, outcome.ms, row.id]),
      ]);
    }
    if (!outcome.ok) {
      this.log.warn({ outboxId: row.id, instanceId: row.instance_id, attempt, status: outcome.status, error: outcome.error }, 'webhook delivery failed');
    }
  }

  private async post(row: OutboxRow, attempt: number): Promise<Outcome> {
    const started = Date.now();
    const inst = this.instances.cached(row.instance_id) ?? (await this.instances.get(row.instance_id));
    if (!inst) return { ok: false, status: null, error: 'instance deleted', ms: 0 };
    try {
      checkUrl(row.url, this.opts, 'webhook URL');
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'z-api-token': inst.token,
        'user-agent': 'OpenZap',
        'x-openzap-event-id': String(row.id),
        'x-openzap-event-type': row.event_type,
        'x-openzap-attempt': String(attempt),
      };
      if (inst.webhook_secret) headers['x-openzap-signature'] = signature(inst.webhook_secret, row.payload);
      const status = await postStatus(this.agent, row.url, { headers, body: row.payload, timeoutMs: this.opts.timeoutMs });
      const ok = status >= 200 && status < 300;
      return { ok, status, error: ok ? null : `HTTP ${status}`, ms: Date.now() - started };
    } catch (err) {
      const e = err as Error & { code?: string };
      return { ok: false, status: null, error: (e.code ? `${e.code}: ` : '') + e.message, ms: Date.now() - started };
    }
  }
}
