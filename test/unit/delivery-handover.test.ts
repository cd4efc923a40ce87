// The outbox hands the rows it committed to the delivery worker, which posts them without
// reading them back (docs/benchmarks.md F28). Order, exactly-once posting of each row and
// the fall-back to reading the outbox (after a failure, a replay) must hold as before.
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CompiledQuery } from 'kysely';
import { openStore, type Store } from '../../src/store/db.js';
import { Instances } from '../../src/domain/instances.js';
import { Accounts } from '../../src/domain/accounts.js';
import { WebhookDelivery } from '../../src/webhooks/delivery.js';
import { WebhookOutbox } from '../../src/webhooks/outbox.js';
import type { InstanceRow } from '../../src/store/schema.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { tempDir } from '../helpers/server.js';
import { PG_URL, freshDatabase } from '../helpers/postgres.js';

const backends: { name: string; url: () => Promise<{ url: string | null; drop: () => Promise<void> }> }[] = [
  { name: 'sqlite', url: async () => ({ url: null, drop: async () => undefined }) },
];
if (PG_URL) backends.push({ name: 'postgres', url: freshDatabase });

describe.each(backends)('delivery of handed-over rows ($name)', (backend) => {
  let store: Store | undefined;
  let receiver: WebhookReceiver | undefined;
  let delivery: WebhookDelivery | undefined;
  let drop: () => Promise<void> = async () => undefined;
  afterEach(async () => {
    await delivery?.stop();
    await receiver?.stop();
    await store?.close();
    await drop();
  });

  /** A store, an instance whose ConnectedCallback goes to the receiver, the outbox wired to delivery, and a count of lane reads. */
  async function setup(): Promise<{ inst: InstanceRow; outbox: WebhookOutbox; laneReads: () => number }> {
    const db = await backend.url();
    drop = db.drop;
    store = await openStore({ dataDir: tempDir(), databaseUrl: db.url });
    receiver = await new WebhookReceiver().start();
    const { account } = await new Accounts(store.db).bootstrap({ partnerToken: null, clientToken: null });
    const instances = new Instances(store.db, 10);
    const created = await instances.create({ accountId: account.id, name: 'handover', engine: 'sandbox', middleware: 'web' });
    const inst = { ...(await instances.get(created.id))!, connected_url: `${receiver.url}/hook` };
    let reads = 0;
    const execute = store.db.executeQuery.bind(store.db);
    store.db.executeQuery = ((q: CompiledQuery) => {
      if (q.sql.startsWith('select * from "webhook_outbox"')) reads++;
      return execute(q);
    }) as typeof store.db.executeQuery;
    const outbox = new WebhookOutbox(store.db, store.dialect);
    delivery = new WebhookDelivery(
      store.db,
      instances,
      { allowHttp: true, allowPrivate: true, retryHorizonMs: 60_000, backoffBaseMs: 10, timeoutMs: 5000, concurrency: 4, dialect: store.dialect },
      pino({ level: 'silent' }),
    );
    outbox.onAdded((lanes) => delivery!.lanes(lanes));
    delivery.start();
    return { inst, outbox, laneReads: () => reads };
  }

  const event = (n: number) => ({ type: 'ConnectedCallback', n }) as never;
  const received = () => receiver!.deliveries.map((d) => d.body.n as number);
  const ids = () => receiver!.deliveries.map((d) => Number(d.headers['x-openzap-event-id']));

  it('posts every row once, in order, reading the lane only to get in step', async () => {
    const { inst, outbox, laneReads } = await setup();
    const total = 300;
    // Three events per group commit; half of the groups written to an idle lane (the previous
    // group delivered), half while the lane is still posting the previous one.
    for (let n = 0; n < total; n += 3) {
      await Promise.all([0, 1, 2].map((i) => outbox.add(inst, 'ConnectedCallback', event(n + i))));
      if (n % 6 === 0) await waitFor(() => receiver!.deliveries.length >= n + 3 || undefined, 10_000, `group ${n} delivered`);
    }
    await waitFor(() => receiver!.deliveries.length >= total || undefined, 20_000, 'every event delivered');
    await new Promise((r) => setTimeout(r, 100)); // nothing more may come
    expect(received()).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(new Set(ids()).size).toBe(total);
    expect(ids()).toEqual([...ids()].sort((a, b) => a - b));
    // Read back, every group written to an idle lane cost two reads (its rows, then "empty"):
    // 100 or more. Handed over: the first read that gets the lane in step, and few others.
    expect(laneReads()).toBeLessThanOrEqual(5);
    const pending = await store!.db.selectFrom('webhook_outbox').select('id').where('status', '!=', 'delivered').execute();
    expect(pending).toEqual([]);
  });

  it('after a failed delivery and after a replay the lane reads the outbox again, and order holds', async () => {
    const { inst, outbox, laneReads } = await setup();
    receiver!.failIf = (b) => b?.n === 5;
    for (let n = 0; n < 10; n++) await outbox.add(inst, 'ConnectedCallback', event(n));
    await waitFor(() => receiver!.attempts.filter((a) => a.body?.n === 5).length >= 2 || undefined, 10_000, 'event 5 retried');
    expect(received()).toEqual([0, 1, 2, 3, 4]); // 6..9 wait behind 5
    receiver!.failIf = null;
    await waitFor(() => receiver!.deliveries.length >= 10 || undefined, 10_000, 'the lane recovered');
    expect(received()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const readsBefore = laneReads();

    // Give up on event 10 (past the horizon at once), then replay it: the replayed row is
    // older than everything the lane knows, so only a read can find it.
    receiver!.failIf = (b) => b?.n === 10;
    const d = delivery as unknown as { opts: { retryHorizonMs: number } };
    d.opts.retryHorizonMs = 0;
    await outbox.add(inst, 'ConnectedCallback', event(10));
    await waitFor(async () => (await store!.db.selectFrom('webhook_outbox').select('status').where('status', '=', 'failed').execute()).length === 1 || undefined, 10_000, 'event 10 failed');
    d.opts.retryHorizonMs = 60_000;
    receiver!.failIf = null;
    expect(await outbox.replay(inst.id)).toBe(1);
    await outbox.add(inst, 'ConnectedCallback', event(11));
    await waitFor(() => receiver!.deliveries.length >= 12 || undefined, 10_000, 'replayed and new event delivered');
    expect(received()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(new Set(ids()).size).toBe(12);
    expect(laneReads()).toBeGreaterThan(readsBefore);
  });
});
