// More lanes than delivery slots: lanes wait for a slot in arrival order instead of
// rescanning the outbox, and a busy lane yields its slot after a batch when others wait.
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { openStore, type Store } from '../../src/store/db.js';
import { Instances } from '../../src/domain/instances.js';
import { Accounts } from '../../src/domain/accounts.js';
import { WebhookDelivery } from '../../src/webhooks/delivery.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { tempDir } from '../helpers/server.js';

describe('webhook delivery with more lanes than slots', () => {
  let store: Store | undefined;
  let receiver: WebhookReceiver | undefined;
  let delivery: WebhookDelivery | undefined;
  afterEach(async () => {
    await delivery?.stop();
    await receiver?.stop();
    await store?.close();
  });

  it('delivers every lane in order, lets waiting lanes in after each batch, and does not rescan while saturated', async () => {
    store = await openStore({ dataDir: tempDir(), databaseUrl: null });
    receiver = await new WebhookReceiver().start();
    const accounts = new Accounts(store.db);
    const { account } = await accounts.bootstrap({ partnerToken: null, clientToken: null });
    const instances = new Instances(store.db, 2);
    const inst = await instances.create({ accountId: account.id, name: 'slots', engine: 'sandbox', middleware: 'web' });
    const lanes = ['a', 'b', 'c', 'd'].map((p) => `${receiver!.url}/${p}`);
    const perLane = 450; // more than two batches of 200
    const rows = [];
    for (let i = 0; i < perLane; i++) {
      for (const url of lanes) {
        rows.push({ instance_id: inst.id, url, event_type: 'ReceivedCallback', payload: JSON.stringify({ n: i }), status: 'pending', attempts: 0, next_attempt_at: 0, created_at: Date.now() });
      }
    }
    for (let at = 0; at < rows.length; at += 200) await store.db.insertInto('webhook_outbox').values(rows.slice(at, at + 200)).execute();

    delivery = new WebhookDelivery(
      store.db,
      instances,
      { allowHttp: true, allowPrivate: true, retryHorizonMs: 60_000, backoffBaseMs: 10, timeoutMs: 5000, concurrency: 1 },
      pino({ level: 'silent' }),
    );
    let scans = 0;
    const d = delivery as unknown as { scan(): Promise<void> };
    const scan = d.scan.bind(delivery);
    d.scan = () => {
      scans++;
      return scan();
    };
    delivery.start();
    await waitFor(() => receiver!.deliveries.length === rows.length || undefined, 30_000, 'every row delivered');

    const paths = receiver.deliveries.map((x) => x.path);
    for (const p of ['/a', '/b', '/c', '/d']) {
      const ns = receiver.deliveries.filter((x) => x.path === p).map((x) => x.body.n as number);
      expect(ns).toEqual(Array.from({ length: perLane }, (_, i) => i));
    }
    // One slot, four lanes: the first lane yields after its first batch of 200 instead of
    // running to its end, so every lane starts before any lane finishes.
    const firstOf = (p: string) => paths.indexOf(p);
    const lastOf = (p: string) => paths.lastIndexOf(p);
    const firstEnd = Math.min(...['/a', '/b', '/c', '/d'].map(lastOf));
    for (const p of ['/a', '/b', '/c', '/d']) expect(firstOf(p)).toBeLessThan(firstEnd);
    expect(paths.slice(0, 200).every((p) => p === paths[0])).toBe(true);
    // The start-up scan found all four heads; no rescans while the one slot was taken.
    expect(scans).toBe(1);
  });
});
