// The durable webhook outbox: an event becomes a row (one per configured URL) before
// anything else happens with it; the delivery worker drains rows in id order per lane.
import { sql, type CompiledQuery, type Kysely, type QueryResult, type Transaction } from 'kysely';
import type { Database, InstanceRow, OutboxRow } from '../store/schema.js';
import type { Dialect } from '../store/migrations.js';
import type { Payload, WebhookType } from './payloads.js';
import { grouped } from '../store/tx-batcher.js';
import { MultiRowInsert } from '../store/compiled.js';

/** Pending rows, written literally so that the planner uses the partial index webhook_outbox_pending. */
export const PENDING = `"status" = 'pending'`;
export const outboxPending = sql.raw<boolean>(PENDING);

/** First key of the outbox's advisory locks (Postgres), so they cannot collide with other users of hashtext locks. */
const LOCK_SPACE = 0x6f7a6f62; // "ozob"

/** The instance URL configured for a webhook type (null: not configured, nothing to deliver). */
export function webhookUrl(inst: InstanceRow, type: WebhookType, payload: Payload): string | null {
  switch (type) {
    case 'DeliveryCallback':
      return inst.delivery_url;
    case 'ReceivedCallback':
      // Messages sent by the connected number go out only with "notify sent by me".
      if (payload.fromMe === true && inst.notify_sent_by_me !== 1) return null;
      return inst.received_url;
    case 'MessageStatusCallback':
      return inst.message_status_url;
    case 'ConnectedCallback':
      return inst.connected_url;
    case 'DisconnectedCallback':
      return inst.disconnected_url;
    case 'PresenceChatCallback':
      return inst.presence_url;
  }
}

/** A delivery lane: events of one instance to one URL, delivered in id order. */
export interface Lane {
  instanceId: string;
  url: string;
  /**
   * The rows a write just committed on this lane, in id order, as the database holds them:
   * the delivery worker can post them without reading them back (docs/benchmarks.md F28).
   */
  rows?: OutboxRow[];
}

/** A new outbox row: pending, no attempt yet, due at once. */
export interface NewOutboxRow {
  instance_id: string;
  url: string;
  event_type: WebhookType;
  payload: string;
  created_at: number;
}

/** A new row as the database holds it once inserted with this id (column defaults filled in). */
function committedRow(r: NewOutboxRow, id: number): OutboxRow {
  return {
    id,
    instance_id: r.instance_id,
    url: r.url,
    event_type: r.event_type,
    payload: r.payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: r.created_at,
    created_at: r.created_at,
    delivered_at: null,
    last_status: null,
    last_error: null,
    retry_from: null,
    attempts_before: null,
    last_duration_ms: null,
  };
}

/** The lanes of inserted rows, each with its rows as committed (`ids`: what the insert returned). */
function lanesOf(real: NewOutboxRow[], ids: { id: number | string }[]): Lane[] {
  // One statement hands out increasing ids in the order of its rows (RETURNING's own order is not promised).
  const sorted = ids.map((r) => Number(r.id)).sort((a, b) => a - b);
  const known = sorted.length === real.length; // else the lanes say "read me" (no rows)
  const lanes = new Map<string, Lane>();
  real.forEach((r, i) => {
    const key = `${r.instance_id}\n${r.url}`;
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { instanceId: r.instance_id, url: r.url, ...(known ? { rows: [] } : {}) }));
    lane.rows?.push(committedRow(r, sorted[i]!));
  });
  return [...lanes.values()];
}

export interface DeliveryListQuery {
  instanceId: string;
  status?: string;
  page: number;
  pageSize: number;
}

