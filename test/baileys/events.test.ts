// Baileys events → port events → Z-API webhook payloads, driven through the package's real
// event buffer with real proto messages (proto.WebMessageInfo.fromObject).
import { describe, expect, it, vi } from 'vitest';
import { proto, type WAMessage } from 'baileys';
import type { Store } from '../../src/store/db.js';
import { BaileysStore } from '../../src/engines/baileys/store.js';
import { messageStatusCallback, presenceChatCallback, receivedCallback } from '../../src/webhooks/payloads.js';
import type { IncomingMessage } from '../../src/engines/engine.js';
import { useConnectedEngine, instanceRow, ME, settle, type EngineHarness, type FakeSocket } from './fake-socket.js';

const INST = instanceRow();
const CONTACT = '5511987654321';
const CONTACT_JID = `${CONTACT}@s.whatsapp.net`;
const CONTACT_LID = '210987654321098@lid';
const GROUP = '120363025246125486@g.us';
const T = 1_760_000_000; // seconds, as WhatsApp stamps messages

let store: Store;
let h: EngineHarness;
let sock: FakeSocket;

const of = (name: string) => h.events.filter((e) => e.name === name).map((e) => e.args);

function received(o: { id: string; remoteJid?: string; message: proto.IMessage; pushName?: string; participant?: string; fromMe?: boolean; key?: object }): WAMessage {
  const msg = proto.WebMessageInfo.fromObject({
    key: { remoteJid: o.remoteJid ?? CONTACT_JID, fromMe: o.fromMe ?? false, id: o.id, participant: o.participant },
    message: o.message,
    messageTimestamp: T,
    pushName: o.pushName ?? 'Maria',
  }) as WAMessage;
  // remoteJidAlt / participantAlt / addressingMode are not proto fields: Baileys sets them on the key afterwards.
  Object.assign(msg.key, o.key);
  return msg;
}

async function upsert(msgs: WAMessage[], type: 'notify' | 'append' = 'notify') {
  sock.ev.emit('messages.upsert', { messages: msgs, type });
  await h.engine.idle();
  await settle();
}

useConnectedEngine((e) => ({ store, h, sock } = e));

