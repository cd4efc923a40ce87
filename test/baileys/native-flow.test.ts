// Interactive content (buttons, lists, OTP, PIX, carousels, orders, order updates) → the exact
// relayMessage call: the native-flow message as it goes on the wire (encoded and decoded again,
// buttonParamsJson parsed back), the <biz> stanza node, the enqueued message id; header media
// uploaded from the media store's bytes; what is refused with 501 and why; and the engine's whole
// send path (store, retries, replies, SENT) for a native-flow message.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { proto, type BinaryNode, type WAMessage } from 'baileys';
import type { Store } from '../../src/store/db.js';
import type { MediaRef, MessageContent, OrderDetails } from '../../src/engines/content.js';
import { mapContent } from '../../src/engines/baileys/content-in.js';
import { useConnectedEngine, portSends, sampleJpeg, makeEngine, ME, settle, type EngineHarness, type FakeSocket } from './fake-socket.js';

const CONTACT_JID = '5511987654321@s.whatsapp.net';
const GROUP = '120363025246125486@g.us';
const NEWSLETTER = '120363000000000000@newsletter';

const MIXED_BIZ: BinaryNode = {
  tag: 'biz',
  attrs: {},
  content: [{ tag: 'interactive', attrs: { type: 'native_flow', v: '1' }, content: [{ tag: 'native_flow', attrs: { v: '9', name: 'mixed' } }] }],
};

let store: Store;
let h: EngineHarness;
let sock: FakeSocket;
let jpeg: Buffer;

useConnectedEngine((e) => ({ store, h, sock } = e));
beforeEach(async () => {
  jpeg = await sampleJpeg();
});

const send = portSends(() => h, '3EB0FLOW', CONTACT_JID);

/** The last relayMessage call: [jid, message, options]. */
const lastRelay = () => sock.relayMessage.mock.calls.at(-1)!;

/** The message as it goes on the wire: encoded and decoded back (bytes as base64, enums as names). */
function wire(m: proto.IMessage): Record<string, any> {
  return proto.Message.decode(proto.Message.encode(m).finish()).toJSON();
}

/** The native-flow buttons of an interactive message: name and parsed parameters. */
function buttonsOf(im: Record<string, any>): { name: string; params: unknown }[] {
  return (im.nativeFlowMessage.buttons as { name: string; buttonParamsJson: string }[]).map((b) => ({ name: b.name, params: JSON.parse(b.buttonParamsJson) }));
}

/** The last relayed message: checks the call's jid, id and <biz> node, returns the wire form. */
function relayed(to: string, id: string, biz: BinaryNode): Record<string, any> {
  const [jid, message, opts] = lastRelay();
  expect(jid).toBe(to);
  expect(opts).toEqual({ messageId: id, additionalNodes: [biz] });
  const w = wire(message);
  // No view-once wrapper; a 32-byte message secret beside the interactiveMessage.
  expect(Object.keys(w).sort()).toEqual(['interactiveMessage', 'messageContextInfo']);
  expect(Buffer.from(w.messageContextInfo.messageSecret, 'base64')).toHaveLength(32);
  expect(sock.sendMessage).not.toHaveBeenCalled();
  return w;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');

/** A header media message was uploaded from exactly these bytes (the plaintext hash and length travel in the message). */
function expectUploaded(media: Record<string, any>, bytes: Buffer, mimeType: string, mediaType: string) {
  expect(media).toMatchObject({ mimetype: mimeType, fileSha256: sha256(bytes), fileLength: String(bytes.length) });
  expect(media.mediaKey).toBeTruthy();
  expect(media.directPath).toBe(`/test/${mediaType}/${encodeURIComponent(media.fileEncSha256)}`);
  expect(sock.waUploadToServer).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ mediaType, fileEncSha256B64: media.fileEncSha256 }));
}

