// Simulated groups and deleted messages on the sandbox network: a group message is
// acknowledged by each simulated member separately (in the group, naming the member), and a
// message deleted for everyone reaches a sandbox recipient that had it as messageRevoked.
// SandboxEngines on one SandboxNetwork over a real store (SQLite, and Postgres when
// OPENZAP_TEST_DATABASE_URL is set), each with a recorder standing in for the webhook outbox.
import { afterEach, describe, expect, it } from 'vitest';
import { newMessageId } from '../../src/domain/ids.js';
import { SandboxEngine, defaultSandboxPhone } from '../../src/engines/sandbox/engine.js';
import { STATUS_JID, SIMULATED_MEMBER_PREFIX, isSimulatedMemberPhone, simulatedGroupMembers, type NetworkMessage } from '../../src/engines/sandbox/wire.js';
import type { MessageContent } from '../../src/engines/engine.js';
import { messageStatusCallback } from '../../src/webhooks/payloads.js';
import { revokeNotification } from '../../src/webhooks/notifications.js';
import { blankInstanceRow } from '../../src/domain/instances.js';
import { waitFor } from '../helpers/http.js';
import { databases } from '../helpers/postgres.js';
import { SandboxWorld } from '../helpers/sandbox-world.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const GROUP = '120363000000000001@g.us';
const OLD_STYLE_GROUP = '5511999990000-1600000000@g.us';
const voiceNote: MessageContent = { type: 'audio', media: { id: 'MEDIA-VOICE', mimeType: 'audio/ogg; codecs=opus', size: 4096 }, ptt: true, seconds: 3 };
const song: MessageContent = { type: 'audio', media: { id: 'MEDIA-SONG', mimeType: 'audio/mpeg', size: 4096 }, ptt: false };

const sandbox = new SandboxWorld();
afterEach(sandbox.close);
const { peer, stop, row } = sandbox;

const memberJid = (phone: string) => `${phone}@s.whatsapp.net`;
const inst = blankInstanceRow({ id: 'A'.repeat(32), token: 'T'.repeat(32), account_id: 'ACC', name: 'test', engine: 'sandbox', created_at: 0, payment_status: 'PAID', phone: null });

describe('simulated group members', () => {
  it('are derived from the group id: three distinct phones in the reserved range, the same every time', () => {
    const members = simulatedGroupMembers(GROUP);
    expect(members).toHaveLength(3);
    expect(new Set(members).size).toBe(3);
    expect(simulatedGroupMembers(GROUP)).toEqual(members);
    for (const p of members) {
      expect(p).toMatch(/^550099[0-9]{8}$/);
      expect(isSimulatedMemberPhone(p)).toBe(true);
    }
    expect(simulatedGroupMembers(OLD_STYLE_GROUP)).not.toEqual(members);
    // Default instance phones (5500 + 11 digits) are 15 digits: never in the range.
    for (const id of ['A', 'B', 'INSTANCE-1', 'x'.repeat(32)]) expect(isSimulatedMemberPhone(defaultSandboxPhone(id))).toBe(false);
    expect(isSimulatedMemberPhone(`${SIMULATED_MEMBER_PREFIX}123456789`)).toBe(false);
    expect(isSimulatedMemberPhone('5500100000001')).toBe(false);
  });
});

