// POST /sandbox/inbound/{cart, payment-request, payment-sent, payment-declined, ad-text, template}:
// a simulated contact sends what no send endpoint produces, and the instance's webhook receives
// the documented ReceivedCallback variant (zapi-webhook-received.txt), value by value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestInstance } from '../helpers/server.js';
import { TwoInstances } from '../helpers/two-instances.js';
import { SAMPLES, dataUri } from '../helpers/media-samples.js';
import { fetchBytes } from '../helpers/http.js';
import { expectError } from './expect.js';

const CONTACT = '5511976541001';
const MEDIA_URL = /^http:\/\/127\.0\.0\.1:\d+\/media\/[^/]+\/[^/]+$/;

describe('sandbox: variants only received', () => {
  const net = new TwoInstances();
  beforeAll(() => net.start());
  afterAll(() => net.stop());
  const { at, received } = net;

  let accepted = 0;

  /** The contact sends through `path`; the ReceivedCallback A gets for it. */
  async function inbound(path: string, body: Record<string, unknown>): Promise<any> {
    const res = await net.A.call('POST', `/sandbox/inbound${path}`, { phone: CONTACT, senderName: 'Maria', ...body });
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    accepted++;
    expect(res.body).toEqual({ messageId: expect.stringMatching(/^3EB0[0-9A-F]{20}$/), id: res.body.messageId });
    const got = (await received('a', res.body.messageId)).body;
    expect(got).toMatchObject({ phone: CONTACT, fromMe: false, fromApi: false, senderName: 'Maria', instanceId: net.A.id, connectedPhone: net.A.phone, isGroup: false });
    return got;
  }

  it('cart: order{…} with both seller spellings, the lines, totals and the kept thumbnail', async () => {
    const got = await inbound('/cart', {
      orderId: '422508169684569',
      token: 'AR5d4yUr+DmSzeCR2kUtPEeMfS+eG0O+S/T/17B+oY1mfA==',
      message: 'Entrega amanhã?',
      thumbnail: net.files.fileUrl('jpeg', 'cart'),
      products: [
        { productId: '5338924696127051', retailerId: '1242', name: 'Camiseta', price: 59.9, quantity: 2 },
        { productId: '5338924696127052', name: 'Boné', price: 20, quantity: 1, currency: 'BRL' },
      ],
    });
    expect(got.order).toEqual({
      itemCount: 3,
      orderId: '422508169684569',
      message: 'Entrega amanhã?',
      orderTitle: 'Camiseta',
      sellerJid: net.A.phone,
      sellerID: net.A.phone,
      thumbnailUrl: expect.stringMatching(MEDIA_URL),
      token: 'AR5d4yUr+DmSzeCR2kUtPEeMfS+eG0O+S/T/17B+oY1mfA==',
      currency: 'BRL',
      total: 139.8,
      subTotal: 139.8,
      products: [
        { quantity: 2, name: 'Camiseta', productId: '5338924696127051', retailerId: '1242', price: 59.9, currencyCode: 'BRL' },
        { quantity: 1, name: 'Boné', productId: '5338924696127052', retailerId: '', price: 20, currencyCode: 'BRL' },
      ],
    });
    expect(await fetchBytes(got.order.thumbnailUrl)).toEqual(SAMPLES.jpeg);

    // Defaults: a new order id and token, no thumbnail, the currency given.
    const bare = await inbound('/cart', { currency: 'USD', products: [{ productId: '1', name: 'Mug', price: 7.5, quantity: 4 }] });
    expect(bare.order).toMatchObject({ itemCount: 4, message: '', orderTitle: 'Mug', thumbnailUrl: '', currency: 'USD', total: 30, subTotal: 30 });
    expect(bare.order.orderId).toMatch(/^[1-9][0-9]{14}$/);
    expect(Buffer.from(bare.order.token, 'base64')).toHaveLength(32);
  });

  it('payment-request: requestPayment{…}, the instance asked to pay, the contact receiving, waiting', async () => {
    const expiration = Date.now() + 3 * 86_400_000;
    const got = await inbound('/payment-request', { value: 1, currency: 'BRL', expiration, note: 'o almoço' });
    expect(got.requestPayment).toEqual({
      value: 1,
      currencyCode: 'BRL',
      expiration,
      requestPhone: net.A.phone,
      paymentInfo: { receiverPhone: CONTACT, value: 1, currencyCode: 'BRL', status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' },
    });
    const before = Date.now();
    const dflt = await inbound('/payment-request', { value: 12.5 });
    expect(dflt.requestPayment.currencyCode).toBe('BRL');
    expect(dflt.requestPayment.expiration).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    expect(dflt.requestPayment.expiration).toBeLessThan(Date.now() + 7 * 86_400_000 + 1);
  });

  it('payment-sent: sendPayment{paymentInfo{…}}, the instance receiving, complete', async () => {
    const got = await inbound('/payment-sent', { value: 25.5, currency: 'BRL', note: 'pago' });
    expect(got.sendPayment).toEqual({ paymentInfo: { receiverPhone: net.A.phone, value: 25.5, currencyCode: 'BRL', status: 'COMPLETE', transactionStatus: 'SUCCESS' } });
    expect(got).not.toHaveProperty('requestPayment');
  });

  it('payment-declined: the PAYMENT_ACTION_REQUEST_DECLINED notification, [phone, currency, thousandths], no content object', async () => {
    const got = await inbound('/payment-declined', { value: 1.5, currency: 'BRL' });
    expect(got.notification).toBe('PAYMENT_ACTION_REQUEST_DECLINED');
    expect(got.notificationParameters).toEqual([CONTACT, 'BRL', '1500']);
    expect(got.waitingMessage).toBe(false);
    for (const k of ['text', 'requestPayment', 'sendPayment', 'order']) expect(got).not.toHaveProperty(k);
  });

  it('ad-text: text{…} from the ad and externalAdReply{…}, the ad image kept', async () => {
    const got = await inbound('/ad-text', {
      message: 'Quero saber mais',
      ad: {
        title: 'Promoção',
        body: 'Tudo pela metade do preço',
        sourceUrl: 'https://fb.me/2Xyz',
        sourceId: '23722824350495506',
        ctwaClid: 'Aff-niaAw7V94N8L',
        thumbnail: dataUri('png'),
      },
    });
    const thumb = got.externalAdReply.thumbnailUrl;
    expect(thumb).toMatch(MEDIA_URL);
    expect(await fetchBytes(thumb)).toEqual(SAMPLES.png);
    expect(got.text).toEqual({ message: 'Quero saber mais', description: 'Tudo pela metade do preço', title: 'Promoção', url: 'https://fb.me/2Xyz', thumbnailUrl: thumb });
    expect(got.externalAdReply).toEqual({
      title: 'Promoção',
      body: 'Tudo pela metade do preço',
      mediaType: 1,
      thumbnailUrl: thumb,
      sourceType: 'ad',
      sourceId: '23722824350495506',
      ctwaClid: 'Aff-niaAw7V94N8L',
      sourceUrl: 'https://fb.me/2Xyz',
      containsAutoReply: false,
      renderLargerThumbnail: true,
      showAdAttribution: true,
    });
    const plain = await inbound('/ad-text', { message: 'oi', ad: { title: 'Post', sourceUrl: 'https://instagram.com/p/x', sourceType: 'post' } });
    expect(plain.externalAdReply).toMatchObject({ body: '', mediaType: 0, thumbnailUrl: '', sourceType: 'post', renderLargerThumbnail: false, showAdAttribution: true });
    expect(plain.externalAdReply.sourceId).toMatch(/^[0-9]{17}$/);
    expect(plain.externalAdReply.ctwaClid.length).toBeGreaterThan(20);
  });

  describe('template: hydratedTemplate{…} with each header', () => {
    const buttons = [
      { type: 'URL', label: 'Site', url: 'https://openzap.dev' },
      { type: 'CALL', label: 'Ligar', phone: '+551133334444' },
      { type: 'REPLY', label: 'Falar', id: 'talk' },
    ];
    const hydrated = [
      { index: 0, urlButton: { displayText: 'Site', url: 'https://openzap.dev' } },
      { index: 1, callButton: { displayText: 'Ligar', phoneNumber: '551133334444' } },
      { index: 2, quickReplyButton: { displayText: 'Falar', id: 'talk' } },
    ];

    it('image header, URL/CALL/REPLY buttons', async () => {
      const got = await inbound('/template', { message: 'message text', title: 'message title', footer: 'message footer', templateId: '811492407484976', header: { image: net.files.fileUrl('png', 'hdr') }, buttons });
      const url = got.hydratedTemplate.header.image.imageUrl;
      expect(got.hydratedTemplate).toEqual({
        header: { image: { imageUrl: expect.stringMatching(MEDIA_URL), thumbnailUrl: url, caption: '', mimeType: 'image/png', width: 0, height: 0, viewOnce: false } },
        message: 'message text',
        footer: 'message footer',
        title: 'message title',
        templateId: '811492407484976',
        hydratedButtons: hydrated,
      });
      expect(await fetchBytes(url)).toEqual(SAMPLES.png);
      expect(got).not.toHaveProperty('buttonsMessage');
    });

    it('video header', async () => {
      const got = await inbound('/template', { message: 'assista', header: { video: dataUri('mp4') }, buttons: [buttons[2]] });
      expect(got.hydratedTemplate.header).toEqual({
        video: { videoUrl: expect.stringMatching(MEDIA_URL), caption: '', mimeType: 'video/mp4', width: 0, height: 0, seconds: 0, viewOnce: false },
      });
      // Reply buttons alone, but a template: hydratedTemplate, with a new template id.
      expect(got.hydratedTemplate).toMatchObject({ footer: '', title: '', hydratedButtons: [{ index: 0, quickReplyButton: { displayText: 'Falar', id: 'talk' } }] });
      expect(got.hydratedTemplate.templateId).toMatch(/^[1-9][0-9]{14}$/);
      expect(got).not.toHaveProperty('buttonsMessage');
    });

    it('document header: the file name kept; no buttons', async () => {
      const got = await inbound('/template', { message: 'seu boleto', templateId: '1', header: { document: net.files.fileUrl('pdf', 'boleto'), fileName: 'boleto.pdf' } });
      expect(got.hydratedTemplate).toEqual({
        header: { document: { caption: null, documentUrl: expect.stringMatching(MEDIA_URL), mimeType: 'application/pdf', title: '', pageCount: 0, fileName: 'boleto.pdf' } },
        message: 'seu boleto',
        footer: '',
        title: '',
        templateId: '1',
        hydratedButtons: [],
      });
      expect(await fetchBytes(got.hydratedTemplate.header.document.documentUrl)).toEqual(SAMPLES.pdf);
    });

    it('location header (coordinates as strings, as send-location takes them)', async () => {
      const got = await inbound('/template', {
        message: 'estamos aqui',
        templateId: '1143940003434066',
        header: { location: { latitude: '-23.5489', longitude: -46.6388, name: 'Sé', address: 'Praça da Sé' } },
        buttons: [buttons[0]],
      });
      expect(got.hydratedTemplate).toEqual({
        header: { location: { longitude: -46.6388, latitude: -23.5489, name: 'Sé', address: 'Praça da Sé', url: '' } },
        message: 'estamos aqui',
        footer: '',
        title: '',
        templateId: '1143940003434066',
        hydratedButtons: [hydrated[0]],
      });
    });

    it('no header: {}', async () => {
      const got = await inbound('/template', { message: 'só texto', buttons: [buttons[1]] });
      expect(got.hydratedTemplate.header).toEqual({});
    });
  });

  describe('bad input: 4xx, nothing delivered', () => {
    const post = (path: string, body: Record<string, unknown>, inst: TestInstance = net.A) => inst.call('POST', `/sandbox/inbound${path}`, { phone: CONTACT, ...body });
    const cart = { products: [{ productId: '1', name: 'Mug', price: 7.5, quantity: 1 }] };

    it('schema violations', async () => {
      expectError(await post('/cart', { products: [] }), 400, 'validation');
      expectError(await post('/cart', { products: [{ productId: '1', name: 'Mug', price: -1, quantity: 1 }] }), 400, 'validation');
      expectError(await post('/cart', { ...cart, currency: 'real' }), 400, 'validation');
      expectError(await post('/payment-request', { value: 0 }), 400, 'validation');
      expectError(await post('/payment-request', { value: 'ten' }), 400, 'validation');
      expectError(await post('/payment-sent', {}), 400, 'validation');
      expectError(await post('/payment-declined', { value: -5 }), 400, 'validation');
      expectError(await post('/ad-text', { message: 'x' }), 400, 'validation');
      expectError(await post('/ad-text', { message: 'x', ad: { title: 'T', sourceUrl: 'https://x.test', mediaType: 7 } }), 400, 'validation');
      expectError(await post('/template', { message: 'x', buttons: [{ type: 'COPY', label: 'c' }] }), 400, 'validation');
      expectError(await post('/template', { message: 'x', buttons: [1, 2, 3, 4].map((i) => ({ type: 'REPLY', label: `b${i}` })) }), 400, 'validation');
      expectError(await net.A.call('POST', '/sandbox/inbound/cart', cart), 400, 'validation');
    });

    it('values the schema cannot check', async () => {
      expectError(await post('/cart', { ...cart, currency: 'USD', products: [{ ...cart.products[0], currency: 'BRL' }] }), 400, 'currency-mismatch');
      expectError(await post('/payment-request', { value: 1, expiration: Date.now() - 1000 }), 400, 'invalid-expiration');
      expectError(await post('/ad-text', { message: 'x', ad: { title: 'T', sourceUrl: 'ftp://x.test/ad' } }), 400, 'invalid-url');
      expectError(await post('/template', { message: 'x', header: { image: dataUri('png'), document: dataUri('pdf') } }), 400, 'header-conflict');
      expectError(await post('/template', { message: 'x', header: { fileName: 'a.pdf' } }), 400);
      expectError(await post('/template', { message: 'x', buttons: [{ type: 'URL', label: 'u' }] }), 400);
      expectError(await post('/template', { message: 'x', buttons: [{ type: 'CALL', label: 'c', phone: 'abc' }] }), 400, 'invalid-phone');
      expectError(await post('/template', { message: 'x', buttons: [{ type: 'REPLY', label: 'a', id: 'x' }, { type: 'REPLY', label: 'b', id: 'x' }] }), 400, 'duplicate-id');
      expectError(await post('/template', { message: 'x', header: { location: { latitude: 'north', longitude: 0 } } }), 400, 'invalid-coordinate');
    });

    it('media that is not what the field takes', async () => {
      const res = await post('/template', { message: 'x', header: { image: dataUri('pdf') } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.message).toMatch(/header\.image/);
      const thumb = await post('/ad-text', { message: 'x', ad: { title: 'T', sourceUrl: 'https://x.test', thumbnail: 'not a url' } });
      expect(thumb.status).toBeGreaterThanOrEqual(400);
      expect(thumb.status).toBeLessThan(500);
    });

    it('who may send: a simulated contact, to a paired sandbox instance', async () => {
      expectError(await post('/payment-sent', { phone: net.A.phone, value: 1 }), 400, 'invalid-phone');
      expectError(await post('/payment-sent', { phone: net.B.phone, value: 1 }), 409, 'sandbox-instance-phone');
      const lone = await net.server.createInstance();
      expectError(await post('/payment-sent', { value: 1 }, lone), 409, 'not-connected');
    });

    it('carts and payments are not forwarded; a decline is not reacted to', async () => {
      const cartMsg = await inbound('/cart', cart);
      const paid = await inbound('/payment-sent', { value: 3 });
      for (const m of [cartMsg, paid]) {
        expectError(await net.A.call('POST', '/forward-message', { phone: '5511976541999', messageId: m.messageId, messagePhone: CONTACT }), 400, 'not-forwardable');
      }
      const declined = await inbound('/payment-declined', { value: 3 });
      expectError(await net.A.call('POST', '/send-reaction', { phone: CONTACT, messageId: declined.messageId, reaction: '👍' }), 400, 'wrong-message-type');
    });

    it('none of the refused requests reached the webhook', async () => {
      await new Promise((r) => setTimeout(r, 300));
      // One ReceivedCallback per accepted request, none for the refused ones.
      const fromContact = at('a', 'ReceivedCallback', (b) => b.phone === CONTACT);
      expect(accepted).toBeGreaterThan(10);
      expect(fromContact.length).toBe(accepted);
    });
  });
});
