// With no gap between sends, the queue worker writes the next row's "sending" mark while
// the row before it is being sent (one writer round trip less per message: F33); with a
// gap, or behind a typing row, it does not. The engine here holds each send until the test
// lets it go, so the marks can be looked at mid-send.
import { afterEach, describe, expect, it } from 'vitest';
import { INSTANCE, gatedQueue, queueRequest as req, type GatedQueue } from '../helpers/queue-worker.js';
import { waitFor } from '../helpers/http.js';

let current: GatedQueue | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function setup(gap: { min: number; max: number }) {
  current = await gatedQueue(gap);
  return current;
}

describe('queue worker: the next row is marked while one is sent (no gap)', () => {
  it('marks only the next row; every row is sent once, in order', async () => {
    const { queue, worker, statuses, started, release } = await setup({ min: 0, max: 0 });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await queue.enqueue(req(i), true)).messageId);
    await worker.release();
    await waitFor(() => started.length === 1);
    await waitFor(async () => (await statuses()).join() === 'sending,sending,queued,queued', 5000, 'next row marked');
    for (let sent = 1; sent <= 4; sent++) {
      release();
      if (sent < 4) await waitFor(() => started.length === sent + 1);
    }
    await waitFor(async () => (await statuses()).length === 0, 5000, 'queue drained');
    expect(started).toEqual(ids);
    const recorded = (await current!.store.db.selectFrom('messages').select('message_id').where('instance_id', '=', INSTANCE).execute()).map((r) => r.message_id);
    expect(recorded.sort()).toEqual([...ids].sort());
  });

  it('with a gap, and behind a typing row, the next row stays queued while one is sent', async () => {
    const gapped = await setup({ min: 20, max: 40 });
    await gapped.queue.enqueue(req(0), true);
    await gapped.queue.enqueue(req(1), true);
    await gapped.worker.release();
    await waitFor(() => gapped.started.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await gapped.statuses()).toEqual(['sending', 'queued']);
    gapped.release();
    await waitFor(() => gapped.started.length === 2);
    gapped.release();
    await gapped.close();
    current = undefined;

    const typed = await setup({ min: 0, max: 0 });
    await typed.queue.enqueue(req(0, { delayTyping: 1 }), true);
    await typed.queue.enqueue(req(1), true);
    await typed.worker.release();
    await waitFor(async () => (await typed.statuses())[0] === 'sending', 5000, 'typing row marked');
    await new Promise((r) => setTimeout(r, 100));
    expect(await typed.statuses()).toEqual(['sending', 'queued']); // still typing: the next one can be deleted meanwhile
  });
});
