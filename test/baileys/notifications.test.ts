// Baileys → 'notification' port events (src/engines/baileys/notifications.ts), driven through
// the package's real event buffer: group stub messages as Baileys builds them from WhatsApp's
// w:gp2 notifications (messages-recv handleGroupNotification: key from the notification node,
// messageStubParameters as JSON), newsletter-participants.update, creds.update, contacts.update
// and labels.association as Baileys emits them.
import { beforeEach, describe, expect, it } from 'vitest';
import { proto, WAMessageStubType, type WAMessage } from 'baileys';
import type { EngineNotification } from '../../src/engines/engine.js';
import { notificationCallback } from '../../src/webhooks/notifications.js';
import { useConnectedEngine, instanceRow, ME, settle, type EngineHarness, type FakeSocket } from './fake-socket.js';

const GROUP = '120363025246125486@g.us';
const ALICE = '5511987654321';
const ALICE_JID = `${ALICE}@s.whatsapp.net`;
const ALICE_LID = '210987654321098@lid';
const BOB = '5511912345678';
const BOB_JID = `${BOB}@s.whatsapp.net`;
const BOB_LID = '110022003300440@lid';
const ME_JID = `${ME}@s.whatsapp.net`;
const CHANNEL = '120363166555745933@newsletter';
const T = 1_760_000_000; // seconds, as WhatsApp stamps notifications
const NEW_ID = /^3EB0[0-9A-F]{20}$/;

let h: EngineHarness;
let sock: FakeSocket;
let notes: EngineNotification[];

useConnectedEngine((e) => ({ h, sock } = e));
beforeEach(() => {
  notes = [];
  h.engine.events.on('notification', (n) => notes.push(n));
});

/** A group notification as Baileys upserts it: type 'append', the node's id, t and participant on the key. */
function groupStub(o: { id: string; stub: number; params: string[]; participant?: string; participantAlt?: string; fromMe?: boolean }): WAMessage {
  const msg = proto.WebMessageInfo.fromObject({
    key: { remoteJid: GROUP, fromMe: o.fromMe ?? false, id: o.id, participant: o.participant },
    messageTimestamp: T,
    messageStubType: o.stub,
    messageStubParameters: o.params,
  }) as WAMessage;
  // participantAlt is not a proto field: Baileys sets it on the key (extractAddressingContext).
  if (o.participantAlt) Object.assign(msg.key, { participantAlt: o.participantAlt });
  return msg;
}

async function deliver(...msgs: WAMessage[]): Promise<void> {
  sock.ev.emit('messages.upsert', { messages: msgs, type: 'append' });
  await h.engine.idle();
  await settle();
}

async function handled(): Promise<void> {
  await h.engine.idle();
  await settle();
}

/** A participant as handleGroupNotification writes it into messageStubParameters. */
const participant = (id: string, extra: { phoneNumber?: string; lid?: string } = {}) => JSON.stringify({ id, ...extra, admin: null });