describe('buttons', () => {
  it('send-button-actions: reply, URL, call and copy buttons as quick_reply, cta_url, cta_call and cta_copy', async () => {
    const { id, res } = await send({
      type: 'buttons',
      text: 'Escolha',
      title: 'Atendimento',
      footer: 'OpenZap',
      buttons: [
        { id: 'yes', kind: 'REPLY', label: 'Sim' },
        { id: '2', kind: 'URL', label: 'Site', url: 'https://openzap.dev/x' },
        { id: '3', kind: 'CALL', label: 'Ligar', phone: '5511999990000' },
        { id: '4', kind: 'COPY', label: 'Copiar', code: 'ABC-123' },
      ],
    });
    expect(res.duplicate).toBe(false);
    const im = relayed(CONTACT_JID, id, MIXED_BIZ).interactiveMessage;
    expect(im.header).toEqual({ title: 'Atendimento', hasMediaAttachment: false });
    expect(im.body).toEqual({ text: 'Escolha' });
    expect(im.footer).toEqual({ text: 'OpenZap' });
    expect(im.nativeFlowMessage.messageVersion).toBe(1);
    expect(buttonsOf(im)).toEqual([
      { name: 'quick_reply', params: { display_text: 'Sim', id: 'yes' } },
      { name: 'cta_url', params: { display_text: 'Site', url: 'https://openzap.dev/x', merchant_url: 'https://openzap.dev/x' } },
      { name: 'cta_call', params: { display_text: 'Ligar', phone_number: '+5511999990000' } },
      { name: 'cta_copy', params: { display_text: 'Copiar', copy_code: 'ABC-123' } },
    ]);
    expect(sock.waUploadToServer).not.toHaveBeenCalled();
  });

  it('send-button-list with an image: the header image is uploaded from the media store bytes', async () => {
    const ref = await h.media.add(jpeg, 'image/jpeg', 'capa.jpg');
    const { id } = await send({ type: 'buttons', text: 'Gostou?', buttons: [{ id: '1', kind: 'REPLY', label: 'Sim' }, { id: '2', kind: 'REPLY', label: 'Não' }], image: ref });
    expect(h.media.read).toHaveBeenCalledWith(ref.id);
    const im = relayed(CONTACT_JID, id, MIXED_BIZ).interactiveMessage;
    expect(im.header.hasMediaAttachment).toBe(true);
    expect(im.header.title).toBeUndefined();
    expectUploaded(im.header.imageMessage, jpeg, 'image/jpeg', 'image');
    expect(im.header.imageMessage).toMatchObject({ width: 64, height: 48 });
    expect(sock.waUploadToServer).toHaveBeenCalledTimes(1);
    expect(im.footer).toBeUndefined();
    expect(buttonsOf(im)).toEqual([
      { name: 'quick_reply', params: { display_text: 'Sim', id: '1' } },
      { name: 'quick_reply', params: { display_text: 'Não', id: '2' } },
    ]);
  });

  it('send-button-list with a video: the header video is uploaded as video', async () => {
    const bytes = Buffer.from('fake mp4 bytes for a header');
    const ref = await h.media.add(bytes, 'video/mp4');
    const { id } = await send({ type: 'buttons', text: 'Veja', buttons: [{ id: 'ok', kind: 'REPLY', label: 'Ok' }], video: ref });
    const im = relayed(CONTACT_JID, id, MIXED_BIZ).interactiveMessage;
    expect(im.header.hasMediaAttachment).toBe(true);
    expect(im.header.imageMessage).toBeUndefined();
    expectUploaded(im.header.videoMessage, bytes, 'video/mp4', 'video');
  });

  it('a received template sent on: its document header uploaded, its location header as given', async () => {
    const pdf = Buffer.from('%PDF-1.4 fake template header');
    const doc = await h.media.add(pdf, 'application/pdf', 'boleto.pdf');
    const first = await send({ type: 'buttons', text: 'Boleto', buttons: [{ id: '0', kind: 'URL', label: 'Pagar', url: 'https://pag.test' }], document: doc }, { forwarded: true });
    let im = relayed(CONTACT_JID, first.id, MIXED_BIZ).interactiveMessage;
    expectUploaded(im.header.documentMessage, pdf, 'application/pdf', 'document');
    expect(im.header.documentMessage.fileName).toBe('boleto.pdf');

    const location = { latitude: -23.5, longitude: -46.6, name: 'Loja', address: 'Av. Paulista' };
    const second = await send({ type: 'buttons', text: 'Onde', buttons: [{ id: 'ok', kind: 'REPLY', label: 'Ok' }], location });
    im = relayed(CONTACT_JID, second.id, MIXED_BIZ).interactiveMessage;
    expect(im.header).toEqual({ hasMediaAttachment: true, locationMessage: { degreesLatitude: -23.5, degreesLongitude: -46.6, name: 'Loja', address: 'Av. Paulista' } });
  });

  it('header media the store no longer has fails the send; nothing goes out', async () => {
    const gone: MediaRef = { id: 'gone', mimeType: 'image/jpeg', size: 1 };
    await expect(send({ type: 'buttons', text: 't', buttons: [{ id: '1', kind: 'REPLY', label: 'A' }], image: gone })).rejects.toMatchObject({ statusCode: 404 });
    expect(sock.relayMessage).not.toHaveBeenCalled();
  });
});