export class WebhookOutbox {
  private listeners: ((lanes: Lane[]) => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {
    this.inserts = new MultiRowInsert(dialect, 'webhook_outbox', ['instance_id', 'url', 'event_type', 'payload', 'next_attempt_at', 'created_at'], { status: "'pending'", attempts: '0' }, 'returning "id"');
  }

  /** Several events a message, each an insert: compiled once per row count (store/compiled.ts). */
  private readonly inserts: MultiRowInsert;

  /** Called after rows were committed, with the lanes that got rows, to wake the delivery worker. */
  onAdded(fn: (lanes: Lane[]) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Rows were committed on these lanes (as `write` returned them): the delivery worker starts
   * just those. No lanes (a replay): it looks at the whole outbox. Each writer passes its own
   * lanes — a shared "written since" list let one writer take another's, and the other's
   * empty notify then cost a full outbox scan (docs/benchmarks.md F19).
   */
  notify(lanes: Lane[] = []): void {
    for (const fn of this.listeners) fn(lanes);
  }

  row(inst: InstanceRow, type: WebhookType, payload: Payload, now = Date.now()): NewOutboxRow | null {
    const url = webhookUrl(inst, type, payload);
    if (!url) return null;
    return { instance_id: inst.id, url, event_type: type, payload: JSON.stringify(payload), created_at: now };
  }

  /**
   * The statements that insert these rows (none when no URL is configured for any), to run in
   * one transaction, possibly with others (grouped(db).write), and how to read the lanes that
   * got rows from their results. Lane order is id order, so ids must be committed in the
   * order they are handed out: on Postgres two transactions could commit ids 11 then 10, and
   * the worker would deliver 11 before 10 exists for it. A per-instance lock held to commit
   * prevents that (SQLite runs one transaction at a time anyway).
   */
  insertion(rows: (NewOutboxRow | null)[]): { statements: CompiledQuery[]; lanes(results: readonly QueryResult<unknown>[]): Lane[] } {
    const real = rows.filter((r): r is NewOutboxRow => r !== null);
    if (real.length === 0) return { statements: [], lanes: () => [] };
    const statements: CompiledQuery[] = [];
    if (this.dialect === 'postgres') {
      for (const id of [...new Set(real.map((r) => r.instance_id))].sort()) {
        statements.push(sql`select pg_advisory_xact_lock(${LOCK_SPACE}, hashtext(${id}))`.compile(this.db));
      }
    }
    statements.push(this.inserts.rows(real.length)(real.flatMap((r) => [r.instance_id, r.url, r.event_type, r.payload, r.created_at, r.created_at])));
    return { statements, lanes: (results) => lanesOf(real, results[results.length - 1]!.rows as { id: number | string }[]) };
  }

  /** Insert inside the caller's transaction (insertion()); the lanes that got rows. */
  async write(tx: Transaction<Database>, rows: (NewOutboxRow | null)[]): Promise<Lane[]> {
    const { statements, lanes } = this.insertion(rows);
    const results: QueryResult<unknown>[] = [];
    for (const q of statements) results.push(await tx.executeQuery(q));
    return lanes(results);
  }

  /** Record an event; `alongside` writes in the same transaction (it runs even when no URL is configured). */
  async add(inst: InstanceRow, type: WebhookType, payload: Payload, alongside?: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    const row = this.row(inst, type, payload);
    if (!row && !alongside) return;
    let lanes: Lane[];
    if (alongside) {
      lanes = await grouped(this.db).run(async (tx) => {
        await alongside(tx);
        return row ? this.write(tx, [row]) : [];
      });
    } else {
      const { statements, lanes: lanesOfResults } = this.insertion([row]);
      lanes = lanesOfResults(await grouped(this.db).write(statements));
    }
    if (lanes.length > 0) this.notify(lanes);
  }

  async list(q: DeliveryListQuery): Promise<{ total: number; rows: OutboxRow[] }> {
    let base = this.db.selectFrom('webhook_outbox').where('instance_id', '=', q.instanceId);
    if (q.status) base = base.where('status', '=', q.status);
    const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
    const rows = await base
      .selectAll()
      .orderBy('id', 'desc')
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize)
      .execute();
    return { total: Number(total), rows };
  }

  get(instanceId: string, id: number): Promise<OutboxRow | undefined> {
    return this.db.selectFrom('webhook_outbox').selectAll().where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();
  }

  /** Every attempt of a row: the failed ones are logged in webhook_attempts, the delivering one is the row's last. */
  async attempts(row: OutboxRow): Promise<{ attempt: number; at: number; status_code: number | null; error: string | null; duration_ms: number }[]> {
    const logged = await this.db.selectFrom('webhook_attempts').selectAll().where('outbox_id', '=', row.id).orderBy('attempt').execute();
    const list = logged.map((a) => ({ attempt: a.attempt, at: a.at, status_code: a.status_code, error: a.error, duration_ms: a.duration_ms }));
    if (row.status === 'delivered' && row.delivered_at !== null && !list.some((a) => a.attempt === row.attempts)) {
      list.push({ attempt: row.attempts, at: row.delivered_at, status_code: row.last_status, error: null, duration_ms: row.last_duration_ms ?? 0 });
    }
    return list;
  }

  /**
   * Put failed deliveries back in line (all of the instance's, or the given ids). The attempt
   * count goes on from where it was, so the attempt log never holds two "attempt 1".
   */
  async replay(instanceId: string, ids?: number[]): Promise<number> {
    let q = this.db
      .updateTable('webhook_outbox')
      .set((eb) => ({ status: 'pending', next_attempt_at: Date.now(), retry_from: Date.now(), attempts_before: eb.ref('attempts'), last_error: null }))
      .where('instance_id', '=', instanceId)
      .where('status', '=', 'failed');
    if (ids && ids.length > 0) q = q.where('id', 'in', ids);
    const res = await q.executeTakeFirst();
    const n = Number(res.numUpdatedRows);
    if (n > 0) this.notify();
    return n;
  }
}
