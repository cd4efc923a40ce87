import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableSqliteDialect, WalSync, WriteLock } from '../../src/store/durable-sqlite.js';
import { tempDir } from '../helpers/server.js';

interface T {
  t: { id: number; v: string };
}

describe('durable SQLite: every write waits for an fsync of the WAL, off the event loop', () => {
  let db: Kysely<T> | null = null;
  afterEach(async () => {
    await db?.destroy();
    db = null;
  });

  async function open() {
    const file = path.join(tempDir(), 'x.db');
    const s = new SQLite(file);
    s.pragma('journal_mode = WAL');
    s.pragma('synchronous = NORMAL');
    const wal = new WalSync(`${file}-wal`);
    const lock = new WriteLock();
    db = new Kysely<T>({ dialect: new DurableSqliteDialect(s, wal, lock) });
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
    return { db, wal, s, lock };
  }

  it('while the writer thread holds the write lock, reads go on and the main connection’s writes wait their turn', async () => {
    const { db, lock, s } = await open();
    const rows = () => (s.prepare('select count(*) as n from t').get() as { n: number }).n;
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    await lock.acquire(true); // a transaction of the writer thread is under way
    await lock.acquire(true); // and the next one, sent behind it
    expect(await db.selectFrom('t').select('id').execute()).toEqual([{ id: 1 }]); // a read does not wait
    const done: string[] = [];
    const write = db
      .insertInto('t')
      .values({ id: 2, v: 'b' })
      .execute()
      .then(() => done.push('write'));
    const tx = db
      .transaction()
      .execute((t) => t.insertInto('t').values({ id: 3, v: 'c' }).execute())
      .then(() => done.push('tx'));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); // both are waiting for the lock now
    const third = lock.acquire(true).then(() => done.push(`thread, ${rows()} rows`));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(done).toEqual([]);
    lock.release(true);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(done).toEqual([]); // one thread transaction is still under way
    lock.release(true);
    await Promise.all([write, third]);
    // In arrival order: the thread's third transaction got the lock after the main
    // connection's write ran (the main transaction waited for the connection, which that
    // write held, and asked for the lock after the thread).
    expect(done.sort()).toEqual(['thread, 2 rows', 'write']);
    lock.release(true);
    await tx;
    expect(done.at(-1)).toBe('tx');
    expect((await db.selectFrom('t').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('a transaction that fails or rolls back gives the write lock back', async () => {
    const { db, lock } = await open();
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    await expect(db.transaction().execute((t) => t.insertInto('t').values({ id: 1, v: 'again' }).execute())).rejects.toThrow(/UNIQUE/);
    await expect(db.insertInto('t').values({ id: 1, v: 'again' }).execute()).rejects.toThrow(/UNIQUE/);
    let got = false;
    await lock.acquire().then(() => (got = true));
    expect(got).toBe(true);
    lock.release();
  });

  it('an autocommit write and a committed transaction each wait for a new fsync; reads and rollbacks do not', async () => {
    const { db, wal } = await open();
    let before = wal.count;
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    expect(wal.count).toBe(before + 1);

    before = wal.count;
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('t').values({ id: 2, v: 'b' }).execute();
      await tx.updateTable('t').set({ v: 'c' }).where('id', '=', 1).execute();
      expect(wal.count).toBe(before); // nothing is synced before the commit
    });
    expect(wal.count).toBe(before + 1);

    before = wal.count;
    expect(await db.selectFrom('t').selectAll().orderBy('id').execute()).toEqual([
      { id: 1, v: 'c' },
      { id: 2, v: 'b' },
    ]);
    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('t').values({ id: 3, v: 'x' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(wal.count).toBe(before);
    expect(await db.selectFrom('t').select('id').where('id', '=', 3).execute()).toEqual([]);
  });

  it('concurrent writers share fsyncs, and each is answered only after an fsync that began after its write', async () => {
    const { db, wal } = await open();
    const before = wal.count;
    const order: string[] = [];
    const writes = Array.from({ length: 50 }, (_, i) =>
      db
        .insertInto('t')
        .values({ id: 100 + i, v: 'w' })
        .execute()
        .then(() => order.push(`w${i}:${wal.count}`)),
    );
    await Promise.all(writes);
    const syncs = wal.count - before;
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThan(50); // shared
    // Every writer saw at least one fsync counted after its own start.
    for (const o of order) expect(Number(o.split(':')[1])).toBeGreaterThan(before);
  });

  it('sync() called while an fsync runs waits for the next one', async () => {
    const { wal, db } = await open();
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute(); // the log exists
    const c0 = wal.count;
    const first = wal.sync();
    const second = wal.sync(); // the first may have begun before this caller's write
    const third = wal.sync(); // shares the second
    await first;
    expect(wal.count).toBe(c0 + 1);
    await Promise.all([second, third]);
    expect(wal.count).toBe(c0 + 2);
  });
});

describe('WAL checkpoints in a worker thread', () => {
  it('copies the log into the database from the worker, while this connection keeps writing', async () => {
    const { openStore } = await import('../../src/store/db.js');
    const { Checkpointer } = await import('../../src/store/checkpointer.js');
    const dir = tempDir();
    const store = await openStore({ dataDir: dir, databaseUrl: null });
    const cp = new Checkpointer(path.join(dir, "openzap.db"), 60_000);
    try {
      for (let i = 0; i < 20; i++) {
        await store.db.insertInto('settings').values({ key: `k${i}`, value: 'x'.repeat(2000) }).execute();
      }
      const r = await cp.now();
      expect(r.ok).toBe(true);
      expect(r.log).toBeGreaterThan(0); // frames were in the log…
      expect(r.checkpointed).toBe(r.log); // …and all of them are in the database now
      // The database file alone (copied without its log) holds the rows.
      const alone = path.join(tempDir(), 'alone.db');
      fs.copyFileSync(path.join(dir, 'openzap.db'), alone);
      const copy = new SQLite(alone, { readonly: true });
      expect((copy.prepare('select count(*) n from settings where key like ?').get('k%') as { n: number }).n).toBe(20);
      copy.close();
    } finally {
      await cp.close();
      await store.close();
    }
  });
});

describe('a failed fsync', () => {
  it('is fatal: the caller is never told its write is saved, and the process is asked to stop', async () => {
    const file = path.join(tempDir(), 'y.db');
    const s = new SQLite(file);
    s.pragma('journal_mode = WAL');
    const fatal: Error[] = [];
    const wal = new WalSync(`${file}-wal`, (err) => fatal.push(err));
    s.prepare('create table t (v text)').run();
    await wal.sync(); // opens the log
    const fd = (wal as unknown as { fd: number }).fd;
    fs.closeSync(fd); // the disk "fails": fsync on a closed descriptor errors (EBADF)
    let answered = false;
    void wal.sync().then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(fatal).toHaveLength(1);
    expect(fatal[0].message).toMatch(/EBADF|bad file descriptor/i);
    expect(answered).toBe(false);
    (wal as unknown as { fd: number | null }).fd = null; // already closed
    s.close();
  });
});
