// Every received proto (built with proto.WebMessageInfo.fromObject, delivered through the real
// event buffer) → the exact MessageContent of the port's 'message' event. Media is fetched by a
// fake downloader returning known bytes; poll votes and event responses are really encrypted.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { proto, type WAMessage } from 'baileys';
import type { Store } from '../../src/store/db.js';
import type { IncomingMessage } from '../../src/engines/engine.js';
import type { DownloadRequest } from '../../src/engines/baileys/media-in.js';
import { encryptAddon, optionHash } from '../../src/engines/baileys/secret-addons.js';
import { connected, makeEngine, ME, settle, testStore, type EngineHarness, type FakeSocket } from './fake-socket.js';

const CONTACT_JID = '5511987654321@s.whatsapp.net';
const CONTACT_LID = '210987654321098@lid';
const GROUP = '120363025246125486@g.us';
const ME_PN = `${ME}@s.whatsapp.net`;
const T = 1_760_000_000;
const KEY = Buffer.alloc(32, 1);

let store: Store;
let h: EngineHarness;
let sock: FakeSocket;
const download = vi.fn(async (req: DownloadRequest) => Buffer.from(`bytes of ${req.source.directPath}`));

beforeEach(async () => {
  download.mockClear();
  store = await testStore();
  h = makeEngine(store.db, { downloadMedia: download });
  sock = await connected(h);
  h.events.length = 0;
});
afterEach(async () => {
  await h.engine.close();
  await store.close();
});

let seq = 0;
async function receive(message: object, o: { remoteJid?: string; participant?: string; fromMe?: boolean; key?: object; id?: string; info?: object } = {}) {
  const id = o.id ?? `3EB0IN${String(++seq).padStart(6, '0')}`;
  const m = proto.WebMessageInfo.fromObject({
    key: { remoteJid: o.remoteJid ?? CONTACT_JID, fromMe: o.fromMe ?? false, id, participant: o.participant },
    message,
    messageTimestamp: T,
    pushName: 'Maria',
    ...o.info,
  }) as WAMessage;
  Object.assign(m.key, o.key);
  sock.ev.emit('messages.upsert', { messages: [m], type: 'notify' });
  await h.engine.idle();
  await settle();
  const ev = h.events.filter((e) => e.name === 'message').map((e) => e.args as IncomingMessage);
  return ev.find((e) => e.id === id || e.isEdit);
}

/** A media proto as WhatsApp sends it: where to download, the key, what it declares. */
const file = (path: string, mimetype: string, size = 1234) => ({ url: `https://mmg.whatsapp.net${path}?x=1`, directPath: path, mediaKey: KEY, mimetype, fileLength: size });
const kept = (path: string, mimeType: string, fileName?: string) => ({
  id: expect.stringMatching(/^media/),
  mimeType,
  size: Buffer.from(`bytes of ${path}`).length,
  ...(fileName ? { fileName } : {}),
});

