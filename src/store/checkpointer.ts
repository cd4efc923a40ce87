// WAL checkpoints in a worker thread. SQLite's automatic checkpoint runs inside whichever
// COMMIT crosses the threshold, on that thread: better-sqlite3 is synchronous, so the event
// loop would stop while pages are copied into the database and the file is fsynced (several
// milliseconds, a latency spike for every request in flight). A second connection in a
// worker thread checkpoints instead (PASSIVE: it never blocks the writer), every interval.
// The main connection keeps a large automatic threshold as a safety net should the worker
// fall behind or die. Checkpoints with synchronous=NORMAL fsync the log before and the
// database after copying, so nothing committed is ever at risk from them.
import type { Worker } from 'node:worker_threads';
import { startSqliteThread, stopSqliteThread } from './sqlite-thread.js';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 2000');
db.pragma('synchronous = NORMAL');
function checkpoint() {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message || e) });
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'now') return checkpoint();
  if (m === 'close') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

export interface CheckpointResult {
  ok: boolean;
  log?: number;
  checkpointed?: number;
  error?: string;
}

export class Checkpointer {
  private readonly worker: Worker;
  private readonly waiters: ((r: CheckpointResult) => void)[] = [];
  /** The last outcome (for health and tests). */
  last: CheckpointResult | null = null;

  constructor(file: string, intervalMs = 1000, onError?: (message: string) => void) {
    this.worker = startSqliteThread(WORKER, { file, intervalMs });
    this.worker.on('message', (r: CheckpointResult) => {
      this.last = r;
      if (!r.ok) onError?.(r.error ?? 'checkpoint failed');
      for (const w of this.waiters.splice(0)) w(r);
    });
    this.worker.on('error', (err) => onError?.(err.message));
  }

  /** Checkpoint now (tests, shutdown); resolves with its outcome. */
  now(): Promise<CheckpointResult> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.worker.postMessage('now');
    });
  }

  close(): Promise<void> {
    return stopSqliteThread(this.worker);
  }
}
