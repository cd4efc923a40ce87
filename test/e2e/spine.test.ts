// The spine end to end over real HTTP on 127.0.0.1, on SQLite and (when configured) Postgres:
// partner creates a sandbox instance → webhooks → pair → ConnectedCallback → send-text →
// DeliveryCallback + MessageStatusCallback SENT/RECEIVED/READ → sandbox/inbound →
// ReceivedCallback; then two sandbox instances talking to each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { backends } from '../helpers/postgres.js';

const CONTACT = '5511987654321';

describe.each(backends)('spine end to end ($name)', ({ env }) => {
  let server: TestServer;
  let hooks: WebhookReceiver;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const e = await env();
    cleanup = e.cleanup;
    hooks = await new WebhookReceiver().start();
    server = await startTestServer(e.env);
  });
  afterAll(async () => {
    await server?.close();
    await hooks?.stop();
    await cleanup?.();
  });

  it('creates, pairs, sends, receives and reports every status through webhooks', async () => {
    const created = await server.partner('POST', '/instances/integrator/on-demand', {
      name: 'Spine test',
      engine: 'sandbox',
      deliveryCallbackUrl: `${hooks.url}/delivery`,
      receivedCallbackUrl: `${hooks.url}/received`,
      connectedCallbackUrl: `${hooks.url}/connected`,
      disconnectedCallbackUrl: `${hooks.url}/disconnected`,
      messageStatusCallbackUrl: `${hooks.url}/status`,
      webhookSecret: 'shh-secret',
    });
    expect(created.status).toBe(200);
    expect(created.body.id).toMatch(/^[0-9A-F]{32}$/);
    expect(created.body.token).toMatch(/^[0-9A-F]{32}$/);
    expect(typeof created.body.due).toBe('number');
    expect(created.body.sandbox).toBe(true);
    const inst = server.instance(created.body.id, created.body.token);
    expect((await inst.call('PUT', '/update-webhook-chat-presence', { value: `${hooks.url}/presence` })).status).toBe(200);

    const before = await inst.call('GET', '/status');
    expect(before.body).toMatchObject({ connected: false, error: 'You are not connected.', smartphoneConnected: false });
    const qr = await inst.call('GET', '/qr-code/image');
    expect(qr.status).toBe(200);
    expect(qr.body.value).toMatch(/^data:image\/png;base64,/);

    const paired = await inst.call('POST', '/sandbox/pair', { phone: '5500111222333' });
    expect(paired.body).toEqual({ connected: true, phone: '5500111222333' });
    const connected = await waitFor(() => hooks.of('ConnectedCallback', (b) => b.instanceId === inst.id)[0], 5000, 'ConnectedCallback');
    expect(connected.path).toBe('/connected');
    expect(connected.body).toMatchObject({ type: 'ConnectedCallback', connected: true, phone: '5500111222333', instanceId: inst.id });
    expect(typeof connected.body.momment).toBe('number');
    expect(connected.headers['z-api-token']).toBe(inst.token);
    expect(connected.headers['content-type']).toBe('application/json');
    expect(connected.headers['x-openzap-signature']).toBe('sha256=' + createHmac('sha256', 'shh-secret').update(connected.raw).digest('hex'));
    expect((await inst.call('GET', '/status')).body).toMatchObject({ connected: true, smartphoneConnected: true });

    const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'Welcome to *OpenZap*' });
    expect(sent.status).toBe(200);
    expect(sent.body.zaapId).toMatch(/^[0-9A-F]{32}$/);
    expect(sent.body.messageId).toBe(sent.body.id);
    const mid = sent.body.messageId;

    const delivery = await waitFor(() => hooks.of('DeliveryCallback', (b) => b.messageId === mid)[0], 5000, 'DeliveryCallback');
    expect(delivery.path).toBe('/delivery');
    expect(delivery.body).toEqual({ phone: CONTACT, zaapId: sent.body.zaapId, messageId: mid, type: 'DeliveryCallback', instanceId: inst.id });

    const statuses = await waitFor(
      () => {
        const s = hooks.of('MessageStatusCallback', (b) => b.ids.includes(mid)).map((d) => d.body.status);
        return s.includes('READ') ? s : null;
      },
      5000,
      'READ status',
    );
    expect(statuses).toEqual(['SENT', 'RECEIVED', 'READ']);
    const read = hooks.of('MessageStatusCallback', (b) => b.status === 'READ' && b.ids.includes(mid))[0];
    expect(read.path).toBe('/status');
    expect(read.body).toMatchObject({ instanceId: inst.id, ids: [mid], phone: CONTACT, phoneDevice: 0, isGroup: false, type: 'MessageStatusCallback' });
    expect(typeof read.body.momment).toBe('number');

    // notifySentByMe is off: our own message does not come back as a ReceivedCallback.
    expect(hooks.of('ReceivedCallback', (b) => b.messageId === mid)).toHaveLength(0);

    const inbound = await inst.call('POST', '/sandbox/inbound', { from: CONTACT, message: 'Hello back', senderName: 'Maria' });
    expect(inbound.status).toBe(200);
    const received = await waitFor(() => hooks.of('ReceivedCallback', (b) => b.messageId === inbound.body.messageId)[0], 5000, 'ReceivedCallback');
    expect(received.path).toBe('/received');
    expect(received.body).toMatchObject({
      isStatusReply: false,
      connectedPhone: '5500111222333',
      waitingMessage: false,
      isEdit: false,
      isGroup: false,
      isNewsletter: false,
      instanceId: inst.id,
      phone: CONTACT,
      fromMe: false,
      status: 'RECEIVED',
      senderName: 'Maria',
      participantPhone: null,
      broadcast: false,
      type: 'ReceivedCallback',
      text: { message: 'Hello back' },
    });
    expect(typeof received.body.momment).toBe('number');
    for (const key of ['senderLid', 'chatName', 'senderPhoto', 'photo', 'participantLid']) expect(received.body).toHaveProperty(key);

    // A reply to the received message is accepted (the message is in the recent store) …
    const reply = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'Reply', messageId: inbound.body.messageId });
    expect(reply.status).toBe(200);
    // … and with notifySentByMe on, our own sends come back as ReceivedCallback fromMe.
    expect((await inst.call('PUT', '/update-notify-sent-by-me', { notifySentByMe: true })).body).toEqual({ value: true });
    const own = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'Mine' });
    const echo = await waitFor(() => hooks.of('ReceivedCallback', (b) => b.messageId === own.body.messageId)[0], 5000, 'fromMe echo');
    expect(echo.body).toMatchObject({ fromMe: true, fromApi: true, phone: CONTACT, text: { message: 'Mine' } });

    // A simulated contact's presence reaches PresenceChatCallback.
    expect((await inst.call('POST', '/sandbox/presence', { from: CONTACT, status: 'composing' })).status).toBe(200);
    const presence = await waitFor(() => hooks.of('PresenceChatCallback', (b) => b.status === 'COMPOSING')[0], 5000, 'presence');
    expect(presence.body).toEqual({ type: 'PresenceChatCallback', phone: CONTACT, status: 'COMPOSING', lastSeen: null, instanceId: inst.id });

    // Disconnect (logout) is a real transition: DisconnectedCallback.
    expect((await inst.call('GET', '/disconnect')).body).toEqual({ value: true });
    const disc = await waitFor(() => hooks.of('DisconnectedCallback', (b) => b.instanceId === inst.id)[0], 5000, 'DisconnectedCallback');
    expect(disc.body).toMatchObject({ disconnected: true, type: 'DisconnectedCallback', instanceId: inst.id });
    expect(typeof disc.body.error).toBe('string');
  });

  it('lets two sandbox instances message each other, with receipts and typing presence', async () => {
    const a = await server.pairedInstance(`${hooks.url}/a`, '5500200000001');
    const b = await server.pairedInstance(`${hooks.url}/b`, '5500200000002');
    expect((await b.call('PUT', '/update-auto-read-message', { value: true })).body).toEqual({ value: true });

    const sent = await a.call('POST', '/send-text', { phone: b.phone, message: 'Hi B', delayTyping: 1 });
    expect(sent.status).toBe(200);
    const got = await waitFor(() => hooks.deliveries.find((d) => d.path === '/b' && d.body.messageId === sent.body.messageId), 8000, 'B receives');
    expect(got.body).toMatchObject({ type: 'ReceivedCallback', phone: a.phone, fromMe: false, connectedPhone: b.phone, text: { message: 'Hi B' } });

    // B saw A typing before the message arrived.
    const typing = hooks.deliveries.find((d) => d.path === '/b' && d.body.type === 'PresenceChatCallback' && d.body.status === 'COMPOSING');
    expect(typing?.body.phone).toBe(a.phone);
    expect(typing!.at).toBeLessThanOrEqual(got.at);

    // B auto-reads: A gets RECEIVED then READ from B's phone.
    const statuses = await waitFor(
      () => {
        const s = hooks.deliveries
          .filter((d) => d.path === '/a' && d.body.type === 'MessageStatusCallback' && d.body.ids.includes(sent.body.messageId))
          .map((d) => d.body.status);
        return s.includes('READ') ? s : null;
      },
      5000,
      'READ from B',
    );
    expect(statuses).toEqual(['SENT', 'RECEIVED', 'READ']);

    // Statuses follow update-auto-read-status, not update-auto-read-message: B does not mark A's status seen…
    const story = await a.call('POST', '/send-text-status', { message: 'A on holiday' });
    expect(story.status).toBe(200);
    await waitFor(() => hooks.deliveries.find((d) => d.path === '/b' && d.body.messageId === story.body.messageId && d.body.broadcast === true), 5000, 'B sees the status');
    // …until it is told to; the next status is seen, and A learns who saw it.
    expect((await b.call('PUT', '/update-auto-read-status', { value: true })).body).toEqual({ value: true });
    const story2 = await a.call('POST', '/send-text-status', { message: 'back home' });
    const seen = await waitFor(
      () => hooks.deliveries.find((d) => d.path === '/a' && d.body.type === 'MessageStatusCallback' && d.body.status === 'READ' && d.body.ids.includes(story2.body.messageId)),
      5000,
      'status seen by B',
    );
    expect(seen.body).toMatchObject({ participant: b.phone });
    expect(hooks.deliveries.filter((d) => d.path === '/a' && d.body.type === 'MessageStatusCallback' && d.body.status === 'READ' && d.body.ids.includes(story.body.messageId))).toEqual([]);

    const back = await b.call('POST', '/send-text', { phone: a.phone, message: 'Hi A', messageId: sent.body.messageId });
    expect(back.status).toBe(200);
    const gotA = await waitFor(() => hooks.deliveries.find((d) => d.path === '/a' && d.body.messageId === back.body.messageId), 5000, 'A receives');
    expect(gotA.body).toMatchObject({ phone: b.phone, referenceMessageId: sent.body.messageId, text: { message: 'Hi A' } });
  });

  it('records no MessageStatusCallback while no status webhook is set, and every status once one is', async () => {
    const inst = await server.createInstance({ deliveryCallbackUrl: `${hooks.url}/quiet-delivery` });
    expect((await inst.call('POST', '/sandbox/pair', { phone: '5500300000001' })).status).toBe(200);
    const db = server.oz.ctx.store.db;
    const readBy = (messageId: string) => async () => {
      const row = await db.selectFrom('sandbox_messages').select('status').where('id', 'like', `%${messageId}%`).executeTakeFirst();
      return row?.status === 'read' ? row : null;
    };

    const first = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'no status webhook yet' });
    expect(first.status).toBe(200);
    await waitFor(() => hooks.of('DeliveryCallback', (b) => b.messageId === first.body.messageId)[0], 5000, 'DeliveryCallback');
    await waitFor(readBy(first.body.messageId), 5000, 'the contact reads the first message');
    const statusRows = async () => (await server.oz.ctx.outbox.list({ instanceId: inst.id, page: 1, pageSize: 100 })).rows.filter((r) => r.event_type === 'MessageStatusCallback');
    expect(await statusRows()).toEqual([]);

    expect((await inst.call('PUT', '/update-webhook-message-status', { value: `${hooks.url}/quiet-status` })).status).toBe(200);
    const second = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'now with one' });
    const statuses = await waitFor(
      () => {
        const s = hooks.of('MessageStatusCallback', (b) => b.instanceId === inst.id).map((d) => `${d.body.status} ${d.body.ids.join()}`);
        return s.length >= 3 ? s : null;
      },
      5000,
      'statuses of the second message',
    );
    expect(statuses).toEqual(['SENT', 'RECEIVED', 'READ'].map((st) => `${st} ${second.body.messageId}`));
    expect((await statusRows()).length).toBe(3);
  });
});