describe('media messages: downloaded at once, kept in the media store', () => {
  it('image: caption, size, the file kept; the downloader got the message\'s own media', async () => {
    const m = await receive({ imageMessage: { ...file('/v/img1', 'image/jpeg'), caption: 'foto', width: 800, height: 600 } });
    expect(m!.content).toEqual({ type: 'image', media: kept('/v/img1', 'image/jpeg'), caption: 'foto', width: 800, height: 600 });
    expect(download).toHaveBeenCalledWith(expect.objectContaining({ mediaType: 'image', topLevel: true, source: { url: 'https://mmg.whatsapp.net/v/img1?x=1', directPath: '/v/img1', mediaKey: KEY } }));
    const ref = (m!.content as { media: { id: string } }).media;
    expect((await h.media.read(ref.id)).toString()).toBe('bytes of /v/img1');
    expect(h.media.files.get(ref.id)!.instanceId).toBe('A'.repeat(32));
  });

  it('view-once image (viewOnceMessageV2): flagged on the content and the message', async () => {
    const m = await receive({ viewOnceMessageV2: { message: { imageMessage: { ...file('/v/once', 'image/jpeg'), viewOnce: true } } } });
    expect(m).toMatchObject({ viewOnce: true, content: { type: 'image', viewOnce: true, media: kept('/v/once', 'image/jpeg') } });
  });

  it('video (GIF), PTV, voice note, sticker', async () => {
    expect((await receive({ videoMessage: { ...file('/v/gif', 'video/mp4'), gifPlayback: true, seconds: 3, caption: 'haha' } }))!.content).toEqual({
      type: 'video',
      media: kept('/v/gif', 'video/mp4'),
      caption: 'haha',
      gif: true,
      seconds: 3,
    });
    expect((await receive({ ptvMessage: { ...file('/v/ptv', 'video/mp4'), seconds: 7 } }))!.content).toEqual({ type: 'ptv', media: kept('/v/ptv', 'video/mp4'), seconds: 7 });
    expect(download).toHaveBeenLastCalledWith(expect.objectContaining({ mediaType: 'ptv' }));
    expect((await receive({ audioMessage: { ...file('/v/ptt', 'audio/ogg; codecs=opus'), ptt: true, seconds: 5 } }))!.content).toEqual({
      type: 'audio',
      media: kept('/v/ptt', 'audio/ogg; codecs=opus'),
      ptt: true,
      seconds: 5,
    });
    expect((await receive({ stickerMessage: file('/v/stk', 'image/webp') }))!.content).toEqual({ type: 'sticker', media: kept('/v/stk', 'image/webp') });
  });

  it('document with caption (documentWithCaptionMessage): file name kept with the file', async () => {
    const m = await receive({
      documentWithCaptionMessage: { message: { documentMessage: { ...file('/v/doc', 'application/pdf'), fileName: 'nota.pdf', caption: 'segue', title: 'Nota', pageCount: 3 } } },
    });
    expect(m!.content).toEqual({ type: 'document', media: kept('/v/doc', 'application/pdf', 'nota.pdf'), fileName: 'nota.pdf', caption: 'segue', title: 'Nota', pageCount: 3 });
  });

  it('an edited caption: isEdit on the original id, the new caption, no file (the edit carries none)', async () => {
    const m = await receive({
      editedMessage: {
        message: {
          protocolMessage: {
            key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0PHOTO01' },
            type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
            editedMessage: { imageMessage: { caption: 'nova legenda' } },
          },
        },
      },
    });
    expect(m).toMatchObject({ id: '3EB0PHOTO01', isEdit: true, content: { type: 'image', caption: 'nova legenda', media: { id: '' } } });
    expect(download).not.toHaveBeenCalled();
  });

  it('link preview: the inline thumbnail is kept without a download', async () => {
    const thumb = Buffer.from('tiny jpeg');
    const m = await receive({
      extendedTextMessage: { text: 'olha https://openzap.dev', matchedText: 'https://openzap.dev', title: 'OpenZap', description: 'Gateway', jpegThumbnail: thumb },
    });
    expect(m!.content).toEqual({
      type: 'link',
      text: 'olha https://openzap.dev',
      url: 'https://openzap.dev',
      title: 'OpenZap',
      description: 'Gateway',
      image: { id: expect.stringMatching(/^media/), mimeType: 'image/jpeg', size: thumb.length },
    });
    expect(download).not.toHaveBeenCalled();
  });

  it('a status (story) with an image: broadcast, the author as sender, the file kept', async () => {
    const m = await receive({ imageMessage: { ...file('/v/story', 'image/jpeg'), caption: 'praia' } }, { remoteJid: 'status@broadcast', participant: CONTACT_JID });
    expect(m).toMatchObject({ chatJid: 'status@broadcast', senderJid: CONTACT_JID, broadcast: true, content: { type: 'image', caption: 'praia', media: kept('/v/story', 'image/jpeg') } });
  });
});

