// SQLite durability without blocking the event loop. With synchronous=FULL, SQLite fsyncs
// the WAL inside every COMMIT, on the calling thread: better-sqlite3 is synchronous, so the
// whole process stops for each fsync (175–230 µs on the benchmark disk, docs/benchmarks.md).
// Here SQLite runs with synchronous=NORMAL (commits write the WAL, checkpoints still fsync)
// and every write — a committed transaction or an autocommit statement — waits, before its
// caller continues, for an fsync of the WAL file that started after the write. The fsync
// runs in libuv's thread pool, and one fsync serves every write that finished before it
// started. A caller is therefore answered only once its write is on disk, as with FULL;
// what changes is that the event loop keeps serving requests meanwhile.
//
// Why an fsync of our own descriptor is enough: fsync flushes the file (the inode), whatever
// descriptor wrote it; the WAL keeps its inode for the life of the connection (a restart of
// the log after a checkpoint rewrites it in place, and the checkpoint fsyncs the database
// before that). A committed transaction is visible to this process's readers a moment before
// it is on disk: no client, and no WhatsApp server, is answered before it is; a webhook lane
// reading the outbox may post an event in that moment (a crash then re-delivers it: at least
// once, as webhooks are anyway). An fsync that fails stops the process (onFatal).
import fs from 'node:fs';
import { SqliteDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import type SQLite from 'better-sqlite3';

const fsync = (fd: number) => new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));

/** fsyncs under way in this process (all stores). */
const active = new Set<Promise<void>>();

/** Resolves once no fsync is under way or queued (tests that step the event loop wait for the disk too). */
export async function walSyncsIdle(): Promise<void> {
  while (active.size > 0) await Promise.allSettled([...active]);
}

/** Coalescing fsync of one file: sync() resolves after an fsync that began after the call. */
export class WalSync {
  private fd: number | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  /** fsyncs performed (for tests and benchmarks). */
  count = 0;

  /**
   * @param onFatal called when an fsync fails. The commits it covered are visible yet maybe
   * not on disk, and retrying the writes would duplicate them: the only safe answer is to
   * stop and recover from what the disk has (as Postgres does). The default crashes the
   * process before any waiting caller is answered.
   */
  constructor(
    private readonly file: string,
    private readonly onFatal: (err: Error) => void = (err) =>
      process.nextTick(() => {
        throw new Error(`fsync of the SQLite log ${file} failed (${err.message}); stopping so that nothing unsaved is reported as saved`);
      }),
  ) {}

  sync(): Promise<void> {
    if (!this.running) return this.start();
    // The running fsync may have begun before the caller's write: the caller needs the next one.
    this.next ??= this.running.then(
      () => this.advance(),
      () => this.advance(),
    );
    return this.next;
  }

  private advance(): Promise<void> {
    this.next = null;
    return this.start();
  }

  private start(): Promise<void> {
    const run = this.once().finally(() => {
      if (this.running === run) this.running = null;
      active.delete(run);
    });
    this.running = run;
    active.add(run);
    return run;
  }