describe('messages.upsert → message → ReceivedCallback', () => {
  it('a conversation text: the exact port event and webhook payload', async () => {
    await upsert([received({ id: '3EB0AAA111', message: { conversation: 'Olá, tudo bem?' } })]);
    const expected: IncomingMessage = {
      id: '3EB0AAA111',
      chatJid: CONTACT_JID,
      senderJid: CONTACT_JID,
      senderName: 'Maria',
      fromMe: false,
      fromApi: false,
      timestamp: T * 1000,
      content: { type: 'text', text: 'Olá, tudo bem?' },
    };
    expect(of('message')).toEqual([expected]);
    expect(receivedCallback(INST, expected, ME, { url: (r) => 'http://127.0.0.1:3000/media/' + r.id })).toEqual({
      isStatusReply: false,
      chatLid: null,
      senderLid: null,
      connectedPhone: ME,
      waitingMessage: false,
      isEdit: false,
      isGroup: false,
      isNewsletter: false,
      instanceId: INST.id,
      messageId: '3EB0AAA111',
      phone: CONTACT,
      fromMe: false,
      momment: T * 1000,
      status: 'RECEIVED',
      chatName: 'Maria',
      senderPhoto: null,
      senderName: 'Maria',
      participantPhone: null,
      participantLid: null,
      photo: null,
      broadcast: false,
      referenceMessageId: null,
      forwarded: false,
      fromApi: false,
      messageExpirationSeconds: 0,
      type: 'ReceivedCallback',
      text: { message: 'Olá, tudo bem?' },
    });
  });

  it('an extendedTextMessage reply with mentions, forwarded, inside an ephemeral wrapper', async () => {
    const message = {
      ephemeralMessage: {
        message: {
          extendedTextMessage: {
            text: '@5511911112222 veja isto',
            contextInfo: { stanzaId: '3EB0QUOTED', mentionedJid: ['5511911112222@s.whatsapp.net'], isForwarded: true },
          },
        },
      },
    };
    await upsert([received({ id: '3EB0BBB222', message })]);
    expect(of('message')).toEqual([
      expect.objectContaining({
        id: '3EB0BBB222',
        content: { type: 'text', text: '@5511911112222 veja isto', mentions: ['5511911112222@s.whatsapp.net'] },
        quotedId: '3EB0QUOTED',
        forwarded: true,
      }),
    ]);
    const payload = receivedCallback(INST, of('message')[0] as IncomingMessage, ME, { url: (r) => 'http://127.0.0.1:3000/media/' + r.id });
    expect(payload).toMatchObject({ referenceMessageId: '3EB0QUOTED', forwarded: true, text: { message: '@5511911112222 veja isto' } });
  });

  it('a group message from a LID participant carries the phone, and the mapping is persisted', async () => {
    await upsert([
      received({
        id: '3EB0GGG333',
        remoteJid: GROUP,
        message: { conversation: 'bom dia grupo' },
        key: { participant: CONTACT_LID, participantAlt: CONTACT_JID, addressingMode: 'lid' },
      }),
    ]);
    const m = of('message')[0] as IncomingMessage;
    expect(m).toMatchObject({ chatJid: GROUP, senderJid: CONTACT_JID, senderLid: CONTACT_LID });
    expect(receivedCallback(INST, m, ME, { url: (r) => 'http://127.0.0.1:3000/media/' + r.id })).toMatchObject({ isGroup: true, phone: '120363025246125486-group', participantPhone: CONTACT });
    // A new store instance reading the same database knows the pair.
    const again = new BaileysStore(store.db, INST.id);
    await again.loadLidMap();
    expect(again.phoneJid(CONTACT_LID)).toBe(CONTACT_JID);
    expect(again.lidFor(CONTACT_JID)).toBe(CONTACT_LID);
  });

  it('a chat addressed by LID resolves to the phone through the mapping learned earlier (lid-mapping.update)', async () => {
    sock.ev.emit('lid-mapping.update', { lid: CONTACT_LID, pn: CONTACT_JID });
    await upsert([received({ id: '3EB0LLL444', remoteJid: CONTACT_LID, message: { conversation: 'via lid' } })]);
    const m = of('message')[0] as IncomingMessage;
    expect(m).toMatchObject({ chatJid: CONTACT_JID, chatLid: CONTACT_LID, senderJid: CONTACT_JID });
    expect(receivedCallback(INST, m, ME, { url: (r) => 'http://127.0.0.1:3000/media/' + r.id })).toMatchObject({ phone: CONTACT });
    const rows = await store.db.selectFrom('baileys_lid_map').selectAll().execute();
    expect(rows).toEqual([expect.objectContaining({ instance_id: INST.id, lid: CONTACT_LID, pn: CONTACT_JID })]);
  });

  it('an unknown LID stays the id (no phone invented)', async () => {
    await upsert([received({ id: '3EB0UUU555', remoteJid: '999999999999999@lid', message: { conversation: 'who?' } })]);
    expect(of('message')[0]).toMatchObject({ chatJid: '999999999999999@lid', chatLid: '999999999999999@lid' });
  });

  it('an edit reports the original message id with isEdit', async () => {
    const edit = {
      editedMessage: {
        message: {
          protocolMessage: {
            key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0ORIGINAL' },
            type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
            editedMessage: { conversation: 'texto corrigido' },
          },
        },
      },
    };
    await upsert([received({ id: '3EB0EDIT666', message: edit })]);
    const m = of('message')[0] as IncomingMessage;
    expect(m).toMatchObject({ id: '3EB0ORIGINAL', isEdit: true, content: { type: 'text', text: 'texto corrigido' } });
    expect(receivedCallback(INST, m, ME, { url: (r) => 'http://127.0.0.1:3000/media/' + r.id })).toMatchObject({ messageId: '3EB0ORIGINAL', isEdit: true });
  });

  it('stubs and protocol messages emit nothing; media without a downloadable file and statuses are reported; nothing crashes', async () => {
    await upsert([
      received({ id: '3EB0IMG777', message: { imageMessage: { caption: 'foto', mimetype: 'image/jpeg' } } }),
      proto.WebMessageInfo.fromObject({
        key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0STUB88' },
        messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT,
        messageTimestamp: T,
      }) as WAMessage,
      received({ id: '3EB0REVOKE', message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: '3EB0GONE' } } } }),
      received({ id: '3EB0STORY9', remoteJid: 'status@broadcast', message: { conversation: 'story' }, participant: CONTACT_JID }),
      received({ id: '3EB0AFTER0', message: { conversation: 'still alive' } }),
    ]);
    expect(of('message').map((m) => (m as IncomingMessage).id)).toEqual(['3EB0IMG777', '3EB0STORY9', '3EB0AFTER0']);
    // The image carries no media location: reported with what WhatsApp declared, no file kept (id '').
    expect(of('message')[0]).toMatchObject({ content: { type: 'image', caption: 'foto', media: { id: '', mimeType: 'image/jpeg', size: 0 } } });
    expect(of('message')[1]).toMatchObject({ chatJid: 'status@broadcast', senderJid: CONTACT_JID, broadcast: true, content: { type: 'text', text: 'story' } });
  });

  it('a message delivered twice (offline replay) is reported once; our own API echo not at all', async () => {
    const msg = received({ id: '3EB0DUP111', message: { conversation: 'once' } });
    await upsert([msg]);
    await upsert([msg], 'append');
    expect(of('message')).toHaveLength(1);

    // Sent through the API: Baileys echoes it as an append upsert (emitOwnEvents).
    await h.engine.messages.send({ id: '3EB0API222', to: CONTACT_JID, content: { type: 'text', text: 'from the API' } });
    const echo = (await sock.sendMessage.mock.results[0].value) as WAMessage;
    await upsert([echo], 'append');
    expect(of('message')).toHaveLength(1);
  });

  it('a message typed on the phone (fromMe) is reported with the connected number as sender', async () => {
    await upsert([received({ id: '3EB0PHONE1', fromMe: true, message: { conversation: 'do celular' } })]);
    const m = of('message')[0] as IncomingMessage;
    expect(m).toMatchObject({ fromMe: true, fromApi: false, senderJid: `${ME}@s.whatsapp.net`, chatJid: CONTACT_JID });
    expect(receivedCallback(INST, m, ME, { url: (r) => 'http://127.0.0.1:3000/media/' + r.id })).toMatchObject({ fromMe: true, status: 'SENT', phone: CONTACT });
  });
});