describe('group join requests (GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_NON_ADMIN_ADD stubs)', () => {
  const STUB = WAMessageStubType.GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_NON_ADMIN_ADD;

  it('created through the invite link → MEMBERSHIP_APPROVAL_REQUEST, the requester by phone, WhatsApp\'s id and time', async () => {
    await deliver(
      groupStub({ id: '2764031585', stub: STUB, participant: ALICE_LID, participantAlt: ALICE_JID, params: [JSON.stringify({ lid: ALICE_LID, pn: ALICE_JID }), 'created', 'invite_link'] }),
    );
    expect(notes).toEqual([
      {
        id: '2764031585',
        fromMe: false,
        timestamp: T * 1000,
        chatJid: GROUP,
        chatName: null,
        actorJid: ALICE_JID,
        actorLid: ALICE_LID,
        actorName: null,
        kind: 'MEMBERSHIP_APPROVAL_REQUEST',
        requesterJid: ALICE_JID,
        requestMethod: 'invite_link',
      },
    ]);
    expect(notificationCallback(instanceRow(), notes[0], ME)).toMatchObject({
      phone: '120363025246125486-group',
      participantPhone: ALICE,
      participantLid: ALICE_LID,
      notificationParameters: [ALICE],
      requestMethod: 'invite_link',
      messageId: '2764031585',
      momment: T * 1000,
    });
  });

  it('added by a member who is not an admin → non_admin_add: the member acts, the one added is the requester', async () => {
    sock.ev.emit('lid-mapping.update', { lid: BOB_LID, pn: BOB_JID });
    await deliver(
      groupStub({ id: '2764031586', stub: STUB, participant: ALICE_LID, participantAlt: ALICE_JID, params: [JSON.stringify({ lid: BOB_LID }), 'created', 'non_admin_add'] }),
    );
    expect(notes).toMatchObject([{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', actorJid: ALICE_JID, requesterJid: BOB_JID, requestMethod: 'non_admin_add' }]);
    expect(notificationCallback(instanceRow(), notes[0], ME).notificationParameters).toEqual([ALICE, BOB]);
  });

  it('revoked by the requester or rejected by an admin → REVOKED_MEMBERSHIP_REQUESTS; an unknown action → nothing', async () => {
    await deliver(
      groupStub({ id: 'R1', stub: STUB, participant: ALICE_LID, participantAlt: ALICE_JID, params: [JSON.stringify({ lid: ALICE_LID, pn: ALICE_JID }), 'revoked'] }),
      groupStub({ id: 'R2', stub: STUB, participant: BOB_JID, params: [JSON.stringify({ lid: ALICE_LID, pn: ALICE_JID }), 'rejected'] }),
      groupStub({ id: 'R3', stub: STUB, participant: BOB_JID, params: [JSON.stringify({ lid: ALICE_LID, pn: ALICE_JID }), 'approved'] }),
    );
    expect(notes).toMatchObject([
      { id: 'R1', kind: 'REVOKED_MEMBERSHIP_REQUESTS', actorJid: ALICE_JID, requesterJid: ALICE_JID },
      { id: 'R2', kind: 'REVOKED_MEMBERSHIP_REQUESTS', actorJid: BOB_JID, requesterJid: ALICE_JID },
    ]);
    expect(notes).toHaveLength(2);
  });
});

describe('group membership stubs', () => {
  it('ADD by an admin: participants by phone (LID + phoneNumber, or a phone jid), the group\'s stored subject, the admin\'s name', async () => {
    sock.ev.emit('groups.upsert', [{ id: GROUP, subject: 'Clientes VIP', participants: [], owner: undefined } as never]);
    sock.ev.emit('contacts.upsert', [{ id: BOB_JID, notify: 'Bob' }]);
    await handled();
    await deliver(
      groupStub({
        id: '3001',
        stub: WAMessageStubType.GROUP_PARTICIPANT_ADD,
        participant: BOB_JID,
        params: [participant(ALICE_LID, { phoneNumber: ALICE_JID }), participant('5521999990000@s.whatsapp.net')],
      }),
    );
    expect(notes).toEqual([
      {
        id: '3001',
        fromMe: false,
        timestamp: T * 1000,
        chatJid: GROUP,
        chatName: 'Clientes VIP',
        actorJid: BOB_JID,
        actorName: 'Bob',
        kind: 'GROUP_PARTICIPANT_ADD',
        participantJids: [ALICE_JID, '5521999990000@s.whatsapp.net'],
      },
    ]);
    expect(notificationCallback(instanceRow(), notes[0], ME)).toMatchObject({ chatName: 'Clientes VIP', senderName: 'Bob', participantPhone: BOB, notificationParameters: [ALICE, '5521999990000'] });
  });

  it('INVITE, REMOVE and LEAVE keep their own names; this account\'s own removal is fromMe', async () => {
    await deliver(
      groupStub({ id: '3002', stub: WAMessageStubType.GROUP_PARTICIPANT_INVITE, participant: BOB_JID, params: [participant(ALICE_JID)] }),
      groupStub({ id: '3003', stub: WAMessageStubType.GROUP_PARTICIPANT_REMOVE, participant: ME_JID, fromMe: true, params: [participant(ALICE_JID)] }),
      groupStub({ id: '3004', stub: WAMessageStubType.GROUP_PARTICIPANT_LEAVE, participant: ALICE_LID, participantAlt: ALICE_JID, params: [participant(ALICE_LID, { phoneNumber: ALICE_JID })] }),
    );
    expect(notes.map((n) => [n.id, n.kind, n.fromMe, n.actorJid, 'participantJids' in n ? n.participantJids : null])).toEqual([
      ['3002', 'GROUP_PARTICIPANT_INVITE', false, BOB_JID, [ALICE_JID]],
      ['3003', 'GROUP_PARTICIPANT_REMOVE', true, ME_JID, [ALICE_JID]],
      ['3004', 'GROUP_PARTICIPANT_LEAVE', false, ALICE_JID, [ALICE_JID]],
    ]);
  });

  it('GROUP_CREATE: [subject], the owner as actor', async () => {
    await deliver(groupStub({ id: '3005', stub: WAMessageStubType.GROUP_CREATE, participant: BOB_LID, participantAlt: BOB_JID, params: ['Equipe de vendas'] }));
    expect(notes).toMatchObject([{ id: '3005', kind: 'GROUP_CREATE', subject: 'Equipe de vendas', chatName: 'Equipe de vendas', actorJid: BOB_JID, actorLid: BOB_LID }]);
  });

  it('a stub delivered again (offline replay) is reported once; stubs reported elsewhere (missed calls) or not documented are not', async () => {
    const add = groupStub({ id: '3006', stub: WAMessageStubType.GROUP_PARTICIPANT_ADD, participant: BOB_JID, params: [participant(ALICE_JID)] });
    await deliver(add);
    await deliver(groupStub({ id: '3006', stub: WAMessageStubType.GROUP_PARTICIPANT_ADD, participant: BOB_JID, params: [participant(ALICE_JID)] }));
    await deliver(
      groupStub({ id: '3007', stub: WAMessageStubType.GROUP_PARTICIPANT_PROMOTE, participant: BOB_JID, params: [participant(ALICE_JID)] }),
      groupStub({ id: '3008', stub: WAMessageStubType.GROUP_CHANGE_SUBJECT, participant: BOB_JID, params: ['Novo nome'] }),
      proto.WebMessageInfo.fromObject({ key: { remoteJid: ALICE_JID, fromMe: false, id: '3009' }, messageTimestamp: T, messageStubType: WAMessageStubType.CALL_MISSED_VOICE }) as WAMessage,
    );
    expect(notes.map((n) => n.id)).toEqual(['3006']);
    expect(h.events.filter((e) => e.name === 'message')).toEqual([]);
  });

  it('a chat notice stub (E2E_ENCRYPTED) in a contact\'s chat', async () => {
    await deliver(proto.WebMessageInfo.fromObject({ key: { remoteJid: ALICE_JID, fromMe: false, id: '3010' }, messageTimestamp: T, messageStubType: WAMessageStubType.E2E_ENCRYPTED }) as WAMessage);
    expect(notes).toEqual([{ id: '3010', fromMe: false, timestamp: T * 1000, kind: 'E2E_ENCRYPTED', chatJid: ALICE_JID }]);
  });
});

describe('newsletter-participants.update', () => {
  it('promote (mex: new_role ADMIN) and demote (role subscriber): the user by phone, its LID aside', async () => {
    sock.ev.emit('lid-mapping.update', { lid: ALICE_LID, pn: ALICE_JID });
    sock.ev.emit('newsletter-participants.update', { id: CHANNEL, author: CHANNEL, user: ALICE_LID, new_role: 'ADMIN', action: 'promote' });
    sock.ev.emit('newsletter-participants.update', { id: CHANNEL, author: ME_JID, user: BOB_JID, new_role: 'subscriber', action: 'demote' });
    sock.ev.emit('newsletter-participants.update', { id: CHANNEL, author: CHANNEL, user: BOB_JID, new_role: 'GUEST', action: 'view' });
    await handled();
    expect(notes).toEqual([
      { id: expect.stringMatching(NEW_ID), kind: 'NEWSLETTER_ADMIN_PROMOTE', chatJid: CHANNEL, fromMe: false, timestamp: expect.any(Number), userJid: ALICE_JID, userLid: ALICE_LID, role: 'ADMIN' },
      { id: expect.stringMatching(NEW_ID), kind: 'NEWSLETTER_ADMIN_DEMOTE', chatJid: CHANNEL, fromMe: true, timestamp: expect.any(Number), userJid: BOB_JID, role: 'SUBSCRIBER' },
    ]);
    expect(notificationCallback(instanceRow(), notes[0], ME)).toMatchObject({ phone: CHANNEL, participantPhone: ALICE, senderLid: ALICE_LID, notificationParameters: [ALICE, 'ADMIN'] });
  });
});

describe('account notifications (app-state sync and picture notifications)', () => {
  const initialSyncDone = () => sock.ev.emit('creds.update', { accountSyncCounter: 1 });

  it('PROFILE_NAME_UPDATED: a name change after the initial sync, once; during the first sync it is not news', async () => {
    // The first app-state sync after pairing tells the name (pushNameSetting): not reported.
    sock.ev.emit('creds.update', { me: { ...sock.authState.creds.me!, name: 'Loja' } });
    initialSyncDone();
    sock.ev.emit('creds.update', { me: { ...sock.authState.creds.me!, name: 'Loja Centro' } });
    sock.ev.emit('creds.update', { me: { ...sock.authState.creds.me!, name: 'Loja Centro' } }); // same name (Baileys re-emits me for the LID)
    await handled();
    expect(notes).toEqual([{ id: expect.stringMatching(NEW_ID), kind: 'PROFILE_NAME_UPDATED', chatJid: ME_JID, fromMe: true, timestamp: expect.any(Number), name: 'Loja Centro' }]);
  });

  it('PROFILE_PICTURE_UPDATED: our own jid\'s picture changed (URL fetched) or removed; other contacts\' pictures are not', async () => {
    sock.ev.emit('creds.update', { me: { ...sock.authState.creds.me!, lid: '99887766554433@lid' } });
    sock.ev.emit('contacts.update', [{ id: ME_JID, imgUrl: 'changed' }]);
    sock.ev.emit('contacts.update', [{ id: ALICE_JID, imgUrl: 'changed' }]);
    sock.ev.emit('contacts.update', [{ id: '99887766554433@lid', imgUrl: 'removed' }]);
    await handled();
    expect(sock.profilePictureUrl).toHaveBeenCalledTimes(1);
    expect(sock.profilePictureUrl).toHaveBeenCalledWith(ME_JID, 'image', 5_000);
    expect(notes).toEqual([
      { id: expect.stringMatching(NEW_ID), kind: 'PROFILE_PICTURE_UPDATED', chatJid: ME_JID, actorName: 'OpenZap Test', fromMe: true, timestamp: expect.any(Number), pictureUrl: 'https://pps.whatsapp.net/v/me.jpg' },
      { id: expect.stringMatching(NEW_ID), kind: 'PROFILE_PICTURE_UPDATED', chatJid: ME_JID, actorName: 'OpenZap Test', fromMe: true, timestamp: expect.any(Number), pictureUrl: null },
    ]);
    // The URL cannot be fetched: still reported, without it.
    sock.profilePictureUrl.mockRejectedValueOnce(new Error('item-not-found'));
    sock.ev.emit('contacts.update', [{ id: ME_JID, imgUrl: 'changed' }]);
    await handled();
    expect(notes[2]).toMatchObject({ kind: 'PROFILE_PICTURE_UPDATED', pictureUrl: null });
  });

  it('CHAT_LABEL_ASSOCIATION: one report per patch, chats by phone; message labels and the first sync\'s replay are not reported', async () => {
    sock.ev.emit('lid-mapping.update', { lid: ALICE_LID, pn: ALICE_JID });
    // The initial sync replays every label ever put on a chat.
    sock.ev.emit('labels.association', { type: 'add', association: { type: 'label_jid' as never, chatId: BOB_JID, labelId: '9' } });
    await handled();
    expect(notes).toEqual([]);
    initialSyncDone();
    sock.ev.emit('labels.association', { type: 'add', association: { type: 'label_jid' as never, chatId: ALICE_LID, labelId: '1' } });
    sock.ev.emit('labels.association', { type: 'remove', association: { type: 'label_jid' as never, chatId: GROUP, labelId: '2' } });
    sock.ev.emit('labels.association', { type: 'add', association: { type: 'label_message' as never, chatId: BOB_JID, messageId: '3EB0AA', labelId: '3' } });
    await handled();
    sock.ev.emit('labels.association', { type: 'add', association: { type: 'label_jid' as never, chatId: BOB_JID, labelId: '4' } });
    await handled();
    expect(notes).toEqual([
      {
        id: expect.stringMatching(NEW_ID),
        kind: 'CHAT_LABEL_ASSOCIATION',
        chatJid: ME_JID,
        actorName: 'OpenZap Test',
        fromMe: true,
        timestamp: expect.any(Number),
        labels: [
          { chatJid: ALICE_JID, labelId: '1', assigned: true },
          { chatJid: GROUP, labelId: '2', assigned: false },
        ],
      },
      { id: expect.stringMatching(NEW_ID), kind: 'CHAT_LABEL_ASSOCIATION', chatJid: ME_JID, actorName: 'OpenZap Test', fromMe: true, timestamp: expect.any(Number), labels: [{ chatJid: BOB_JID, labelId: '4', assigned: true }] },
    ]);
    expect(notificationCallback(instanceRow(), notes[0], ME).notificationParameters).toEqual([
      { phone: ALICE, label: '1', assigned: true },
      { phone: '120363025246125486-group', label: '2', assigned: false },
    ]);
  });
});