describe('list, OTP, carousel', () => {
  it('send-option-list: a single_select button with the sections and rows', async () => {
    const { id } = await send({
      type: 'list',
      text: 'Escolha um plano',
      title: 'Planos',
      buttonLabel: 'Ver planos',
      sections: [{ title: 'Planos', rows: [{ id: 'p1', title: 'Básico', description: 'R$ 10' }, { id: 'p2', title: 'Pro' }] }],
    });
    const im = relayed(CONTACT_JID, id, MIXED_BIZ).interactiveMessage;
    expect(im.header).toEqual({ title: 'Planos', hasMediaAttachment: false });
    expect(im.body).toEqual({ text: 'Escolha um plano' });
    expect(buttonsOf(im)).toEqual([
      {
        name: 'single_select',
        params: { title: 'Ver planos', sections: [{ title: 'Planos', rows: [{ id: 'p1', title: 'Básico', description: 'R$ 10' }, { id: 'p2', title: 'Pro' }] }] },
      },
    ]);
  });

  it('send-button-otp: a cta_copy button with the code; the image header uploaded', async () => {
    const { id } = await send({ type: 'otp', text: 'Seu código: 482913', code: '482913', buttonText: 'Copiar código' });
    let im = relayed(CONTACT_JID, id, MIXED_BIZ).interactiveMessage;
    expect(im.header).toEqual({ hasMediaAttachment: false });
    expect(im.body).toEqual({ text: 'Seu código: 482913' });
    expect(buttonsOf(im)).toEqual([{ name: 'cta_copy', params: { display_text: 'Copiar código', copy_code: '482913' } }]);

    const ref = await h.media.add(jpeg, 'image/jpeg');
    const second = await send({ type: 'otp', text: 'Código', code: '000111', image: ref });
    im = relayed(CONTACT_JID, second.id, MIXED_BIZ).interactiveMessage;
    expectUploaded(im.header.imageMessage, jpeg, 'image/jpeg', 'image');
    expect(buttonsOf(im)).toEqual([{ name: 'cta_copy', params: { display_text: 'Copy code', copy_code: '000111' } }]);
  });

  it('send-carousel: one card per item, each an interactive message with its uploaded image and buttons', async () => {
    const png = await sharp({ create: { width: 30, height: 30, channels: 3, background: '#0c0' } }).png().toBuffer();
    const a = await h.media.add(jpeg, 'image/jpeg');
    const b = await h.media.add(png, 'image/png');
    const { id } = await send({
      type: 'carousel',
      text: 'Nossos produtos',
      cards: [
        { text: 'Camiseta', image: a, buttons: [{ id: '1', kind: 'URL', label: 'Comprar', url: 'https://loja.test/c' }, { id: 'q', kind: 'REPLY', label: 'Quero' }] },
        { text: 'Boné', image: b, buttons: [{ id: '1', kind: 'CALL', label: 'Ligar', phone: '5511988887777' }] },
      ],
    });
    const im = relayed(CONTACT_JID, id, MIXED_BIZ).interactiveMessage;
    expect(im.body).toEqual({ text: 'Nossos produtos' });
    expect(im.nativeFlowMessage).toBeUndefined();
    expect(im.carouselMessage.messageVersion).toBe(1);
    expect(im.carouselMessage.carouselCardType).toBe('HSCROLL_CARDS');
    const cards = im.carouselMessage.cards as Record<string, any>[];
    expect(cards).toHaveLength(2);
    expect(cards.map((c) => c.body)).toEqual([{ text: 'Camiseta' }, { text: 'Boné' }]);
    expectUploaded(cards[0].header.imageMessage, jpeg, 'image/jpeg', 'image');
    expectUploaded(cards[1].header.imageMessage, png, 'image/png', 'image');
    expect(cards.map((c) => c.header.hasMediaAttachment)).toEqual([true, true]);
    expect(sock.waUploadToServer).toHaveBeenCalledTimes(2);
    expect(buttonsOf(cards[0])).toEqual([
      { name: 'cta_url', params: { display_text: 'Comprar', url: 'https://loja.test/c', merchant_url: 'https://loja.test/c' } },
      { name: 'quick_reply', params: { display_text: 'Quero', id: 'q' } },
    ]);
    expect(buttonsOf(cards[1])).toEqual([{ name: 'cta_call', params: { display_text: 'Ligar', phone_number: '+5511988887777' } }]);
  });
});