describe('other content kinds', () => {
  it('location and live location', async () => {
    expect((await receive({ locationMessage: { degreesLatitude: -23.56, degreesLongitude: -46.65, name: 'MASP', address: 'Av. Paulista', url: 'https://masp.org.br' } }))!.content).toEqual({
      type: 'location',
      latitude: -23.56,
      longitude: -46.65,
      name: 'MASP',
      address: 'Av. Paulista',
      url: 'https://masp.org.br',
    });
    expect((await receive({ liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: 2.5, caption: 'aqui' } }))!.content).toEqual({ type: 'location', latitude: 1.5, longitude: 2.5, name: 'aqui' });
  });

  it('contact and contacts array: phones read from the vCard', async () => {
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nitem1.TEL;waid=5511911112222:+55 11 91111-2222\nTEL;type=HOME:+55 (11) 3333-4444\nEND:VCARD';
    expect((await receive({ contactMessage: { displayName: 'Ana', vcard } }))!.content).toEqual({
      type: 'contacts',
      contacts: [{ name: 'Ana', phones: ['5511911112222', '551133334444'], vcard }],
    });
    const arr = await receive({ contactsArrayMessage: { displayName: '2 contatos', contacts: [{ displayName: 'A', vcard: 'TEL;waid=1:+1' }, { displayName: 'B' }] } });
    expect(arr!.content).toEqual({ type: 'contacts', contacts: [{ name: 'A', phones: ['1'], vcard: 'TEL;waid=1:+1' }, { name: 'B', phones: [] }] });
  });

  it('reaction from a LID chat: the target key resolved to the phone', async () => {
    sock.ev.emit('lid-mapping.update', { lid: CONTACT_LID, pn: CONTACT_JID });
    const m = await receive({ reactionMessage: { key: { remoteJid: CONTACT_LID, fromMe: true, id: '3EB0MINE01' }, text: '❤️', senderTimestampMs: T * 1000 } }, { remoteJid: CONTACT_LID });
    expect(m).toMatchObject({ chatJid: CONTACT_JID, content: { type: 'reaction', emoji: '❤️', target: { id: '3EB0MINE01', chatJid: CONTACT_JID, fromMe: true } } });
  });

  it('pin and unpin', async () => {
    const pin = await receive({
      pinInChatMessage: { key: { remoteJid: GROUP, fromMe: false, id: '3EB0PINNED', participant: CONTACT_JID }, type: proto.Message.PinInChatMessage.Type.PIN_FOR_ALL },
      messageContextInfo: { messageAddOnDurationInSecs: 86400 },
    }, { remoteJid: GROUP, participant: CONTACT_JID });
    expect(pin!.content).toEqual({ type: 'pin', action: 'pin', durationSecs: 86400, target: { id: '3EB0PINNED', chatJid: GROUP, fromMe: false, participant: CONTACT_JID } });
    const unpin = await receive({ pinInChatMessage: { key: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0PINNED' }, type: proto.Message.PinInChatMessage.Type.UNPIN_FOR_ALL } });
    expect(unpin!.content).toMatchObject({ type: 'pin', action: 'unpin', durationSecs: 0 });
  });

  it('poll (v3, single choice) and event', async () => {
    expect((await receive({ pollCreationMessageV3: { name: 'Pizza?', options: [{ optionName: 'Sim' }, { optionName: 'Não' }], selectableOptionsCount: 1 } }))!.content).toEqual({
      type: 'poll',
      question: 'Pizza?',
      options: ['Sim', 'Não'],
      maxOptions: 1,
    });
    const ev = await receive({
      eventMessage: { name: 'Live', description: 'Lançamento', startTime: T + 60, joinLink: 'https://call.whatsapp.com/video/abc', isCanceled: false, location: { name: 'Online' } },
    });
    expect(ev!.content).toEqual({
      type: 'event',
      name: 'Live',
      description: 'Lançamento',
      startTime: T + 60,
      location: { name: 'Online' },
      callLinkType: 'video',
      joinLink: 'https://call.whatsapp.com/video/abc',
      canceled: false,
    });
  });

  it('button, template-button, list and native-flow replies', async () => {
    expect((await receive({ buttonsResponseMessage: { selectedButtonId: 'yes', selectedDisplayText: 'Sim', contextInfo: { stanzaId: '3EB0BTNS' } } }))!.content).toEqual({
      type: 'buttonReply',
      buttonId: 'yes',
      text: 'Sim',
      quotedId: '3EB0BTNS',
    });
    expect((await receive({ templateButtonReplyMessage: { selectedId: 'b2', selectedDisplayText: 'Dois', selectedIndex: 1 } }))!.content).toEqual({ type: 'buttonReply', buttonId: 'b2', text: 'Dois' });
    const list = await receive({ listResponseMessage: { title: 'Plano B', description: 'Mais barato', singleSelectReply: { selectedRowId: 'r2' }, contextInfo: { stanzaId: '3EB0LIST' } } });
    expect(list!.content).toEqual({ type: 'listReply', rowId: 'r2', title: 'Plano B', text: 'Mais barato', quotedId: '3EB0LIST' });
    expect(list!.quotedId).toBe('3EB0LIST');
    const flow = await receive({ interactiveResponseMessage: { body: { text: 'Quero' }, nativeFlowResponseMessage: { name: 'quick_reply', paramsJson: '{"id":"want"}', version: 3 } } });
    expect(flow!.content).toEqual({ type: 'buttonReply', buttonId: 'want', text: 'Quero' });
  });

  it('buttons message with an image header (the header image is downloaded too)', async () => {
    const m = await receive({
      buttonsMessage: {
        contentText: 'Escolha',
        footerText: 'rodapé',
        headerType: proto.Message.ButtonsMessage.HeaderType.IMAGE,
        imageMessage: file('/v/hdr', 'image/jpeg'),
        buttons: [{ buttonId: 'a', buttonText: { displayText: 'A' }, type: 1 }, { buttonId: 'b', buttonText: { displayText: 'B' }, type: 1 }],
      },
    });
    expect(m!.content).toEqual({
      type: 'buttons',
      text: 'Escolha',
      footer: 'rodapé',
      buttons: [{ id: 'a', kind: 'REPLY', label: 'A' }, { id: 'b', kind: 'REPLY', label: 'B' }],
      image: kept('/v/hdr', 'image/jpeg'),
    });
    expect(download).toHaveBeenCalledWith(expect.objectContaining({ mediaType: 'image', topLevel: false }));
  });

  it('hydrated template: URL, call and quick-reply buttons', async () => {
    const m = await receive({
      templateMessage: {
        hydratedTemplate: {
          hydratedContentText: 'Olá',
          hydratedTitleText: 'Título',
          hydratedFooterText: 'Rodapé',
          hydratedButtons: [
            { index: 0, urlButton: { displayText: 'Site', url: 'https://openzap.dev' } },
            { index: 1, callButton: { displayText: 'Ligar', phoneNumber: '+55 11 3333-4444' } },
            { index: 2, quickReplyButton: { displayText: 'Ok', id: 'ok' } },
          ],
        },
      },
    });
    expect(m!.content).toEqual({
      type: 'buttons',
      text: 'Olá',
      title: 'Título',
      footer: 'Rodapé',
      buttons: [
        { id: '0', kind: 'URL', label: 'Site', url: 'https://openzap.dev' },
        { id: '1', kind: 'CALL', label: 'Ligar', phone: '551133334444' },
        { id: 'ok', kind: 'REPLY', label: 'Ok' },
      ],
      templateId: '',
    });
  });

  it('interactive messages: native-flow buttons (copy code), single select → list, PIX payment → pix, carousel', async () => {
    const btn = (name: string, params: object) => ({ name, buttonParamsJson: JSON.stringify(params) });
    const copy = await receive({
      interactiveMessage: { body: { text: 'Seu código' }, nativeFlowMessage: { buttons: [btn('cta_copy', { display_text: 'Copiar', copy_code: '123456' }), btn('unknown_kind', {})] } },
    });
    expect(copy!.content).toEqual({ type: 'buttons', text: 'Seu código', buttons: [{ id: '0', kind: 'COPY', label: 'Copiar', code: '123456' }] });

    const list = await receive({
      interactiveMessage: {
        header: { title: 'Menu' },
        body: { text: 'Escolha' },
        nativeFlowMessage: { buttons: [btn('single_select', { title: 'Ver', sections: [{ title: 'S1', rows: [{ id: 'r1', title: 'Um', description: 'primeiro' }] }] })] },
      },
    });
    expect(list!.content).toEqual({ type: 'list', text: 'Escolha', title: 'Menu', buttonLabel: 'Ver', sections: [{ title: 'S1', rows: [{ id: 'r1', title: 'Um', description: 'primeiro' }] }] });

    const pix = await receive({
      interactiveMessage: {
        nativeFlowMessage: {
          buttons: [btn('payment_info', { currency: 'BRL', reference_id: 'ref1', payment_settings: [{ type: 'pix_static_code', pix_static_code: { merchant_name: 'Loja', key: 'a@b.c', key_type: 'email' } }] })],
        },
      },
    });
    expect(pix!.content).toEqual({ type: 'pix', key: 'a@b.c', keyType: 'EMAIL', merchantName: 'Loja', currency: 'BRL', referenceId: 'ref1' });

    const carousel = await receive({
      interactiveMessage: {
        body: { text: 'Ofertas' },
        carouselMessage: {
          cards: [
            { header: { imageMessage: file('/v/c1', 'image/jpeg') }, body: { text: 'Card 1' }, nativeFlowMessage: { buttons: [btn('cta_url', { display_text: 'Ver', url: 'https://x.y' })] } },
            { body: { text: 'Card 2' }, nativeFlowMessage: { buttons: [btn('quick_reply', { display_text: 'Quero', id: 'q2' })] } },
          ],
        },
      },
    });
    expect(carousel!.content).toEqual({
      type: 'carousel',
      text: 'Ofertas',
      cards: [
        { text: 'Card 1', image: kept('/v/c1', 'image/jpeg'), buttons: [{ id: '0', kind: 'URL', label: 'Ver', url: 'https://x.y' }] },
        { text: 'Card 2', image: { id: '', mimeType: 'image/jpeg', size: 0 }, buttons: [{ id: 'q2', kind: 'REPLY', label: 'Quero' }] },
      ],
    });
  });

  it('list message', async () => {
    const m = await receive({
      listMessage: { title: 'Planos', description: 'Escolha um', buttonText: 'Ver planos', footerText: 'rodapé', listType: 1, sections: [{ title: 'Todos', rows: [{ rowId: 'p1', title: 'Básico', description: 'R$ 10' }, { rowId: 'p2', title: 'Pro' }] }] },
    });
    expect(m!.content).toEqual({
      type: 'list',
      text: 'Escolha um',
      title: 'Planos',
      buttonLabel: 'Ver planos',
      footer: 'rodapé',
      sections: [{ title: 'Todos', rows: [{ id: 'p1', title: 'Básico', description: 'R$ 10' }, { id: 'p2', title: 'Pro' }] }],
    });
  });

  it('product (its image kept), channel admin invite, group invite (as text)', async () => {
    const p = await receive({
      productMessage: {
        businessOwnerJid: '5511955554444@s.whatsapp.net',
        product: { productId: '8123', title: 'Camiseta', description: 'Algodão', currencyCode: 'BRL', priceAmount1000: 49900, productImage: file('/v/prod', 'image/jpeg') },
      },
    });
    expect(p!.content).toEqual({
      type: 'product',
      catalogJid: '5511955554444@s.whatsapp.net',
      productId: '8123',
      title: 'Camiseta',
      description: 'Algodão',
      price: 49.9,
      currency: 'BRL',
      image: kept('/v/prod', 'image/jpeg'),
    });
    const inv = await receive({ newsletterAdminInviteMessage: { newsletterJid: '120363000000000001@newsletter', newsletterName: 'Canal', caption: 'Seja admin', inviteExpiration: T + 86400 } });
    expect(inv!.content).toEqual({ type: 'newsletterAdminInvite', newsletterJid: '120363000000000001@newsletter', newsletterName: 'Canal', text: 'Seja admin', expiration: T + 86400 });
    const g = await receive({ groupInviteMessage: { groupJid: GROUP, inviteCode: 'AbCdEf', groupName: 'Equipe', caption: 'Entra aí' } });
    expect(g!.content).toEqual({ type: 'text', text: 'Entra aí\nEquipe: https://chat.whatsapp.com/AbCdEf' });
  });

  it('kinds the model cannot hold become a text with a note; protocol messages emit nothing', async () => {
    const call = await receive({ scheduledCallCreationMessage: { scheduledTimestampMs: T * 1000, callType: 1, title: 'Reunião' } });
    expect(call!.content).toEqual({ type: 'text', text: '[unsupported message: scheduledCallCreationMessage]' });
    const before = h.events.length;
    await receive({ keepInChatMessage: { key: { id: 'x' } } });
    await receive({ protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: 'y' } } });
    expect(h.events.length).toBe(before);
  });

  it('a reply to one of our statuses is a status reply; ephemeral and forwarded wrappers are seen through', async () => {
    const m = await receive({
      ephemeralMessage: {
        message: { extendedTextMessage: { text: 'que lindo', contextInfo: { stanzaId: '3EB0MYSTORY', remoteJid: 'status@broadcast', participant: ME_PN, isForwarded: false } } },
      },
    });
    expect(m).toMatchObject({ isStatusReply: true, quotedId: '3EB0MYSTORY', content: { type: 'text', text: 'que lindo' } });
    expect(m!.broadcast).toBeUndefined();
  });
});

