// Group commit: transaction bodies submitted while another batch is being written are
// run together in one transaction, so N concurrent accepted messages (or outbox events,
// or delivery outcomes) cost one commit and one fsync instead of N. Durability is
// unchanged: nobody is answered before the transaction holding their write committed.
// If a batch fails, each body is retried alone, so one bad write fails only its caller.
// Bodies must only touch the database (they may run twice: once in a failed batch).
//
// A write that is a fixed list of statements (write(), not run()) goes, on SQLite, to the
// writer thread (sqlite-writer.ts): its statements, its COMMIT and the fsync run off the
// event loop, and the next batch may start once it committed. Bodies, which read and decide
// inside their transaction, run on the main connection as before.
import type { CompiledQuery, Kysely, QueryResult, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { itemError, type ItemResult, type SqliteWriter, type StatementResult } from './sqlite-writer.js';

type Body<T> = (tx: Transaction<Database>) => Promise<T>;

interface Pending {
  body: Body<unknown>;
  /** write(): the statements, for the writer thread (the body runs them on the main connection). */
  statements?: readonly CompiledQuery[];
  /** write() with `committed: true`: answered once committed, without waiting for the fsync. */
  committed?: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Results of a write(), one per statement, as Kysely's SQLite driver reports them. */
export type WriteResults = QueryResult<Record<string, unknown>>[];

function queryResult(r: StatementResult): QueryResult<Record<string, unknown>> {
  if (r.rows) return { rows: r.rows as Record<string, unknown>[] };
  return { rows: [], numAffectedRows: BigInt(r.changes ?? 0), insertId: BigInt(r.lastInsertRowid ?? 0) };
}

export class TxBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** SQLite: the writer thread for write() (null: everything runs on the main connection). */
  private writer: SqliteWriter | null = null;

  /**
   * @param parallel batches committed at once: 1 for SQLite (one writer anyway; 2 once the
   * writer thread takes the statement lists: useWriter); a few for Postgres, whose pool has
   * several connections and commits them independently.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private parallel = 1,
    private readonly maxBatch = 256,
  ) {
    this.inOrder = parallel === 1;
  }

  /**
   * Writes commit in the order they were handed over (SQLite: one batch at a time, or the
   * writer thread's, which runs them in turn). Not with several batches committed at once
   * (Postgres): a writer that needs order waits for the previous write to commit.
   */
  readonly inOrder: boolean;

  /**
   * Send write()s to this thread from now on (openStore, once the thread started). Two
   * batches may be under way: the thread runs one while the next is on its way to it.
   */
  useWriter(writer: SqliteWriter): void {
    this.writer = writer;
    this.parallel = Math.max(this.parallel, 2);
  }

  run<T>(body: Body<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ body, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * Run these statements in order in one transaction (all or none of them kept), answering
   * with each one's result once it is durable. For writes that need no decision between
   * their statements: on SQLite they run in the writer thread.
   *
   * `committed`: answer once the transaction committed, before its fsync. Only for a record
   * that nobody outside the process learns of before a later write (whose fsync covers it:
   * the log is written in commit order) — the queue's "sending" mark, the sandbox network's
   * records. Postgres and the main connection answer after their durable commit as always.
   */
  write(statements: readonly CompiledQuery[], opts: { committed?: boolean } = {}): Promise<WriteResults> {
    const body: Body<WriteResults> = async (tx) => {
      const out: WriteResults = [];
      for (const q of statements) out.push(await tx.executeQuery<Record<string, unknown>>(q));
      return out;
    };
    return new Promise<WriteResults>((resolve, reject) => {
      this.queue.push({ body, statements, committed: opts.committed, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.parallel || this.queue.length === 0) return;
    this.scheduled = true;
    // One turn of the event loop lets the requests already read from sockets join in.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.parallel && this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.inFlight++;
        void this.commit(batch).finally(() => {
          this.inFlight--;
          this.schedule();
        });
      }
    });
  }

  private async commit(batch: Pending[]): Promise<void> {
    const writer = this.writer && !this.writer.failed ? this.writer : null;
    if (!writer) return this.commitBodies(batch);
    const threaded = batch.filter((p) => p.statements);
    const bodies = threaded.length === batch.length ? [] : batch.filter((p) => !p.statements);
    if (threaded.length > 0) await this.commitThreaded(writer, threaded);
    if (bodies.length > 0) await this.commitBodies(bodies);
  }

  /**
   * One transaction of the writer thread (it takes the write lock: sqlite-writer.ts).
   * Returns once it committed; its callers are answered once it is on disk.
   */
  private async commitThreaded(writer: SqliteWriter, batch: Pending[]): Promise<void> {
    const items = batch.map((p) => p.statements!.map((q) => ({ sql: q.sql, params: q.parameters as unknown[] })));
    const w = writer.writeItems(items);
    const answer = (p: Pending, r: ItemResult) => (r.ok ? p.resolve(r.out.map(queryResult)) : p.reject(itemError(r)));
    // The thread died with the batch: it may have committed, so it is not run again.
    const died = (which: Pending[]) => (err: unknown) => which.forEach((p) => p.reject(err));
    const early = batch.filter((p) => p.committed);
    const results = await w.committed.catch((err: unknown) => {
      died(early)(err);
      return null;
    });
    if (results) batch.forEach((p, i) => p.committed && answer(p, results[i]!));
    w.durable.then((durable) => batch.forEach((p, i) => !p.committed && answer(p, durable[i]!)), died(batch.filter((p) => !p.committed)));
  }

  private async commitBodies(batch: Pending[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.db.transaction().execute(async (tx) => {
          const out: unknown[] = [];
          for (const p of batch) out.push(await p.body(tx));
          return out;
        });
        batch.forEach((p, i) => p.resolve(results[i]));
        return;
      } catch {
        // Fall through: find the culprit by running each body in a transaction of its own.
      }
    }
    for (const p of batch) {
      try {
        p.resolve(await this.db.transaction().execute((tx) => p.body(tx)));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

const batchers = new WeakMap<Kysely<Database>, TxBatcher>();

/** Register the group-commit pipeline of a database handle (openStore does, per dialect). */
export function setBatcher(db: Kysely<Database>, batcher: TxBatcher): void {
  batchers.set(db, batcher);
}

/** The one group-commit pipeline of a database handle (all writers share it). */
export function grouped(db: Kysely<Database>): TxBatcher {
  let b = batchers.get(db);
  if (!b) {
    b = new TxBatcher(db);
    batchers.set(db, b);
  }
  return b;
}
