// grouped(db).write(): statement lists group-committed like bodies, on SQLite in the writer
// thread (docs/benchmarks.md F30). Each caller gets its own statements' results; a list
// that fails is not kept and fails only its caller.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompiledQuery } from 'kysely';
import { openStore, type Store } from '../../src/store/db.js';
import { grouped } from '../../src/store/tx-batcher.js';
import { statement } from '../../src/store/compiled.js';
import { tempDir } from '../helpers/server.js';
import { PG_URL, freshDatabase } from '../helpers/postgres.js';

const backends: { name: string; url: () => Promise<{ url: string | null; drop: () => Promise<void> }> }[] = [
  { name: 'sqlite', url: async () => ({ url: null, drop: async () => undefined }) },
];
if (PG_URL) backends.push({ name: 'postgres', url: freshDatabase });

describe.each(backends)('group-committed statement lists ($name)', (backend) => {
  let store: Store | undefined;
  let drop: () => Promise<void> = async () => undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await store?.close();
    store = undefined;
    await drop();
  });

  async function open() {
    const db = await backend.url();
    drop = db.drop;
    store = await openStore({ dataDir: tempDir(), databaseUrl: db.url });
    const put = statement(store.dialect, 'insert into "settings" ("key", "value") values (?, ?) returning "key"');
    const set = statement(store.dialect, 'update "settings" set "value" = ? where "key" like ?');
    const keys = async () => (await store!.db.selectFrom('settings').select(['key', 'value']).where('key', 'like', 't-%').orderBy('key').execute()).map((r) => `${r.key}=${r.value}`);
    return { store, put, set, keys };
  }

  it('answers each caller with its own statements’ results, the batch in one transaction', async () => {
    const { store, put, set, keys } = await open();
    const threadWrites = store.writer ? vi.spyOn(store.writer, 'writeItems') : null;
    const mainTransactions = vi.spyOn(store.db, 'transaction');
    const lists = Array.from({ length: 20 }, (_, i) => grouped(store.db).write([put([`t-${i}`, 'a']), put([`t-${i}-b`, 'b'])]));
    const results = await Promise.all(lists);
    results.forEach((r, i) => expect(r.map((q) => q.rows)).toEqual([[{ key: `t-${i}` }], [{ key: `t-${i}-b` }]]));
    const [updated] = await grouped(store.db).write([set(['c', 't-1%'])]);
    expect(Number(updated!.numAffectedRows)).toBe(22); // t-1, t-1-b, t-10 … t-19 and their -b
    expect((await keys()).filter((k) => k.endsWith('=c')).length).toBe(22);
    if (threadWrites) {
      // SQLite: the writer thread ran them, in a few transactions (each holding many lists); the main connection none.
      expect(threadWrites.mock.calls.length).toBeLessThanOrEqual(3);
      expect(threadWrites.mock.calls.flatMap((c) => c[0]).length).toBe(21);
      expect(mainTransactions).not.toHaveBeenCalled();
    }
  });

  it('a list that fails is not kept and fails only its caller', async () => {
    const { store, put, keys } = await open();
    await grouped(store.db).write([put(['t-taken', 'x'])]);
    const outcomes = await Promise.allSettled([
      grouped(store.db).write([put(['t-a', '1'])]),
      grouped(store.db).write([put(['t-half', '1']), put(['t-taken', 'again'])]),
      grouped(store.db).write([put(['t-b', '1'])]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = (outcomes[1] as PromiseRejectedResult).reason as Error & { code?: string };
    expect(err.message).toMatch(/unique|duplicate/i);
    if (store.dialect === 'sqlite') expect(err.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(await keys()).toEqual(['t-a=1', 't-b=1', 't-taken=x']); // nothing of the failed list
  });

  it('mixes with bodies in the same batches', async () => {
    const { store, put, keys } = await open();
    const both = await Promise.all([
      grouped(store.db).write([put(['t-list', '1'])]),
      grouped(store.db).run(async (tx) => {
        const n = await tx.selectFrom('settings').select('key').where('key', '=', 't-list').execute();
        await tx.insertInto('settings').values({ key: 't-body', value: String(n.length) }).execute();
        return 'body';
      }),
      grouped(store.db).write([CompiledQuery.raw(store.dialect === 'postgres' ? 'select 1 as "one"' : 'select 1 as "one"')]),
    ]);
    expect(both[1]).toBe('body');
    expect((both[2] as { rows: unknown[] }[])[0]!.rows).toEqual([{ one: 1 }]);
    // The list was committed before the body of the same batch ran (or in an earlier batch).
    expect(await keys()).toEqual(['t-body=1', 't-list=1']);
  });
});

describe('SQLite: a write answered once committed', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('`committed` answers before the fsync; the default waits for it', async () => {
    store = await openStore({ dataDir: tempDir(), databaseUrl: null });
    const put = statement('sqlite', 'insert into "settings" ("key", "value") values (?, ?)');
    // Hold the fsync of the log: what waits for the disk stays unanswered.
    const wal = (store.writer as unknown as { wal: { sync(): Promise<void> } }).wal;
    const sync = wal.sync.bind(wal);
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    wal.sync = () => held.then(sync);
    let durableDone = false;
    const durable = grouped(store.db)
      .write([put(['durable', '1'])])
      .then(() => (durableDone = true));
    const [early] = await grouped(store.db).write([put(['early', '1'])], { committed: true });
    expect(Number(early!.numAffectedRows)).toBe(1);
    expect(durableDone).toBe(false);
    open();
    await durable;
    expect(durableDone).toBe(true);
    const keys = (await store.db.selectFrom('settings').select('key').where('key', 'in', ['durable', 'early']).orderBy('key').execute()).map((r) => r.key);
    expect(keys).toEqual(['durable', 'early']);
  });
});
