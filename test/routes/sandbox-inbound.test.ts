// POST /sandbox/inbound/<send path>: a simulated contact sends to the instance whatever the
// send endpoint of the same name sends, with the same body (`phone` = the contact). Every
// send endpoint of the messages and status areas has one; the instance's ReceivedCallback
// shows the message from the instance's point of view (its own messages referenced with
// fromMe: true). References must be in the contact's chat with the instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwoInstances } from '../helpers/two-instances.js';
import { SAMPLES, dataUri } from '../helpers/media-samples.js';
import { fetchBytes, waitFor } from '../helpers/http.js';
import { expectError } from './expect.js';
import { RECEIVED_ONLY_PATHS } from '../../src/http/routes/sandbox-received.js';

const CONTACT = '5511976540001';
const STRANGER = '5511976540002';

describe('sandbox inbound: a simulated contact sends every kind of message', () => {
  const net = new TwoInstances();
  beforeAll(() => net.start());
  afterAll(() => net.stop());
  const { at, received, stored } = net;

  /** The contact sends; A records it (ReceivedCallback from the contact). */
  async function inbound(path: string, body: Record<string, unknown>, expectId?: (id: string) => string): Promise<{ id: string; got: any }> {
    const res = await net.A.call('POST', `/sandbox/inbound${path}`, { phone: CONTACT, senderName: 'Maria', ...body });
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    expect(res.body).toEqual({ messageId: expect.stringMatching(/^3EB0[0-9A-F]{20}$/), id: res.body.messageId });
    const got = (await received('a', expectId ? expectId(res.body.messageId) : res.body.messageId)).body;
    expect(got).toMatchObject({ fromMe: false, fromApi: false, senderName: 'Maria', instanceId: net.A.id });
    return { id: res.body.messageId, got };
  }

  /** A sends to the contact (through the queue) and the send is confirmed. */
  async function aSends(path: string, body: Record<string, unknown>): Promise<string> {
    const res = await net.A.call('POST', path, { phone: CONTACT, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await waitFor(() => at('a', 'DeliveryCallback', (b) => b.messageId === res.body.messageId && !b.error)[0], 10_000, `${path} delivered`);
    return res.body.messageId;
  }

  const storedContent = async (id: string) => (await stored(net.A, id)).payload.content;

  it('has a route for every send endpoint of the messages and status areas', async () => {
    const spec = (await (await fetch(`${net.server.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    const prefix = '/instances/{instanceId}/token/{token}';
    const sends = Object.keys(spec.paths)
      .filter((p) => p.startsWith(`${prefix}/sandbox/inbound/`))
      .map((p) => p.slice(`${prefix}/sandbox/inbound`.length))
      // Variants only received have their own routes (sandbox-received.test.ts).
      .filter((p) => !(RECEIVED_ONLY_PATHS as readonly string[]).includes(p));
    for (const p of sends) expect(Object.keys(spec.paths), p).toContain(`${prefix}${p}`);
    expect(sends.length).toBe(39); // 41 endpoints, less DELETE /messages and /read-message
  });

  describe('text and media', () => {
    it('send-text, a reply to A\'s message, then an edit of the contact\'s own text', async () => {
      const t = await inbound('/send-text', { message: 'hello' });
      expect(t.got).toMatchObject({ phone: CONTACT, text: { message: 'hello' } });
      const mine = await aSends('/send-text', { message: 'from A' });
      const r = await inbound('/send-text', { message: 'answer', messageId: mine });
      expect(r.got.referenceMessageId).toBe(mine);
      // An edit is reported under the id of the message it replaces.
      await inbound('/send-text', { message: 'hello, edited', editMessageId: t.id }, () => t.id);
      await received('a', t.id, (b) => b.isEdit && b.text?.message === 'hello, edited');
    });

    it('send-link, send-location, send-contact, send-contacts', async () => {
      const l = await inbound('/send-link', { message: 'see https://z-api.io', image: dataUri('png'), linkUrl: 'https://z-api.io', title: 'Z', linkDescription: 'D' });
      expect(l.got.text).toMatchObject({ url: 'https://z-api.io', title: 'Z' });
      expect((await inbound('/send-location', { title: 'Home', address: 'Street 1', latitude: -23.5, longitude: -46.6 })).got.location).toMatchObject({ latitude: -23.5, name: 'Home' });
      expect((await inbound('/send-contact', { contactName: 'Ana', contactPhone: '5511900000000' })).got).toHaveProperty('contact');
      await inbound('/send-contacts', { contacts: [{ name: 'Ana', phones: ['5511900000000'] }] });
    });

    it('every media kind, from a URL or base64; A can download what it received', async () => {
      const img = await inbound('/send-image', { image: net.files.fileUrl('png', 'in'), caption: 'pic' });
      expect(img.got.image).toMatchObject({ caption: 'pic', mimeType: 'image/png' });
      expect(await fetchBytes(img.got.image.imageUrl)).toEqual(SAMPLES.png);
      expect((await inbound('/send-sticker', { sticker: dataUri('webp') })).got).toHaveProperty('sticker');
      expect((await inbound('/send-gif', { gif: dataUri('mp4') })).got).toHaveProperty('video');
      expect((await inbound('/send-audio', { audio: net.files.fileUrl('mp3', 'voice') })).got.audio).toMatchObject({ ptt: true, mimeType: 'audio/mpeg' });
      expect((await inbound('/send-video', { video: dataUri('mp4'), caption: 'v' })).got.video).toMatchObject({ caption: 'v' });
      expect((await inbound('/send-ptv', { ptv: dataUri('mp4') })).got).toHaveProperty('ptv');
      expect((await inbound('/send-document/pdf', { document: dataUri('pdf'), fileName: 'invoice' })).got.document).toMatchObject({ fileName: 'invoice.pdf' });
    });
  });

  describe('interactive and commerce', () => {
    it('buttons, lists, OTP, PIX, carousel', async () => {
      await inbound('/send-button-actions', { message: 'm', buttonActions: [{ type: 'URL', url: 'https://z-api.io', label: 'site' }] });
      await inbound('/send-button-list', { message: 'm', buttonList: { video: dataUri('mp4'), buttons: [{ label: 'yes' }] } });
      await inbound('/send-option-list', { message: 'm', optionList: { title: 'T', buttonLabel: 'Open', options: [{ title: 'o', description: 'd' }] } });
      await inbound('/send-button-otp', { message: 'm', code: '999' });
      expect((await inbound('/send-button-pix', { pixKey: 'maria@example.com', type: 'EMAIL' })).got.pixKeyMessage).toMatchObject({ key: 'maria@example.com', keyType: 'EMAIL' });
      await inbound('/send-carousel', { message: 'm', carousel: [{ text: 'c', image: dataUri('jpeg') }] });
    });

    it('product, catalog, and the contact\'s own order with its updates', async () => {
      await inbound('/send-product', { catalogPhone: CONTACT, productId: '123' });
      await inbound('/send-catalog', { catalogPhone: CONTACT });
      const order = await inbound('/send-order', { order: { currency: 'BRL', products: [{ name: 'Cake', value: 30, quantity: 2 }] } });
      const sent = await storedContent(order.id);
      const body = (paymentStatus: string) => ({
        messageId: order.id,
        referenceId: sent.referenceId,
        orderRequestId: sent.orderRequestId,
        orderStatus: 'shipped',
        paymentStatus,
        order: { currency: 'BRL', products: [{ productId: sent.order.products[0].productId, name: 'Cake', value: 30, quantity: 2, isCustomItem: true }] },
      });
      await inbound('/order-status-update', body('pending'));
      await inbound('/order-payment-update', body('paid'));
      // An order A sent is not the contact's to update.
      const aOrder = await aSends('/send-order', { order: { currency: 'BRL', products: [{ name: 'X', value: 1, quantity: 1 }] } });
      const a = await storedContent(aOrder);
      expectError(
        await net.A.call('POST', '/sandbox/inbound/order-status-update', { ...body('pending'), phone: CONTACT, messageId: aOrder, referenceId: a.referenceId, orderRequestId: a.orderRequestId }),
        400,
        'not-own-message',
      );
    });
  });

  describe('actions on messages of the chat', () => {
    it('reaction and its removal on A\'s message: A sees its own message referenced', async () => {
      const mine = await aSends('/send-text', { message: 'react to this' });
      const r = await inbound('/send-reaction', { reaction: '👍', messageId: mine });
      expect(r.got.reaction).toMatchObject({ value: '👍', referencedMessage: { messageId: mine, fromMe: true } });
      expect((await inbound('/send-remove-reaction', { messageId: mine })).got.reaction).toMatchObject({ value: '', referencedMessage: { messageId: mine, fromMe: true } });
    });

    it('forward: the contact forwards a message of its chat with A (messagePhone = A)', async () => {
      const mine = await aSends('/send-image', { image: dataUri('png'), caption: 'forward me' });
      const f = await inbound('/forward-message', { messageId: mine, messagePhone: net.A.phone });
      expect(f.got).toMatchObject({ forwarded: true, image: { caption: 'forward me' } });
      expectError(await net.A.call('POST', '/sandbox/inbound/forward-message', { phone: CONTACT, messageId: mine, messagePhone: STRANGER }), 400, 'message-chat-mismatch');
    });

    it('pin, poll vote and event response on A\'s messages; the contact\'s own event edited', async () => {
      const mine = await aSends('/send-text', { message: 'pin this' });
      expect((await inbound('/pin-message', { messageId: mine, messageAction: 'pin', pinMessageDuration: '30_days' })).got.pinMessage).toMatchObject({
        action: 'pin',
        referencedMessage: { messageId: mine, fromMe: true },
      });
      const poll = await aSends('/send-poll', { message: 'Best?', poll: [{ name: 'Z-API' }, { name: 'Other' }] });
      expect((await inbound('/send-poll-vote', { pollMessageId: poll, pollVote: [{ name: 'Z-API' }, { name: 'Other' }] })).got.pollVote).toMatchObject({ pollMessageId: poll });
      expectError(await net.A.call('POST', '/sandbox/inbound/send-poll-vote', { phone: CONTACT, pollMessageId: poll, pollVote: [{ name: 'Nope' }] }), 400, 'invalid-poll-vote');
      await inbound('/send-poll', { message: 'Lunch?', poll: [{ name: 'Yes' }, { name: 'No' }], pollMaxOptions: 1 });

      const ev = await aSends('/send-event', { event: { name: 'Party', dateTime: '2030-05-01T18:00:00Z', canceled: false } });
      expect((await inbound('/send-event-response', { eventMessageId: ev, eventResponse: 'NOT_GOING' })).got.eventResponse).toMatchObject({
        response: 'NOT_GOING',
        referencedMessage: { messageId: ev, fromMe: true },
      });
      // A's event is not the contact's to edit; its own is.
      expectError(await net.A.call('POST', '/sandbox/inbound/send-edit-event', { phone: CONTACT, eventMessageId: ev, event: { name: 'x', dateTime: '2030-05-01T18:00:00Z', canceled: true } }), 400, 'not-own-message');
      const own = await inbound('/send-event', { event: { name: 'BBQ', dateTime: '2030-06-01T12:00:00', canceled: false } });
      await inbound('/send-edit-event', { eventMessageId: own.id, event: { name: 'BBQ (moved)', dateTime: '2030-06-02T12:00:00', canceled: false } }, () => own.id);
      await received('a', own.id, (b) => b.isEdit === true);
    });

    it('channel admin invite', async () => {
      await inbound('/send-newsletter-admin-invite', { adminInviteMessage: { newsletterId: '120363166555745933', caption: 'be my admin' } });
    });
  });

  describe('statuses', () => {
    it('the contact posts text, image and video statuses (broadcast at A)', async () => {
      const t = await inbound('/send-text-status', { message: 'my day' });
      expect(t.got).toMatchObject({ broadcast: true, text: { message: 'my day' } });
      expect((await inbound('/send-image-status', { image: dataUri('png'), caption: 'sunset' })).got).toMatchObject({ broadcast: true, image: { caption: 'sunset' } });
      expect((await inbound('/send-video-status', { video: dataUri('mp4') })).got).toMatchObject({ broadcast: true });
    });

    it('the contact answers A\'s status with text, a GIF and a sticker (isStatusReply)', async () => {
      const res = await net.A.call('POST', '/send-text-status', { message: 'A status' });
      expect(res.status).toBe(200);
      const status = res.body.messageId;
      await waitFor(() => at('a', 'DeliveryCallback', (b) => b.messageId === status)[0], 10_000, 'status posted');
      for (const [path, body] of [
        ['/reply-status-text', { message: 'love it' }],
        ['/reply-status-gif', { gif: dataUri('mp4') }],
        ['/reply-status-sticker', { sticker: dataUri('webp') }],
      ] as const) {
        const r = await inbound(path, { ...body, statusMessageId: status });
        expect(r.got, path).toMatchObject({ isStatusReply: true, referenceMessageId: status, phone: CONTACT });
      }
      // A status the contact posted is not one it can answer.
      const own = await inbound('/send-text-status', { message: 'mine' });
      expectError(await net.A.call('POST', '/sandbox/inbound/reply-status-text', { phone: CONTACT, message: 'x', statusMessageId: own.id }), 400, 'own-message');
    });
  });

  describe('who may send, and what they may refer to', () => {
    it('phone must be a simulated contact: not A, not another sandbox instance, not a group', async () => {
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: net.A.phone, message: 'x' }), 400, 'invalid-phone');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: net.B.phone, message: 'x' }), 409, 'sandbox-instance-phone');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: '120363019502650977-group', message: 'x' }), 400, 'invalid-phone');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { message: 'x' }), 400, 'validation');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text-status', { message: 'x' }), 400, 'validation');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: CONTACT, message: 'x', senderName: {} }), 400, 'validation');
    });

    it('the same validation as the send endpoint', async () => {
      expectError(await net.A.call('POST', '/sandbox/inbound/send-image', { phone: CONTACT, image: 'file:///etc/passwd' }), 400, 'invalid-media-url');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-gif', { phone: CONTACT, gif: dataUri('png') }), 415, 'invalid-media-type');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-poll', { phone: CONTACT, message: 'q', poll: [{ name: 'only' }] }), 400, 'validation');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-document/x.y', { phone: CONTACT, document: dataUri('pdf') }), 400, 'validation');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: CONTACT, message: 'x', messageId: '3EB0FFFFFFFFFFFFFFFFFFFF' }), 404, 'message-not-found');
      // A contact writes one-to-one: there is no group message to answer privately.
      const mine = await aSends('/send-text', { message: 'quote me' });
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: CONTACT, message: 'x', privateAnswer: true, messageId: mine }), 400, 'bad-request');
    });

    it('references must be messages of the contact\'s chat with A', async () => {
      const elsewhere = await net.A.call('POST', '/send-text', { phone: STRANGER, message: 'to someone else' });
      await waitFor(() => at('a', 'DeliveryCallback', (b) => b.messageId === elsewhere.body.messageId)[0], 10_000, 'delivered');
      const id = elsewhere.body.messageId;
      expectError(await net.A.call('POST', '/sandbox/inbound/send-reaction', { phone: CONTACT, reaction: '👍', messageId: id }), 400, 'message-chat-mismatch');
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: CONTACT, message: 'x', messageId: id }), 400, 'message-chat-mismatch');
      expectError(await net.A.call('POST', '/sandbox/inbound/pin-message', { phone: CONTACT, messageId: id, messageAction: 'pin', pinMessageDuration: '7_days' }), 400, 'message-chat-mismatch');
      // The contact edits only its own messages.
      const mine = await aSends('/send-text', { message: 'A wrote this' });
      expectError(await net.A.call('POST', '/sandbox/inbound/send-text', { phone: CONTACT, message: 'x', editMessageId: mine }), 400, 'not-own-message');
    });

    it('an unpaired instance has no contacts writing to it yet (409)', async () => {
      const lone = await net.server.createInstance();
      expectError(await lone.call('POST', '/sandbox/inbound/send-text', { phone: CONTACT, message: 'x' }), 409, 'not-connected');
    });
  });
});
