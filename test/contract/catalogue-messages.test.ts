// The contract, walked: every endpoint of the catalogue's `messages` and `status` areas
// (test/fixtures/catalogue.json, a copy of ../shared/spec/catalogue.json), each documented
// body example sent to a paired sandbox instance. The examples are the docs' own; only
// what cannot work literally is rewritten: media URLs point at a local file server (and
// truncated base64 becomes a real file of the same kind), placeholders such as
// "PHONE DO CHAT" or "pin | unpin" become a real value, and referenced message ids become
// messages that exist. Each answer must carry the documented response fields, and every
// accepted message must reach the engine (DeliveryCallback without error).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwoInstances, type Paired } from '../helpers/two-instances.js';
import { dataUri, type SampleKind } from '../helpers/media-samples.js';
import { waitFor } from '../helpers/http.js';
import { backends } from '../helpers/postgres.js';

interface Endpoint {
  area: string;
  method: string;
  path: string;
  title: string;
  bodyExamples: Record<string, unknown>[];
  responseFields: { name: string; type: string }[];
  mandatory: { name: string }[];
}

const catalogue = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/catalogue.json'), 'utf8')) as { endpoints: Endpoint[] };
const endpoints = catalogue.endpoints.filter((e) => e.area === 'messages' || e.area === 'status');

/** The simulated contact the examples talk to (the docs' own favourite number). */
const CONTACT = '5511999999999';

/** Media fields and the kind of file each expects. */
const MEDIA_FIELDS: Record<string, SampleKind> = {
  image: 'png',
  sticker: 'webp',
  gif: 'mp4',
  audio: 'mp3',
  video: 'mp4',
  ptv: 'mp4',
  document: 'pdf',
};

/** The docs write alternatives as "a | b" and describe values in prose: take a real value. */
function placeholder(key: string, value: string): string {
  if (key === 'keyType') return 'cpf';
  if (/ \| /.test(value)) return value.split('|')[0].trim();
  return value;
}

