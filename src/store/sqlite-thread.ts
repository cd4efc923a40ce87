// Worker threads holding their own better-sqlite3 connection (checkpointer.ts, sqlite-writer.ts).
// The scripts are plain JavaScript evaluated in the worker: it cannot load TypeScript in tests.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Starts `script` (which finds better-sqlite3's path in workerData.driver); it does not keep the process alive. */
export function startSqliteThread(script: string, workerData: Record<string, unknown>): Worker {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(script, { eval: true, workerData: { ...workerData, driver } });
  worker.unref();
  return worker;
}

/**
 * Asks the thread to close its connection ('close' message), then terminates it (2 s at most).
 * The thread keeps the process alive meanwhile: otherwise a process with nothing else left
 * exited (code 13 under a top-level await) before the connection was closed.
 */
export async function stopSqliteThread(worker: Worker): Promise<void> {
  worker.ref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage('close');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
  clearTimeout(timer);
  await worker.terminate();
}
