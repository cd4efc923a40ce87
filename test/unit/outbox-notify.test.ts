// Writers committed in one group commit each name their own lanes to the delivery worker.
// Before, the lanes "written since the last notify" were shared: the first writer's notify
// took every lane and the others notified none, which made the worker scan the whole
// outbox (bench 2: ~2,000 scans of 1.3 ms in a run; docs/benchmarks.md F19).
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { Instances } from '../../src/domain/instances.js';
import { Accounts } from '../../src/domain/accounts.js';
import { WebhookOutbox, type Lane } from '../../src/webhooks/outbox.js';
import { tempDir } from '../helpers/server.js';

describe('outbox notifications', () => {
  let store: Store | undefined;
  afterEach(async () => store?.close());

  it('names, for each of several writes committed together, the lanes it wrote', async () => {
    store = await openStore({ dataDir: tempDir(), databaseUrl: null });
    const { account } = await new Accounts(store.db).bootstrap({ partnerToken: null, clientToken: null });
    const instances = new Instances(store.db, 10);
    const make = async (name: string, url: string) => {
      const inst = await instances.create({ accountId: account.id, name, engine: 'sandbox', middleware: 'web' });
      return { ...(await instances.get(inst.id))!, connected_url: url };
    };
    const a = await make('a', 'http://127.0.0.1:9/a');
    const b = await make('b', 'http://127.0.0.1:9/b');
    const c = await make('c', 'http://127.0.0.1:9/c');
    const outbox = new WebhookOutbox(store.db, store.dialect);
    const calls: Lane[][] = [];
    outbox.onAdded((lanes) => calls.push(lanes));

    // Started in one turn: the group commit writes them in one transaction.
    const payload = (i: number) => ({ type: 'ConnectedCallback', n: i }) as never;
    await Promise.all([a, b, c].map((inst, i) => outbox.add(inst, 'ConnectedCallback', payload(i))));

    const key = (l: Lane) => `${l.instanceId} ${l.url}`;
    expect(calls.map((lanes) => lanes.map(key)).sort()).toEqual(
      [[key({ instanceId: a.id, url: a.connected_url! })], [key({ instanceId: b.id, url: b.connected_url! })], [key({ instanceId: c.id, url: c.connected_url! })]].sort(),
    );
    const rows = await store.db.selectFrom('webhook_outbox').select(['instance_id', 'url', 'status']).orderBy('id').execute();
    expect(rows).toEqual([a, b, c].map((i) => ({ instance_id: i.id, url: i.connected_url, status: 'pending' })));
  });
});
