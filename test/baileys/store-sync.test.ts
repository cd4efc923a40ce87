// The local store (chats, contacts, groups, history messages) fed through the package's real
// event buffer, on SQLite and (with OPENZAP_TEST_DATABASE_URL) Postgres.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { proto, type GroupMetadata, type WAMessage } from 'baileys';
import type { Store } from '../../src/store/db.js';
import { applyParticipants } from '../../src/engines/baileys/store-groups.js';
import type { IncomingMessage } from '../../src/engines/engine.js';
import { backends } from '../helpers/postgres.js';
import { connected, connectedEngine, makeEngine, settle, type EngineHarness, type FakeSocket } from './fake-socket.js';

const CONTACT = '5511987654321@s.whatsapp.net';
const CONTACT_LID = '210987654321098@lid';
const OTHER = '5511933334444@s.whatsapp.net';
const GROUP = '120363025246125486@g.us';
const DAY = 86_400;

const now = () => Math.floor(Date.now() / 1000);

function msg(id: string, ts: number, o: { remoteJid?: string; pushName?: string; participant?: string; text?: string } = {}): WAMessage {
  return proto.WebMessageInfo.fromObject({
    key: { remoteJid: o.remoteJid ?? CONTACT, fromMe: false, id, participant: o.participant },
    message: { conversation: o.text ?? `text ${id}` },
    messageTimestamp: ts,
    ...(o.pushName ? { pushName: o.pushName } : {}),
  }) as WAMessage;
}

function group(participants: GroupMetadata['participants'], extra: Partial<GroupMetadata> = {}): GroupMetadata {
  return { id: GROUP, subject: 'Equipe', owner: CONTACT, participants, ...extra };
}

describe('applyParticipants', () => {
  const a = { id: CONTACT_LID, phoneNumber: CONTACT, admin: null };
  const b = { id: OTHER, admin: 'admin' as const };
  it('adds new members once, matching a LID member by its phone number', () => {
    expect(applyParticipants([a], 'add', [{ id: CONTACT }, { id: OTHER }])).toEqual([a, { id: OTHER, admin: null }]);
  });
  it('removes, promotes, demotes and modifies by any of id, lid or phoneNumber', () => {
    expect(applyParticipants([a, b], 'remove', [{ id: CONTACT }])).toEqual([b]);
    expect(applyParticipants([a, b], 'promote', [{ id: CONTACT_LID }])).toEqual([{ ...a, admin: 'admin' }, b]);
    expect(applyParticipants([a, b], 'demote', [{ id: OTHER }])).toEqual([a, { ...b, admin: null }]);
    expect(applyParticipants([b], 'modify', [{ id: OTHER, lid: '77@lid' }])).toEqual([{ ...b, lid: '77@lid' }]);
  });
});

