// Status area (zapi-reference.txt "Status"): text, image and video statuses are posted to
// status@broadcast and reach the sandbox instances that know the poster; replies quote a
// status of the contact answered (isStatusReply at the recipient). The 10 MB video limit
// is enforced before anything is queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestInstance } from '../helpers/server.js';
import { TwoInstances, type Paired } from '../helpers/two-instances.js';
import { SAMPLES, dataUri } from '../helpers/media-samples.js';
import { fetchBytes, waitFor } from '../helpers/http.js';
import { expectError } from './expect.js';

const CONTACT = '5511987650001';
const OTHER_CONTACT = '5511987650002';

describe('status: post and reply', () => {
  const net = new TwoInstances();
  beforeAll(async () => {
    await net.start();
    // A status reaches the sandbox instances that have talked with the poster.
    await send(net.A, '/send-text', { phone: net.B.phone, message: 'hi' });
  });
  afterAll(() => net.stop());
  const { at, received, stored } = net;

  async function send(from: Paired, route: string, body: Record<string, unknown>) {
    const res = await from.call('POST', route, body);
    expect(res.status, `${route}: ${JSON.stringify(res.body)}`).toBe(200);
    expect(res.body).toMatchObject({ zaapId: expect.stringMatching(/^[0-9A-F]{32}$/), messageId: expect.stringMatching(/^3EB0[0-9A-F]{20}$/) });
    expect(res.body.id).toBe(res.body.messageId);
    const d = await waitFor(() => at(from, 'DeliveryCallback', (b) => b.messageId === res.body.messageId)[0], 10_000, `DeliveryCallback of ${route}`);
    expect(d.body.error, `${route}: ${d.body.error}`).toBeUndefined();
    return res.body as { zaapId: string; messageId: string };
  }

  const count = async (i: TestInstance) => (await i.call('GET', '/queue/count')).body.count as number;

  it('send-text-status: posted to status@broadcast, seen by B as a broadcast', async () => {
    const r = await send(net.A, '/send-text-status', { message: 'Your status message' });
    expect((await stored(net.A, r.messageId)).chat_jid).toBe('status@broadcast');
    const got = await received(net.B, r.messageId);
    expect(got.body).toMatchObject({ broadcast: true, fromMe: false, text: { message: 'Your status message' } });
  });

  it('send-image-status (URL) and send-video-status (base64) with captions', async () => {
    const img = await send(net.A, '/send-image-status', { image: net.files.fileUrl('png', 'status'), caption: 'caption text' });
    const gotImg = await received(net.B, img.messageId);
    expect(gotImg.body).toMatchObject({ broadcast: true, image: { caption: 'caption text', mimeType: 'image/png' } });
    expect(await fetchBytes(gotImg.body.image.imageUrl)).toEqual(SAMPLES.png);
    const vid = await send(net.A, '/send-video-status', { video: dataUri('mp4'), caption: 'video caption' });
    expect((await received(net.B, vid.messageId)).body).toMatchObject({ broadcast: true, video: { caption: 'video caption', mimeType: 'video/mp4' } });
  });

  it('send-video-status refuses a video over the documented 10 MB (nothing queued)', async () => {
    const big = Buffer.concat([SAMPLES.mp4.subarray(0, 32), Buffer.alloc(10 * 1024 * 1024 + 1024, 7)]);
    const res = await net.A.call('POST', '/send-video-status', { video: `data:video/mp4;base64,${big.toString('base64')}` });
    expectError(res, 413, 'media-too-large');
    expect(await count(net.A)).toBe(0);
    // The same file is fine as an ordinary video (16 MB).
    await send(net.A, '/send-video', { phone: net.B.phone, video: `data:video/mp4;base64,${big.toString('base64')}` });
  });

  it('a status can only be a text, an image, a video or a voice note', async () => {
    expectError(await net.A.call('POST', '/send-text-status', {}), 400, 'validation');
    expectError(await net.A.call('POST', '/send-text-status', { message: 'x'.repeat(701) }), 400, 'validation');
    expectError(await net.A.call('POST', '/send-image-status', { image: dataUri('pdf') }), 415, 'invalid-media-type');
    expectError(await net.A.call('POST', '/send-video-status', { video: dataUri('png') }), 415, 'invalid-media-type');
    expect(await count(net.A)).toBe(0);
  });

  describe('replies to a contact\'s status', () => {
    let statusId: string;

    beforeAll(async () => {
      // The simulated contact posts a status that A sees.
      const res = await net.A.call('POST', '/sandbox/inbound/send-text-status', { phone: CONTACT, message: 'my day' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      statusId = res.body.messageId;
      const got = await received(net.A, statusId);
      expect(got.body).toMatchObject({ broadcast: true, text: { message: 'my day' } });
    });

    it('reply-status-text: a message to the poster quoting the status', async () => {
      const r = await send(net.A, '/reply-status-text', { phone: CONTACT, message: 'nice!', statusMessageId: statusId });
      const s = await stored(net.A, r.messageId);
      expect(s.chat_jid).toBe(`${CONTACT}@s.whatsapp.net`);
      expect(s.payload).toMatchObject({ quotedId: statusId, quotedIsStatus: true, content: { type: 'text', text: 'nice!' } });
    });

    it('reply-status-gif and reply-status-sticker', async () => {
      const g = await send(net.A, '/reply-status-gif', { phone: CONTACT, gif: net.files.fileUrl('mp4', 'reply'), statusMessageId: statusId });
      expect((await stored(net.A, g.messageId)).payload).toMatchObject({ quotedIsStatus: true, content: { type: 'video', gif: true } });
      const s = await send(net.A, '/reply-status-sticker', { phone: CONTACT, sticker: dataUri('webp'), statusMessageId: statusId });
      expect((await stored(net.A, s.messageId)).payload).toMatchObject({ quotedIsStatus: true, content: { type: 'sticker' } });
    });

    it('B\'s status answered by A: B sees a status reply quoting its status', async () => {
      const post = await send(net.B, '/send-text-status', { message: 'B status' });
      await received(net.A, post.messageId);
      const r = await send(net.A, '/reply-status-text', { phone: net.B.phone, message: 'seen it', statusMessageId: post.messageId });
      expect((await received(net.B, r.messageId)).body).toMatchObject({ isStatusReply: true, referenceMessageId: post.messageId, text: { message: 'seen it' } });
    });

    it('read-message on a contact\'s status (phone = the poster) marks it viewed', async () => {
      const copy = () => net.server.oz.ctx.store.db.selectFrom('sandbox_messages').select('status').where('id', '=', `${statusId}:${net.A.phone}`).executeTakeFirstOrThrow();
      expect((await copy()).status).not.toBe('read');
      const res = await net.A.call('POST', '/read-message', { phone: CONTACT, messageId: statusId });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      expect((await copy()).status).toBe('read');
      expectError(await net.A.call('POST', '/read-message', { phone: OTHER_CONTACT, messageId: statusId }), 400, 'message-chat-mismatch');
    });

    it('refuses what is not a status of the contact answered (nothing queued)', async () => {
      expectError(await net.A.call('POST', '/reply-status-text', { phone: CONTACT, message: 'x', statusMessageId: '3EB0FFFFFFFFFFFFFFFFFFFF' }), 404, 'message-not-found');
      expectError(await net.A.call('POST', '/reply-status-text', { phone: OTHER_CONTACT, message: 'x', statusMessageId: statusId }), 400, 'message-chat-mismatch');
      const chat = await net.A.call('POST', '/sandbox/inbound/send-text', { phone: CONTACT, message: 'not a status' });
      await received(net.A, chat.body.messageId);
      expectError(await net.A.call('POST', '/reply-status-text', { phone: CONTACT, message: 'x', statusMessageId: chat.body.messageId }), 400, 'not-a-status');
      const own = await send(net.A, '/send-text-status', { message: 'mine' });
      expectError(await net.A.call('POST', '/reply-status-text', { phone: CONTACT, message: 'x', statusMessageId: own.messageId }), 400, 'own-message');
      expectError(await net.A.call('POST', '/reply-status-gif', { phone: CONTACT, gif: dataUri('png'), statusMessageId: statusId }), 415, 'invalid-media-type');
      expectError(await net.A.call('POST', '/reply-status-sticker', { phone: CONTACT, statusMessageId: statusId }), 400, 'validation');
      expectError(await net.A.call('POST', '/reply-status-text', { phone: CONTACT, message: 'x' }), 400, 'validation');
      expect(await count(net.A)).toBe(0);
    });
  });
});
