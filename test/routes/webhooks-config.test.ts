// Webhooks area (zapi-reference.txt "Webhooks"): where each event type is posted, "notify
// sent by me", clearing, the URL guard (https only and no private targets unless allowed),
// plus OpenZap's signing secret, delivery log and replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { expectError } from './expect.js';

const CONTACT = '5511987654321';

/** route → the /me field it sets */
const SINGLE: [string, string][] = [
  ['/update-webhook-delivery', 'deliveryCallbackUrl'],
  ['/update-webhook-received', 'receivedCallbackUrl'],
  ['/update-webhook-disconnected', 'disconnectedCallbackUrl'],
  ['/update-webhook-message-status', 'messageStatusCallbackUrl'],
  ['/update-webhook-chat-presence', 'presenceChatCallbackUrl'],
  ['/update-webhook-connected', 'connectedCallbackUrl'],
];
const ALL_URL_FIELDS = SINGLE.map(([, f]) => f);
const URL_ROUTES = [...SINGLE.map(([r]) => r), '/update-webhook-status', '/update-webhook-received-delivery', '/update-every-webhooks'];

describe('webhook configuration and delivery', () => {
  let server: TestServer;
  let hooks: WebhookReceiver;
  let phoneSeq = 0;
  const nextPhone = () => `55004000${String(++phoneSeq).padStart(5, '0')}`;

  beforeAll(async () => {
    hooks = await new WebhookReceiver().start();
    // No retries: a failed delivery is "failed" at once (replay is what we test).
    server = await startTestServer({ OPENZAP_WEBHOOK_RETRY_SECONDS: '0' });
  });
  afterAll(async () => {
    await server?.close();
    await hooks?.stop();
  });

  const me = async (inst: TestInstance) => (await inst.call('GET', '/me')).body;
  const mine = (inst: TestInstance) => hooks.deliveries.filter((d) => d.body?.instanceId === inst.id);
  const put = async (inst: TestInstance, route: string, body: unknown) => {
    const res = await inst.call('PUT', route, body);
    expect(res.status, `${route} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(200);
    expect(res.body).toEqual({ value: true });
  };

  it('stores each update-webhook-* URL and delivers that event type there', async () => {
    const inst = await server.createInstance();
    const base = `${hooks.url}/single-${inst.id}`;
    for (const [route, field] of SINGLE) {
      await put(inst, route, { value: `${base}/${field}` });
      expect((await me(inst))[field]).toBe(`${base}/${field}`);
    }

    await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
    const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'hello' });
    expect(sent.status).toBe(200);
    const inbound = await inst.call('POST', '/sandbox/inbound', { from: CONTACT, message: 'hi there' });
    expect(inbound.status).toBe(200);
    await inst.call('POST', '/sandbox/presence', { from: CONTACT, status: 'composing' });
    await waitFor(() => mine(inst).some((d) => d.body.type === 'DeliveryCallback'), 5000, 'delivery');
    await waitFor(() => mine(inst).some((d) => d.body.type === 'MessageStatusCallback'), 5000, 'status');
    await waitFor(() => mine(inst).some((d) => d.body.type === 'PresenceChatCallback'), 5000, 'presence');
    await waitFor(() => mine(inst).some((d) => d.body.type === 'ReceivedCallback'), 5000, 'received');
    await inst.call('GET', '/disconnect');
    await waitFor(() => mine(inst).some((d) => d.body.type === 'DisconnectedCallback'), 5000, 'disconnected');

    const where: Record<string, string> = {
      ConnectedCallback: 'connectedCallbackUrl',
      DeliveryCallback: 'deliveryCallbackUrl',
      MessageStatusCallback: 'messageStatusCallbackUrl',
      ReceivedCallback: 'receivedCallbackUrl',
      PresenceChatCallback: 'presenceChatCallbackUrl',
      DisconnectedCallback: 'disconnectedCallbackUrl',
    };
    const got = mine(inst);
    expect(new Set(got.map((d) => d.body.type))).toEqual(new Set(Object.keys(where)));
    for (const d of got) expect(d.path, d.body.type).toBe(`/single-${inst.id}/${where[d.body.type]}`);
    expect(got.find((d) => d.body.type === 'ReceivedCallback')!.body.messageId).toBe(inbound.body.messageId);
    expect(got.find((d) => d.body.type === 'DeliveryCallback')!.body.messageId).toBe(sent.body.messageId);
  });

  it('accepts /update-webhook-status as the message-status route (the docs name it both ways)', async () => {
    const inst = await server.createInstance();
    await put(inst, '/update-webhook-status', { value: `${hooks.url}/status-alias` });
    expect((await me(inst)).messageStatusCallbackUrl).toBe(`${hooks.url}/status-alias`);
  });

  it('update-webhook-received-delivery sets the received URL with "notify sent by me"', async () => {
    const inst = await server.pairedInstance(undefined, nextPhone());
    await put(inst, '/update-webhook-received-delivery', { value: `${hooks.url}/rd` });
    expect(await me(inst)).toMatchObject({ receivedCallbackUrl: `${hooks.url}/rd`, receivedAndDeliveryCallbackUrl: `${hooks.url}/rd`, receiveCallbackSentByMe: true });

    const own = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'mine' });
    const echo = await waitFor(() => hooks.deliveries.find((d) => d.body?.messageId === own.body.messageId && d.body.type === 'ReceivedCallback'), 5000, 'echo');
    expect(echo.path).toBe('/rd');
    expect(echo.body).toMatchObject({ fromMe: true, instanceId: inst.id });

    await put(inst, '/update-webhook-received-delivery', { value: '' });
    expect(await me(inst)).toMatchObject({ receivedCallbackUrl: '', receivedAndDeliveryCallbackUrl: '', receiveCallbackSentByMe: false });
  });

  it('update-every-webhooks sets every URL (and notifySentByMe when given); "" or null clears them all', async () => {
    const inst = await server.createInstance();
    await put(inst, '/update-every-webhooks', { value: `${hooks.url}/all`, notifySentByMe: true });
    let m = await me(inst);
    for (const f of ALL_URL_FIELDS) expect(m[f], f).toBe(`${hooks.url}/all`);
    expect(m.receiveCallbackSentByMe).toBe(true);

    // notifySentByMe absent: the flag is left as it was.
    await put(inst, '/update-every-webhooks', { value: `${hooks.url}/all2` });
    m = await me(inst);
    expect(m).toMatchObject({ deliveryCallbackUrl: `${hooks.url}/all2`, receiveCallbackSentByMe: true });
    await put(inst, '/update-every-webhooks', { value: `${hooks.url}/all2`, notifySentByMe: false });
    expect((await me(inst)).receiveCallbackSentByMe).toBe(false);

    await put(inst, '/update-every-webhooks', { value: '' });
    m = await me(inst);
    for (const f of ALL_URL_FIELDS) expect(m[f], f).toBe('');
    await put(inst, '/update-every-webhooks', { value: `${hooks.url}/all3` });
    await put(inst, '/update-every-webhooks', { value: null });
    m = await me(inst);
    for (const f of ALL_URL_FIELDS) expect(m[f], f).toBe('');
  });

  it('update-notify-sent-by-me switches the fromMe echo on and off', async () => {
    const inst = await server.pairedInstance(`${hooks.url}/notify`, nextPhone());
    expect((await me(inst)).receiveCallbackSentByMe).toBe(false);
    await put(inst, '/update-notify-sent-by-me', { notifySentByMe: true });
    expect((await me(inst)).receiveCallbackSentByMe).toBe(true);
    const on = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'echoed' });
    await waitFor(() => hooks.deliveries.find((d) => d.body?.type === 'ReceivedCallback' && d.body.messageId === on.body.messageId), 5000, 'echo');

    await put(inst, '/update-notify-sent-by-me', { notifySentByMe: false });
    expect((await me(inst)).receiveCallbackSentByMe).toBe(false);
    const off = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'not echoed' });
    // The echo would be written with the DeliveryCallback, in the same transaction.
    await waitFor(() => hooks.deliveries.find((d) => d.body?.type === 'DeliveryCallback' && d.body.messageId === off.body.messageId), 5000, 'delivery');
    const recorded = (await inst.call('GET', '/webhooks/deliveries')).body.content;
    expect(recorded.filter((d: any) => d.type === 'ReceivedCallback' && d.payload.messageId === off.body.messageId)).toEqual([]);
    expect(hooks.deliveries.filter((d) => d.body?.type === 'ReceivedCallback' && d.body.messageId === off.body.messageId)).toEqual([]);
  });

  it('"" clears a single webhook: that event is no longer recorded nor sent', async () => {
    const inst = await server.pairedInstance(`${hooks.url}/clear`, nextPhone());
    await put(inst, '/update-webhook-delivery', { value: '' });
    expect(await me(inst)).toMatchObject({ deliveryCallbackUrl: '', messageStatusCallbackUrl: `${hooks.url}/clear` });
    const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'no delivery webhook' });
    await waitFor(async () => (await inst.call('GET', '/queue/count')).body.count === 0, 5000, 'sent');
    await waitFor(() => hooks.of('MessageStatusCallback', (b) => b.ids.includes(sent.body.messageId))[0], 5000, 'status');
    const recorded = (await inst.call('GET', '/webhooks/deliveries')).body.content;
    expect(recorded.some((d: any) => d.type === 'MessageStatusCallback')).toBe(true);
    expect(recorded.filter((d: any) => d.type === 'DeliveryCallback' && d.payload.messageId === sent.body.messageId)).toEqual([]);
    expect(hooks.of('DeliveryCallback', (b) => b.messageId === sent.body.messageId)).toEqual([]);
  });

  it('signs deliveries with the webhook secret (x-openzap-signature) until it is removed', async () => {
    const inst = await server.createInstance();
    await put(inst, '/update-every-webhooks', { value: `${hooks.url}/signed` });
    await put(inst, '/update-webhook-secret', { value: 'top-secret' });
    await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
    const connected = await waitFor(() => mine(inst).find((d) => d.body.type === 'ConnectedCallback'), 5000, 'connected');
    expect(connected.headers['x-openzap-signature']).toBe('sha256=' + createHmac('sha256', 'top-secret').update(connected.raw).digest('hex'));
    expect(connected.headers['z-api-token']).toBe(inst.token);

    await put(inst, '/update-webhook-secret', { value: null });
    const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'unsigned' });
    const delivery = await waitFor(() => hooks.of('DeliveryCallback', (b) => b.messageId === sent.body.messageId)[0], 5000, 'delivery');
    expect(delivery.headers['x-openzap-signature']).toBeUndefined();
    expectError(await inst.call('PUT', '/update-webhook-secret', { value: 'x'.repeat(257) }), 400, 'validation');
    expectError(await inst.call('PUT', '/update-webhook-secret', {}), 400, 'validation');
  });

  it('logs deliveries (?status=), shows attempts, and replays failed ones', async () => {
    const inst = await server.createInstance();
    let failing = true;
    hooks.failIf = (b) => failing && b?.instanceId === inst.id;
    try {
      await put(inst, '/update-every-webhooks', { value: `${hooks.url}/log` });
      await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
      const failed = await waitFor(async () => (await inst.call('GET', '/webhooks/deliveries?status=failed')).body.content[0], 5000, 'failed delivery');
      expect(failed).toMatchObject({
        id: expect.any(Number),
        type: 'ConnectedCallback',
        url: `${hooks.url}/log`,
        status: 'failed',
        attempts: 1,
        lastStatus: 500,
        lastError: 'HTTP 500',
        nextAttemptAt: null,
        deliveredAt: null,
        payload: { type: 'ConnectedCallback', instanceId: inst.id },
      });
      expect((await inst.call('GET', '/webhooks/deliveries?status=delivered')).body).toMatchObject({ total: 0, content: [] });

      const one = await inst.call('GET', `/webhooks/deliveries/${failed.id}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id: failed.id, type: 'ConnectedCallback', status: 'failed', payload: { type: 'ConnectedCallback' } });
      expect(one.body.attempts).toEqual([{ attempt: 1, at: expect.any(Number), statusCode: 500, error: 'HTTP 500', durationMs: expect.any(Number) }]);

      // Another instance cannot see it; unknown ids are 404.
      const other = await server.createInstance();
      expectError(await other.call('GET', `/webhooks/deliveries/${failed.id}`), 404);
      expect((await other.call('POST', '/webhooks/replay', { ids: [failed.id] })).body).toEqual({ value: true, replayed: 0 });
      expectError(await inst.call('GET', '/webhooks/deliveries/99999999'), 404);

      failing = false;
      const replay = await inst.call('POST', '/webhooks/replay', { ids: [failed.id] });
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ value: true, replayed: 1 });
      const delivered = await waitFor(async () => {
        const r = (await inst.call('GET', `/webhooks/deliveries/${failed.id}`)).body;
        return r.status === 'delivered' ? r : null;
      }, 5000, 'replayed delivery');
      // The attempt log continues across the replay.
      expect(delivered.attempts.map((a: any) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 200]]);
      expect(mine(inst).filter((d) => d.body.type === 'ConnectedCallback')).toHaveLength(1);
      expect((await inst.call('POST', '/webhooks/replay', {})).body).toEqual({ value: true, replayed: 0 });

      // Replay with no body: every failed delivery of the instance.
      failing = true;
      const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'fails first' });
      await waitFor(async () => (await inst.call('GET', '/webhooks/deliveries?status=failed')).body.total >= 2, 5000, 'two failures');
      failing = false;
      // Let the deliveries under way settle, so that every failure is recorded before the replay.
      await waitFor(async () => (await inst.call('GET', '/webhooks/deliveries?status=pending')).body.total === 0, 5000, 'settled');
      const failedNow = (await inst.call('GET', '/webhooks/deliveries?status=failed')).body;
      expect(failedNow.content.map((d: any) => d.type)).toContain('DeliveryCallback');
      const all = await inst.call('POST', '/webhooks/replay');
      expect(all.body).toEqual({ value: true, replayed: failedNow.total });
      await waitFor(() => hooks.of('DeliveryCallback', (b) => b.messageId === sent.body.messageId)[0], 5000, 'replayed DeliveryCallback');
      await waitFor(async () => (await inst.call('GET', '/webhooks/deliveries?status=failed')).body.total === 0, 5000, 'no failures left');

      // Paging of the log: newest first. The sandbox contact's READ receipt is the last event
      // this instance produces; once it is delivered the log no longer grows under the pages.
      await waitFor(() => hooks.of('MessageStatusCallback', (b) => b.status === 'READ' && b.ids.includes(sent.body.messageId))[0], 5000, 'READ status');
      await waitFor(async () => (await inst.call('GET', '/webhooks/deliveries?status=pending')).body.total === 0, 5000, 'settled again');
      const both = await inst.call('GET', '/webhooks/deliveries?page=1&pageSize=2');
      expect(both.body.total).toBeGreaterThanOrEqual(3);
      const [newest, older] = both.body.content.map((d: any) => d.id);
      expect(older).toBeLessThan(newest);
      const page = await inst.call('GET', '/webhooks/deliveries?page=1&pageSize=1');
      expect(page.body).toMatchObject({ page: 1, pageSize: 1, total: both.body.total });
      expect(page.body.content.map((d: any) => d.id)).toEqual([newest]);
      const second = await inst.call('GET', '/webhooks/deliveries?page=2&pageSize=1');
      expect(second.body.content.map((d: any) => d.id)).toEqual([older]);
    } finally {
      hooks.failIf = null;
    }
  });
});

