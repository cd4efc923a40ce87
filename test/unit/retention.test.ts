import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { pruneOnce } from '../../src/store/retention.js';
import { tempDir } from '../helpers/server.js';

const DAY = 86_400_000;

describe('retention', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ dataDir: tempDir(), databaseUrl: null });
  });
  afterAll(() => store?.close());

  it('removes old messages and old delivered webhooks, keeps recent ones and pending work', async () => {
    const now = Date.now();
    const msg = (instance: string, id: string, age: number) => ({
      instance_id: instance, message_id: id, zaap_id: null, chat_jid: 'x@s.whatsapp.net', from_me: 1, sender_jid: null,
      kind: 'text', payload: '{}', status: 'SENT', created_at: now - age,
    });
    await store.db.insertInto('messages').values([msg('A', 'OLD', 8 * DAY), msg('A', 'NEW', DAY), msg('B', 'OLD2', 8 * DAY), msg('B', 'SHARED', DAY), msg('A', 'SHARED', 9 * DAY)]).execute();
    const hook = (status: string, age: number) => ({
      instance_id: 'A', url: 'https://x', event_type: 'DeliveryCallback', payload: '{}', status, attempts: 1,
      next_attempt_at: now, created_at: now - age, delivered_at: null, last_status: null, last_error: null,
    });
    await store.db.insertInto('webhook_outbox').values([hook('delivered', 8 * DAY), hook('delivered', DAY), hook('pending', 40 * DAY), hook('failed', 8 * DAY), hook('failed', 31 * DAY)]).execute();

    const removed = await pruneOnce(store.db, { messagesMs: 7 * DAY, failedWebhooksMs: 30 * DAY }, now);
    expect(removed).toMatchObject({ messages: 3, webhooks: 2 });
    const left = await store.db.selectFrom('messages').select(['instance_id', 'message_id']).orderBy('instance_id').orderBy('message_id').execute();
    expect(left).toEqual([{ instance_id: 'A', message_id: 'NEW' }, { instance_id: 'B', message_id: 'SHARED' }]);
    const hooks = await store.db.selectFrom('webhook_outbox').select(['status', 'created_at']).orderBy('id').execute();
    expect(hooks.map((h) => h.status)).toEqual(['delivered', 'pending', 'failed']);
  });
});
