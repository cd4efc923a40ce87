// A second SQLite connection in a worker thread for the hottest write of the API: the rows
// of accepted messages. better-sqlite3 is synchronous, so on the main connection every
// INSERT and COMMIT stops the event loop; here they run on another thread. A write is
// reported twice: committed (the next write may start) and durable (an fsync of the log
// that began after its COMMIT finished, shared by every write committed before it, as in
// durable-sqlite.ts); its callers are answered only once it is durable
// (docs/benchmarks.md F15).
//
// SQLite allows one writer at a time. A write on the main connection that found the worker
// holding the lock would wait in SQLite's busy handler, which sleeps the event loop for at
// least a millisecond. So a batch is sent only while the main connection is held through
// Kysely (`db.connection()`): the main thread issues no statement during the batch (it
// keeps serving HTTP meanwhile), and the worker never waits for the main thread either.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain JavaScript, evaluated as the worker's script (the worker cannot load TypeScript in tests).
const WORKER = `
const fs = require('node:fs');
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
// Committed writes waiting for an fsync of the log that starts after their COMMIT.
let log = null, syncing = false, waiting = [];
function sync() {
  syncing = true;
  const ids = waiting;
  waiting = [];
  try {
    log ??= fs.openSync(workerData.file + '-wal', 'r+');
  } catch (e) {
    parentPort.postMessage({ fatal: String((e && e.message) || e) });
    return;
  }
  fs.fsync(log, (err) => {
    // A failed fsync: what was committed may not be on disk, and writing it again would
    // duplicate it. Nobody is answered; the main thread stops the process.
    if (err) return parentPort.postMessage({ fatal: err.message });
    parentPort.postMessage({ durable: ids });
    syncing = false;
    if (waiting.length > 0) sync();
  });
}
parentPort.on('message', (m) => {
  if (m === 'close') { if (log !== null) fs.closeSync(log); db.close(); parentPort.close(); return; }
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
  waiting.push(m.id);
  if (!syncing) sync();
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

interface Pending {
  committed: { resolve: () => void; reject: (e: Error) => void };
  durable: { resolve: () => void; reject: (e: Error) => void };
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the worker died: later writes go through the main connection. */
  failed: Error | null = null;

  /** @param onFatal an fsync failed (default: the process stops, as in durable-sqlite.ts). */
  constructor(
    file: string,
    private readonly onFatal: (err: Error) => void = (err) =>
      process.nextTick(() => {
        throw err;
      }),
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, driver } });
    this.worker.unref();
    this.worker.on('message', (r: { id?: number; ok?: boolean; error?: string; durable?: number[]; fatal?: string }) => {
      if (r.fatal !== undefined) {
        const err = new Error(`fsync of the SQLite log failed in the writer thread (${r.fatal}); stopping so that nothing unsaved is reported as saved`);
        this.failed = err;
        this.onFatal(err);
        return;
      }
      if (r.durable) {
        for (const id of r.durable) {
          this.pending.get(id)?.durable.resolve();
          this.pending.delete(id);
        }
        return;
      }
      const p = this.pending.get(r.id!);
      if (!p) return;
      if (r.ok) return p.committed.resolve();
      this.pending.delete(r.id!);
      const err = new Error(r.error ?? 'write failed');
      p.committed.reject(err);
      p.durable.reject(err);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  /** Runs the statements in one transaction (nothing of it is kept if one fails). */
  write(statements: WriteStatement[]): ThreadWrite {
    const id = this.nextId++;
    let p!: Pending;
    const committed = new Promise<void>((resolve, reject) => (p = { committed: { resolve, reject } } as Pending));
    const durable = new Promise<void>((resolve, reject) => (p.durable = { resolve, reject }));
    durable.catch(() => undefined); // a caller awaiting only `committed` must not leave it unhandled
    if (this.failed) {
      p.committed.reject(this.failed);
      p.durable.reject(this.failed);
    } else {
      this.pending.set(id, p);
      this.worker.postMessage({ id, statements });
    }
    return { committed, durable };
  }

  /**
   * A write whose answer never came (the thread died) may or may not have committed; its
   * callers get an error, as for a failed COMMIT. Callers fall back to the main connection
   * for what they still have to write.
   */
  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) {
      p.committed.reject(err);
      p.durable.reject(err);
    }
    this.pending.clear();
  }

  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.worker.terminate();
  }
}
