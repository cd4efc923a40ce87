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
  ) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.inner.executeQuery<R>(q);
    if (!this.file.inTransaction && writes(q)) this.dirty = true;
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
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const conn = await this.inner.acquireConnection();
    let d = this.wrapped.get(conn);
    if (!d) {
      d = new DurableConnection(conn, this.file);
      this.wrapped.set(conn, d);
    }
    return d;
  }

  beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(conn, settings);
  }

  commitTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(conn);
  }

  rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(conn);
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
  ) {
    super({ database: file });
  }

  override createDriver(): Driver {
    return new DurableDriver(super.createDriver(), this.file, this.wal);
  }
}
