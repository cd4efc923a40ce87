// A second SQLite connection in a worker thread for the hottest write of the API: the rows
// of accepted messages. better-sqlite3 is synchronous, so on the main connection every
// INSERT and COMMIT stops the event loop; here they run on another thread. A write is
// reported twice: committed (the next write may start) and durable (the store's WalSync,
// durable-sqlite.ts, fsynced the log after the COMMIT; that fsync is shared with every other
// write of either connection); its callers are answered only once it is durable
// (docs/benchmarks.md F15).
//
// SQLite allows one writer at a time. A write on the main connection that found the worker
// holding the lock would wait in SQLite's busy handler, which sleeps the event loop for at
// least a millisecond. So a batch is sent only while the main connection is held through
// Kysely (`db.connection()`): the main thread issues no statement during the batch (it
// keeps serving HTTP meanwhile), and the worker never waits for the main thread either.
import type { Worker } from 'node:worker_threads';
import type { WalSync } from './durable-sqlite.js';
import { startSqliteThread, stopSqliteThread } from './sqlite-thread.js';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('wal_autocheckpoint = 20000');
const prepared = new Map();
function prepare(sql) {
  let s = prepared.get(sql);
  if (!s) { s = db.prepare(sql); prepared.set(sql, s); }
  return s;
}
const begin = db.prepare('begin immediate');
const commit = db.prepare('commit');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try {
    begin.run();
    for (const s of m.statements) prepare(s.sql).run(s.params);
    commit.run();
  } catch (e) {
    try { if (db.inTransaction) db.exec('rollback'); } catch {}
    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.message) || e) });
    return;
  }
  parentPort.postMessage({ id: m.id, ok: true });
});
`;

export interface WriteStatement {
  sql: string;
  params: unknown[];
}

export interface ThreadWrite {
  /** The transaction committed: the next write may be sent. */
  committed: Promise<void>;
  /** The transaction is on disk: its callers may be answered. */
  durable: Promise<void>;
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** Set once the worker died: later writes go through the main connection. */
  failed: Error | null = null;

  /** @param wal the store's fsync of the log (the one the main connection's writes use). */
  constructor(
    file: string,
    private readonly wal: WalSync,
  ) {
    this.worker = startSqliteThread(WORKER, { file });
    this.worker.on('message', (r: { id: number; ok: boolean; error?: string }) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (r.ok) p?.resolve();
      else p?.reject(new Error(r.error ?? 'write failed'));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  /** Runs the statements in one transaction (nothing of it is kept if one fails). */
  write(statements: WriteStatement[]): ThreadWrite {
    const committed = new Promise<void>((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, statements });
    });
    // An fsync that starts after the COMMIT (WalSync.sync's promise) covers it.
    const durable = committed.then(() => this.wal.sync());
    durable.catch(() => undefined); // a caller awaiting only `committed` must not leave it unhandled
    return { committed, durable };
  }

  /**
   * A write whose answer never came (the thread died) may or may not have committed; its
   * callers get an error, as for a failed COMMIT. Callers fall back to the main connection
   * for what they still have to write.
   */
  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    if (this.failed) return;
    await stopSqliteThread(this.worker);
  }
}
