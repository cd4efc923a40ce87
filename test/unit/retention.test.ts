import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { SANDBOX_MAX_MS, pruneOnce } from '../../src/store/retention.js';
import { tempDir } from '../helpers/server.js';
import { PG_URL, freshDatabase } from '../helpers/postgres.js';

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

  it.each([{ name: 'sqlite' }, ...(PG_URL ? [{ name: 'postgres' }] : [])])('removes sandbox network rows that are done whatever status they ended in; keeps receipts still owed, pending work, recent rows ($name)', async ({ name }) => {
    const pgDb = name === 'postgres' ? await freshDatabase() : null;
    const own = await openStore({ dataDir: tempDir(), databaseUrl: pgDb?.url ?? null });
    try {
      const now = Date.now();
      const INSTANCE = '5500300000001';
      const CONTACT = '5511987650001';
      await own.db.insertInto('sandbox_devices').values({ instance_id: 'I', phone: INSTANCE, paired: 1, updated_at: now }).execute();
      const text = { type: 'text', text: 'x' };
      const voice = { type: 'audio', media: { id: 'M', mimeType: 'audio/ogg', size: 1 }, ptt: true };
      const songContent = { type: 'audio', media: { id: 'M', mimeType: 'audio/mpeg', size: 1 }, ptt: false };
      const ptv = { type: 'ptv', media: { id: 'M', mimeType: 'video/mp4', size: 1 } };
      const rows: Array<[id: string, to: string, content: object, status: string, delivered: number, ageDays: number, extra?: object]> = [
        ['READ-TEXT', CONTACT, text, 'read', 1, 8],
        ['PLAYED-VOICE', CONTACT, voice, 'played', 1, 8],
        ['STATUS-POST', 'status@broadcast', text, 'posted', 1, 8],
        ['GROUP-POST', '120363000000000001@g.us', text, 'posted', 1, 8],
        ['READ-SONG', CONTACT, songContent, 'read', 1, 8],
        ['TO-INSTANCE-UNREAD', INSTANCE, text, 'received', 1, 8],
        ['REVOKED-BEFORE-ARRIVAL', CONTACT, text, 'sent', 1, 8],
        // Still owed: the contact has to read or play them (its sender may be offline).
        ['READ-VOICE-OWED', CONTACT, voice, 'read', 1, 8],
        ['READ-PTV-OWED', CONTACT, ptv, 'read', 1, 8],
        ['RECEIVED-OWED', CONTACT, text, 'received', 1, 8],
        // Pending work: not delivered yet, or a revoke still to hand over.
        ['UNDELIVERED', INSTANCE, text, 'sent', 0, 8],
        ['REVOKE-DUE', INSTANCE, text, 'read', 0, 8, { revokedAt: now, revokeDue: true }],
        // Recent.
        ['RECENT-PLAYED', CONTACT, voice, 'played', 1, 1],
        ['RECENT-POST', 'status@broadcast', text, 'posted', 1, 1],
        // Past the 30 days WhatsApp keeps anything: gone whatever it waits for.
        ['ANCIENT-UNDELIVERED', INSTANCE, text, 'sent', 0, 31],
        ['ANCIENT-OWED', CONTACT, voice, 'read', 1, 31],
      ];
      await own.db
        .insertInto('sandbox_messages')
        .values(
          rows.map(([id, to, content, status, delivered, age, extra]) => ({
            id,
            from_phone: '5500300000009',
            to_phone: to,
            content: JSON.stringify({ id, from: '5500300000009', to, content, timestamp: now - age * DAY, ...extra }),
            status,
            delivered,
            created_at: now - age * DAY,
          })),
        )
        .execute();
      expect(SANDBOX_MAX_MS).toBe(30 * DAY);

      const removed = await pruneOnce(own.db, { messagesMs: 7 * DAY, failedWebhooksMs: 30 * DAY }, now);
      const left = (await own.db.selectFrom('sandbox_messages').select('id').execute()).map((r) => r.id).sort();
      expect(left).toEqual(['READ-VOICE-OWED', 'READ-PTV-OWED', 'RECEIVED-OWED', 'UNDELIVERED', 'REVOKE-DUE', 'RECENT-PLAYED', 'RECENT-POST'].sort());
      expect(removed.sandboxMessages).toBe(rows.length - left.length);

      // Once the instance is unpaired, its unread row counts as a simulated contact's: still owed, kept.
      await own.db.insertInto('sandbox_messages').values({ id: 'UNPAIRED', from_phone: 'X', to_phone: '5500300000002', content: JSON.stringify({ content: text }), status: 'received', delivered: 1, created_at: now - 8 * DAY }).execute();
      await pruneOnce(own.db, { messagesMs: 7 * DAY, failedWebhooksMs: 30 * DAY }, now);
      expect(await own.db.selectFrom('sandbox_messages').select('id').where('id', '=', 'UNPAIRED').executeTakeFirst()).toBeDefined();
    } finally {
      await own.close();
      await pgDb?.drop();
    }
  });
});