describe('payment flows', () => {
  const order: OrderDetails = {
    currency: 'BRL',
    products: [
      { productId: 'custom-item-4N8FCTW23N7', name: 'order 1', value: 150, quantity: 2, isCustomItem: true },
      { productId: '23940797548900636', name: 'order 2', value: 150.5, quantity: 1 },
    ],
    discount: 10,
    tax: 10,
    shipping: 5,
  };

  it('send-button-pix: payment_info with the static PIX key, and the flat <biz native_flow_name="payment_info"/>', async () => {
    const { id } = await send({ type: 'pix', key: '(11) 99999-0000', keyType: 'PHONE', merchantName: 'Loja', currency: 'BRL', referenceId: '4N9AVI38VOB' });
    const im = relayed(CONTACT_JID, id, { tag: 'biz', attrs: { native_flow_name: 'payment_info' } }).interactiveMessage;
    expect(im.header).toEqual({ hasMediaAttachment: false });
    expect(im.body).toBeUndefined();
    expect(im.nativeFlowMessage.messageVersion).toBe(1);
    const zero = { value: 0, offset: 100 };
    expect(buttonsOf(im)).toEqual([
      {
        name: 'payment_info',
        params: {
          currency: 'BRL',
          total_amount: zero,
          reference_id: '4N9AVI38VOB',
          type: 'physical-goods',
          order: { status: 'pending', subtotal: zero, order_type: 'ORDER', items: [{ name: '', amount: zero, quantity: 0, sale_amount: zero }] },
          payment_settings: [{ type: 'pix_static_code', pix_static_code: { merchant_name: 'Loja', key: '+5511999990000', key_type: 'PHONE' } }],
          share_payment_status: false,
        },
      },
    ]);
  });

  it('PIX keys go as the DICT has them: CPF and CNPJ digits only; e-mail and random keys as given', async () => {
    const keyOf = () => (buttonsOf(wire(lastRelay()[1]).interactiveMessage)[0].params as any).payment_settings[0].pix_static_code;
    await send({ type: 'pix', key: '123.456.789-09', keyType: 'CPF', currency: 'BRL', referenceId: 'R1' });
    expect(keyOf()).toEqual({ merchant_name: 'Pix', key: '12345678909', key_type: 'CPF' });
    await send({ type: 'pix', key: '12.345.678/0001-99', keyType: 'CNPJ', merchantName: 'ACME', currency: 'BRL', referenceId: 'R2' });
    expect(keyOf()).toEqual({ merchant_name: 'ACME', key: '12345678000199', key_type: 'CNPJ' });
    await send({ type: 'pix', key: '+55 11 98888-7777', keyType: 'PHONE', currency: 'BRL', referenceId: 'R3' });
    expect(keyOf().key).toBe('+5511988887777');
    await send({ type: 'pix', key: 'Pix@Loja.com', keyType: 'EMAIL', currency: 'BRL', referenceId: 'R4' });
    expect(keyOf().key).toBe('Pix@Loja.com');
  });

  it('send-order: review_and_pay with the order, totals in cents and the payment settings; <biz native_flow_name="order_details"/>', async () => {
    const { id } = await send({
      type: 'order',
      text: 'Seu pedido',
      referenceId: '4N9AVI38VOB',
      orderRequestId: '4N9AVI38VYZ',
      order,
      payment: { pix: { key: '123.456.789-09', keyType: 'CPF', name: 'Loja' }, card: { enabled: true } },
      subTotal: 450.5,
      total: 455.5,
    });
    const im = relayed(CONTACT_JID, id, { tag: 'biz', attrs: { native_flow_name: 'order_details' } }).interactiveMessage;
    expect(im.header).toEqual({ hasMediaAttachment: false });
    expect(im.body).toEqual({ text: 'Seu pedido' });
    expect(buttonsOf(im)).toEqual([
      {
        name: 'review_and_pay',
        params: {
          reference_id: '4N9AVI38VOB',
          type: 'physical-goods',
          currency: 'BRL',
          total_amount: { value: 45550, offset: 100 },
          order: {
            status: 'pending',
            order_type: 'ORDER',
            subtotal: { value: 45050, offset: 100 },
            items: [
              { retailer_id: 'custom-item-4N8FCTW23N7', name: 'order 1', amount: { value: 15000, offset: 100 }, quantity: 2, isCustomItem: true, isQuantitySet: true },
              { retailer_id: '23940797548900636', name: 'order 2', amount: { value: 15050, offset: 100 }, quantity: 1, isCustomItem: false, isQuantitySet: true },
            ],
            tax: { value: 1000, offset: 100 },
            shipping: { value: 500, offset: 100 },
            discount: { value: 1000, offset: 100 },
          },
          payment_settings: [
            { type: 'pix_static_code', pix_static_code: { merchant_name: 'Loja', key: '12345678909', key_type: 'CPF' } },
            { type: 'cards', cards: { enabled: true } },
          ],
        },
      },
    ]);
  });

  it('order-status-update: review_order with the reference and status, answering the order message; <biz native_flow_name="order_status"/>', async () => {
    const sent = await send({ type: 'order', referenceId: 'REF1', orderRequestId: 'REQ1', order, payment: {}, subTotal: 450.5, total: 455.5 });
    const orderParams = buttonsOf(wire(lastRelay()[1]).interactiveMessage)[0].params as Record<string, unknown>;
    expect(orderParams).not.toHaveProperty('payment_settings');
    const { id } = await send({
      type: 'orderUpdate',
      update: 'status',
      orderMessageId: sent.id,
      text: 'Saiu para entrega',
      referenceId: 'REF1',
      orderRequestId: 'REQ1',
      orderStatus: 'shipped',
      paymentStatus: 'pending',
      order,
      subTotal: 450.5,
      total: 455.5,
    });
    const im = relayed(CONTACT_JID, id, { tag: 'biz', attrs: { native_flow_name: 'order_status' } }).interactiveMessage;
    expect(im.body).toEqual({ text: 'Saiu para entrega' });
    expect(buttonsOf(im)).toEqual([{ name: 'review_order', params: { reference_id: 'REF1', order: { status: 'shipped' } } }]);
    expect(im.contextInfo).toMatchObject({ stanzaId: sent.id, participant: `${ME}@s.whatsapp.net` });
    expect(im.contextInfo.quotedMessage.interactiveMessage.nativeFlowMessage.buttons[0].name).toBe('review_and_pay');
  });
});

