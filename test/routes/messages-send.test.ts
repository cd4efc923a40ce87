// Messages area (zapi-reference.txt "Messages"): every send endpoint, end to end on the
// sandbox network. Instance A sends to sandbox instance B; each send answers
// {zaapId, messageId, id}, A's DeliveryCallback arrives for that messageId, and B's
// ReceivedCallback shows what B got. Media is served from a local HTTP server or sent as
// base64. DELETE /messages and /read-message answer 204 and reach the network.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwoInstances, type Paired } from '../helpers/two-instances.js';
import { SAMPLES, dataUri } from '../helpers/media-samples.js';
import { fetchBytes, waitFor } from '../helpers/http.js';
import { expectError } from './expect.js';

interface Accepted {
  zaapId: string;
  messageId: string;
  id: string;
}

describe('messages: every send endpoint, A → B on the sandbox network', () => {
  const net = new TwoInstances();
  beforeAll(() => net.start());
  afterAll(() => net.stop());
  const { at, received, stored } = net;

  /** A sends; the answer has the documented fields and A's DeliveryCallback confirms it (no error). */
  async function send(route: string, body: Record<string, unknown>, from: Paired = net.A): Promise<Accepted> {
    const res = await from.call('POST', route, body);
    expect(res.status, `${route}: ${JSON.stringify(res.body)}`).toBe(200);
    expect(res.body).toEqual({ zaapId: expect.stringMatching(/^[0-9A-F]{32}$/), messageId: expect.stringMatching(/^3EB0[0-9A-F]{20}$/), id: res.body.messageId });
    const d = await waitFor(() => at(from, 'DeliveryCallback', (b) => b.messageId === res.body.messageId)[0], 10_000, `DeliveryCallback of ${route}`);
    expect(d.body).toMatchObject({ zaapId: res.body.zaapId, messageId: res.body.messageId, instanceId: from.id });
    expect(d.body.error, `${route} failed: ${d.body.error}`).toBeUndefined();
    return res.body;
  }

  const bGot = async (messageId: string) => {
    const d = await received('b', messageId);
    expect(d.body).toMatchObject({ fromMe: false, phone: net.A.phone, instanceId: net.B.id });
    return d.body;
  };

  describe('text', () => {
    it('send-text: plain, reply, mentions, then an edit within the window', async () => {
      const first = await send('/send-text', { phone: net.B.phone, message: 'Welcome to *Z-API*', delayTyping: 1 });
      expect((await bGot(first.messageId)).text).toEqual({ message: 'Welcome to *Z-API*' });

      const reply = await send('/send-text', { phone: net.B.phone, message: 'a reply', messageId: first.messageId, mentioned: [net.B.phone] });
      expect(await bGot(reply.messageId)).toMatchObject({ text: { message: 'a reply' }, referenceMessageId: first.messageId });
      expect((await stored(net.A, reply.messageId)).payload.content.mentions).toEqual([`${net.B.phone}@s.whatsapp.net`]);

      const edit = await send('/send-text', { phone: net.B.phone, message: 'Welcome, edited', editMessageId: first.messageId });
      expect(edit.messageId).not.toBe(first.messageId);
      // B sees the edit under the id of the message it replaces.
      await received('b', first.messageId, (b) => b.isEdit === true && b.text?.message === 'Welcome, edited');
    });

    it('send-link: text, preview fields and the image, the URL appended when the text lacks it', async () => {
      const r = await send('/send-link', {
        phone: net.B.phone,
        message: 'Read this',
        image: net.files.fileUrl('png', 'logo'),
        linkUrl: 'https://z-api.io',
        title: 'Z-API',
        linkDescription: 'WhatsApp Integration',
        linkType: 'LARGE',
      });
      const got = await bGot(r.messageId);
      expect(got.text).toMatchObject({ message: 'Read this https://z-api.io', title: 'Z-API', description: 'WhatsApp Integration', url: 'https://z-api.io' });
      const c = (await stored(net.A, r.messageId)).payload.content;
      expect(c).toMatchObject({ type: 'link', large: true, image: { mimeType: 'image/png', size: SAMPLES.png.length } });
    });

    it('send-location: string coordinates become numbers', async () => {
      const r = await send('/send-location', { phone: net.B.phone, title: 'Google Brazil', address: 'Av. Brg. Faria Lima, 3477', latitude: '-23.0696347', longitude: '-50.4357913' });
      expect((await bGot(r.messageId)).location).toMatchObject({ latitude: -23.0696347, longitude: -50.4357913, name: 'Google Brazil', address: 'Av. Brg. Faria Lima, 3477' });
    });

    it('send-contact and send-contacts', async () => {
      const one = await send('/send-contact', { phone: net.B.phone, contactName: 'Z-API Contato', contactPhone: '554498398733', contactBusinessDescription: 'desc' });
      expect((await stored(net.A, one.messageId)).payload.content).toEqual({
        type: 'contacts',
        contacts: [{ name: 'Z-API Contato', phones: ['554498398733'], businessDescription: 'desc' }],
      });
      await bGot(one.messageId);
      const many = await send('/send-contacts', {
        phone: net.B.phone,
        contacts: [
          { name: 'One', phones: ['5544999999999', '5544999999998'] },
          { name: 'Two', businessDescription: 'An Irrah Group company', phones: ['5544999999997'] },
        ],
      });
      expect((await stored(net.A, many.messageId)).payload.content.contacts).toHaveLength(2);
      await bGot(many.messageId);
    });
  });

  describe('media (URL from a local server, or base64)', () => {
    it('send-image by URL: caption, viewOnce, and B can download the same bytes', async () => {
      const r = await send('/send-image', { phone: net.B.phone, image: net.files.fileUrl('png', 'logo'), caption: 'Logo', viewOnce: true });
      const got = await bGot(r.messageId);
      expect(got.image).toMatchObject({ caption: 'Logo', mimeType: 'image/png', viewOnce: true });
      expect(await fetchBytes(got.image.imageUrl)).toEqual(SAMPLES.png);
    });

    it('send-image as a data: URI, replying to a message', async () => {
      const first = await send('/send-text', { phone: net.B.phone, message: 'quoted' });
      const r = await send('/send-image', { phone: net.B.phone, image: dataUri('jpeg'), messageId: first.messageId });
      const got = await bGot(r.messageId);
      expect(got).toMatchObject({ referenceMessageId: first.messageId, image: { mimeType: 'image/jpeg' } });
      expect(await fetchBytes(got.image.imageUrl)).toEqual(SAMPLES.jpeg);
    });

    it('send-sticker with its author', async () => {
      const r = await send('/send-sticker', { phone: net.B.phone, sticker: dataUri('webp'), stickerAuthor: 'Z-API' });
      expect((await bGot(r.messageId)).sticker).toMatchObject({ mimeType: 'image/webp' });
      expect((await stored(net.A, r.messageId)).payload.content).toMatchObject({ type: 'sticker', author: 'Z-API' });
    });

    it('send-gif: an MP4 played as a GIF', async () => {
      const r = await send('/send-gif', { phone: net.B.phone, gif: net.files.fileUrl('mp4', 'loop'), caption: 'gif!' });
      expect((await bGot(r.messageId)).video).toMatchObject({ caption: 'gif!', mimeType: 'video/mp4' });
      expect((await stored(net.A, r.messageId)).payload.content).toMatchObject({ type: 'video', gif: true, caption: 'gif!' });
    });

    it('send-audio: a voice note with waveform', async () => {
      const r = await send('/send-audio', { phone: net.B.phone, audio: net.files.fileUrl('ogg', 'voice'), waveform: true, viewOnce: false, delayTyping: 1 });
      const got = await bGot(r.messageId);
      expect(got.audio).toMatchObject({ ptt: true, mimeType: 'audio/ogg' });
      expect(await fetchBytes(got.audio.audioUrl)).toEqual(SAMPLES.ogg);
      expect((await stored(net.A, r.messageId)).payload.content).toMatchObject({ type: 'audio', ptt: true, waveform: true });
    });

    it('send-video (base64) and send-ptv (URL)', async () => {
      const v = await send('/send-video', { phone: net.B.phone, video: dataUri('mp4'), caption: 'Test', viewOnce: false });
      expect((await bGot(v.messageId)).video).toMatchObject({ caption: 'Test', mimeType: 'video/mp4' });
      const p = await send('/send-ptv', { phone: net.B.phone, ptv: net.files.fileUrl('mp4', 'round') });
      expect((await bGot(p.messageId)).ptv).toMatchObject({ mimeType: 'video/mp4' });
    });

    it('send-document/{extension}: the extension names the file when fileName has none', async () => {
      const r = await send('/send-document/pdf', { phone: net.B.phone, document: net.files.fileUrl('pdf', 'exemplo'), fileName: 'My PDF', caption: 'the file' });
      const got = await bGot(r.messageId);
      expect(got.document).toMatchObject({ fileName: 'My PDF.pdf', mimeType: 'application/pdf' });
      expect(await fetchBytes(got.document.documentUrl)).toEqual(SAMPLES.pdf);
      const bare = await send('/send-document/pdf', { phone: net.B.phone, document: dataUri('pdf') });
      expect((await stored(net.A, bare.messageId)).payload.content).toMatchObject({ fileName: 'document.pdf', media: { mimeType: 'application/pdf' } });
    });
  });

  describe('interactive', () => {
    it('send-button-actions: CALL and URL buttons, default ids', async () => {
      const r = await send('/send-button-actions', {
        phone: net.B.phone,
        message: 'a message',
        title: 'a title',
        footer: 'a footer',
        buttonActions: [
          { id: '1', type: 'CALL', phone: '554498398733', label: 'Contact us' },
          { type: 'URL', url: 'https://z-api.io', label: 'Visit our website' },
        ],
      });
      await bGot(r.messageId);
      expect((await stored(net.A, r.messageId)).payload.content).toEqual({
        type: 'buttons',
        text: 'a message',
        title: 'a title',
        footer: 'a footer',
        buttons: [
          { id: '1', kind: 'CALL', label: 'Contact us', phone: '554498398733' },
          { id: '2', kind: 'URL', label: 'Visit our website', url: 'https://z-api.io' },
        ],
      });
    });

    it('send-button-actions: WhatsApp\'s copy-code link becomes a COPY button', async () => {
      const r = await send('/send-button-actions', {
        phone: net.B.phone,
        message: 'your code',
        buttonActions: [{ type: 'URL', url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp123', label: 'Copy' }],
      });
      expect((await stored(net.A, r.messageId)).payload.content.buttons).toEqual([{ id: '1', kind: 'COPY', label: 'Copy', code: 'otp123' }]);
    });

    it('send-button-list with an image header', async () => {
      const r = await send('/send-button-list', {
        phone: net.B.phone,
        message: 'Is Z-API Good?',
        buttonList: { image: net.files.fileUrl('png', 'avatar'), buttons: [{ id: '1', label: 'Great' }, { label: 'Excellent' }] },
      });
      await bGot(r.messageId);
      const c = (await stored(net.A, r.messageId)).payload.content;
      expect(c.buttons).toEqual([
        { id: '1', kind: 'REPLY', label: 'Great' },
        { id: '2', kind: 'REPLY', label: 'Excellent' },
      ]);
      expect(c.image).toMatchObject({ mimeType: 'image/png' });
    });

    it('send-option-list', async () => {
      const r = await send('/send-option-list', {
        phone: net.B.phone,
        message: 'Select the best option:',
        optionList: {
          title: 'Available Options',
          buttonLabel: 'Open options list',
          options: [
            { id: '1', description: 'Z-API Wings for your imagination', title: 'Z-API' },
            { description: "They don't work", title: 'Others' },
          ],
        },
      });
      await bGot(r.messageId);
      expect((await stored(net.A, r.messageId)).payload.content).toMatchObject({
        type: 'list',
        title: 'Available Options',
        buttonLabel: 'Open options list',
        sections: [{ title: 'Available Options', rows: [{ id: '1', title: 'Z-API' }, { id: '2', title: 'Others' }] }],
      });
    });

    it('send-button-otp (default button text) and send-button-pix', async () => {
      const otp = await send('/send-button-otp', { phone: net.B.phone, message: 'Your code', code: '123456', image: dataUri('png') });
      await bGot(otp.messageId);
      expect((await stored(net.A, otp.messageId)).payload.content).toMatchObject({ type: 'otp', code: '123456', buttonText: 'Copy code', image: { mimeType: 'image/png' } });
      const pix = await send('/send-button-pix', { phone: net.B.phone, pixKey: '123e4567-e89b-12d3-a456-426614174000', type: 'EVP' });
      expect((await bGot(pix.messageId)).pixKeyMessage).toMatchObject({ key: '123e4567-e89b-12d3-a456-426614174000', keyType: 'EVP', merchantName: 'Pix', currency: 'BRL' });
    });

    it('send-carousel: every card image fetched, buttons per card', async () => {
      const r = await send('/send-carousel', {
        phone: net.B.phone,
        message: 'Message text',
        carousel: [
          { text: 'Card 1', image: net.files.fileUrl('png', 'c1'), buttons: [{ id: '1', label: 'Site', url: 'https://z-api.io', type: 'URL' }, { id: '2', label: 'Reply', type: 'REPLY' }] },
          { text: 'Card 2', image: dataUri('jpeg') },
        ],
      });
      await bGot(r.messageId);
      const c = (await stored(net.A, r.messageId)).payload.content;
      expect(c.cards).toHaveLength(2);
      expect(c.cards[0]).toMatchObject({ text: 'Card 1', image: { mimeType: 'image/png' }, buttons: [{ kind: 'URL' }, { kind: 'REPLY' }] });
      expect(c.cards[1]).toMatchObject({ text: 'Card 2', image: { mimeType: 'image/jpeg' }, buttons: [] });
    });
  });

  describe('commerce', () => {
    it('send-product and send-catalog', async () => {
      const p = await send('/send-product', { phone: net.B.phone, catalogPhone: net.A.phone, productId: '7190654897637620' });
      expect((await stored(net.A, p.messageId)).payload.content).toEqual({ type: 'product', catalogJid: `${net.A.phone}@s.whatsapp.net`, productId: '7190654897637620' });
      await bGot(p.messageId);
      const c = await send('/send-catalog', { phone: net.B.phone, catalogPhone: net.A.phone, translation: 'PT', message: 'See our catalog', title: 'Catalog', catalogDescription: 'Products' });
      expect((await stored(net.A, c.messageId)).payload.content).toMatchObject({ type: 'catalog', text: 'See our catalog', title: 'Catalog', description: 'Products', translation: 'PT' });
      await bGot(c.messageId);
    });

    it('send-order, then order-status-update and order-payment-update with the ids WhatsApp gave', async () => {
      const order = await send('/send-order', {
        phone: net.B.phone,
        order: { currency: 'BRL', discount: 10, tax: 10, shipping: 5, products: [{ productId: '23940797548900636', name: 'Product', value: 10, quantity: 2 }, { name: 'Custom', value: 150, quantity: 1 }] },
        paymentSettings: { pix: { key: 'pix-key', keyType: 'randomKey', name: 'Key name' }, card: { enabled: true } },
      });
      await bGot(order.messageId);
      const sent = (await stored(net.A, order.messageId)).payload.content;
      expect(sent).toMatchObject({ type: 'order', subTotal: 170, total: 175, payment: { pix: { key: 'pix-key', keyType: 'EVP', name: 'Key name' }, card: { enabled: true } } });
      const custom = sent.order.products[1];
      expect(custom).toMatchObject({ name: 'Custom', isCustomItem: true, productId: expect.stringMatching(/^custom-item-/) });

      const update = (route: string, paymentStatus: string) =>
        send(route, {
          phone: net.B.phone,
          messageId: order.messageId,
          message: 'update',
          referenceId: sent.referenceId,
          orderRequestId: sent.orderRequestId,
          orderStatus: 'processing',
          paymentStatus,
          order: {
            currency: 'BRL',
            discount: 10,
            tax: 10,
            shipping: 5,
            products: [
              { productId: '23940797548900636', name: 'Product', value: 10, quantity: 2, isCustomItem: false },
              { productId: custom.productId, name: 'Custom', value: 150, quantity: 1, isCustomItem: true },
            ],
          },
        });
      const s = await update('/order-status-update', 'pending');
      expect((await stored(net.A, s.messageId)).payload.content).toMatchObject({ type: 'orderUpdate', update: 'status', orderMessageId: order.messageId, orderStatus: 'processing', total: 175 });
      await bGot(s.messageId);
      const p = await update('/order-payment-update', 'paid');
      expect((await stored(net.A, p.messageId)).payload.content).toMatchObject({ type: 'orderUpdate', update: 'payment', paymentStatus: 'paid' });
      await bGot(p.messageId);
    });
  });

  describe('actions on other messages', () => {
    /** B writes to A (so A has a received message from B). */
    async function fromB(message: string): Promise<string> {
      const r = await send('/send-text', { phone: net.A.phone, message }, net.B);
      await received('a', r.messageId);
      return r.messageId;
    }

    it('send-reaction and send-remove-reaction on B\'s message: B sees a reaction to its own message', async () => {
      const target = await fromB('react to me');
      const r = await send('/send-reaction', { phone: net.B.phone, reaction: '❤️', messageId: target });
      expect((await bGot(r.messageId)).reaction).toMatchObject({ value: '❤️', referencedMessage: { messageId: target, fromMe: true } });
      const x = await send('/send-remove-reaction', { phone: net.B.phone, messageId: target });
      expect((await bGot(x.messageId)).reaction).toMatchObject({ value: '', referencedMessage: { messageId: target } });
    });

    it('forward-message: A\'s own image forwarded again, shown as forwarded', async () => {
      const img = await send('/send-image', { phone: net.B.phone, image: dataUri('png'), caption: 'fwd me' });
      const f = await send('/forward-message', { phone: net.B.phone, messageId: img.messageId, messagePhone: net.B.phone });
      const got = await bGot(f.messageId);
      expect(got).toMatchObject({ forwarded: true, image: { caption: 'fwd me' } });
      expect((await stored(net.A, f.messageId)).payload).toMatchObject({ forwarded: true, content: { type: 'image' } });
    });

    it('forward-message of a received message', async () => {
      const target = await fromB('forward this');
      const f = await send('/forward-message', { phone: net.B.phone, messageId: target, messagePhone: net.B.phone });
      expect(await bGot(f.messageId)).toMatchObject({ forwarded: true, text: { message: 'forward this' } });
    });

    it('pin-message, then unpin', async () => {
      const target = await fromB('pin me');
      const p = await send('/pin-message', { phone: net.B.phone, messageId: target, messageAction: 'pin', pinMessageDuration: '7_days' });
      expect((await bGot(p.messageId)).pinMessage).toMatchObject({ action: 'pin', pinDurationInSecs: 604_800, referencedMessage: { messageId: target, fromMe: true } });
      const u = await send('/pin-message', { phone: net.B.phone, messageId: target, messageAction: 'unpin', pinMessageDuration: '24_hours' });
      expect((await bGot(u.messageId)).pinMessage).toMatchObject({ action: 'unpin' });
    });

    it('send-poll and send-poll-vote (by B, on A\'s poll; and by A itself)', async () => {
      const poll = await send('/send-poll', { phone: net.B.phone, message: 'What is the best API for WhatsApp?', pollMaxOptions: 1, poll: [{ name: 'Z-API' }, { name: 'Other' }] });
      expect((await bGot(poll.messageId)).poll).toMatchObject({ question: 'What is the best API for WhatsApp?', pollMaxOptions: 1, options: [{ name: 'Z-API' }, { name: 'Other' }] });
      // B votes on the poll it received.
      const vote = await send('/send-poll-vote', { phone: net.A.phone, pollMessageId: poll.messageId, pollVote: [{ name: 'Z-API' }] }, net.B);
      const got = await received('a', vote.messageId);
      expect(got.body.pollVote).toMatchObject({ pollMessageId: poll.messageId, options: [{ name: 'Z-API' }] });
      const mine = await send('/send-poll-vote', { phone: net.B.phone, pollMessageId: poll.messageId, pollVote: [{ name: 'Other' }] });
      expect((await stored(net.A, mine.messageId)).payload.content).toMatchObject({ type: 'pollVote', poll: { id: poll.messageId, fromMe: true }, options: ['Other'] });
    });

    it('send-event, send-edit-event, and send-event-response to B\'s event', async () => {
      const ev = await send('/send-event', {
        phone: net.B.phone,
        event: { name: 'Event Name', description: 'Event Description', dateTime: '2024-04-29T09:30:53.309Z', location: { name: 'Name of place' }, callLinkType: 'video', canceled: false },
      });
      expect((await stored(net.A, ev.messageId)).payload.content).toEqual({
        type: 'event',
        name: 'Event Name',
        description: 'Event Description',
        startTime: Math.floor(Date.parse('2024-04-29T09:30:53.309Z') / 1000),
        location: { name: 'Name of place' },
        callLinkType: 'video',
        canceled: false,
      });
      await bGot(ev.messageId);
      const edit = await send('/send-edit-event', { phone: net.B.phone, eventMessageId: ev.messageId, event: { name: 'New name', dateTime: '2024-04-30T10:00:00', canceled: true } });
      expect((await stored(net.A, edit.messageId)).payload).toMatchObject({ editId: ev.messageId, content: { name: 'New name', canceled: true, startTime: Date.UTC(2024, 3, 30, 10) / 1000 } });
      await received('b', ev.messageId, (b) => b.isEdit === true);

      const theirs = await send('/send-event', { phone: net.A.phone, event: { name: 'B party', dateTime: '2030-01-01T20:00:00Z', canceled: false } }, net.B);
      await received('a', theirs.messageId);
      const answer = await send('/send-event-response', { phone: net.B.phone, eventMessageId: theirs.messageId, eventResponse: 'GOING' });
      expect((await bGot(answer.messageId)).eventResponse).toMatchObject({ response: 'GOING', referencedMessage: { messageId: theirs.messageId, fromMe: true } });
    });

    it('send-newsletter-admin-invite', async () => {
      const r = await send('/send-newsletter-admin-invite', {
        phone: net.B.phone,
        adminInviteMessage: { newsletterId: '120363166555745933@newsletter', caption: 'I want to invite you to be an admin of my WhatsApp channel.' },
      });
      await bGot(r.messageId);
      const c = (await stored(net.A, r.messageId)).payload.content;
      expect(c).toMatchObject({ type: 'newsletterAdminInvite', newsletterJid: '120363166555745933@newsletter', text: 'I want to invite you to be an admin of my WhatsApp channel.' });
      expect(c.expiration).toBeGreaterThan(Date.now() / 1000);
    });
  });

  describe('delete and read (204, done at once)', () => {
    it('DELETE /messages revokes A\'s own message on the network', async () => {
      const r = await send('/send-text', { phone: net.B.phone, message: 'delete me' });
      const res = await net.A.call('DELETE', `/messages?messageId=${r.messageId}&phone=${net.B.phone}&owner=true`);
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      expect(res.body).toBeUndefined();
      const row = await net.server.oz.ctx.store.db.selectFrom('sandbox_messages').select('content').where('id', '=', r.messageId).executeTakeFirstOrThrow();
      expect(JSON.parse(row.content).revokedAt).toBeGreaterThan(0);
    });

    it('DELETE /messages of a received message (owner=false) deletes it for this device only', async () => {
      const r = await send('/send-text', { phone: net.A.phone, message: 'to be deleted for me' }, net.B);
      await received('a', r.messageId);
      const res = await net.A.call('DELETE', `/messages?messageId=${r.messageId}&phone=${net.B.phone}&owner=false`);
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      const row = await net.server.oz.ctx.store.db.selectFrom('sandbox_messages').select('content').where('id', '=', r.messageId).executeTakeFirstOrThrow();
      expect(JSON.parse(row.content).revokedAt).toBeUndefined();
    });

    it('POST /read-message sends the read receipt to the sender', async () => {
      const r = await send('/send-text', { phone: net.A.phone, message: 'read me' }, net.B);
      await received('a', r.messageId);
      const res = await net.A.call('POST', '/read-message', { phone: net.B.phone, messageId: r.messageId });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      // B's MessageStatusCallback READ for its message.
      await waitFor(() => at('b', 'MessageStatusCallback', (b) => b.status === 'READ' && b.ids?.includes(r.messageId))[0], 10_000, 'READ at B');
    });

    it('both need a connected instance (409) and a known message (404)', async () => {
      const lone = await net.server.createInstance();
      expectError(await lone.call('POST', '/read-message', { phone: net.B.phone, messageId: '3EB0AAAAAAAAAAAAAAAAAAAA' }), 404, 'message-not-found');
      const r = await send('/send-text', { phone: net.A.phone, message: 'x' }, net.B);
      await received('a', r.messageId);
      const engine = net.server.oz.ctx.engines.engine(net.A.id)!;
      await engine.close(); // the engine stops (not logged out): A is not connected
      try {
        expectError(await net.A.call('POST', '/read-message', { phone: net.B.phone, messageId: r.messageId }), 409, 'not-connected');
        expectError(await net.A.call('DELETE', `/messages?messageId=${r.messageId}&phone=${net.B.phone}&owner=false`), 409, 'not-connected');
      } finally {
        await engine.connect();
      }
      await waitFor(() => engine.state().status === 'connected', 5000, 'A reconnected');
    });
  });

  it('everything accepted was sent: the queue is empty', async () => {
    expect((await net.A.call('GET', '/queue/count')).body).toEqual({ count: 0 });
    expect((await net.B.call('GET', '/queue/count')).body).toEqual({ count: 0 });
  });
});