describe('received-only kinds: carts, payments, ads, templates with a document or location header', () => {
  const THUMB = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
  const inlineKept = (bytes: Buffer, mimeType = 'image/jpeg') => ({ id: expect.stringMatching(/^media/), mimeType, size: bytes.length });

  it('a cart (orderMessage): its lines read with the order id and token, money in currency units, the thumbnail kept', async () => {
    sock.getOrderDetails.mockResolvedValueOnce({
      price: { total: 139800, currency: 'BRL' },
      products: [
        { id: '5338924696127051', name: 'Camiseta', imageUrl: 'https://mmg.test/p1.jpg', price: 59900, currency: 'BRL', quantity: 2 },
        { id: '5338924696127052', name: 'Boné', imageUrl: '', price: 20000, currency: 'BRL', quantity: 1 },
      ],
    });
    const m = await receive({
      orderMessage: {
        orderId: '422508169684569',
        thumbnail: THUMB,
        itemCount: 3,
        status: proto.Message.OrderMessage.OrderStatus.INQUIRY,
        surface: proto.Message.OrderMessage.OrderSurface.CATALOG,
        message: 'Entrega amanhã?',
        orderTitle: 'Camiseta',
        sellerJid: ME_PN,
        token: 'AR5d4yUr+DmSzeCR2kUtPEeMfS+eG0O+S/T/17B+oY1mfA==',
        totalAmount1000: 139800,
        totalCurrencyCode: 'BRL',
      },
    });
    expect(sock.getOrderDetails).toHaveBeenCalledWith('422508169684569', 'AR5d4yUr+DmSzeCR2kUtPEeMfS+eG0O+S/T/17B+oY1mfA==');
    expect(m!.content).toEqual({
      type: 'cart',
      orderId: '422508169684569',
      token: 'AR5d4yUr+DmSzeCR2kUtPEeMfS+eG0O+S/T/17B+oY1mfA==',
      itemCount: 3,
      message: 'Entrega amanhã?',
      title: 'Camiseta',
      sellerJid: ME_PN,
      thumbnail: inlineKept(THUMB),
      currency: 'BRL',
      total: 139.8,
      subTotal: 139.8,
      products: [
        { productId: '5338924696127051', name: 'Camiseta', quantity: 2, price: 59.9, currency: 'BRL' },
        { productId: '5338924696127052', name: 'Boné', quantity: 1, price: 20, currency: 'BRL' },
      ],
    });
    const ref = (m!.content as { thumbnail: { id: string } }).thumbnail;
    expect(await h.media.read(ref.id)).toEqual(THUMB);
  });

  it('a cart whose details cannot be read is still reported, from what the message says; a LID seller is resolved', async () => {
    sock.ev.emit('lid-mapping.update', { lid: '77665544332211@lid', pn: ME_PN });
    const m = await receive({ orderMessage: { orderId: '4225', itemCount: 1, orderTitle: 'Pedido', sellerJid: '77665544332211@lid', token: 'tok', totalAmount1000: 2000, totalCurrencyCode: 'BRL' } });
    expect(sock.getOrderDetails).toHaveBeenCalledWith('4225', 'tok');
    expect(m!.content).toEqual({ type: 'cart', orderId: '4225', token: 'tok', itemCount: 1, title: 'Pedido', sellerJid: ME_PN, currency: 'BRL', total: 2, subTotal: 2, products: [] });
  });

  it('a payment request: amount, who is asked to pay, expiry in ms, the note; a new request waits', async () => {
    const m = await receive({
      requestPaymentMessage: { currencyCodeIso4217: 'BRL', amount1000: 1000, requestFrom: ME_PN, expiryTimestamp: T + 604_800, noteMessage: { extendedTextMessage: { text: 'o almoço' } } },
    });
    expect(m!.content).toEqual({
      type: 'paymentRequest',
      value: 1,
      currency: 'BRL',
      requestFrom: ME_PN,
      expiration: (T + 604_800) * 1000,
      note: 'o almoço',
      payment: { value: 1, currency: 'BRL', status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' },
    });
  });

  it("a payment request with WhatsApp's payment record (history sync): its status and receiver; Money amounts", async () => {
    const m = await receive(
      { requestPaymentMessage: { requestFrom: ME_PN, amount: { value: 2500, offset: 100, currencyCode: 'USD' } } },
      {
        info: {
          paymentInfo: {
            receiverJid: CONTACT_JID,
            amount1000: 25_000,
            currency: 'USD',
            status: proto.PaymentInfo.Status.EXPIRED,
            txnStatus: proto.PaymentInfo.TxnStatus.COLLECT_EXPIRED,
          },
        },
      },
    );
    expect(m!.content).toEqual({
      type: 'paymentRequest',
      value: 25,
      currency: 'USD',
      requestFrom: ME_PN,
      expiration: 0,
      payment: { receiverJid: CONTACT_JID, value: 25, currency: 'USD', status: 'EXPIRED', transactionStatus: 'COLLECT_EXPIRED' },
    });
  });

  it('a payment sent: with its record; without one, the amount of the request it pays (from the store)', async () => {
    const withInfo = await receive(
      { sendPaymentMessage: { noteMessage: { conversation: 'pago' } } },
      { info: { paymentInfo: { receiverJid: ME_PN, amount1000: 12_340, currency: 'BRL', status: proto.PaymentInfo.Status.COMPLETE, txnStatus: proto.PaymentInfo.TxnStatus.SUCCESS } } },
    );
    expect(withInfo!.content).toEqual({ type: 'paymentSent', note: 'pago', payment: { receiverJid: ME_PN, value: 12.34, currency: 'BRL', status: 'COMPLETE', transactionStatus: 'SUCCESS' } });

    // Our request, typed on the phone, then the contact pays it.
    await receive({ requestPaymentMessage: { currencyCodeIso4217: 'BRL', amount1000: 50_000, requestFrom: CONTACT_JID } }, { fromMe: true, id: '3EB0OURREQUEST' });
    const paid = await receive({ sendPaymentMessage: { requestMessageKey: { remoteJid: ME_PN, fromMe: false, id: '3EB0OURREQUEST' } } });
    expect(paid!.content).toEqual({ type: 'paymentSent', requestId: '3EB0OURREQUEST', payment: { value: 50, currency: 'BRL', status: 'UNKNOWN_STATUS', transactionStatus: 'UNKNOWN' } });
    expect(paid!.quotedId).toBeUndefined(); // the webhook names the request through the content

    // A request we do not have: reported without an amount.
    const unknown = await receive({ sendPaymentMessage: { requestMessageKey: { id: '3EB0GONE' } } });
    expect(unknown!.content).toEqual({ type: 'paymentSent', requestId: '3EB0GONE', payment: { value: 0, currency: '', status: 'UNKNOWN_STATUS', transactionStatus: 'UNKNOWN' } });
  });

  it('a declined payment request: the request key, its amount from the store when there', async () => {
    await receive({ requestPaymentMessage: { currencyCodeIso4217: 'BRL', amount1000: 1000, requestFrom: CONTACT_JID } }, { fromMe: true, id: '3EB0REQ2DECLINE' });
    const d = await receive({ declinePaymentRequestMessage: { key: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0REQ2DECLINE' } } });
    expect(d!.content).toEqual({ type: 'paymentDeclined', request: { id: '3EB0REQ2DECLINE', chatJid: CONTACT_JID, fromMe: true }, value: 1, currency: 'BRL' });
    const gone = await receive({ declinePaymentRequestMessage: { key: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0NOTSTORED' } } });
    expect(gone!.content).toEqual({ type: 'paymentDeclined', request: { id: '3EB0NOTSTORED', chatJid: CONTACT_JID, fromMe: true } });
  });

  it('a text from a click-to-WhatsApp ad: the ad beside the text, its inline image kept', async () => {
    const m = await receive({
      extendedTextMessage: {
        text: 'Quero saber mais',
        contextInfo: {
          externalAdReply: {
            title: 'Promoção',
            body: 'Tudo pela metade do preço',
            mediaType: proto.ContextInfo.ExternalAdReplyInfo.MediaType.IMAGE,
            thumbnailUrl: 'https://scontent.test/ad.jpg',
            thumbnail: THUMB,
            sourceType: 'ad',
            sourceId: '23722824350495506',
            sourceUrl: 'https://fb.me/2Xyz',
            containsAutoReply: false,
            renderLargerThumbnail: true,
            showAdAttribution: true,
            ctwaClid: 'Aff-niaAw7V94N8L',
          },
        },
      },
    });
    expect(m!.content).toEqual({
      type: 'text',
      text: 'Quero saber mais',
      ad: {
        title: 'Promoção',
        body: 'Tudo pela metade do preço',
        mediaType: 1,
        thumbnail: inlineKept(THUMB),
        thumbnailUrl: 'https://scontent.test/ad.jpg',
        sourceType: 'ad',
        sourceId: '23722824350495506',
        sourceUrl: 'https://fb.me/2Xyz',
        ctwaClid: 'Aff-niaAw7V94N8L',
        containsAutoReply: false,
        renderLargerThumbnail: true,
        showAdAttribution: true,
      },
    });
    expect(download).not.toHaveBeenCalled();
  });

  it('hydrated templates with a document header (downloaded) and with a location header; the template id kept', async () => {
    const doc = await receive({
      templateMessage: {
        templateId: '811492407484976',
        hydratedTemplate: {
          documentMessage: { ...file('/v/tpl-doc', 'application/pdf'), fileName: 'boleto.pdf' },
          hydratedContentText: 'Seu boleto',
          hydratedFooterText: 'Loja',
          hydratedButtons: [{ index: 0, urlButton: { displayText: 'Pagar', url: 'https://pay.test/1' } }],
        },
      },
    });
    expect(doc!.content).toEqual({
      type: 'buttons',
      text: 'Seu boleto',
      footer: 'Loja',
      buttons: [{ id: '0', kind: 'URL', label: 'Pagar', url: 'https://pay.test/1' }],
      document: kept('/v/tpl-doc', 'application/pdf', 'boleto.pdf'),
      templateId: '811492407484976',
    });
    expect(download).toHaveBeenCalledWith(expect.objectContaining({ mediaType: 'document', topLevel: false }));

    const loc = await receive({
      templateMessage: {
        hydratedFourRowTemplate: {
          templateId: '1143940003434066',
          locationMessage: { degreesLatitude: -23.5489, degreesLongitude: -46.6388, name: 'Sé', address: 'Praça da Sé' },
          hydratedContentText: 'Estamos aqui',
          hydratedButtons: [{ index: 0, quickReplyButton: { displayText: 'Chegando', id: 'q' } }],
        },
      },
    });
    expect(loc!.content).toEqual({
      type: 'buttons',
      text: 'Estamos aqui',
      buttons: [{ id: 'q', kind: 'REPLY', label: 'Chegando' }],
      location: { latitude: -23.5489, longitude: -46.6388, name: 'Sé', address: 'Praça da Sé' },
      templateId: '1143940003434066',
    });
  });
});

describe('poll votes and event responses: decrypted against the stored poll or event', () => {
  it('a vote on our poll → pollVote with the option names', async () => {
    await h.engine.messages.send({ id: '3EB0MYPOLL01', to: CONTACT_JID, content: { type: 'poll', question: 'Cor?', options: ['Azul', 'Verde'], maxOptions: 0 } });
    const secret = (await h.engine.store.message('3EB0MYPOLL01'))!.message!.messageContextInfo!.messageSecret!;
    const enc = encryptAddon(proto.Message.PollVoteMessage.encode({ selectedOptions: [optionHash('Verde')] }).finish(), secret, 'Poll Vote', '3EB0MYPOLL01', ME_PN, CONTACT_JID);
    const m = await receive({ pollUpdateMessage: { pollCreationMessageKey: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0MYPOLL01' }, vote: enc, senderTimestampMs: T * 1000 } });
    expect(m).toMatchObject({ senderJid: CONTACT_JID, content: { type: 'pollVote', poll: { id: '3EB0MYPOLL01', chatJid: CONTACT_JID, fromMe: true }, options: ['Verde'] } });
  });

  it('a vote in a LID group, encrypted with the LID forms, on a poll by another member', async () => {
    const secret = Buffer.alloc(32, 3);
    const author = '300000000000001@lid';
    await receive(
      { pollCreationMessage: { name: 'Dia?', options: [{ optionName: 'Seg' }, { optionName: 'Ter' }] }, messageContextInfo: { messageSecret: secret } },
      { remoteJid: GROUP, participant: author, id: '3EB0GPOLL02' },
    );
    const enc = encryptAddon(proto.Message.PollVoteMessage.encode({ selectedOptions: [optionHash('Seg'), optionHash('Ter')] }).finish(), secret, 'Poll Vote', '3EB0GPOLL02', author, CONTACT_LID);
    const m = await receive(
      { pollUpdateMessage: { pollCreationMessageKey: { remoteJid: GROUP, fromMe: false, id: '3EB0GPOLL02', participant: author }, vote: enc } },
      { remoteJid: GROUP, participant: CONTACT_LID, key: { participantAlt: CONTACT_JID } },
    );
    expect(m).toMatchObject({ senderJid: CONTACT_JID, senderLid: CONTACT_LID, content: { type: 'pollVote', poll: { id: '3EB0GPOLL02', chatJid: GROUP }, options: ['Seg', 'Ter'] } });
  });

  it('a vote on a poll we do not have, or that does not decrypt, is not reported', async () => {
    const before = h.events.filter((e) => e.name === 'message').length;
    await receive({ pollUpdateMessage: { pollCreationMessageKey: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0NOPOLL' }, vote: { encPayload: Buffer.alloc(20), encIv: Buffer.alloc(12) } } });
    await h.engine.messages.send({ id: '3EB0MYPOLL03', to: CONTACT_JID, content: { type: 'poll', question: 'Q', options: ['a'], maxOptions: 0 } });
    await receive({ pollUpdateMessage: { pollCreationMessageKey: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0MYPOLL03' }, vote: { encPayload: Buffer.alloc(20), encIv: Buffer.alloc(12) } } });
    expect(h.events.filter((e) => e.name === 'message').length).toBe(before);
  });

  it('a response to our event → eventResponse', async () => {
    await h.engine.messages.send({ id: '3EB0MYEVENT1', to: CONTACT_JID, content: { type: 'event', name: 'Churrasco', startTime: T, canceled: false } });
    const secret = (await h.engine.store.message('3EB0MYEVENT1'))!.message!.messageContextInfo!.messageSecret!;
    const plain = proto.Message.EventResponseMessage.encode({ response: proto.Message.EventResponseMessage.EventResponseType.MAYBE, timestampMs: T * 1000 }).finish();
    const enc = encryptAddon(plain, secret, 'Event Response', '3EB0MYEVENT1', ME_PN, CONTACT_JID);
    const m = await receive({ encEventResponseMessage: { eventCreationMessageKey: { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0MYEVENT1' }, ...enc } });
    expect(m!.content).toEqual({ type: 'eventResponse', event: { id: '3EB0MYEVENT1', chatJid: CONTACT_JID, fromMe: true }, response: 'MAYBE' });
  });
});
