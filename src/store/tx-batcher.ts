// Group commit: transaction bodies submitted while another batch is being written are
// run together in one transaction, so N concurrent accepted messages (or outbox events,
// or delivery outcomes) cost one commit and one fsync instead of N. Durability is
// unchanged: nobody is answered before the transaction holding their write committed.
// If a batch fails, each body is retried alone, so one bad write fails only its caller.
// Bodies must only touch the database (they may run twice: once in a failed batch).
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Body<T> = (tx: Transaction<Database>) => Promise<T>;

interface Pending {
  body: Body<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class TxBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;

  /**
   * @param parallel batches committed at once: 1 for SQLite (one writer anyway); a few for
   * Postgres, whose pool has several connections and commits them independently.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly parallel = 1,
    private readonly maxBatch = 256,
  ) {}

  run<T>(body: Body<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ body, resolve: resolve as (v: unknown) => void, reject });
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
