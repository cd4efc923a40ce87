import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { TxBatcher } from '../../src/store/tx-batcher.js';
import { tempDir } from '../helpers/server.js';

describe('group commit', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ dataDir: tempDir(), databaseUrl: null });
  });
  afterAll(() => store?.close());

  const put = (key: string) => (tx: any) => tx.insertInto('settings').values({ key, value: 'v' }).execute().then(() => key);

  it('runs concurrent bodies in one transaction and answers each with its own result', async () => {
    const b = new TxBatcher(store.db);
    const spy = vi.spyOn(store.db, 'transaction');
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const results = await Promise.all(keys.map((k) => b.run(put(k))));
    expect(results).toEqual(keys);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    const n = await store.db.selectFrom('settings').select((eb) => eb.fn.countAll<number>().as('n')).where('key', 'like', 'k%').executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(50);
  });

  it('fails only the body that fails; the others of its batch commit', async () => {
    const b = new TxBatcher(store.db);
    const outcomes = await Promise.allSettled([b.run(put('a1')), b.run(put('dup')), b.run(put('dup')), b.run(put('a2'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const keys = (await store.db.selectFrom('settings').select('key').where('key', 'in', ['a1', 'a2', 'dup']).orderBy('key').execute()).map((r) => r.key);
    expect(keys).toEqual(['a1', 'a2', 'dup']);
  });
});