  private async once(): Promise<void> {
    if (this.fd === null) {
      try {
        this.fd = fs.openSync(this.file, 'r+');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no log yet: nothing written
        throw err;
      }
    }
    try {
      await fsync(this.fd);
    } catch (err) {
      this.onFatal(err as Error);
      return new Promise<void>(() => undefined); // never answered: the process stops
    }
    this.count++;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * SQLite's one write lock, shared by the main connection and the writer thread
 * (sqlite-writer.ts), in this process and in arrival order. A writer that met the other
 * holding SQLite's lock would wait in SQLite's busy handler, which on the main connection
 * sleeps the event loop; so each takes this lock first: the writer thread for a transaction
 * until it committed, the main connection for a transaction (BEGIN to COMMIT or ROLLBACK) or
 * a write outside one. Reads take nothing: in WAL mode they never wait for a writer, and
 * they go on while the writer thread writes (the hot paths read the queue's head, the
 * sandbox's records, while confirmations are being written). A write of the main connection
 * waits for the lock holding that connection, so reads queue behind it meanwhile: the hot
 * paths write through the thread (tx-batcher.ts write()).
 */
export class WriteLock {
  /** Transactions of the writer thread sent and not committed yet (it runs them one after another). */
  private thread = 0;
  private main = false;
  private readonly waiting: { thread: boolean; resolve: () => void }[] = [];

  /**
   * `thread`: for a transaction of the writer thread. Several may be under way at once (the
   * thread queues them: one is sent while the previous one runs); the main connection's
   * writes exclude everything. In arrival order: a write waiting lets nobody pass it.
   */
  acquire(thread = false): Promise<void> {
    if (this.waiting.length === 0 && this.free(thread)) {
      this.take(thread);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ thread, resolve }));
  }

  release(thread = false): void {
    if (thread) this.thread--;
    else this.main = false;
    while (this.waiting.length > 0 && this.free(this.waiting[0]!.thread)) {
      const next = this.waiting.shift()!;
      this.take(next.thread);
      next.resolve();
    }
  }

  async run<T>(fn: () => Promise<T>, thread = false): Promise<T> {
    await this.acquire(thread);
    try {
      return await fn();
    } finally {
      this.release(thread);
    }
  }

  private free(thread: boolean): boolean {
    return !this.main && (thread || this.thread === 0);
  }

  private take(thread: boolean): void {
    if (thread) this.thread++;
    else this.main = true;
  }
}

/** Statements that may change the database (reads never need an fsync). */
function writes(q: CompiledQuery): boolean {
  const kind = q.query.kind;
  if (kind === 'SelectQueryNode') return false;
  if (kind === 'RawNode') return /^\s*(commit|end|insert|update|delete|replace|create|drop|alter|pragma\s+\w+\s*=)/i.test(q.sql);
  return true;
}

class DurableConnection implements DatabaseConnection {
  /** A write finished outside a transaction (or a COMMIT): fsync before the caller continues. */
  dirty = false;

  constructor(
    private readonly inner: DatabaseConnection,
    private readonly file: SQLite.Database,
    private readonly lock: WriteLock,
  ) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const write = writes(q);
    if (write && !this.file.inTransaction) {
      // A write outside a transaction takes the write lock for itself.
      await this.lock.acquire();
      try {
        const result = await this.inner.executeQuery<R>(q);
        this.dirty = true;
        return result;
      } finally {
        this.lock.release();
      }
    }
    const result = await this.inner.executeQuery<R>(q);
    if (write && !this.file.inTransaction) this.dirty = true; // the COMMIT that ended a transaction
    return result;
  }

  streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(q, chunkSize);
  }
}

class DurableDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, DurableConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly file: SQLite.Database,
    private readonly wal: WalSync,
    private readonly lock: WriteLock,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const conn = await this.inner.acquireConnection();
    let d = this.wrapped.get(conn);
    if (!d) {
      d = new DurableConnection(conn, this.file, this.lock);
      this.wrapped.set(conn, d);
    }
    return d;
  }

  /** The open transaction holds the write lock (one connection: one transaction at a time). */
  private holding = false;

  private releaseHeld(): void {
    if (!this.holding) return;
    this.holding = false;
    this.lock.release();
  }

  /** A transaction holds the write lock from BEGIN to its COMMIT or ROLLBACK. */
  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.lock.acquire();
    this.holding = true;
    try {
      await this.inner.beginTransaction(conn, settings);
    } catch (err) {
      this.releaseHeld();
      throw err;
    }
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    try {
      await this.inner.commitTransaction(conn);
    } finally {
      // A COMMIT that failed may leave the transaction open: Kysely rolls it back next.
      if (!this.file.inTransaction) this.releaseHeld();
    }
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(conn);
    } finally {
      this.releaseHeld();
    }
  }

  /** The connection goes back first (others may use it during the fsync), then the caller waits for the disk. */
  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    const d = conn as DurableConnection;
    const dirty = d.dirty;
    d.dirty = false;
    await this.inner.releaseConnection(conn);
    if (dirty) await this.wal.sync();
  }

  async destroy(): Promise<void> {
    await this.inner.destroy();
    this.wal.close();
  }
}

/** Kysely's SQLite dialect with the durability above. */
export class DurableSqliteDialect extends SqliteDialect {
  constructor(
    private readonly file: SQLite.Database,
    private readonly wal: WalSync,
    private readonly lock: WriteLock,
  ) {
    super({ database: file });
  }

  override createDriver(): Driver {
    return new DurableDriver(super.createDriver(), this.file, this.wal, this.lock);
  }
}