describe.each(databases)('sandbox groups and revokes ($name)', (backend) => {
  const world = async (receiptDelayMs = 10) => sandbox.world(receiptDelayMs, await backend.open());
  const contentOf = async (id: string) => JSON.parse((await row(id))!.content) as NetworkMessage;

  describe('groups', () => {
    it('sends to any group id; refuses what is not one; refuses pairing an instance in the members range', async () => {
      await world();
      const a = await peer('A', '5500200000001');
      const text: MessageContent = { type: 'text', text: 'hi' };
      expect(a.engine.messages.unsupportedReason(text, GROUP)).toBeNull();
      expect(a.engine.messages.unsupportedReason(text, OLD_STYLE_GROUP)).toBeNull();
      expect(a.engine.messages.unsupportedReason({ type: 'poll', question: 'q', options: ['a', 'b'], maxOptions: 1 }, GROUP)).toBeNull();
      expect(a.engine.messages.unsupportedReason(text, 'not-a-group@g.us')).toMatch(/not a group id/);
      await expect(a.send('not-a-group@g.us', text)).rejects.toMatchObject({ statusCode: 501 });

      const other = new SandboxEngine('INST-R', sandbox.store!.db, sandbox.network!);
      sandbox.engines.push(other);
      await other.connect();
      await expect(other.pair(simulatedGroupMembers(GROUP)[0])).rejects.toMatchObject({ statusCode: 409, error: 'phone-reserved' });
      expect(other.state().status).toBe('qr');
    });

    it('every member acknowledges a group message separately: RECEIVED then READ, in the group, naming the member', async () => {
      const { db } = await world(10);
      const a = await peer('A', '5500200000011');
      const members = simulatedGroupMembers(GROUP);
      const id = await a.send(GROUP, { type: 'text', text: 'hello group' });
      const sent = a.rec.statusEventsOf(id)[0];
      expect(sent).toMatchObject({ status: 'SENT', chatJid: GROUP, ids: [id], device: 0 });
      expect(sent.participant).toBeUndefined();

      await waitFor(() => a.rec.statusEventsOf(id).filter((s) => s.status === 'READ').length === 3, 5000, 'READ from every member');
      await sleep(100); // nothing else is due
      const receipts = a.rec.statusEventsOf(id).slice(1);
      expect(receipts).toHaveLength(6);
      for (const r of receipts) expect(r).toMatchObject({ chatJid: GROUP, ids: [id], device: 0 });
      for (const m of members) {
        expect(receipts.filter((r) => r.participant === memberJid(m)).map((r) => r.status)).toEqual(['RECEIVED', 'READ']);
      }
      expect(new Set(receipts.map((r) => r.participant))).toEqual(new Set(members.map(memberJid)));

      // One row for the sender, one per member.
      expect(await row(id)).toMatchObject({ to_phone: GROUP, status: 'posted', delivered: 1 });
      const copies = await db.selectFrom('sandbox_messages').select(['id', 'to_phone', 'status', 'delivered']).where('id', 'like', `${id}:%`).orderBy('to_phone').execute();
      expect(copies).toEqual([...members].sort().map((m) => ({ id: `${id}:${m}`, to_phone: m, status: 'read', delivered: 1 })));

      // As webhooks: the observed group receipt shape (webhook-shapes-observed.md message_status/group_read).
      const read = receipts.find((r) => r.status === 'READ')!;
      const body = messageStatusCallback(inst, read);
      expect(Object.keys(body).sort()).toEqual(['ids', 'instanceId', 'isGroup', 'momment', 'participant', 'participantDevice', 'phone', 'status', 'type']);
      expect(body).toMatchObject({ type: 'MessageStatusCallback', status: 'READ', isGroup: true, phone: '120363000000000001-group', participantDevice: 0, ids: [id] });
      expect(members).toContain(body.participant);
      expect(messageStatusCallback(inst, sent)).toMatchObject({ isGroup: true, phone: '120363000000000001-group', phoneDevice: 0, status: 'SENT' });
    });

    it('members play a group voice note (PLAYED each), not a song', async () => {
      await world(10);
      const a = await peer('A', '5500200000021');
      const members = simulatedGroupMembers(OLD_STYLE_GROUP);
      const voice = await a.send(OLD_STYLE_GROUP, voiceNote);
      const music = await a.send(OLD_STYLE_GROUP, song);
      await waitFor(() => a.rec.statusEventsOf(voice).filter((s) => s.status === 'PLAYED').length === 3, 5000, 'PLAYED from every member');
      await waitFor(() => a.rec.statusEventsOf(music).filter((s) => s.status === 'READ').length === 3, 5000, 'READ of the song');
      await sleep(100);
      for (const m of members) {
        expect(a.rec.receiptsOf(voice).filter(([, p]) => p === memberJid(m))).toEqual([
          ['RECEIVED', memberJid(m)],
          ['READ', memberJid(m)],
          ['PLAYED', memberJid(m)],
        ]);
        expect(a.rec.receiptsOf(music).filter(([, p]) => p === memberJid(m)).map(([s]) => s)).toEqual(['RECEIVED', 'READ']);
      }
      const played = a.rec.statuses.find((s) => s.status === 'PLAYED')!;
      expect(played.chatJid).toBe(OLD_STYLE_GROUP);
      expect(messageStatusCallback(inst, played)).toMatchObject({ isGroup: true, phone: '5511999990000-1600000000-group', status: 'PLAYED', participantDevice: 0 });
      expect((await row(`${voice}:${members[0]}`))?.status).toBe('played');
    });

    it('read and played of a group succeed without receipts; delete revokes the message and every member copy', async () => {
      await world(10);
      const a = await peer('A', '5500200000031');
      const members = simulatedGroupMembers(GROUP);
      const id = await a.send(GROUP, voiceNote);
      await waitFor(() => a.rec.statusEventsOf(id).filter((s) => s.status === 'PLAYED').length === 3, 5000, 'PLAYED');
      const before = a.rec.statuses.length;
      await a.engine.messages.read(GROUP, [id]);
      await a.engine.messages.played(GROUP, [id]);
      expect(a.rec.statuses).toHaveLength(before);

      await a.engine.messages.delete({ id, chatJid: GROUP, fromMe: true });
      for (const rowId of [id, ...members.map((m) => `${id}:${m}`)]) expect((await contentOf(rowId)).revokedAt, rowId).toEqual(expect.any(Number));
      await a.engine.messages.delete({ id, chatJid: GROUP, fromMe: true }); // idempotent
      await a.engine.messages.delete({ id: 'SOMEONE-ELSES', chatJid: GROUP, fromMe: false, participant: memberJid(members[0]) }); // for me: nothing to do
      await expect(a.engine.messages.delete({ id: 'NO-SUCH-MESSAGE', chatJid: GROUP, fromMe: true })).rejects.toMatchObject({ statusCode: 404 });
      await expect(a.engine.messages.delete({ id, chatJid: OLD_STYLE_GROUP, fromMe: true })).rejects.toMatchObject({ statusCode: 404 });
      expect(a.rec.revokes).toEqual([]); // simulated members are not instances: nobody to tell
    });

    it('a group message deleted before the members got it is never acknowledged', async () => {
      const { db } = await world(300);
      const a = await peer('A', '5500200000041');
      const id = await a.send(GROUP, { type: 'text', text: 'oops' });
      await a.engine.messages.delete({ id, chatJid: GROUP, fromMe: true });
      await sleep(900);
      expect(a.rec.receiptsOf(id)).toEqual([['SENT', undefined]]);
      const copies = await db.selectFrom('sandbox_messages').select(['status', 'delivered']).where('id', 'like', `${id}:%`).execute();
      expect(copies).toEqual([
        { status: 'sent', delivered: 1 },
        { status: 'sent', delivered: 1 },
        { status: 'sent', delivered: 1 },
      ]);
    });

    it('a retried group message (same id) fans out once and is acknowledged once per member', async () => {
      const { db } = await world(10);
      const a = await peer('A', '5500200000051');
      const id = newMessageId();
      await a.engine.messages.send({ id, to: GROUP, content: { type: 'text', text: 'once' } });
      const retry = await a.engine.messages.send({ id, to: GROUP, content: { type: 'text', text: 'once' } });
      expect(retry.duplicate).toBe(true);
      await waitFor(() => a.rec.statusEventsOf(id).filter((s) => s.status === 'READ').length === 3, 5000, 'READ');
      await sleep(100);
      expect(a.rec.statusEventsOf(id).filter((s) => s.status === 'RECEIVED')).toHaveLength(3);
      expect(a.rec.statusEventsOf(id).filter((s) => s.status === 'READ')).toHaveLength(3);
      expect(await db.selectFrom('sandbox_messages').select('id').where('id', 'like', `${id}%`).execute()).toHaveLength(4);
    });
  });

  describe('privateAnswer', () => {
    it('a private answer to a group message goes to its sender one-to-one', async () => {
      const { db } = await world(10);
      const a = await peer('A', '5500200000111');
      const author = '5511977776666@s.whatsapp.net';
      await db
        .insertInto('messages')
        .values({
          instance_id: 'INST-A', message_id: 'GROUP-QUESTION', zaap_id: null, chat_jid: GROUP, from_me: 0, sender_jid: author,
          kind: 'text', payload: '{}', status: 'RECEIVED', created_at: Date.now(),
        })
        .execute();
      const id = await a.send(GROUP, { type: 'text', text: 'answered in private' }, { quotedId: 'GROUP-QUESTION', privateAnswer: true });
      expect(await row(id)).toMatchObject({ to_phone: '5511977776666', status: expect.any(String) });
      expect((await contentOf(id)).quotedId).toBe('GROUP-QUESTION');
      await waitFor(() => a.rec.statusEventsOf(id).some((s) => s.status === 'READ'), 5000, 'READ');
      expect(a.rec.statusEventsOf(id).map((s) => [s.status, s.chatJid, s.participant])).toEqual([
        ['SENT', author, undefined],
        ['RECEIVED', author, undefined],
        ['READ', author, undefined],
      ]);
      // Without privateAnswer (or quoting a one-to-one message) it goes where it was sent.
      const inGroup = await a.send(GROUP, { type: 'text', text: 'answered in the group' }, { quotedId: 'GROUP-QUESTION' });
      expect(await row(inGroup)).toMatchObject({ to_phone: GROUP });
    });
  });

  describe('deleted for everyone: the recipient is told', () => {
    it('a sandbox recipient that had the message gets messageRevoked once', async () => {
      await world();
      const a = await peer('A', '5500200000061');
      const b = await peer('B', '5500200000062');
      const id = await a.send(b.jid, { type: 'text', text: 'regret' });
      expect(b.rec.messages.map((m) => m.id)).toEqual([id]);
      await a.engine.messages.delete({ id, chatJid: b.jid, fromMe: true });
      const revokedAt = (await contentOf(id)).revokedAt!;
      expect(b.rec.revokes).toEqual([{ id, chatJid: a.jid, senderJid: a.jid, fromMe: false, timestamp: revokedAt }]);
      expect(await row(id)).toMatchObject({ delivered: 1 });
      await a.engine.messages.delete({ id, chatJid: b.jid, fromMe: true });
      expect(b.rec.revokes).toHaveLength(1);
      expect(a.rec.revokes).toEqual([]);

      // As a webhook: a ReceivedCallback notification REVOKE about the deleted message.
      const body = revokeNotification(inst, b.rec.revokes[0], b.phone);
      expect(Object.keys(body).sort()).toEqual(
        [
          'broadcast', 'callId', 'chatLid', 'chatName', 'code', 'connectedPhone', 'expiresAt', 'externalAdReply', 'forwarded', 'fromMe', 'instanceId', 'isGroup',
          'isNewsletter', 'messageId', 'momment', 'notification', 'notificationParameters', 'phone', 'photo', 'referenceMessageId', 'senderName', 'senderPhoto', 'status', 'type',
        ].sort(),
      );
      expect(body).toMatchObject({
        type: 'ReceivedCallback',
        notification: 'REVOKE',
        notificationParameters: [],
        messageId: id,
        phone: a.phone,
        fromMe: false,
        isGroup: false,
        broadcast: false,
        status: 'RECEIVED',
        momment: revokedAt,
        connectedPhone: b.phone,
        senderName: a.phone,
        chatName: a.phone,
        instanceId: inst.id,
        callId: null,
        code: null,
        referenceMessageId: null,
      });
      // In a group it names who deleted it.
      const inGroup = revokeNotification(inst, { id: 'X', chatJid: GROUP, senderJid: a.jid, fromMe: false, timestamp: 1 }, b.phone);
      expect(inGroup).toMatchObject({ isGroup: true, phone: '120363000000000001-group', participantPhone: a.phone, chatName: '120363000000000001-group', messageId: 'X' });
    });

    it('a recipient away when the message was deleted is told when it comes back; one that never got it is not', async () => {
      await world();
      const a = await peer('A', '5500200000071');
      const b = await peer('B', '5500200000072');
      const had = await a.send(b.jid, { type: 'text', text: 'seen' });
      await stop(b);
      const never = await a.send(b.jid, { type: 'text', text: 'never seen' });
      await a.engine.messages.delete({ id: had, chatJid: b.jid, fromMe: true });
      await a.engine.messages.delete({ id: never, chatJid: b.jid, fromMe: true });
      expect(await row(had)).toMatchObject({ delivered: 0 });
      expect((await contentOf(had)).revokeDue).toBe(true);

      const b2 = await peer('B', b.phone);
      expect(b2.rec.revokes.map((r) => r.id)).toEqual([had]);
      expect(b2.rec.messages).toEqual([]);
      expect(await row(had)).toMatchObject({ delivered: 1 });
      expect(await row(never)).toMatchObject({ delivered: 1, status: 'sent' });
      await stop(b2);
      const b3 = await peer('B', b.phone);
      expect(b3.rec.revokes).toEqual([]);
    });

    it('a revoke the recipient could not record stays due: the delete fails, and a repeated delete hands it over once', async () => {
      await world();
      const a = await peer('A', '5500200000081');
      const b = await peer('B', '5500200000082');
      const id = await a.send(b.jid, { type: 'text', text: 'x' });
      b.rec.failNext = (ev) => ev.revoke !== undefined;
      await expect(a.engine.messages.delete({ id, chatJid: b.jid, fromMe: true })).rejects.toThrow(/could not be written/);
      expect(b.rec.revokes).toEqual([]);
      expect(await row(id)).toMatchObject({ delivered: 0 });
      await a.engine.messages.delete({ id, chatJid: b.jid, fromMe: true });
      expect(b.rec.revokes.map((r) => r.id)).toEqual([id]);
      expect(await row(id)).toMatchObject({ delivered: 1 });
    });

    it('deleted while it is being handed over: the recipient gets the message, then the revoke, once each', async () => {
      await world();
      const a = await peer('A', '5500200000091');
      const b = await peer('B', '5500200000092');
      let open!: () => void;
      b.rec.gate = new Promise<void>((r) => (open = r));
      const id = newMessageId();
      const sending = a.engine.messages.send({ id, to: b.jid, content: { type: 'text', text: 'racing' } });
      await waitFor(() => b.rec.emitted.some((p) => p.message?.id === id), 5000, 'message emitted at B');
      const deleting = a.engine.messages.delete({ id, chatJid: b.jid, fromMe: true });
      await sleep(50); // the revoke is committed while B is still recording the message
      expect((await contentOf(id)).revokedAt).toEqual(expect.any(Number));
      b.rec.gate = null;
      open();
      await Promise.all([sending, deleting]);
      expect(b.rec.messages.map((m) => m.id)).toEqual([id]);
      expect(b.rec.revokes.map((r) => r.id)).toEqual([id]);
      expect(await row(id)).toMatchObject({ delivered: 1 });
      expect((await contentOf(id)).revokeDue).toBe(true);
    });

    it('a viewer of a deleted status is told, in the statuses chat', async () => {
      await world();
      const a = await peer('A', '5500200000101');
      const b = await peer('B', '5500200000102');
      await a.send(b.jid, { type: 'text', text: 'hi' });
      const post = await a.send(STATUS_JID, { type: 'text', text: 'my day' });
      expect(b.rec.messages.find((m) => m.id === post)).toMatchObject({ broadcast: true });
      await a.engine.messages.delete({ id: post, chatJid: STATUS_JID, fromMe: true });
      expect(b.rec.revokes).toEqual([{ id: post, chatJid: STATUS_JID, senderJid: a.jid, fromMe: false, timestamp: expect.any(Number) }]);
      expect(revokeNotification(inst, b.rec.revokes[0], b.phone)).toMatchObject({ phone: STATUS_JID, broadcast: true, messageId: post, notification: 'REVOKE' });
    });
  });
});
