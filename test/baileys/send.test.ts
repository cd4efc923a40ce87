// Port sends → the exact Baileys calls (sendMessage content and options, presence, read
// receipts, profile), with real message generation behind the fake sendMessage.
import { describe, expect, it } from 'vitest';
import { proto, type WAMessage } from 'baileys';
import type { Store } from '../../src/store/db.js';
import { mediaInput } from '../../src/engines/baileys/send.js';
import { useConnectedEngine, upsertOne, makeEngine, ME, ME_JID, settle, type EngineHarness, type FakeSocket } from './fake-socket.js';

const CONTACT_JID = '5511987654321@s.whatsapp.net';
const CONTACT_LID = '210987654321098@lid';
const GROUP = '120363025246125486@g.us';

let store: Store;
let h: EngineHarness;
let sock: FakeSocket;

useConnectedEngine((e) => ({ store, h, sock } = e));

const receive = (msg: object, key?: object) => upsertOne(h, sock, msg, key);

describe('messages.send', () => {
  it('sends text with the pre-generated message id and reports SENT', async () => {
    const res = await h.engine.messages.send({ id: '3EB0AAAA00000000000001', to: CONTACT_JID, content: { type: 'text', text: 'Olá' } });
    expect(sock.sendMessage).toHaveBeenCalledTimes(1);
    expect(sock.sendMessage).toHaveBeenCalledWith(CONTACT_JID, { text: 'Olá' }, { messageId: '3EB0AAAA00000000000001' });
    const sent = (await sock.sendMessage.mock.results[0].value) as WAMessage;
    expect(sent.key).toMatchObject({ id: '3EB0AAAA00000000000001', remoteJid: CONTACT_JID, fromMe: true });
    expect(sent.message?.extendedTextMessage?.text).toBe('Olá');
    expect(res).toEqual({ id: '3EB0AAAA00000000000001', timestamp: Number(sent.messageTimestamp) * 1000, duplicate: false });
    expect(h.events).toEqual([
      { name: 'messageStatus', args: { ids: ['3EB0AAAA00000000000001'], chatJid: CONTACT_JID, status: 'SENT', timestamp: res.timestamp, device: 0 } },
    ]);
  });

  it('getMessage (Baileys retries) returns exactly what was sent, also from a fresh engine on the same database', async () => {
    await h.engine.messages.send({ id: '3EB0RETRY01', to: CONTACT_JID, content: { type: 'text', text: 'again?', mentions: [CONTACT_JID] } });
    const sent = (await sock.sendMessage.mock.results[0].value) as WAMessage;
    const key = { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0RETRY01' };
    const back = await sock.config.getMessage!(key);
    expect(proto.Message.encode(back!).finish()).toEqual(proto.Message.encode(sent.message!).finish());
    const other = makeEngine(store.db);
    await other.engine.connect();
    const fromDb = await other.sockets.last.config.getMessage!(key);
    expect(proto.Message.encode(fromDb!).finish()).toEqual(proto.Message.encode(sent.message!).finish());
    expect(await other.sockets.last.config.getMessage!({ ...key, id: 'NOPE' })).toBeUndefined();
    await other.engine.close();
  });

  it('a resend of an id already sent (retry after a crash) is recognised, not sent twice', async () => {
    const msg = { id: '3EB0DUPLICATE', to: CONTACT_JID, content: { type: 'text' as const, text: 'once' } };
    await h.engine.messages.send(msg);
    const again = await h.engine.messages.send(msg);
    expect(again.duplicate).toBe(true);
    expect(sock.sendMessage).toHaveBeenCalledTimes(1);
  });

  it('mentions and group mentions', async () => {
    await h.engine.messages.send({
      id: '3EB0MENTION',
      to: GROUP,
      content: {
        type: 'text',
        text: '@5511911112222 veja @Equipe',
        mentions: ['5511911112222@s.whatsapp.net'],
        groupMentions: [{ jid: '120363099999999999@g.us', subject: 'Equipe' }],
      },
    });
    expect(sock.sendMessage).toHaveBeenCalledWith(
      GROUP,
      {
        text: '@5511911112222 veja @Equipe',
        mentions: ['5511911112222@s.whatsapp.net'],
        contextInfo: { groupMentions: [{ groupJid: '120363099999999999@g.us', groupSubject: 'Equipe' }] },
      },
      { messageId: '3EB0MENTION' },
    );
    const sent = (await sock.sendMessage.mock.results[0].value) as WAMessage;
    const ctx = sent.message!.extendedTextMessage!.contextInfo!;
    expect(ctx.mentionedJid).toEqual(['5511911112222@s.whatsapp.net']);
    expect(ctx.groupMentions).toEqual([expect.objectContaining({ groupJid: '120363099999999999@g.us', groupSubject: 'Equipe' })]);
  });

  it('a reply quotes the stored original, exactly as it was received', async () => {
    const original = await receive({ key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0ORIG01' }, message: { conversation: 'pergunta' }, messageTimestamp: 1_760_000_000 });
    await h.engine.messages.send({ id: '3EB0REPLY1', to: CONTACT_JID, content: { type: 'text', text: 'resposta' }, quotedId: '3EB0ORIG01' });
    const [, , options] = sock.sendMessage.mock.calls[0];
    expect(options).toMatchObject({ messageId: '3EB0REPLY1', quoted: { key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0ORIG01' } } });
    expect(options!.quoted!.message?.conversation).toBe(original.message?.conversation);
    const sent = (await sock.sendMessage.mock.results[0].value) as WAMessage;
    expect(sent.message!.extendedTextMessage!.contextInfo).toMatchObject({ stanzaId: '3EB0ORIG01', quotedMessage: { conversation: 'pergunta' } });
  });

  it('a reply to a message the store does not know fails clearly (nothing is sent)', async () => {
    await expect(
      h.engine.messages.send({ id: '3EB0REPLY2', to: CONTACT_JID, content: { type: 'text', text: 'x' }, quotedId: '3EB0UNKNOWN' }),
    ).rejects.toMatchObject({ statusCode: 404, error: 'message-not-found' });
    expect(sock.sendMessage).not.toHaveBeenCalled();
  });

  it('privateAnswer goes to the group message author (the phone when known), quoting it', async () => {
    await receive(
      { key: { remoteJid: GROUP, fromMe: false, id: '3EB0GROUPQ1', participant: CONTACT_LID }, message: { conversation: 'no grupo' }, messageTimestamp: 1_760_000_000 },
      { participantAlt: CONTACT_JID },
    );
    await h.engine.messages.send({ id: '3EB0PRIV01', to: GROUP, content: { type: 'text', text: 'no privado' }, quotedId: '3EB0GROUPQ1', privateAnswer: true });
    const [to, content, options] = sock.sendMessage.mock.calls[0];
    expect(to).toBe(CONTACT_JID);
    expect(content).toEqual({ text: 'no privado' });
    expect(options!.quoted!.key).toMatchObject({ remoteJid: GROUP, id: '3EB0GROUPQ1', participant: CONTACT_LID });
  });

  it('an edit points at the original key', async () => {
    await h.engine.messages.send({ id: '3EB0FIRST01', to: CONTACT_JID, content: { type: 'text', text: 'com erro' } });
    await h.engine.messages.send({ id: '3EB0EDIT001', to: CONTACT_JID, content: { type: 'text', text: 'corrigido' }, editId: '3EB0FIRST01' });
    expect(sock.sendMessage).toHaveBeenLastCalledWith(
      CONTACT_JID,
      { text: 'corrigido', edit: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0FIRST01' } },
      { messageId: '3EB0EDIT001' },
    );
    const sent = (await sock.sendMessage.mock.results[1].value) as WAMessage;
    expect(sent.message!.protocolMessage).toMatchObject({
      type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
      key: { id: '3EB0FIRST01' },
      editedMessage: { extendedTextMessage: { text: 'corrigido' } },
    });
  });

  it('a closed socket means "not connected" (409): the queue keeps the message for the reconnect', async () => {
    sock.sendMessage.mockRejectedValueOnce(Object.assign(new Error('Connection Closed'), { output: { statusCode: 428 } }));
    await expect(h.engine.messages.send({ id: '3EB0CLOSED', to: CONTACT_JID, content: { type: 'text', text: 'x' } })).rejects.toMatchObject({
      statusCode: 409,
    });
  });

  it('refuses to send while not connected', async () => {
    sock.emitClose(408);
    await settle();
    await expect(h.engine.messages.send({ id: '3EB0OFFLINE', to: CONTACT_JID, content: { type: 'text', text: 'x' } })).rejects.toMatchObject({
      statusCode: 409,
      error: 'not-connected',
    });
  });
});

describe('presence, read receipts, profile, device', () => {
  it('sendPresence → sendPresenceUpdate(presence, jid)', async () => {
    await h.engine.messages.sendPresence(CONTACT_JID, 'composing');
    expect(sock.sendPresenceUpdate).toHaveBeenCalledWith('composing', CONTACT_JID);
  });

  it('read → readMessages with the original keys (LID addressing and group participant kept)', async () => {
    await receive({ key: { remoteJid: CONTACT_LID, fromMe: false, id: '3EB0READ01' }, message: { conversation: 'a' }, messageTimestamp: 1_760_000_000 }, { remoteJidAlt: CONTACT_JID });
    await receive({ key: { remoteJid: GROUP, fromMe: false, id: '3EB0READ02', participant: CONTACT_LID }, message: { conversation: 'b' }, messageTimestamp: 1_760_000_000 });
    await h.engine.messages.read(CONTACT_JID, ['3EB0READ01', '3EB0UNKNOWN']);
    expect(sock.readMessages).toHaveBeenCalledWith([
      { remoteJid: CONTACT_LID, id: '3EB0READ01', fromMe: false, participant: undefined },
      { remoteJid: CONTACT_JID, id: '3EB0UNKNOWN', fromMe: false },
    ]);
    await h.engine.messages.read(GROUP, ['3EB0READ02']);
    expect(sock.readMessages).toHaveBeenLastCalledWith([{ remoteJid: GROUP, id: '3EB0READ02', fromMe: false, participant: CONTACT_LID }]);
  });

  it('profile name, description and picture', async () => {
    await h.engine.profile.setName('Loja OpenZap');
    await h.engine.profile.setDescription('Atendimento 9h–18h');
    await h.engine.profile.setPicture('https://example.com/logo.jpg');
    expect(sock.updateProfileName).toHaveBeenCalledWith('Loja OpenZap');
    expect(sock.updateProfileStatus).toHaveBeenCalledWith('Atendimento 9h–18h');
    expect(sock.updateProfilePicture).toHaveBeenCalledWith(`${ME}@s.whatsapp.net`, { url: 'https://example.com/logo.jpg' });
  });

  it('media inputs: only http(s) and data: URLs, never a file path', async () => {
    expect(mediaInput('https://example.com/a.jpg')).toEqual({ url: 'https://example.com/a.jpg' });
    expect(mediaInput('data:image/png;base64,iVBORw0KGgo=')).toEqual({ url: 'data:image/png;base64,iVBORw0KGgo=' });
    for (const bad of ['/etc/passwd', 'file:///etc/passwd', './data/openzap.db', 'ftp://example.com/a.jpg', 'data:text/plain,hello']) {
      expect(() => mediaInput(bad)).toThrow(/http\(s\) or data:|not a valid URL|base64/);
    }
    await expect(h.engine.profile.setPicture('file:///etc/passwd')).rejects.toMatchObject({ statusCode: 400 });
    expect(sock.updateProfilePicture).not.toHaveBeenCalled();
  });

  it('device() from the socket user and creds.platform', async () => {
    expect(await h.engine.device()).toEqual({
      phone: ME,
      name: 'OpenZap Test',
      imgUrl: 'https://pps.whatsapp.net/v/me.jpg',
      platform: 'android',
      sessionName: 'OpenZap',
      deviceModel: 'WhatsApp Web (Baileys)',
      isBusiness: false,
    });
    expect(sock.profilePictureUrl).toHaveBeenCalledWith(`${ME}@s.whatsapp.net`, 'image', 5_000);
    expect(ME_JID).toContain(':7@'); // the device suffix is not part of the phone
  });
});