describe.each(backends)('catalogue contract: messages and status areas ($name)', ({ env }) => {
  const net = new TwoInstances();
  let cleanup = async () => undefined as void;
  /** Message ids the examples refer to, created for real before the walk. */
  const ref: Record<string, string> = {};

  const deliveryOf = (messageId: string) =>
    waitFor(() => net.at('a', 'DeliveryCallback', (b) => b.messageId === messageId)[0], 10_000, `DeliveryCallback ${messageId}`);
  const receivedAt = (who: 'a' | 'b', pred: (b: any) => boolean, what: string) =>
    waitFor(() => net.at(who, 'ReceivedCallback', pred)[0], 10_000, what);

  async function sent(route: string, body: Record<string, unknown>, from: Paired = net.A): Promise<string> {
    const res = await from.call('POST', route, body);
    if (res.status !== 200) throw new Error(`${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.messageId;
  }

  beforeAll(async () => {
    const backend = await env();
    cleanup = backend.cleanup;
    await net.start(backend.env);

    // Messages in the contact's chat: one we sent, one the contact sent, a poll and an order.
    ref.sent = await sent('/send-text', { phone: CONTACT, message: 'earlier message of ours' });
    ref.received = (await net.A.call('POST', '/sandbox/inbound', { from: CONTACT, message: 'earlier message of the contact' })).body.messageId;
    ref.poll = (await net.A.call('POST', '/sandbox/inbound/send-poll', { phone: CONTACT, message: 'Best API?', poll: [{ name: 'Z-API' }, { name: 'Other' }] })).body.messageId;
    ref.order = await sent('/send-order', { phone: CONTACT, order: { currency: 'BRL', products: [{ name: 'Product Name', value: 150, quantity: 1 }] } });
    await deliveryOf(ref.order); // now in the message store
    const order = await net.server.oz.ctx.store.db.selectFrom('messages').select('payload').where('message_id', '=', ref.order).executeTakeFirst();
    const orderContent = order ? JSON.parse(order.payload).content : null;
    ref.orderReferenceId = orderContent?.referenceId;
    ref.orderRequestId = orderContent?.orderRequestId;
    // A status of B that A can reply to: B and A talked, then B posts.
    await sent('/send-text', { phone: net.A.phone, message: 'hi A' }, net.B);
    await receivedAt('a', (b) => b.phone === net.B.phone, 'B → A');
    const status = await sent('/send-text-status', { message: 'B on holiday' }, net.B);
    ref.status = (await receivedAt('a', (b) => b.messageId === status, 'B status at A')).body.messageId;
    // A group message from a member, to answer privately: simulated group members do not
    // write, so it is put in the instance's message store the way the engine would record it.
    ref.groupMessage = '3EB0C0FFEE00000000000001';
    await net.server.oz.ctx.store.db
      .insertInto('messages')
      .values({
        instance_id: net.A.id, message_id: ref.groupMessage, zaap_id: null, chat_jid: '342532456234453@g.us', from_me: 0,
        sender_jid: '5511977776666@s.whatsapp.net', kind: 'text', payload: JSON.stringify({ content: { type: 'text', text: 'question in the group' } }),
        status: 'RECEIVED', created_at: Date.now(),
      })
      .execute();
    // An event a member created in the group of the event examples (to answer), stored the same way.
    ref.memberEvent = '3EB0C0FFEE00000000000002';
    await net.server.oz.ctx.store.db
      .insertInto('messages')
      .values({
        instance_id: net.A.id, message_id: ref.memberEvent, zaap_id: null, chat_jid: '120363019502650977@g.us', from_me: 0,
        sender_jid: '5511977776666@s.whatsapp.net', kind: 'event',
        payload: JSON.stringify({ content: { type: 'event', name: 'Team lunch', startTime: 1_900_000_000, canceled: false } }),
        status: 'RECEIVED', created_at: Date.now(),
      })
      .execute();
    // An event of ours in that group (to edit).
    ref.event = await sent('/send-event', { phone: '120363019502650977-group', event: { name: 'Kick-off', dateTime: '2030-04-29T09:30:00Z', canceled: false } });
    for (const id of [ref.sent, ref.order, ref.event]) await deliveryOf(id);
  }, 60_000);

  afterAll(async () => {
    await net.stop();
    await cleanup();
  });

  /** The example made runnable (see the header): a deep copy with the rewrites applied. */
  function runnable(e: Endpoint, example: Record<string, unknown>): Record<string, unknown> {
    const walk = (key: string, value: unknown): unknown => {
      if (Array.isArray(value)) return value.map((v) => walk(key, v));
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(k, v)]));
      if (typeof value !== 'string') return value;
      const kind = MEDIA_FIELDS[key];
      if (kind) return value.startsWith('data:') ? dataUri(kind) : net.files.fileUrl(kind, key);
      if (key === 'image' && value !== '') return net.files.fileUrl('png', 'card');
      if (key === 'mentioned' && !/^\d+$/.test(value)) return CONTACT;
      return placeholder(key, value);
    };
    const body = walk('', structuredClone(example)) as Record<string, unknown>;
    // The chat: the docs' contact numbers become the simulated contact; group ids stay.
    if (typeof body.phone === 'string' && !body.phone.endsWith('-group')) body.phone = CONTACT;
    switch (e.path) {
      case '/send-text':
        if (body.messageId) body.messageId = body.privateAnswer ? ref.groupMessage : ref.received;
        break;
      case '/forward-message':
        Object.assign(body, { messageId: ref.sent, messagePhone: CONTACT });
        break;
      case '/send-reaction':
      case '/send-remove-reaction':
      case '/pin-message':
      case '/read-message':
        body.messageId = ref.received;
        break;
      case '/send-poll-vote':
        body.pollMessageId = ref.poll;
        break;
      case '/order-status-update':
      case '/order-payment-update':
        // The order's ids, as the order's own webhook (reviewAndPay) told the client.
        Object.assign(body, { messageId: ref.order, referenceId: ref.orderReferenceId, orderRequestId: ref.orderRequestId });
        break;
      case '/send-button-pix':
        if (body.type === 'EVP') body.pixKey = '123e4567-e89b-42d3-a456-426614174000'; // the docs' "pix key" is prose
        break;
      case '/send-edit-event':
        body.eventMessageId = ref.event;
        break;
      case '/send-event-response':
        body.eventMessageId = ref.memberEvent;
        break;
      case '/reply-status-text':
      case '/reply-status-gif':
      case '/reply-status-sticker':
        Object.assign(body, { phone: net.B.phone, statusMessageId: ref.status });
        break;
    }
    return body;
  }

  const route = (e: Endpoint) => e.path.replace('{extension}', 'pdf');

  it('walks all 41 endpoints of the two areas', () => {
    expect(endpoints).toHaveLength(41);
    expect(endpoints.filter((e) => e.bodyExamples.length > 0)).toHaveLength(40); // DELETE /messages is documented by query
  });

  for (const e of endpoints) {
    e.bodyExamples.forEach((example, i) => {
      it(`${e.method} ${e.path} — example ${i + 1}`, async () => {
        const body = runnable(e, example);
        const res = await net.A.call(e.method, route(e), body);
        expect(res.status, `${JSON.stringify(body).slice(0, 300)} → ${JSON.stringify(res.body)}`).toBe(e.responseFields.length ? 200 : 204);
        for (const f of e.responseFields) {
          expect(res.body[f.name], `response field ${f.name}`).toEqual(expect.any(String));
          expect(res.body[f.name]).not.toBe('');
        }
        if (res.body?.messageId) {
          const d = await deliveryOf(res.body.messageId);
          expect(d.body.error, `engine refused: ${d.body.error}`).toBeUndefined();
          expect(d.body.zaapId).toBe(res.body.zaapId);
        }
      });
    });
  }

  it('DELETE /messages — the documented query (messageId, phone, owner)', async () => {
    const e = endpoints.find((x) => x.method === 'DELETE' && x.path === '/messages')!;
    expect(e.mandatory.map((f) => f.name).sort()).toEqual(['messageId', 'owner', 'phone']);
    const mine = await sent('/send-text', { phone: CONTACT, message: 'to be deleted' });
    await deliveryOf(mine);
    const res = await net.A.call('DELETE', `/messages?messageId=${mine}&phone=${CONTACT}&owner=true`);
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    const unknown = await net.A.call('DELETE', `/messages?messageId=3EB0000000000000000000FF&phone=${CONTACT}&owner=true`);
    expect(unknown.status).toBe(404);
  });
});
