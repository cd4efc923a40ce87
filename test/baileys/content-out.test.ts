// Every content kind the port can send → the exact Baileys call (sendMessage's AnyMessageContent,
// or relayMessage for poll votes and event responses), and the WhatsApp message Baileys builds
// from it (real generation, real media encryption, a fake upload).
import { beforeEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decryptEventResponse, decryptPollVote, generateWAMessageFromContent, proto, type WAMessage } from 'baileys';
import type { MessageContent } from '../../src/engines/content.js';
import { optionHash } from '../../src/engines/baileys/secret-addons.js';
import { useConnectedEngine, portSends, sampleJpeg, upsertOne, ME, ME_JID, type EngineHarness, type FakeSocket } from './fake-socket.js';

const CONTACT_JID = '5511987654321@s.whatsapp.net';
const CONTACT_LID = '210987654321098@lid';
const GROUP = '120363025246125486@g.us';
const ME_PN = `${ME}@s.whatsapp.net`;
const ME_LID = '99887766554433@lid';
const T = 1_760_000_000;

let h: EngineHarness;
let sock: FakeSocket;
let jpeg: Buffer;

useConnectedEngine((e) => ({ h, sock } = e));
beforeEach(async () => {
  jpeg = await sampleJpeg();
});

const send = portSends(() => h, '3EB0OUT', CONTACT_JID);

/** The last sendMessage call: [jid, content, options]. */
const lastCall = () => sock.sendMessage.mock.calls.at(-1)!;
/** The WhatsApp message Baileys generated for the last call. */
const lastSent = async () => (await sock.sendMessage.mock.results.at(-1)!.value) as WAMessage;

const receive = (msg: object, key?: object) => upsertOne(h, sock, msg, key);