describe('unsupportedReason', () => {
  const reason = (c: MessageContent, to = CONTACT_JID) => h.engine.messages.unsupportedReason(c, to);
  const media: MediaRef = { id: 'm', mimeType: 'image/jpeg', size: 1 };
  const order: OrderDetails = { currency: 'BRL', products: [] };
  const interactive: MessageContent[] = [
    { type: 'buttons', text: 't', buttons: [{ id: '1', kind: 'REPLY', label: 'Sim' }] },
    { type: 'list', text: 't', title: 'T', buttonLabel: 'Ver', sections: [] },
    { type: 'otp', text: 't', code: '123456' },
    { type: 'carousel', text: 't', cards: [{ text: 'c', image: media, buttons: [] }] },
  ];
  const payments: MessageContent[] = [
    { type: 'pix', key: 'k', keyType: 'EVP', currency: 'BRL', referenceId: 'r' },
    { type: 'order', referenceId: 'r', orderRequestId: 'o', order, payment: {}, subTotal: 0, total: 0 },
    { type: 'orderUpdate', update: 'status', orderMessageId: 'x', referenceId: 'r', orderRequestId: 'o', orderStatus: 'shipped', paymentStatus: 'pending', order, subTotal: 0, total: 0 },
  ];

  it('buttons, lists, OTP and carousels go to people and groups', () => {
    for (const c of interactive) {
      expect(reason(c)).toBeNull();
      expect(reason(c, '210987654321098@lid')).toBeNull();
      expect(reason(c, GROUP)).toBeNull();
    }
  });

  it('PIX, orders and order status updates go to people only (WhatsApp has payment flows in one-to-one chats)', () => {
    for (const c of payments) {
      expect(reason(c)).toBeNull();
      expect(reason(c, GROUP)).toMatch(/one-to-one/);
    }
  });

  it('statuses and channels take none of them', () => {
    for (const c of [...interactive, ...payments]) {
      expect(reason(c, 'status@broadcast')).toMatch(/status/);
      expect(reason(c, NEWSLETTER)).toMatch(/Channels/);
    }
  });

  it('order payment updates and channel admin invites stay 501, with the reason', () => {
    const payment = { ...(payments[2] as Extract<MessageContent, { type: 'orderUpdate' }>), update: 'payment' as const, paymentStatus: 'paid' };
    expect(reason(payment)).toMatch(/payment status/);
    expect(reason(payment)).toMatch(/order-status-update/);
    expect(reason({ type: 'newsletterAdminInvite', newsletterJid: '1@newsletter', text: 't', expiration: 0 })).toMatch(/admin invite/);
  });

  it('sending a refused one anyway: 501, nothing relayed', async () => {
    await expect(send(interactive[0], {}, 'status@broadcast')).rejects.toMatchObject({ statusCode: 501, error: 'unsupported' });
    await expect(send(payments[0], {}, GROUP)).rejects.toMatchObject({ statusCode: 501, error: 'unsupported' });
    expect(sock.relayMessage).not.toHaveBeenCalled();
  });
});

