// A second SQLite connection in a worker thread for the hottest writes: the rows of accepted
// messages (send-queue.ts) and the group commit's statement lists (tx-batcher.ts: a sent
// message's confirmation, its outbox rows, delivery outcomes, the sandbox network's
// records). better-sqlite3 is synchronous, so on the main connection every INSERT and COMMIT
// stops the event loop; here they run on another thread. A write is
// reported twice: committed (the next write may start) and durable (the store's WalSync,
// durable-sqlite.ts, fsynced the log after the COMMIT; that fsync is shared with every other
// write of either connection); its callers are answered only once it is durable
// (docs/benchmarks.md F15).
//
// SQLite allows one writer at a time. A write on the main connection that found the worker
// holding the lock would wait in SQLite's busy handler, which sleeps the event loop for at
// least a millisecond. So a batch is sent only once it holds the process's WriteLock
// (durable-sqlite.ts), until it committed: the main connection writes nothing meanwhile
// (it goes on reading, and serving HTTP), and the worker never waits for it either.
import type { Worker } from 'node:worker_threads';
import type { WalSync, WriteLock } from './durable-sqlite.js';
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
  if (!s) {
    if (prepared.size >= 500) prepared.clear();
    s = db.prepare(sql);
    prepared.set(sql, s);
  }
  return s;
}
const begin = db.prepare('begin immediate');
const commit = db.prepare('commit');
// Statement texts by the number the main thread gave them (it sends each text once).
const texts = [];
function runItem(statements) {
  const out = [];
  for (const s of statements) {
    const p = prepare(s.sql ?? texts[s.n]);
    if (p.reader) out.push({ rows: p.all(s.params) });
    else {
      const r = p.run(s.params);
      out.push({ changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) });
    }
  }
  return out;
}
function inTransaction(fn) {
  begin.run();
  try {
    const v = fn();
    commit.run();
    return v;
  } catch (e) {
    try { if (db.inTransaction) db.exec('rollback'); } catch {}
    throw e;
  }
}
const failure = (e) => ({ ok: false, error: String((e && e.message) || e), code: e && e.code });
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  for (const item of m.items) for (const s of item) if (s.sql !== undefined && s.n !== undefined) texts[s.n] = s.sql;
  let results;
  try {
    results = inTransaction(() => m.items.map((item) => ({ ok: true, out: runItem(item) })));
  } catch (e) {
    // One item failed: each alone, so that it fails only its caller.
    results = m.items.length === 1
      ? [failure(e)]
      : m.items.map((item) => {
          try { return { ok: true, out: inTransaction(() => runItem(item)) }; } catch (e2) { return failure(e2); }
        });
  }
  parentPort.postMessage({ id: m.id, results });
});
`;

export interface WriteStatement {
  sql: string;
  params: unknown[];
}

/** On the way to the thread: a text it has already seen goes as its number only (a copy less per statement). */
interface WireStatement {
  n?: number;
  sql?: string;
  params: unknown[];
}

/** Texts numbered at most (the multi-row inserts of every row count, and the rest, stay well below). */
const MAX_NUMBERED = 4096;

/** What a statement did: the rows it returned (a select, or `returning`), or the rows it changed. */
export interface StatementResult {
  rows?: unknown[];
  changes?: number;
  lastInsertRowid?: number;
}

/** One caller's statements: all of them ran (their results, in order), or none is kept. */
export type ItemResult = { ok: true; out: StatementResult[] } | { ok: false; error: string; code?: string };

/** The error of a failed item, with SQLite's code (e.g. SQLITE_CONSTRAINT_UNIQUE) as the driver gives it. */
export function itemError(r: { error: string; code?: string }): Error {
  return Object.assign(new Error(r.error), r.code ? { code: r.code } : {});
}

export interface ThreadWrite<T = void> {
  /** The transaction committed: the next write may be sent. */
  committed: Promise<T>;
  /** The transaction is on disk: its callers may be answered. */
  durable: Promise<T>;
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: ItemResult[]) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** Statement texts the thread has been sent, by number. */
  private readonly numbered = new Map<string, number>();
  /** Set once the worker died: later writes go through the main connection. */
  failed: Error | null = null;

  /**
   * @param wal the store's fsync of the log (the one the main connection's writes use).
   * @param lock the write lock the main connection takes too.
   */
  constructor(
    file: string,
    private readonly wal: WalSync,
    private readonly lock: WriteLock,
  ) {
    this.worker = startSqliteThread(WORKER, { file });
    this.worker.on('message', (r: { id: number; results: ItemResult[] }) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r.results);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  /** Runs the statements in one transaction (nothing of it is kept if one fails); their results. */
  write(statements: WriteStatement[]): ThreadWrite<StatementResult[]> {
    const w = this.writeItems([statements]);
    const failedItem = (results: ItemResult[]) => {
      const r = results[0]!;
      if (!r.ok) throw itemError(r);
      return r.out;
    };
    const committed = w.committed.then(failedItem);
    const durable = w.durable.then(failedItem);
    // A caller may await only one of the two: neither may be left unhandled.
    committed.catch(() => undefined);
    durable.catch(() => undefined);
    return { committed, durable };
  }

  /**
   * Runs several callers' statement lists in one transaction, each list all or nothing: when
   * one fails, the thread runs each list in a transaction of its own, so that only its caller
   * gets the error. Rejects only when the thread died (nothing is known of the write then).
   */
  writeItems(items: WriteStatement[][]): ThreadWrite<ItemResult[]> {
    const committed = this.lock.run(
      () =>
        new Promise<ItemResult[]>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          const id = this.nextId++;
          this.pending.set(id, { resolve, reject });
          this.worker.postMessage({ id, items: items.map((item) => item.map((st) => this.wire(st))) });
        }),
      true,
    );
    // An fsync that starts after the COMMIT (WalSync.sync's promise) covers it.
    const durable = committed.then(async (results) => {
      await this.wal.sync();
      return results;
    });
    durable.catch(() => undefined); // a caller awaiting only `committed` must not leave it unhandled
    return { committed, durable };
  }

  private wire(st: WriteStatement): WireStatement {
    const n = this.numbered.get(st.sql);
    if (n !== undefined) return { n, params: st.params };
    if (this.numbered.size >= MAX_NUMBERED) return { sql: st.sql, params: st.params };
    const next = this.numbered.size;
    this.numbered.set(st.sql, next);
    return { n: next, sql: st.sql, params: st.params };
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

  /** After the write under way, if any (the lock is held meanwhile). */
  async close(): Promise<void> {
    if (this.failed) return;
    await this.lock.run(() => stopSqliteThread(this.worker));
  }
}
