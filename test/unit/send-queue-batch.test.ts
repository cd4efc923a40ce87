import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { SendQueue, type EnqueueRequest } from '../../src/queue/send-queue.js';
import type { QueueRow } from '../../src/store/schema.js';
import { databases } from '../helpers/postgres.js';
import { tempDir } from '../helpers/server.js';

const req = (i: number, phone: string | null = `55119999900${String(i).padStart(2, '0')}`): EnqueueRequest => ({
  instanceId: 'INST',
  phone: phone as string,
  jid: `${phone ?? 'x'}@s.whatsapp.net`,
  content: { type: 'text', text: `message ${i}` },
});

describe.each(databases)('send queue: sends to a connected instance in one turn share one multi-row INSERT (SQLite: in the writer thread) ($name)', (backend) => {
  let store: Store;
  let queue: SendQueue;
  let cleanup: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const db = await backend.open();
    store = await openStore({ dataDir: tempDir(), databaseUrl: db.url });
    cleanup = db.drop;
    queue = new SendQueue(store.db, 1000, store.dialect, store.writer);
  });
  afterAll(async () => {
    await store?.close();
    await cleanup();
  });

  it('stores every row in order with its own ids; a bad row fails only its caller', async () => {
    const changed: string[] = [];
    queue.onChanged((id, change) => changed.push(`${id}:${change}`));
    const all = await Promise.allSettled([req(1), req(2), req(3, null), req(4)].map((r) => queue.enqueue(r, true)));
    expect(all.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const ok = all.filter((r): r is PromiseFulfilledResult<{ zaapId: string; messageId: string; id: string }> => r.status === 'fulfilled').map((r) => r.value);
    expect(new Set(ok.map((a) => a.messageId)).size).toBe(3);
    const rows = await queue.list('INST', 1, 100);
    expect(rows.map((r) => JSON.parse(r.payload).content.text)).toEqual(['message 1', 'message 2', 'message 4']);
    expect(rows.map((r) => r.message_id)).toEqual(ok.map((a) => a.messageId));
    expect(changed).toEqual(['INST:added', 'INST:added', 'INST:added']);
  });

  it('tells the worker each row as stored (seq and all) when the writer thread wrote it, over several INSERTs of one write', async () => {
    const told: QueueRow[] = [];
    queue.onChanged((id, change, row) => {
      if (id === 'MANY' && change === 'added' && row) told.push(row);
    });
    // More rows than one multi-row INSERT holds (256), accepted in one turn.
    await Promise.all(Array.from({ length: 600 }, (_, i) => queue.enqueue({ ...req(i % 90), instanceId: 'MANY' }, true)));
    const stored = await store.db.selectFrom('send_queue').selectAll().where('instance_id', '=', 'MANY').orderBy('seq').execute();
    expect(stored).toHaveLength(600);
    if (store.dialect === 'sqlite') {
      const normal = (r: QueueRow) => ({ ...r, created_at: Number(r.created_at) });
      expect([...told].sort((a, b) => a.seq - b.seq).map(normal)).toEqual(stored.map(normal));
    } else {
      expect(told).toEqual([]); // Postgres: seqs are not known (and may commit out of order): the worker reads
    }
  });
});