describe('the engine send path', () => {
  const buttons: MessageContent = { type: 'buttons', text: 'Confirma?', buttons: [{ id: 'y', kind: 'REPLY', label: 'Sim' }, { id: 'n', kind: 'REPLY', label: 'Não' }] };

  it('OutgoingMessage → relayMessage under its id, stored for retries and replies, SENT, a resend recognised', async () => {
    const id = '3EB0NATIVEFLOW0001';
    const res = await h.engine.messages.send({ id, to: CONTACT_JID, content: buttons });
    expect(sock.relayMessage).toHaveBeenCalledTimes(1);
    const [, relayedMsg, opts] = lastRelay();
    expect(opts.messageId).toBe(id);
    expect(h.events).toEqual([{ name: 'messageStatus', args: { ids: [id], chatJid: CONTACT_JID, status: 'SENT', timestamp: res.timestamp, device: 0 } }]);

    // Baileys' retry path (getMessage) gets exactly what was relayed, also from a fresh engine.
    const key = { remoteJid: CONTACT_JID, fromMe: true, id };
    const back = await sock.config.getMessage!(key);
    expect(proto.Message.encode(back!).finish()).toEqual(proto.Message.encode(relayedMsg).finish());
    const other = makeEngine(store.db);
    await other.engine.connect();
    expect(proto.Message.encode((await other.sockets.last.config.getMessage!(key))!).finish()).toEqual(proto.Message.encode(relayedMsg).finish());
    await other.engine.close();

    // What was sent reads back as the same content.
    expect(mapContent(back)!.content).toEqual(buttons);

    const again = await h.engine.messages.send({ id, to: CONTACT_JID, content: buttons });
    expect(again.duplicate).toBe(true);
    expect(sock.relayMessage).toHaveBeenCalledTimes(1);
  });

  it('a reply quotes the stored original; a forward is marked; a reply to the buttons quotes them', async () => {
    const original = proto.WebMessageInfo.fromObject({
      key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0THEIRS01' },
      message: { conversation: 'Quero comprar' },
      messageTimestamp: 1_760_000_000,
    }) as WAMessage;
    sock.ev.emit('messages.upsert', { messages: [original], type: 'notify' });
    await h.engine.idle();
    await settle();

    const { id } = await send(buttons, { quotedId: '3EB0THEIRS01' });
    const im = relayed(CONTACT_JID, id, MIXED_BIZ).interactiveMessage;
    expect(im.contextInfo).toEqual({ stanzaId: '3EB0THEIRS01', participant: CONTACT_JID, quotedMessage: { conversation: 'Quero comprar' } });

    const fwd = await send(buttons, { forwarded: true });
    expect(relayed(CONTACT_JID, fwd.id, MIXED_BIZ).interactiveMessage.contextInfo).toEqual({ isForwarded: true, forwardingScore: 1 });

    // The contact taps a button: the reply names our message, which the store has.
    h.events.length = 0;
    const tap = proto.WebMessageInfo.fromObject({
      key: { remoteJid: CONTACT_JID, fromMe: false, id: '3EB0TAP0001' },
      message: {
        interactiveResponseMessage: {
          body: { text: 'Sim' },
          nativeFlowResponseMessage: { name: 'quick_reply', paramsJson: JSON.stringify({ id: 'y' }), version: 3 },
          contextInfo: { stanzaId: id, participant: `${ME}@s.whatsapp.net` },
        },
      },
      messageTimestamp: 1_760_000_100,
    }) as WAMessage;
    sock.ev.emit('messages.upsert', { messages: [tap], type: 'notify' });
    await h.engine.idle();
    await settle();
    const got = h.events.find((e) => e.name === 'message')?.args as { content: unknown; quoted?: { id: string } } | undefined;
    expect(got?.content).toEqual({ type: 'buttonReply', buttonId: 'y', text: 'Sim', quotedId: id });
  });

  it('a closed connection while relaying: 409 not-connected (the queue keeps the message)', async () => {
    sock.relayMessage.mockRejectedValueOnce(Object.assign(new Error('Connection Closed'), { output: { statusCode: 428 } }));
    await expect(send(buttons)).rejects.toMatchObject({ statusCode: 409, error: 'not-connected' });
  });
});