describe('media', () => {
  it('image: the stored bytes, caption, MIME type and view-once', async () => {
    const ref = await h.media.add(jpeg, 'image/jpeg', 'foto.jpg');
    await send({ type: 'image', media: ref, caption: 'olha', viewOnce: true });
    const [to, content, options] = lastCall();
    expect(to).toBe(CONTACT_JID);
    expect(content).toEqual({ image: jpeg, mimetype: 'image/jpeg', caption: 'olha', viewOnce: true });
    expect(options).toEqual({ messageId: expect.any(String) });
    expect(h.media.read).toHaveBeenCalledWith(ref.id);
    const img = (await lastSent()).message!.viewOnceMessage!.message!.imageMessage!;
    expect(img).toMatchObject({ caption: 'olha', mimetype: 'image/jpeg', directPath: expect.stringMatching(/^\/test\/image\//) });
    expect(Number(img.fileLength)).toBe(jpeg.length);
    expect(img.mediaKey?.length).toBe(32);
  });

  it('video as GIF, with its duration', async () => {
    const ref = await h.media.add(Buffer.from('fake mp4 bytes'), 'video/mp4');
    await send({ type: 'video', media: ref, caption: 'gif', gif: true, seconds: 3 });
    expect(lastCall()[1]).toEqual({ video: Buffer.from('fake mp4 bytes'), mimetype: 'video/mp4', caption: 'gif', gifPlayback: true, seconds: 3 });
    expect((await lastSent()).message!.videoMessage).toMatchObject({ gifPlayback: true, seconds: 3, caption: 'gif' });
  });

  it('PTV (round video note)', async () => {
    const ref = await h.media.add(Buffer.from('round video'), 'video/mp4');
    await send({ type: 'ptv', media: ref });
    expect(lastCall()[1]).toEqual({ video: Buffer.from('round video'), ptv: true });
    const m = (await lastSent()).message!;
    expect(m.ptvMessage).toMatchObject({ mimetype: 'video/mp4' });
    expect(m.videoMessage).toBeFalsy();
  });

  it('audio as a voice note: Opus MIME type, ptt, seconds', async () => {
    const ref = await h.media.add(Buffer.from('OggS fake opus'), 'audio/ogg');
    await send({ type: 'audio', media: ref, ptt: true, seconds: 4 });
    expect(lastCall()[1]).toEqual({ audio: Buffer.from('OggS fake opus'), mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 4 });
    expect((await lastSent()).message!.audioMessage).toMatchObject({ ptt: true, seconds: 4, mimetype: 'audio/ogg; codecs=opus' });
  });

  it('document: file name, MIME type, caption, title and page count', async () => {
    const ref = await h.media.add(Buffer.from('%PDF-1.4 fake'), 'application/pdf', 'nota.pdf');
    await send({ type: 'document', media: ref, fileName: 'nota-fiscal.pdf', caption: 'segue', title: 'Nota', pageCount: 2 });
    expect(lastCall()[1]).toEqual({
      document: Buffer.from('%PDF-1.4 fake'),
      mimetype: 'application/pdf',
      fileName: 'nota-fiscal.pdf',
      caption: 'segue',
      title: 'Nota',
      pageCount: 2,
    });
    expect((await lastSent()).message!.documentMessage).toMatchObject({ fileName: 'nota-fiscal.pdf', mimetype: 'application/pdf', caption: 'segue', title: 'Nota', pageCount: 2 });
  });

  it('sticker: WebP as is; another image converted to WebP', async () => {
    const webp = await sharp({ create: { width: 32, height: 32, channels: 4, background: '#0c0' } }).webp().toBuffer();
    await send({ type: 'sticker', media: await h.media.add(webp, 'image/webp') });
    expect(lastCall()[1]).toEqual({ sticker: webp, mimetype: 'image/webp' });
    expect((await lastSent()).message!.stickerMessage).toMatchObject({ mimetype: 'image/webp' });

    const png = await sharp({ create: { width: 40, height: 20, channels: 4, background: '#00c' } }).png().toBuffer();
    await send({ type: 'sticker', media: await h.media.add(png, 'image/png') });
    const converted = (lastCall()[1] as { sticker: Buffer }).sticker;
    expect(converted.subarray(0, 4).toString()).toBe('RIFF');
    expect(converted.subarray(8, 12).toString()).toBe('WEBP');
    expect((await sharp(converted).metadata()).width).toBe(512);
  });

  it('media the store no longer has fails the send; nothing goes out', async () => {
    await expect(send({ type: 'image', media: { id: 'gone', mimeType: 'image/jpeg', size: 1 } })).rejects.toMatchObject({ statusCode: 404 });
    expect(sock.sendMessage).not.toHaveBeenCalled();
  });
});

describe('text-like content', () => {
  it('link: the given preview (title, description, thumbnail made from the image); the URL is added when the text lacks it', async () => {
    const ref = await h.media.add(jpeg, 'image/jpeg');
    await send({ type: 'link', text: 'Veja', url: 'https://openzap.dev/x', title: 'OpenZap', description: 'Gateway', image: ref });
    const content = lastCall()[1] as unknown as { text: string; linkPreview: Record<string, unknown> };
    expect(content.text).toBe('Veja\nhttps://openzap.dev/x');
    expect(content.linkPreview).toMatchObject({ 'canonical-url': 'https://openzap.dev/x', 'matched-text': 'https://openzap.dev/x', title: 'OpenZap', description: 'Gateway' });
    expect((await sharp(content.linkPreview.jpegThumbnail as Buffer).metadata()).format).toBe('jpeg');
    expect((await lastSent()).message!.extendedTextMessage).toMatchObject({ text: 'Veja\nhttps://openzap.dev/x', matchedText: 'https://openzap.dev/x', title: 'OpenZap', description: 'Gateway' });
  });

  it('link, large: the image is uploaded as the high-quality preview (encrypted as a link thumbnail, as Baileys does)', async () => {
    const ref = await h.media.add(jpeg, 'image/jpeg');
    await send({ type: 'link', text: 'https://openzap.dev/big', url: 'https://openzap.dev/big', title: 'Big', description: '', image: ref, large: true });
    expect(sock.waUploadToServer).toHaveBeenCalledWith(expect.stringContaining('thumbnail-link'), expect.objectContaining({ mediaType: 'image' }));
    const ext = (await lastSent()).message!.extendedTextMessage!;
    expect(ext.text).toBe('https://openzap.dev/big');
    expect(ext.thumbnailDirectPath).toMatch(/^\/test\/image\//);
    expect(ext.mediaKey?.length).toBe(32);
  });

  it('catalog: the wa.me/c link with its preview (WhatsApp has no catalog message)', async () => {
    await send({ type: 'catalog', catalogJid: '5511955554444@s.whatsapp.net', text: 'Nosso catálogo', title: 'Loja', description: 'Produtos' });
    expect(lastCall()[1]).toEqual({
      text: 'Nosso catálogo\nhttps://wa.me/c/5511955554444',
      linkPreview: { 'canonical-url': 'https://wa.me/c/5511955554444', 'matched-text': 'https://wa.me/c/5511955554444', title: 'Loja', description: 'Produtos' },
    });
  });

  it('location', async () => {
    await send({ type: 'location', latitude: -23.5614, longitude: -46.6559, name: 'MASP', address: 'Av. Paulista, 1578', url: 'https://masp.org.br' });
    expect(lastCall()[1]).toEqual({
      location: { degreesLatitude: -23.5614, degreesLongitude: -46.6559, name: 'MASP', address: 'Av. Paulista, 1578', url: 'https://masp.org.br' },
    });
    expect((await lastSent()).message!.locationMessage).toMatchObject({ degreesLatitude: -23.5614, name: 'MASP' });
  });

  it('contacts: a vCard built from name and phones; several cards make a contacts array', async () => {
    await send({ type: 'contacts', contacts: [{ name: 'Ana; Souza', phones: ['5511911112222'], businessDescription: 'Loja' }] });
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nN:;Ana\\; Souza;;;\nFN:Ana\\; Souza\nTEL;type=CELL;type=VOICE;waid=5511911112222:+5511911112222\nX-WA-BIZ-DESCRIPTION:Loja\nEND:VCARD';
    expect(lastCall()[1]).toEqual({ contacts: { displayName: 'Ana; Souza', contacts: [{ displayName: 'Ana; Souza', vcard }] } });
    expect((await lastSent()).message!.contactMessage).toMatchObject({ displayName: 'Ana; Souza', vcard });

    await send({ type: 'contacts', contacts: [{ name: 'A', phones: ['551100000001'] }, { name: 'B', phones: [], vcard: 'BEGIN:VCARD\nFN:B\nEND:VCARD' }] });
    const arr = (await lastSent()).message!.contactsArrayMessage!;
    expect(arr.displayName).toBe('2 contacts');
    expect(arr.contacts!.map((c) => c.vcard)).toEqual([expect.stringContaining('waid=551100000001'), 'BEGIN:VCARD\nFN:B\nEND:VCARD']);
  });

  it('forwarded text and media are marked as forwarded', async () => {
    await send({ type: 'text', text: 'repasso' }, { forwarded: true });
    expect(lastCall()[1]).toEqual({ text: 'repasso', contextInfo: { isForwarded: true, forwardingScore: 1 } });
    expect((await lastSent()).message!.extendedTextMessage!.contextInfo).toMatchObject({ isForwarded: true, forwardingScore: 1 });
    await send({ type: 'image', media: await h.media.add(jpeg, 'image/jpeg') }, { forwarded: true });
    expect((await lastSent()).message!.imageMessage!.contextInfo).toMatchObject({ isForwarded: true, forwardingScore: 1 });
  });

  it('only text can be edited (501 otherwise)', async () => {
    await expect(send({ type: 'location', latitude: 1, longitude: 2 }, { editId: '3EB0FIRST' })).rejects.toMatchObject({ statusCode: 501 });
    expect(sock.sendMessage).not.toHaveBeenCalled();
  });
});

describe('reactions, pins, polls, events', () => {
  it('reaction: the stored key of the target (group participant as addressed); "" removes it', async () => {
    await receive({ key: { remoteJid: GROUP, fromMe: false, id: '3EB0TARGET1', participant: CONTACT_LID }, message: { conversation: 'oi' }, messageTimestamp: T });
    await send({ type: 'reaction', target: { id: '3EB0TARGET1', chatJid: GROUP, fromMe: false, participant: CONTACT_JID }, emoji: '👍' }, {}, GROUP);
    expect(lastCall()[1]).toMatchObject({ react: { text: '👍', key: { remoteJid: GROUP, fromMe: false, id: '3EB0TARGET1', participant: CONTACT_LID } } });
    expect((await lastSent()).message!.reactionMessage).toMatchObject({ text: '👍', key: { id: '3EB0TARGET1', participant: CONTACT_LID } });
    // A target the store does not know: the key as the caller gave it.
    await send({ type: 'reaction', target: { id: '3EB0UNKNOWN', chatJid: CONTACT_JID, fromMe: true }, emoji: '' });
    expect(lastCall()[1]).toMatchObject({ react: { text: '', key: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0UNKNOWN' } } });
  });

  it('pin for 7 days and unpin', async () => {
    await send({ type: 'pin', target: { id: '3EB0PINME', chatJid: CONTACT_JID, fromMe: true }, action: 'pin', durationSecs: 604800 });
    expect(lastCall()[1]).toEqual({ pin: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0PINME' }, type: proto.PinInChat.Type.PIN_FOR_ALL, time: 604800 });
    const pinned = (await lastSent()).message!;
    expect(pinned.pinInChatMessage).toMatchObject({ type: proto.Message.PinInChatMessage.Type.PIN_FOR_ALL, key: { id: '3EB0PINME' } });
    expect(pinned.messageContextInfo?.messageAddOnDurationInSecs).toBe(604800);
    await send({ type: 'pin', target: { id: '3EB0PINME', chatJid: CONTACT_JID, fromMe: true }, action: 'unpin', durationSecs: 0 });
    expect(lastCall()[1]).toEqual({ pin: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0PINME' }, type: proto.PinInChat.Type.UNPIN_FOR_ALL });
    await expect(send({ type: 'pin', target: { id: 'x', chatJid: CONTACT_JID, fromMe: true }, action: 'pin', durationSecs: 5 })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('poll: single choice is a v3 poll with a message secret', async () => {
    await send({ type: 'poll', question: 'Pizza?', options: ['Sim', 'Não'], maxOptions: 1 });
    expect(lastCall()[1]).toMatchObject({ poll: { name: 'Pizza?', values: ['Sim', 'Não'], selectableCount: 1 } });
    const m = (await lastSent()).message!;
    expect(m.pollCreationMessageV3).toMatchObject({ name: 'Pizza?', selectableOptionsCount: 1, options: [{ optionName: 'Sim' }, { optionName: 'Não' }] });
    expect(m.messageContextInfo?.messageSecret?.length).toBe(32);
  });

  it('poll vote on our own poll: encrypted with its secret, relayed with <meta polltype="vote"/>, decryptable by Baileys', async () => {
    const { id: pollId } = await send({ type: 'poll', question: 'Cor?', options: ['Azul', 'Verde', 'Rosa'], maxOptions: 0 });
    const poll = await lastSent();
    const { id } = await send({ type: 'pollVote', poll: { id: pollId, chatJid: CONTACT_JID, fromMe: true }, options: ['Verde', 'Rosa'] });
    expect(sock.relayMessage).toHaveBeenCalledTimes(1);
    const [to, message, opts] = sock.relayMessage.mock.calls[0];
    expect(to).toBe(CONTACT_JID);
    expect(opts).toEqual({ messageId: id, additionalNodes: [{ tag: 'meta', attrs: { polltype: 'vote' } }] });
    const update = message.pollUpdateMessage!;
    expect(update.pollCreationMessageKey).toEqual({ remoteJid: CONTACT_JID, fromMe: true, id: pollId });
    const vote = decryptPollVote(update.vote!, { pollCreatorJid: ME_PN, pollMsgId: pollId, pollEncKey: poll.message!.messageContextInfo!.messageSecret!, voterJid: ME_PN });
    expect(vote.selectedOptions!.map((b) => Buffer.from(b).toString('hex'))).toEqual([optionHash('Verde').toString('hex'), optionHash('Rosa').toString('hex')]);
    // Stored like any send: SENT reported, and retries find it.
    expect((await h.engine.store.message(id))?.message?.pollUpdateMessage).toBeTruthy();
    expect(h.events.filter((e) => e.name === 'messageStatus').map((e) => (e.args as { ids: string[] }).ids[0])).toContain(id);
  });

  it('poll vote on a LID-addressed group poll: our LID votes, the author as addressed', async () => {
    sock.authState.creds.me!.lid = ME_LID;
    const secret = Buffer.alloc(32, 7);
    await receive({
      key: { remoteJid: GROUP, fromMe: false, id: '3EB0GPOLL1', participant: CONTACT_LID },
      message: { pollCreationMessage: { name: 'Dia?', options: [{ optionName: 'Seg' }, { optionName: 'Ter' }], selectableOptionsCount: 1 }, messageContextInfo: { messageSecret: secret } },
      messageTimestamp: T,
    });
    await send({ type: 'pollVote', poll: { id: '3EB0GPOLL1', chatJid: GROUP, fromMe: false, participant: CONTACT_JID }, options: ['Ter'] }, {}, GROUP);
    const update = sock.relayMessage.mock.calls[0][1].pollUpdateMessage!;
    expect(update.pollCreationMessageKey).toEqual({ remoteJid: GROUP, fromMe: false, id: '3EB0GPOLL1', participant: CONTACT_LID });
    const vote = decryptPollVote(update.vote!, { pollCreatorJid: CONTACT_LID, pollMsgId: '3EB0GPOLL1', pollEncKey: secret, voterJid: ME_LID });
    expect(vote.selectedOptions!.map((b) => Buffer.from(b).toString('hex'))).toEqual([optionHash('Ter').toString('hex')]);
    await expect(send({ type: 'pollVote', poll: { id: '3EB0GPOLL1', chatJid: GROUP, fromMe: false }, options: ['Seg', 'Ter'] }, {}, GROUP)).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('poll vote: unknown options are refused; a poll the store does not have is 404', async () => {
    const { id: pollId } = await send({ type: 'poll', question: 'Q', options: ['a', 'b'], maxOptions: 0 });
    await expect(send({ type: 'pollVote', poll: { id: pollId, chatJid: CONTACT_JID, fromMe: true }, options: ['c'] })).rejects.toMatchObject({ statusCode: 400 });
    await expect(send({ type: 'pollVote', poll: { id: '3EB0NOPOLL', chatJid: CONTACT_JID, fromMe: true }, options: ['a'] })).rejects.toMatchObject({
      statusCode: 404,
      error: 'message-not-found',
    });
    expect(sock.relayMessage).not.toHaveBeenCalled();
  });

  it('event: name, description, start, location, cancelled flag, with a message secret', async () => {
    await send({
      type: 'event',
      name: 'Reunião',
      description: 'Planejamento',
      startTime: T + 3600,
      location: { name: 'Escritório', address: 'Rua A, 1' },
      canceled: false,
    });
    expect(lastCall()[1]).toEqual({
      event: { name: 'Reunião', description: 'Planejamento', startDate: new Date((T + 3600) * 1000), location: { name: 'Escritório', address: 'Rua A, 1' }, isCancelled: false },
    });
    const m = (await lastSent()).message!;
    expect(m.eventMessage).toMatchObject({ name: 'Reunião', description: 'Planejamento', isCanceled: false, location: { name: 'Escritório' } });
    expect(Number(m.eventMessage!.startTime)).toBe(T + 3600);
    expect(m.messageContextInfo?.messageSecret?.length).toBe(32);
  });

  it('event response: encrypted with the event secret, relayed as an "event" stanza with <meta event_type="response"/>', async () => {
    const secret = Buffer.alloc(32, 9);
    await receive({
      key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0EVENT01' },
      message: { eventMessage: { name: 'Churrasco', startTime: T }, messageContextInfo: { messageSecret: secret } },
      messageTimestamp: T,
    });
    const { id } = await send({ type: 'eventResponse', event: { id: '3EB0EVENT01', chatJid: CONTACT_JID, fromMe: false }, response: 'NOT_GOING' });
    const [to, message, opts] = sock.relayMessage.mock.calls[0];
    expect(to).toBe(CONTACT_JID);
    expect(opts).toEqual({ messageId: id, additionalNodes: [{ tag: 'meta', attrs: { event_type: 'response' } }], additionalAttributes: { type: 'event' } });
    const enc = message.encEventResponseMessage!;
    expect(enc.eventCreationMessageKey).toEqual({ remoteJid: CONTACT_JID, fromMe: false, id: '3EB0EVENT01' });
    const answer = decryptEventResponse(
      { encPayload: enc.encPayload!, encIv: enc.encIv! },
      { eventCreatorJid: CONTACT_JID, eventMsgId: '3EB0EVENT01', eventEncKey: secret, responderJid: ME_PN },
    );
    expect(answer.response).toBe(proto.Message.EventResponseMessage.EventResponseType.NOT_GOING);
  });

  it('button and list replies (Baileys still generates them)', async () => {
    await send({ type: 'buttonReply', buttonId: 'yes', text: 'Sim' });
    expect(lastCall()[1]).toEqual({ buttonReply: { displayText: 'Sim', id: 'yes', index: 0 }, type: 'plain' });
    expect((await lastSent()).message!.buttonsResponseMessage).toMatchObject({ selectedButtonId: 'yes', selectedDisplayText: 'Sim' });
    await send({ type: 'listReply', rowId: 'r2', title: 'Plano B', text: 'Mais barato' });
    expect((await lastSent()).message!.listResponseMessage).toMatchObject({ title: 'Plano B', description: 'Mais barato', singleSelectReply: { selectedRowId: 'r2' } });
  });
});

describe('product', () => {
  it('with its image: the product snapshot, price in thousandths, the catalog owner', async () => {
    const ref = await h.media.add(jpeg, 'image/jpeg');
    await send({ type: 'product', catalogJid: '5511955554444@s.whatsapp.net', productId: '8123', title: 'Camiseta', description: 'Algodão', price: 49.9, currency: 'BRL', image: ref });
    expect(lastCall()[1]).toEqual({
      product: { productId: '8123', title: 'Camiseta', description: 'Algodão', currencyCode: 'BRL', priceAmount1000: 49900, productImageCount: 1, productImage: jpeg },
      businessOwnerJid: '5511955554444@s.whatsapp.net',
    });
    const pm = (await lastSent()).message!.productMessage!;
    expect(pm.businessOwnerJid).toBe('5511955554444@s.whatsapp.net');
    expect(pm.product).toMatchObject({ productId: '8123', title: 'Camiseta', currencyCode: 'BRL' });
    expect(Number(pm.product!.priceAmount1000)).toBe(49900);
    expect(pm.product!.productImage?.directPath).toMatch(/^\/test\/image\//);
  });

  it('by id only (send-product): the details and image come from the catalog', async () => {
    sock.getCatalog.mockResolvedValueOnce({
      products: [{ id: '8123', name: 'Camiseta', description: 'Algodão', price: 49.9, currency: 'BRL', retailerId: 'SKU-1', imageUrls: { requested: 'https://cdn.example/8123.jpg' } }],
      nextPageCursor: undefined,
    });
    // The catalog image is fetched by Baileys when it prepares the message: not offline.
    sock.sendMessage.mockImplementationOnce(async (jid, _content, options) =>
      generateWAMessageFromContent(jid, { productMessage: { product: { productId: '8123' } } }, { userJid: ME_JID, messageId: options?.messageId }),
    );
    await send({ type: 'product', catalogJid: '5511955554444@s.whatsapp.net', productId: '8123' });
    expect(sock.getCatalog).toHaveBeenCalledWith({ jid: '5511955554444@s.whatsapp.net', limit: 100, cursor: undefined });
    expect(lastCall()[1]).toEqual({
      product: {
        productId: '8123',
        title: 'Camiseta',
        description: 'Algodão',
        currencyCode: 'BRL',
        priceAmount1000: 49900,
        retailerId: 'SKU-1',
        productImageCount: 1,
        productImage: { url: 'https://cdn.example/8123.jpg' },
      },
      businessOwnerJid: '5511955554444@s.whatsapp.net',
    });
    await expect(send({ type: 'product', catalogJid: '5511955554444@s.whatsapp.net', productId: 'nope' })).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('statuses', () => {
  it('a text status goes to status@broadcast, shown to the known contacts and our devices', async () => {
    sock.ev.emit('contacts.upsert', [{ id: CONTACT_JID, notify: 'Maria' }, { id: '5511933334444@s.whatsapp.net', name: 'João' }]);
    await h.engine.idle();
    await send({ type: 'text', text: 'Bom dia!' }, {}, 'status@broadcast');
    const [to, content, options] = lastCall();
    expect(to).toBe('status@broadcast');
    expect(content).toEqual({ text: 'Bom dia!' });
    expect(options).toMatchObject({ backgroundColor: '#075E54' });
    expect([...options!.statusJidList!].sort()).toEqual([CONTACT_JID, '5511933334444@s.whatsapp.net', ME_PN].sort());
  });

  it('no known contacts: refused (a status would reach nobody)', async () => {
    await expect(send({ type: 'text', text: 'x' }, {}, 'status@broadcast')).rejects.toMatchObject({ statusCode: 409, error: 'no-status-audience' });
  });

  it('a reply to a contact status quotes it (remoteJid status@broadcast, the author as participant)', async () => {
    await receive({ key: { remoteJid: 'status@broadcast', fromMe: false, id: '3EB0STATUS1', participant: CONTACT_JID }, message: { conversation: 'meu status' }, messageTimestamp: T });
    await send({ type: 'text', text: 'Lindo!' }, { quotedId: '3EB0STATUS1', quotedIsStatus: true });
    expect(lastCall()[2]!.quoted!.key).toMatchObject({ remoteJid: 'status@broadcast', id: '3EB0STATUS1', participant: CONTACT_JID });
    expect((await lastSent()).message!.extendedTextMessage!.contextInfo).toMatchObject({
      stanzaId: '3EB0STATUS1',
      remoteJid: 'status@broadcast',
      participant: CONTACT_JID,
      quotedMessage: { conversation: 'meu status' },
    });
    await receive({ key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0NOTSTAT' }, message: { conversation: 'x' }, messageTimestamp: T });
    await expect(send({ type: 'text', text: 'x' }, { quotedId: '3EB0NOTSTAT', quotedIsStatus: true })).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('unsupportedReason', () => {
  const to = CONTACT_JID;
  const media = { id: 'm', mimeType: 'image/jpeg', size: 1 };
  // Interactive kinds (buttons, lists, OTP, PIX, carousels, orders): native-flow.test.ts.
  it('channel admin invites cannot be sent', () => {
    expect(h.engine.messages.unsupportedReason({ type: 'newsletterAdminInvite', newsletterJid: '1@newsletter', text: 't', expiration: 0 }, to)).toMatch(/admin invite/);
  });

  it('what can be sent answers null; statuses and channels take fewer kinds', () => {
    const can: MessageContent[] = [
      { type: 'text', text: 'x' },
      { type: 'image', media },
      { type: 'location', latitude: 1, longitude: 2 },
      { type: 'poll', question: 'q', options: ['a'], maxOptions: 1 },
      { type: 'pollVote', poll: { id: 'p', chatJid: to, fromMe: true }, options: ['a'] },
      { type: 'event', name: 'e', startTime: T, canceled: false },
      { type: 'eventResponse', event: { id: 'e', chatJid: to, fromMe: false }, response: 'GOING' },
      { type: 'catalog', catalogJid: to },
      { type: 'product', catalogJid: to, productId: '1' },
    ];
    for (const c of can) expect(h.engine.messages.unsupportedReason(c, to)).toBeNull();
    expect(h.engine.messages.unsupportedReason({ type: 'image', media }, 'status@broadcast')).toBeNull();
    expect(h.engine.messages.unsupportedReason({ type: 'poll', question: 'q', options: ['a'], maxOptions: 1 }, 'status@broadcast')).toMatch(/status/);
    expect(h.engine.messages.unsupportedReason({ type: 'location', latitude: 1, longitude: 2 }, '120363000000000000@newsletter')).toMatch(/Channels/);
  });

  it('sending an unsupported kind anyway: 501, nothing sent', async () => {
    await expect(send({ type: 'newsletterAdminInvite', newsletterJid: '1@newsletter', text: 't', expiration: 0 })).rejects.toMatchObject({ statusCode: 501, error: 'unsupported' });
    expect(sock.sendMessage).not.toHaveBeenCalled();
    expect(sock.relayMessage).not.toHaveBeenCalled();
  });
});

describe('delete and played', () => {
  it('our message is revoked for everyone; someone else\'s is deleted for us (chatModify deleteForMe)', async () => {
    const { id } = await send({ type: 'text', text: 'ops' });
    await h.engine.messages.delete({ id, chatJid: CONTACT_JID, fromMe: true });
    expect(lastCall().slice(0, 2)).toEqual([CONTACT_JID, { delete: { remoteJid: CONTACT_JID, fromMe: true, id } }]);
    expect((await lastSent()).message!.protocolMessage).toMatchObject({ type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id } });

    await receive({ key: { remoteJid: GROUP, fromMe: false, id: '3EB0THEIRS', participant: CONTACT_LID }, message: { conversation: 'x' }, messageTimestamp: T });
    await h.engine.messages.delete({ id: '3EB0THEIRS', chatJid: GROUP, fromMe: false });
    expect(sock.chatModify).toHaveBeenCalledWith(
      { deleteForMe: { key: { remoteJid: GROUP, fromMe: false, id: '3EB0THEIRS', participant: CONTACT_LID }, timestamp: T * 1000, deleteMedia: false } },
      GROUP,
    );
  });

  it('played receipts, grouped per chat and author, with the stored keys', async () => {
    await receive({ key: { remoteJid: GROUP, fromMe: false, id: '3EB0AUD1', participant: CONTACT_LID }, message: { conversation: 'a' }, messageTimestamp: T });
    await receive({ key: { remoteJid: GROUP, fromMe: false, id: '3EB0AUD2', participant: CONTACT_LID }, message: { conversation: 'b' }, messageTimestamp: T });
    await h.engine.messages.played(GROUP, ['3EB0AUD1', '3EB0AUD2', '3EB0AUD3']);
    expect(sock.sendReceipt.mock.calls).toEqual([
      [GROUP, CONTACT_LID, ['3EB0AUD1', '3EB0AUD2'], 'played'],
      [GROUP, undefined, ['3EB0AUD3'], 'played'],
    ]);
  });
});