describe.each(backends)('local store on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let h: EngineHarness;
  let sock: FakeSocket;

  const emitted = async () => {
    await h.engine.idle();
    await settle();
  };
  const messages = () => h.events.filter((e) => e.name === 'message').map((e) => e.args as IncomingMessage);

  beforeEach(async () => {
    const env = await backend.env();
    cleanup = env.cleanup;
    ({ store, h, sock } = await connectedEngine(env.env.OPENZAP_DATABASE_URL ?? null));
  });
  afterEach(async () => {
    await h.engine.close();
    await store.close();
    await cleanup();
  });

  it('history sync: chats, contacts (with LID pairs) and the messages inside the retention window, without events', async () => {
    const t = now(); // once: the assertions compare with what was sent, not with a later second
    sock.ev.emit('messaging-history.set', {
      chats: [
        { id: CONTACT, name: 'Maria', unreadCount: 2, conversationTimestamp: t - 3_600, archived: true },
        { id: GROUP, name: 'Equipe', unreadCount: 0, conversationTimestamp: t - 60, pinned: t - 10, muteEndTime: t + DAY },
      ],
      contacts: [{ id: CONTACT_LID, phoneNumber: CONTACT, name: 'Maria Silva', notify: 'Mari' }],
      messages: [msg('3EB0HIST01', t - DAY), msg('3EB0HIST02', t - 8 * DAY)],
      isLatest: true,
      syncType: proto.HistorySync.HistorySyncType.RECENT,
    });
    await emitted();
    const chats = await h.engine.chats.list();
    expect(chats.map((c) => [c.jid, c.name, c.unread_count, c.archived])).toEqual([
      [GROUP, 'Equipe', 0, 0],
      [CONTACT, 'Maria', 2, 1],
    ]);
    expect(chats[0].pinned).toBe((t - 10) * 1000);
    expect(chats[0].mute_end).toBe((t + DAY) * 1000);
    expect(chats[1].last_message_at).toBe((t - 3_600) * 1000);
    expect(await h.engine.contacts.list()).toEqual([
      expect.objectContaining({ jid: CONTACT, lid: CONTACT_LID, name: 'Maria Silva', notify: 'Mari', verified_name: null }),
    ]);
    expect(h.engine.store.phoneJid(CONTACT_LID)).toBe(CONTACT);
    expect((await h.engine.store.message('3EB0HIST01'))?.message?.conversation).toBe('text 3EB0HIST01');
    expect(await h.engine.store.message('3EB0HIST02')).toBeUndefined(); // older than 7 days
    expect(messages()).toEqual([]);

    // The same message delivered live later is history, not news.
    sock.ev.emit('messages.upsert', { messages: [msg('3EB0HIST01', t - DAY)], type: 'append' });
    await emitted();
    expect(messages()).toEqual([]);
  });

  it('history retention follows the engine option (OPENZAP_MESSAGE_RETENTION_DAYS)', async () => {
    await h.engine.close();
    h = makeEngine(store.db, { retentionMs: 2 * DAY * 1000 });
    sock = await connected(h);
    sock.ev.emit('messaging-history.set', { chats: [], contacts: [], messages: [msg('3EB0KEEP01', now() - DAY), msg('3EB0DROP01', now() - 3 * DAY)] });
    await emitted();
    expect(await h.engine.store.message('3EB0KEEP01')).toBeDefined();
    expect(await h.engine.store.message('3EB0DROP01')).toBeUndefined();
  });

  it('chats.upsert / update / delete: increments, read, marked unread, archive, pin, mute', async () => {
    const t = now(); // once, as above
    sock.ev.emit('chats.upsert', [{ id: CONTACT, unreadCount: 0, conversationTimestamp: t - 100 }]);
    sock.ev.emit('chats.update', [{ id: CONTACT, unreadCount: 1, conversationTimestamp: t - 50 }]);
    sock.ev.emit('chats.update', [{ id: CONTACT, unreadCount: 1 }]);
    await emitted();
    expect(await h.engine.chats.get(CONTACT)).toMatchObject({ unread_count: 2, last_message_at: (t - 50) * 1000 });

    sock.ev.emit('chats.update', [{ id: CONTACT, unreadCount: 0, archived: true, pinned: 1_700_000_000, muteEndTime: 1_800_000_000 }]);
    await emitted();
    expect(await h.engine.chats.get(CONTACT)).toMatchObject({ unread_count: 0, archived: 1, pinned: 1_700_000_000_000, mute_end: 1_800_000_000_000 });

    sock.ev.emit('chats.update', [{ id: CONTACT, unreadCount: -1, archived: false, pinned: 0, muteEndTime: 0 }]);
    await emitted();
    expect(await h.engine.chats.get(CONTACT)).toMatchObject({ unread_count: -1, archived: 0, pinned: 0, mute_end: null });
    sock.ev.emit('chats.update', [{ id: CONTACT, unreadCount: 1 }]); // a new message in a chat marked unread
    await emitted();
    expect((await h.engine.chats.get(CONTACT))?.unread_count).toBe(1);

    // The event buffer sums buffered increments into one update.
    sock.ev.buffer();
    sock.ev.emit('chats.update', [{ id: OTHER, unreadCount: 1 }]);
    sock.ev.emit('chats.update', [{ id: OTHER, unreadCount: 1 }]);
    sock.ev.flush();
    await emitted();
    expect((await h.engine.chats.get(OTHER))?.unread_count).toBe(2);

    sock.ev.emit('chats.delete', [CONTACT]);
    await emitted();
    expect(await h.engine.chats.get(CONTACT)).toBeUndefined();
    expect((await h.engine.chats.list()).map((c) => c.jid)).toEqual([OTHER]);
  });

  it('a chat addressed by LID is stored under the phone once the pair is known', async () => {
    sock.ev.emit('lid-mapping.update', { lid: CONTACT_LID, pn: CONTACT });
    sock.ev.emit('chats.upsert', [{ id: CONTACT_LID, name: 'Maria' }]);
    await emitted();
    expect((await h.engine.chats.list()).map((c) => c.jid)).toEqual([CONTACT]);
    expect(await h.engine.chats.get(CONTACT_LID)).toMatchObject({ jid: CONTACT, name: 'Maria' });
  });

  it('contacts.upsert / update merge only the fields they carry', async () => {
    sock.ev.emit('contacts.upsert', [{ id: CONTACT, lid: CONTACT_LID, name: 'Maria Silva', imgUrl: 'https://pps.whatsapp.net/v/maria.jpg' }]);
    sock.ev.emit('contacts.update', [{ id: CONTACT, notify: 'Mari', verifiedName: 'Maria Ltda' }]);
    await emitted();
    expect(await h.engine.contacts.get(CONTACT)).toMatchObject({
      jid: CONTACT,
      lid: CONTACT_LID,
      name: 'Maria Silva',
      notify: 'Mari',
      verified_name: 'Maria Ltda',
      img_url: 'https://pps.whatsapp.net/v/maria.jpg',
    });
    sock.ev.emit('contacts.update', [{ id: CONTACT, imgUrl: 'changed' }]); // new picture, URL not known yet
    await emitted();
    expect(await h.engine.contacts.get(CONTACT_LID)).toMatchObject({ jid: CONTACT, name: 'Maria Silva', img_url: null });
    // LID-only contact, its phone learned later: found by either form.
    sock.ev.emit('contacts.upsert', [{ id: '111122223333444@lid', notify: 'Zé' }]);
    await emitted();
    expect(await h.engine.contacts.get('111122223333444@lid')).toMatchObject({ jid: '111122223333444@lid', notify: 'Zé' });
    // Groups are not contacts.
    sock.ev.emit('contacts.update', [{ id: GROUP, notify: 'x' }]);
    await emitted();
    expect((await h.engine.contacts.list()).map((c) => c.jid).sort()).toEqual(['111122223333444@lid', CONTACT]);
  });

  it('senderName: the push name on the message, else the stored name (as Baileys reports push names: contacts.update)', async () => {
    sock.ev.emit('contacts.update', [{ id: CONTACT, notify: 'Mari' }]);
    sock.ev.emit('contacts.upsert', [{ id: OTHER, name: 'Carlos (agenda)' }]);
    sock.ev.emit('messages.upsert', {
      messages: [
        msg('3EB0NAME01', now(), {}),
        msg('3EB0NAME02', now(), { pushName: 'Maria agora' }),
        msg('3EB0NAME03', now(), { remoteJid: GROUP, participant: OTHER }),
        msg('3EB0NAME04', now(), { remoteJid: '5511900001111@s.whatsapp.net' }),
      ],
      type: 'notify',
    });
    await emitted();
    expect(messages().map((m) => [m.id, m.senderName])).toEqual([
      ['3EB0NAME01', 'Mari'],
      ['3EB0NAME02', 'Maria agora'],
      ['3EB0NAME03', 'Carlos (agenda)'],
      ['3EB0NAME04', null],
    ]);
  });

  it('groups: upsert, update and participant changes; cachedGroupMetadata serves them without a query', async () => {
    sock.ev.emit('groups.upsert', [group([{ id: CONTACT, admin: 'superadmin' }, { id: OTHER, admin: null }], { announce: false })]);
    sock.ev.emit('groups.update', [{ id: GROUP, subject: 'Equipe 2', announce: true }]);
    sock.ev.emit('group-participants.update', { id: GROUP, author: CONTACT, participants: [{ id: '5511955556666@s.whatsapp.net' }], action: 'add' });
    sock.ev.emit('group-participants.update', { id: GROUP, author: CONTACT, participants: [{ id: OTHER }], action: 'promote' });
    sock.ev.emit('group-participants.update', { id: GROUP, author: CONTACT, participants: [{ id: CONTACT }], action: 'remove' });
    await emitted();
    const meta = await sock.config.cachedGroupMetadata!(GROUP);
    expect(meta).toEqual({
      id: GROUP,
      subject: 'Equipe 2',
      owner: CONTACT,
      announce: true,
      size: 2,
      participants: [
        { id: OTHER, admin: 'admin' },
        { id: '5511955556666@s.whatsapp.net', admin: null },
      ],
    });
    expect(sock.groupMetadata).not.toHaveBeenCalled();
    const row = await store.db.selectFrom('baileys_groups').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ jid: GROUP, subject: 'Equipe 2' });
    // An update for a group we do not know is not stored half-empty.
    sock.ev.emit('groups.update', [{ id: '999@g.us', subject: 'unknown' }]);
    await emitted();
    expect(await h.engine.groups.get('999@g.us')).toBeUndefined();
  });

  it('cachedGroupMetadata fetches an unknown group once (concurrent misses share it) and stores it; failures are not retried at once', async () => {
    const fetched = group([{ id: CONTACT, admin: 'superadmin' }]);
    let release!: () => void;
    sock.groupMetadata.mockImplementationOnce(() => new Promise<GroupMetadata>((r) => (release = () => r(fetched))));
    const a = sock.config.cachedGroupMetadata!(GROUP);
    const b = sock.config.cachedGroupMetadata!(GROUP);
    await vi.waitFor(() => expect(sock.groupMetadata).toHaveBeenCalled());
    await settle();
    release();
    expect(await a).toEqual(fetched);
    expect(await b).toEqual(fetched);
    expect(sock.groupMetadata).toHaveBeenCalledTimes(1);
    expect(sock.groupMetadata).toHaveBeenCalledWith(GROUP);
    expect(await h.engine.groups.get(GROUP)).toEqual(fetched);
    expect(await sock.config.cachedGroupMetadata!(GROUP)).toEqual(fetched);
    expect(sock.groupMetadata).toHaveBeenCalledTimes(1);

    const OTHER_GROUP = '120363000000000001@g.us';
    expect(await sock.config.cachedGroupMetadata!(OTHER_GROUP)).toBeUndefined(); // the fake throws
    expect(await sock.config.cachedGroupMetadata!(OTHER_GROUP)).toBeUndefined();
    expect(sock.groupMetadata).toHaveBeenCalledTimes(2);
  });
});
