// Opens the database (embedded SQLite by default, Postgres when a URL is configured)
// and runs the migrations. Everything above this file is dialect-agnostic Kysely.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider, type Dialect } from './migrations.js';
import { TxBatcher, setBatcher } from './tx-batcher.js';
import { DurableSqliteDialect, WalSync, WriteLock } from './durable-sqlite.js';
import { Checkpointer } from './checkpointer.js';
import { SqliteWriter } from './sqlite-writer.js';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** SQLite: the writer thread for accepted messages and group-committed statement lists (sqlite-writer.ts); null on Postgres. */
  writer: SqliteWriter | null;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds and serial ids: both fit a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openStore(opts: {
  dataDir: string;
  databaseUrl: string | null;
  onPoolError?: (err: Error) => void;
  onCheckpointError?: (message: string) => void;
}): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: Dialect;
  let wal: WalSync | null = null;
  const lock = new WriteLock();
  if (opts.databaseUrl) {
    dialect = 'postgres';
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // An idle client whose connection dies (Postgres restart, pg_terminate_backend) emits
    // 'error' on the pool; unhandled, it would crash the process. The pool replaces it.
    pool.on('error', (err) => opts.onPoolError?.(err));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    dialect = 'sqlite';
    fs.mkdirSync(opts.dataDir, { recursive: true });
    const dbFile = path.join(opts.dataDir, 'openzap.db');
    const file = new SQLite(dbFile);
    file.pragma('journal_mode = WAL');
    // NORMAL + DurableSqliteDialect: every write (an accepted message, an outbox event) is
    // fsynced before its caller goes on, as with FULL, but the fsync runs off the event loop
    // and is shared by concurrent writes (src/store/durable-sqlite.ts).
    file.pragma('synchronous = NORMAL');
    file.pragma('busy_timeout = 5000');
    file.pragma('foreign_keys = ON');
    // Checkpoints run in a worker thread (checkpointer.ts); this connection checkpoints only
    // as a safety net, once the log holds 20,000 pages (~80 MB).
    file.pragma('wal_autocheckpoint = 20000');
    wal = new WalSync(`${dbFile}-wal`);
    db = new Kysely<Database>({ dialect: new DurableSqliteDialect(withStatementCache(file), wal, lock) });
  }
  // Postgres commits on several pool connections at once; SQLite has one writer.
  const batcher = new TxBatcher(db, dialect === 'postgres' ? 4 : 1);
  setBatcher(db, batcher);
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
  const dbFile = path.join(opts.dataDir, 'openzap.db');
  const checkpointer = dialect === 'sqlite' ? new Checkpointer(dbFile, 1000, opts.onCheckpointError) : null;
  const writer = wal ? new SqliteWriter(dbFile, wal, lock) : null;
  if (writer) batcher.useWriter(writer);
  return {
    db,
    dialect,
    writer,
    close: async () => {
      // Waits for the thread's write under way, if any.
      if (writer) await writer.close();
      await checkpointer?.close();
      await db.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every query anew; the same few statements run thousands
 * of times a second on the hot paths. Reuse prepared statements by SQL text (bounded).
 */
function withStatementCache(file: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (sqlText: string): SQLite.Statement => {
    let stmt = cache.get(sqlText);
    if (!stmt) {
      // Full (only rarely built queries are not already here): start afresh.
      if (cache.size >= max) cache.clear();
      stmt = file.prepare(sqlText);
      cache.set(sqlText, stmt);
    }
    return stmt;
  };
  // Methods bound once: the driver reads them on every query (a bind per read showed in profiles).
  const bound = new Map<PropertyKey, unknown>([['prepare', prepare]]);
  return new Proxy(file, {
    get(target, prop) {
      const known = bound.get(prop);
      if (known !== undefined) return known;
      const v = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      const fn = v.bind(target);
      bound.set(prop, fn);
      return fn;
    },
  });
}
