// The durable per-instance FIFO of accepted messages. A message is accepted once its row
// is committed (fsynced); its ids are generated here and returned to the caller at once.
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { MultiRowInsert, statement, type Statement } from '../store/compiled.js';
import type { Database, QueueRow } from '../store/schema.js';
import type { Dialect } from '../store/migrations.js';
import type { MessageContent } from '../engines/engine.js';
import { ApiError } from '../domain/errors.js';
import { newMessageId, newZaapId } from '../domain/ids.js';
import { messagesAccepted } from '../metrics.js';
import { grouped } from '../store/tx-batcher.js';
import type { SqliteWriter, StatementResult, WriteStatement } from '../store/sqlite-writer.js';

export interface EnqueueRequest {
  instanceId: string;
  /** Phone as the client gave it (kept for the queue listing). */
  phone: string;
  jid: string;
  content: MessageContent;
  delayMessage?: number;
  delayTyping?: number;
  quotedId?: string;
  privateAnswer?: boolean;
  editId?: string;
  /** Shown as "Forwarded" (forward-message). */
  forwarded?: boolean;
  /** quotedId is a status (story) of the recipient (reply-status-*). */
  quotedIsStatus?: boolean;
}

/** What a queue row's payload column holds. */
export interface QueuedPayload {
  content: MessageContent;
  quotedId?: string;
  privateAnswer?: boolean;
  editId?: string;
  forwarded?: boolean;
  quotedIsStatus?: boolean;
}

export interface Accepted {
  zaapId: string;
  messageId: string;
  id: string;
}

/** Rows head() reads at once: the worker sends them in turn (one read per this many messages of a long queue). */
export const HEAD_ROWS = 16;
/** First key of the queue's advisory locks (Postgres). */
const LOCK_SPACE = 0x6f7a7171; // "ozqq"

/** Rows of one multi-row INSERT (10 parameters each; Postgres allows 65,535 per statement). */
const MAX_ROWS_PER_INSERT = 256;
/** Rows of one transaction of the writer thread. */
const MAX_ROWS_PER_THREAD_WRITE = 4096;
/** Batches of accepted messages with the writer thread at once. */
const THREAD_BATCHES = 2;

interface Waiting {
  req: EnqueueRequest;
  resolve: (a: Accepted) => void;
  reject: (e: unknown) => void;
}

const INSERT_COLUMNS = [
  'instance_id',
  'zaap_id',
  'message_id',
  'phone',
  'jid',
  'kind',
  'payload',
  'delay_message',
  'delay_typing',
  'created_at',
] as const satisfies readonly (keyof QueueRow)[];
/** The same in every new row (attempts and last_error: the columns' defaults, 0 and null). */
const INSERT_FIXED = { status: "'queued'" } as const satisfies Partial<Record<keyof QueueRow, string>>;

export class SendQueue {
  private listeners: ((instanceId: string, change: 'added' | 'removed', row?: QueueRow) => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly limitWhileDisconnected: number,
    readonly dialect: Dialect = 'sqlite',
    /** SQLite: the thread that writes accepted messages (null: the main connection does). */
    private readonly writer: SqliteWriter | null = null,
  ) {
    this.inserts = new MultiRowInsert(dialect, 'send_queue', INSERT_COLUMNS, INSERT_FIXED);
    this.sql = {
      // A literal limit: as a parameter, SQLite took 12 µs instead of 3 for the same rows (F32).
      head: statement(dialect, `select * from "send_queue" where "instance_id" = ? and "seq" > ? order by "seq" limit ${HEAD_ROWS}`),
      markSending: statement(dialect, 'update "send_queue" set "status" = \'sending\', "attempts" = "attempts" + 1 where "seq" = ?'),
      remove: statement(dialect, 'delete from "send_queue" where "seq" = ?'),
    };
  }

  /** Statements run once per sent message, compiled once (store/compiled.ts). */
  private readonly inserts: MultiRowInsert;
  private readonly sql: { head: Statement; markSending: Statement; remove: Statement };

  /**
   * Called after the instance's queue changed (a message added or removed): its worker looks
   * again. `row`: the row added, as stored, when its seq is known (the writer thread's
   * inserts): the worker may append it to the rows it read ahead instead of reading the queue.
   */
  onChanged(fn: (instanceId: string, change: 'added' | 'removed', row?: QueueRow) => void): void {
    this.listeners.push(fn);
  }

  private changed(instanceId: string, change: 'added' | 'removed', row?: QueueRow): void {
    for (const fn of this.listeners) fn(instanceId, change, row);
  }