// The URL guard, with each config flag on its own.
describe.each([
  { http: false, priv: false },
  { http: true, priv: false },
  { http: false, priv: true },
])('webhook URL guard (OPENZAP_ALLOW_HTTP_WEBHOOKS=$http, OPENZAP_ALLOW_PRIVATE_URLS=$priv)', ({ http, priv }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ OPENZAP_ALLOW_HTTP_WEBHOOKS: String(http), OPENZAP_ALLOW_PRIVATE_URLS: String(priv) });
  });
  afterAll(() => server?.close());

  const refusedAlways = ['not a url', 'ftp://example.com/h', 'file:///etc/passwd', 'https://user:pw@example.com/h', 'javascript:alert(1)'];
  const plainHttp = ['http://example.com/h'];
  const privateHttps = ['https://127.0.0.1/h', 'https://localhost/h', 'https://10.0.0.5/h', 'https://192.168.1.10/h', 'https://169.254.169.254/latest', 'https://[::1]/h'];
  const accepted = ['https://example.com/h', ...(http ? plainHttp : []), ...(priv ? privateHttps : [])];
  const refused = [...refusedAlways, ...(http ? [] : plainHttp), ...(priv ? [] : privateHttps), ...(http && !priv ? ['http://127.0.0.1:8080/h'] : [])];

  it('refuses what the flags do not allow (400 invalid-url) and changes nothing', async () => {
    const inst = await server.createInstance();
    await inst.call('PUT', '/update-every-webhooks', { value: 'https://example.com/kept', notifySentByMe: false });
    const before = (await inst.call('GET', '/me')).body;
    for (const route of URL_ROUTES) {
      for (const value of refused) {
        const res = await inst.call('PUT', route, { value });
        expectError(res, 400, 'invalid-url');
      }
    }
    expect((await inst.call('GET', '/me')).body).toEqual(before);

    const count = (await server.partner('GET', '/instances')).body.total;
    for (const value of refused) {
      expectError(await server.partner('POST', '/instances/integrator/on-demand', { name: 'x', engine: 'sandbox', deliveryCallbackUrl: value }), 400, 'invalid-url');
    }
    expect((await server.partner('GET', '/instances')).body.total).toBe(count);
  });

  it('accepts what they allow', async () => {
    const inst = await server.createInstance();
    for (const value of accepted) {
      for (const route of URL_ROUTES) expect((await inst.call('PUT', route, { value })).status, `${route} ${value}`).toBe(200);
      expect((await inst.call('GET', '/me')).body.deliveryCallbackUrl).toBe(new URL(value).toString());
    }
  });
});
