import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { SendQueue } from '../../src/queue/send-queue.js';
import { tempDir } from '../helpers/server.js';
import { queueRequest } from '../helpers/queue-worker.js';

const req = (instanceId: string, i: number) => queueRequest(i, { instanceId });

const texts = async (queue: SendQueue, instanceId: string) =>
  (await queue.list(instanceId, 1, 10_000)).map((r) => (JSON.parse(r.payload) as { content: { text: string } }).content.text);

describe('SQLite writer thread (accepted messages written off the event loop)', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  const open = async () => {
    store = await openStore({ dataDir: tempDir(), databaseUrl: null });
    expect(store.writer).not.toBeNull();
    return { store, queue: new SendQueue(store.db, 100_000, store.dialect, store.writer) };
  };

  it('commits a transaction all or nothing and answers after it', async () => {
    const { store } = await open();
    const w = store.writer!;
    const insert = 'insert into "kv" ("key", "value") values (?, ?)';
    await store.db.connection().execute(async (c) => {
      await c.executeQuery({ sql: 'create table "kv" ("key" text primary key, "value" text not null)', parameters: [], query: { kind: 'RawNode' } } as never);
    });
    const ok = w.write([{ sql: insert, params: ['a', '1'] }, { sql: insert, params: ['b', '2'] }]);
    await ok.committed;
    await ok.durable;
    const bad = w.write([{ sql: insert, params: ['c', '3'] }, { sql: insert, params: ['a', 'again'] }]);
    await expect(bad.committed).rejects.toThrow(/UNIQUE/);
    await expect(bad.durable).rejects.toThrow(/UNIQUE/);
    const rows = await store.db.connection().execute((c) => c.executeQuery<{ key: string }>({ sql: 'select "key" from "kv" order by "key"', parameters: [], query: { kind: 'SelectQueryNode' } } as never));
    expect(rows.rows.map((r) => r.key)).toEqual(['a', 'b']); // nothing of the failed transaction
  });

  it('sends each statement text once; a text first sent in a list that failed before reaching it is still known', async () => {
    const { store } = await open();
    const w = store.writer!;
    await store.db.connection().execute(async (c) => {
      await c.executeQuery({ sql: 'create table "kv2" ("key" text primary key, "value" text not null)', parameters: [], query: { kind: 'RawNode' } } as never);
    });
    const insert = 'insert into "kv2" ("key", "value") values (?, ?)';
    const update = 'update "kv2" set "value" = ? where "key" = ?';
    await w.write([{ sql: insert, params: ['a', '1'] }]).durable;
    const posted: unknown[] = [];
    const worker = (w as unknown as { worker: { postMessage(m: unknown): void } }).worker;
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (m: unknown) => {
      posted.push(m);
      post(m);
    };
    // The insert fails, so the update (new text) never runs in this list.
    await expect(w.write([{ sql: insert, params: ['a', 'again'] }, { sql: update, params: ['x', 'a'] }]).durable).rejects.toThrow(/UNIQUE/);
    await w.write([{ sql: update, params: ['2', 'a'] }]).durable;
    const [first, second] = posted as { items: { n?: number; sql?: string }[][] }[];
    expect(first!.items[0]!.map((s) => s.sql === undefined)).toEqual([true, false]); // the insert: its number only
    expect(second!.items[0]![0]!.sql).toBeUndefined();
    const rows = await store.db.connection().execute((c) => c.executeQuery<{ value: string }>({ sql: 'select "value" from "kv2"', parameters: [], query: { kind: 'SelectQueryNode' } } as never));
    expect(rows.rows).toEqual([{ value: '2' }]);
  });

  it('interleaves with writes of the main connection without lock errors, keeping each path in order', async () => {
    const { queue } = await open();
    // Connected sends go to the writer thread; a disconnected instance's sends count and
    // insert in a transaction of the main connection. Both at once, many turns in a row.
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 1500; i++) {
      sends.push(queue.enqueue(req('CONNECTED', i), true));
      if (i % 3 === 0) sends.push(queue.enqueue(req('WAITING', i), false));
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    const results = await Promise.allSettled(sends);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await texts(queue, 'CONNECTED')).toEqual(Array.from({ length: 1500 }, (_, i) => `message ${i}`));
    expect(await texts(queue, 'WAITING')).toEqual(Array.from({ length: 500 }, (_, i) => `message ${i * 3}`));
  });

  it('a batch the thread died with is answered with an error and not written again; later sends use the main connection', async () => {
    const { store, queue } = await open();
    await queue.enqueue(req('INST', 0), true);
    // The thread's answers are no longer heard, as when it dies before answering: the
    // batch below may commit in the thread, but its caller never learns it did.
    const worker = (store.writer as unknown as { worker: import('node:worker_threads').Worker }).worker;
    worker.removeAllListeners('message');
    const posted = new Promise<void>((resolve) => {
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (m: unknown) => {
        post(m);
        resolve();
      };
    });
    const lost = queue.enqueue(req('INST', 1), true);
    await posted; // the batch is with the thread
    await worker.terminate();
    await expect(lost).rejects.toThrow(/writer thread exited/);
    expect(store.writer!.failed).not.toBeNull();
    const after = await queue.enqueue(req('INST', 2), true);
    expect(after.messageId).toMatch(/^3EB0/);
    const stored = await texts(queue, 'INST');
    // Message 1 may or may not have been committed before the thread died; never twice.
    expect(stored.filter((t) => t === 'message 1').length).toBeLessThanOrEqual(1);
    expect(stored.filter((t) => t !== 'message 1')).toEqual(['message 0', 'message 2']);
  });
});
