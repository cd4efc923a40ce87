// A queue that holds one message at a time (each sent before the next is accepted) is
// never read again after its first read: the worker learns of each message from its
// acceptance (F32), and a confirmation that succeeds leaves what it holds complete (F34).
// One that fails makes it look at the queue again: the row is sent again, with its id; so
// does a read that skipped the rows being confirmed (a row with a lower seq may commit late).
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { INSTANCE, gatedQueue, queueRequest as req, type GatedQueue } from '../helpers/queue-worker.js';
import { waitFor } from '../helpers/http.js';

let current: GatedQueue | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** Counts the worker's reads of the queue. */
function countReads(q: GatedQueue) {
  const reads = { n: 0 };
  const head = q.queue.head.bind(q.queue);
  q.queue.head = (...args: Parameters<typeof head>) => {
    reads.n++;
    return head(...args);
  };
  return reads;
}

describe('queue worker reads', () => {
  it('one message at a time: the queue is read once, not once per message', async () => {
    const q = (current = await gatedQueue({ min: 0, max: 0 }));
    const reads = countReads(q);
    await q.worker.release();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push((await q.queue.enqueue(req(i), true)).messageId);
      await waitFor(() => q.started.length === i + 1, 5000, `message ${i} handed to the engine`);
      q.release();
      await waitFor(async () => (await q.statuses()).length === 0, 5000, `message ${i} confirmed`);
    }
    expect(q.started).toEqual(ids);
    expect(reads.n).toBeLessThanOrEqual(2);
  });

  it('a confirmation that fails: the row is looked at again and sent again with its id, then the queue goes on', async () => {
    const q = (current = await gatedQueue({ min: 0, max: 0 }));
    const confirm = q.worker.confirm.bind(q.worker);
    let failures = 0;
    q.worker.confirm = async (...args: Parameters<typeof confirm>) => {
      if (failures++ === 0) {
        args[4].handed();
        throw new Error('disk full');
      }
      return confirm(...args);
    };
    await q.worker.release();
    const first = (await q.queue.enqueue(req(0), true)).messageId;
    await waitFor(() => q.started.length === 1);
    q.release();
    await waitFor(() => q.started.length === 2, 5000, 'sent again'); // after the transient-failure wait (1 s)
    expect(q.started).toEqual([first, first]);
    q.release();
    await waitFor(async () => (await q.statuses()).length === 0, 5000, 'confirmed');
    const next = (await q.queue.enqueue(req(1), true)).messageId;
    await waitFor(() => q.started.length === 3, 5000, 'the next message');
    q.release();
    expect(q.started).toEqual([first, first, next]);
  });

  it('a row that appears behind one being confirmed (lower seq, committed late, as on Postgres) is sent once that confirmation ends', async () => {
    const q = (current = await gatedQueue({ min: 0, max: 0 }));
    const reads = countReads(q);
    const confirm = q.worker.confirm.bind(q.worker);
    let letConfirm!: () => void;
    const held = new Promise<void>((r) => (letConfirm = r));
    q.worker.confirm = async (...args: Parameters<typeof confirm>) => {
      await held;
      return confirm(...args);
    };
    const gone = await q.queue.enqueue(req(0), true); // seq 1, removed before the worker starts
    const a = await q.queue.enqueue(req(1), true); // seq 2
    const b = await q.queue.enqueue(req(2), true); // seq 3
    expect(await q.queue.remove(INSTANCE, gone.zaapId)).toBe('removed');
    await q.worker.release();
    await waitFor(() => q.started.length === 1);
    q.release(); // a is sent; its confirmation waits
    await waitFor(() => q.started.length === 2); // b is being sent
    // A row with seq 1 commits now, and the worker hears of it without the row: after b it
    // reads past the rows being confirmed (seq ≤ 3) and cannot see it.
    await sql`insert into "send_queue" ("seq", "instance_id", "zaap_id", "message_id", "phone", "jid", "kind", "payload", "status", "attempts", "created_at")
      select 1, "instance_id", 'LATE', 'LATE-MESSAGE', "phone", "jid", "kind", "payload", 'queued', 0, "created_at" from "send_queue" where "zaap_id" = ${a.zaapId}`.execute(q.store.db);
    const before = reads.n;
    q.worker.kick(INSTANCE, false);
    q.release(); // b is sent; its confirmation waits too
    await waitFor(() => reads.n > before, 5000, 'the worker reads the queue');
    await new Promise((r) => setTimeout(r, 50));
    expect(q.started).toEqual([a.messageId, b.messageId]);
    letConfirm();
    await waitFor(() => q.started.length === 3, 5000, 'the late row is sent');
    expect(q.started).toEqual([a.messageId, b.messageId, 'LATE-MESSAGE']);
    q.release();
    await waitFor(async () => (await q.statuses()).length === 0, 5000, 'queue drained');
  });
});