  async enqueue(req: EnqueueRequest, connected: boolean): Promise<Accepted> {
    // Each caller is answered only after the transaction holding its row committed (and,
    // on SQLite, its fsync): group commit shares one transaction among concurrent writers.
    if (connected) return this.enqueueBatched(req);
    const outcome = await grouped(this.db).run(async (tx) => {
      // Disconnected: the count and the insert in one transaction, serialised per instance:
      // concurrent requests must not all see 999 waiting and all be accepted.
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${LOCK_SPACE}, hashtext(${req.instanceId}))`.execute(tx);
      const waiting = await this.count(req.instanceId, tx);
      if (waiting >= this.limitWhileDisconnected) return { full: waiting };
      return this.insert(tx, req);
    });
    if ('full' in outcome) {
      throw new ApiError(
        429,
        'queue-full',
        `The instance is disconnected and already has ${outcome.full} messages waiting (limit ${this.limitWhileDisconnected}). Reconnect it or clear the queue before sending more.`,
      );
    }
    return this.accepted(req, outcome);
  }

  /** Sends to connected instances arriving in the same turn of the event loop: one multi-row INSERT. */
  private batch: Waiting[] = [];
  private batchScheduled = false;
  /**
   * Batches with the writer thread, not committed yet. Two at most: the thread runs them in
   * turn, so the second waits there rather than for the first one's answer to cross back to
   * this loop (F32); what arrives meanwhile waits and goes next, together.
   */
  private threadBatches = 0;

  private enqueueBatched(req: EnqueueRequest): Promise<Accepted> {
    return new Promise<Accepted>((resolve, reject) => {
      this.batch.push({ req, resolve, reject });
      if (this.batchScheduled) return;
      this.batchScheduled = true;
      setImmediate(() => {
        this.batchScheduled = false;
        this.flush();
      });
    });
  }

  private flush(): void {
    if (this.writer && !this.writer.failed) {
      if (this.threadBatches >= THREAD_BATCHES || this.batch.length === 0) return;
      this.threadBatches++;
      void this.insertBatch(this.batch.splice(0, MAX_ROWS_PER_THREAD_WRITE), () => {
        this.threadBatches--;
        this.flush();
      });
      return;
    }
    while (this.batch.length > 0) void this.insertBatch(this.batch.splice(0, MAX_ROWS_PER_INSERT));
  }

  /** @param onCommitted called once, when the writer thread committed (or failed) the batch: the next may go. */
  private async insertBatch(items: Waiting[], onCommitted = () => {}): Promise<void> {
    let released = false;
    const committed = () => {
      if (released) return;
      released = true;
      onCommitted();
    };
    try {
      await this.writeBatch(items, committed);
    } finally {
      committed();
    }
  }

  private async writeBatch(items: Waiting[], committed: () => void): Promise<void> {
    let rows: ReturnType<SendQueue['rowOf']>[] = [];
    let stored: QueueRow[] | null = null;
    const writer = this.writer && !this.writer.failed ? this.writer : null;
    try {
      rows = items.map((i) => this.rowOf(i.req));
      if (writer) {
        const statements: WriteStatement[] = [];
        for (let at = 0; at < rows.length; at += MAX_ROWS_PER_INSERT) {
          const end = Math.min(rows.length, at + MAX_ROWS_PER_INSERT);
          const params: unknown[] = [];
          for (let k = at; k < end; k++) params.push(...rows[k].params);
          statements.push({ sql: this.inserts.text(end - at), params });
        }
        // One transaction in the writer thread; the next batch may go once it committed,
        // while this one's fsync runs.
        const write = writer.write(statements);
        await write.committed.finally(committed);
        stored = storedRows(rows, await write.durable);
      } else {
        const insert = this.insertRows(rows.length)(rows.flatMap((r) => r.params));
        // Postgres: one multi-row INSERT is atomic and, committed on its own, durable when it
        // returns (synchronous_commit on): one round trip instead of BEGIN, INSERT, COMMIT.
        // SQLite: still group-committed with the other writers: one transaction, one fsync.
        if (this.dialect === 'postgres') await this.db.executeQuery(insert);
        else await grouped(this.db).run((tx) => tx.executeQuery(insert));
      }
    } catch (err) {
      // The writer thread died with the batch: it may have committed, so it is not written
      // again (new ids would duplicate it); its callers get the error, as for a failed COMMIT.
      if (writer?.failed) {
        for (const i of items) i.reject(err);
        return;
      }
      // One bad row must fail only its caller: each alone (new ids: nothing of the batch was written).
      await Promise.all(
        items.map(async (i) => {
          try {
            i.resolve(this.accepted(i.req, await grouped(this.db).run((tx) => this.insert(tx, i.req))));
          } catch (err) {
            i.reject(err);
          }
        }),
      );
      return;
    }
    items.forEach((i, n) => i.resolve(this.accepted(i.req, rows[n].accepted, stored?.[n])));
  }

  private accepted(req: EnqueueRequest, a: Accepted, row?: QueueRow): Accepted {
    messagesAccepted.inc();
    this.changed(req.instanceId, 'added', row);
    return a;
  }

  /** One multi-row INSERT per batch size (compiled once per size). */
  private insertRows(n: number): Statement {
    return this.inserts.rows(n);
  }

  private async insert(db: Kysely<Database>, req: EnqueueRequest): Promise<Accepted> {
    const { params, accepted } = this.rowOf(req);
    await db.executeQuery(this.insertRows(1)(params));
    return accepted;
  }

  /**
   * The queue row of a request (ids generated here), as stored but for its seq, and as the
   * parameters of INSERT_COLUMNS, in order.
   */
  private rowOf(req: EnqueueRequest): { row: Omit<QueueRow, 'seq'>; params: unknown[]; accepted: Accepted } {
    const zaapId = newZaapId();
    const messageId = newMessageId();
    const payload: QueuedPayload = { content: req.content };
    if (req.quotedId) payload.quotedId = req.quotedId;
    if (req.privateAnswer) payload.privateAnswer = true;
    if (req.editId) payload.editId = req.editId;
    if (req.forwarded) payload.forwarded = true;
    if (req.quotedIsStatus) payload.quotedIsStatus = true;
    const row: Omit<QueueRow, 'seq'> = {
      instance_id: req.instanceId,
      zaap_id: zaapId,
      message_id: messageId,
      phone: req.phone,
      jid: req.jid,
      kind: req.content.type,
      payload: JSON.stringify(payload),
      delay_message: req.delayMessage ?? null,
      delay_typing: req.delayTyping ?? null,
      created_at: Date.now(),
      // INSERT_FIXED and the columns' defaults.
      status: 'queued',
      attempts: 0,
      last_error: null,
    };
    // The hottest statement of the API, compiled once (building it with the query builder
    // costs more than running it): the columns of INSERT_COLUMNS, in order.
    return { row, params: INSERT_COLUMNS.map((c) => row[c]), accepted: { zaapId, messageId, id: messageId } };
  }

  async count(instanceId: string, db: Kysely<Database> = this.db): Promise<number> {
    const r = await db
      .selectFrom('send_queue')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('instance_id', '=', instanceId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  list(instanceId: string, page: number, pageSize: number): Promise<QueueRow[]> {
    return this.db
      .selectFrom('send_queue')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .orderBy('seq')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute();
  }

  /** The next messages to send: the oldest rows of the instance (after `afterSeq`: rows sent and being confirmed), at most HEAD_ROWS. */
  async head(instanceId: string, afterSeq = 0): Promise<QueueRow[]> {
    return (await this.db.executeQuery<QueueRow>(this.sql.head([instanceId, afterSeq]))).rows;
  }

  /** Remove every waiting message; a message already being handed to the engine is not recalled. */
  async clear(instanceId: string): Promise<number> {
    const r = await this.db
      .deleteFrom('send_queue')
      .where('instance_id', '=', instanceId)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    const n = Number(r.numDeletedRows);
    if (n > 0) this.changed(instanceId, 'removed'); // a worker waiting on a removed head's delay looks again
    return n;
  }

  async remove(instanceId: string, zaapId: string): Promise<'removed' | 'sending' | 'missing'> {
    const row = await this.db
      .selectFrom('send_queue')
      .select('status')
      .where('instance_id', '=', instanceId)
      .where('zaap_id', '=', zaapId)
      .executeTakeFirst();
    if (!row) return 'missing';
    if (row.status !== 'queued') return 'sending';
    const r = await this.db
      .deleteFrom('send_queue')
      .where('instance_id', '=', instanceId)
      .where('zaap_id', '=', zaapId)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return 'sending';
    this.changed(instanceId, 'removed');
    return 'removed';
  }

  /**
   * Claim a row for sending; false if it was deleted meanwhile. Answered once committed: a
   * crash that loses the mark leaves the row queued, to be sent again with the same message
   * id, as a crash right after the mark would (the confirmation's fsync covers it otherwise).
   */
  async markSending(seq: number): Promise<boolean> {
    const [r] = await grouped(this.db).write([this.sql.markSending([seq])], { committed: true });
    return Number(r!.numAffectedRows ?? 0) > 0;
  }

  /** Sent or given up: the statement that removes the row, for the caller's transaction (with its webhooks). */
  removeSent(seq: number): CompiledQuery {
    return this.sql.remove([seq]);
  }

  async requeue(seq: number, error: string): Promise<void> {
    await this.db.updateTable('send_queue').set({ status: 'queued', last_error: error }).where('seq', '=', seq).execute();
  }

  /** Instances that have messages waiting (to resume their workers at start). */
  async instancesWithWork(): Promise<string[]> {
    const rows = await this.db.selectFrom('send_queue').select('instance_id').distinct().execute();
    return rows.map((r) => r.instance_id);
  }
}

/**
 * The rows a write of the writer thread stored, with their seqs: each multi-row INSERT of
 * MAX_ROWS_PER_INSERT rows took consecutive seqs (AUTOINCREMENT, one writer), the last one
 * being its last insert rowid. Null when the results do not add up (the worker reads instead).
 */
function storedRows(rows: { row: Omit<QueueRow, 'seq'> }[], results: StatementResult[]): QueueRow[] | null {
  const out: QueueRow[] = [];
  for (let k = 0; k < results.length; k++) {
    const at = k * MAX_ROWS_PER_INSERT;
    const n = Math.min(rows.length - at, MAX_ROWS_PER_INSERT);
    const r = results[k]!;
    if (n <= 0 || r.changes !== n || !r.lastInsertRowid) return null;
    for (let j = 0; j < n; j++) out.push({ ...rows[at + j]!.row, seq: r.lastInsertRowid - n + 1 + j });
  }
  return out.length === rows.length ? out : null;
}