describe('receipts → messageStatus → MessageStatusCallback', () => {
  const key = { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0SENT01' };
  const update = (status: number, k: object = key) => sock.ev.emit('messages.update', [{ key: k, update: { status, messageTimestamp: T + status } }]);

  it.each([
    [proto.WebMessageInfo.Status.SERVER_ACK, 'SENT'],
    [proto.WebMessageInfo.Status.DELIVERY_ACK, 'RECEIVED'],
    [proto.WebMessageInfo.Status.READ, 'READ'],
    [proto.WebMessageInfo.Status.PLAYED, 'PLAYED'],
  ])('status %i → %s, exact event and payload', async (status, name) => {
    update(status);
    await h.engine.idle();
    const ev = { ids: ['3EB0SENT01'], chatJid: CONTACT_JID, status: name, timestamp: (T + status) * 1000, device: 0 };
    expect(of('messageStatus')).toEqual([ev]);
    expect(messageStatusCallback(INST, ev as never)).toEqual({
      instanceId: INST.id,
      status: name,
      ids: ['3EB0SENT01'],
      momment: (T + status) * 1000,
      phone: CONTACT,
      type: 'MessageStatusCallback',
      isGroup: false,
      phoneDevice: 0,
    });
  });

  it('statuses never go back, even when the event buffer reorders or coalesces them', async () => {
    update(proto.WebMessageInfo.Status.READ);
    update(proto.WebMessageInfo.Status.DELIVERY_ACK);
    update(proto.WebMessageInfo.Status.READ);
    sock.ev.buffer(); // Baileys buffers while it catches up: two updates come out as one
    update(proto.WebMessageInfo.Status.SERVER_ACK, { ...key, id: '3EB0SENT02' });
    update(proto.WebMessageInfo.Status.DELIVERY_ACK, { ...key, id: '3EB0SENT02' });
    sock.ev.flush();
    await h.engine.idle();
    expect(of('messageStatus').map((e) => [(e as { ids: string[] }).ids[0], (e as { status: string }).status])).toEqual([
      ['3EB0SENT01', 'READ'],
      ['3EB0SENT02', 'RECEIVED'],
    ]);
  });

  it('READ of a message we received is our own phone reading it: READ_BY_ME', async () => {
    update(proto.WebMessageInfo.Status.READ, { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0INBOX1' });
    await h.engine.idle();
    expect(of('messageStatus')).toEqual([expect.objectContaining({ ids: ['3EB0INBOX1'], status: 'READ_BY_ME' })]);
  });

  it('a receipt from a LID chat reports the phone when the mapping is known', async () => {
    sock.ev.emit('lid-mapping.update', { lid: CONTACT_LID, pn: CONTACT_JID });
    update(proto.WebMessageInfo.Status.DELIVERY_ACK, { remoteJid: CONTACT_LID, fromMe: true, id: '3EB0LIDRC1' });
    await h.engine.idle();
    expect(of('messageStatus')).toEqual([expect.objectContaining({ chatJid: CONTACT_JID, status: 'RECEIVED' })]);
  });

  it('group receipts (message-receipt.update) carry the participant; per participant they never go back', async () => {
    const gkey = { remoteJid: GROUP, fromMe: true, id: '3EB0GROUP1' };
    sock.ev.emit('message-receipt.update', [
      { key: gkey, receipt: { userJid: CONTACT_JID, receiptTimestamp: T } },
      { key: gkey, receipt: { userJid: CONTACT_JID, readTimestamp: T + 5 } },
      { key: gkey, receipt: { userJid: CONTACT_JID, receiptTimestamp: T + 6 } },
      { key: gkey, receipt: { userJid: '5511933334444@s.whatsapp.net', receiptTimestamp: T + 7 } },
    ]);
    await h.engine.idle();
    const evs = of('messageStatus');
    expect(evs).toEqual([
      { ids: ['3EB0GROUP1'], chatJid: GROUP, status: 'RECEIVED', participant: CONTACT_JID, timestamp: T * 1000, device: 0 },
      { ids: ['3EB0GROUP1'], chatJid: GROUP, status: 'READ', participant: CONTACT_JID, timestamp: (T + 5) * 1000, device: 0 },
      { ids: ['3EB0GROUP1'], chatJid: GROUP, status: 'RECEIVED', participant: '5511933334444@s.whatsapp.net', timestamp: (T + 7) * 1000, device: 0 },
    ]);
    expect(messageStatusCallback(INST, evs[1] as never)).toEqual({
      instanceId: INST.id,
      status: 'READ',
      ids: ['3EB0GROUP1'],
      momment: (T + 5) * 1000,
      phone: '120363025246125486-group',
      type: 'MessageStatusCallback',
      isGroup: true,
      participant: CONTACT,
      participantDevice: 0,
    });
  });
});

describe('presence.update → presence → PresenceChatCallback', () => {
  it('maps each presence, with lastSeen in milliseconds', async () => {
    sock.ev.emit('presence.update', { id: CONTACT_JID, presences: { [CONTACT_JID]: { lastKnownPresence: 'composing' } } });
    sock.ev.emit('presence.update', { id: CONTACT_JID, presences: { [CONTACT_JID]: { lastKnownPresence: 'unavailable', lastSeen: T } } });
    await h.engine.idle();
    const evs = of('presence');
    expect(evs).toEqual([
      { chatJid: CONTACT_JID, presence: 'composing', lastSeen: null },
      { chatJid: CONTACT_JID, presence: 'unavailable', lastSeen: T * 1000 },
    ]);
    expect(presenceChatCallback(INST, evs[0] as never)).toEqual({
      type: 'PresenceChatCallback',
      phone: CONTACT,
      status: 'COMPOSING',
      lastSeen: null,
      instanceId: INST.id,
    });
  });
});

describe('received messages are persisted ahead of the mapping (Baileys has already sent the receipt)', () => {
  it('the raw message is in the store while earlier events are still being mapped; the event follows in order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const upsertChats = vi.spyOn(h.engine.chats, 'upsert').mockImplementation(() => gate);
    sock.ev.emit('chats.upsert', [{ id: CONTACT_JID }]); // the mapping chain is busy with this one
    sock.ev.emit('messages.upsert', { messages: [received({ id: '3EB0FIRST1', message: { conversation: 'kept at once' } })], type: 'notify' });
    await settle();
    expect(upsertChats).toHaveBeenCalledTimes(1);
    const row = await store.db.selectFrom('baileys_messages').select(['message_id', 'data']).where('message_id', '=', '3EB0FIRST1').executeTakeFirst();
    expect(row?.data).toContain('3EB0FIRST1');
    expect((await h.engine.store.message('3EB0FIRST1'))?.message?.conversation).toBe('kept at once');
    expect(of('message')).toEqual([]);
    release();
    await h.engine.idle();
    expect(of('message')).toEqual([expect.objectContaining({ id: '3EB0FIRST1', content: { type: 'text', text: 'kept at once' } })]);
  });
});

describe('messages.update with a REVOKE stub → messageRevoked', () => {
  it('reports the deleted message of a contact, and of a group member by phone', async () => {
    // What Baileys' processMessage emits for a protocolMessage REVOKE: the deleted message's key.
    sock.ev.emit('messages.update', [
      { key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0DELETED1' }, update: { message: null, messageStubType: proto.WebMessageInfo.StubType.REVOKE } },
    ]);
    sock.ev.emit('messages.update', [
      {
        key: { remoteJid: GROUP, fromMe: false, id: '3EB0DELETED2', participant: CONTACT_LID, participantAlt: CONTACT_JID } as never,
        update: { message: null, messageStubType: proto.WebMessageInfo.StubType.REVOKE },
      },
    ]);
    // A status update is not a revoke.
    sock.ev.emit('messages.update', [{ key: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0KEPT' }, update: { status: 3 } }]);
    await h.engine.idle();
    await settle();
    const revoked = of('messageRevoked') as any[];
    expect(revoked).toEqual([
      { id: '3EB0DELETED1', chatJid: CONTACT_JID, senderJid: CONTACT_JID, fromMe: false, timestamp: expect.any(Number) },
      { id: '3EB0DELETED2', chatJid: GROUP, senderJid: CONTACT_JID, fromMe: false, timestamp: expect.any(Number) },
    ]);
  });
});
