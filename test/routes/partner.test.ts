// Partner (integrator) API, zapi-reference.txt "Integrating Partner": create, subscribe,
// cancel and list instances with "Authorization: Bearer <partner token>"; trial, paid and
// cancelled due dates; expiry (402, data kept) and revival. Runs on SQLite and Postgres
// (the list's name/id filter is dialect-specific SQL).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PARTNER_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';
import { call } from '../helpers/http.js';
import { sha256Hex } from '../../src/domain/ids.js';
import { DAY, backends, expectError } from './expect.js';

/** The body example of "Creating an instance" (catalogue.json), plus OpenZap's engine. */
const DOC_BODY = {
  name: 'Z-API Instance - 9292812',
  sessionName: 'Testes testes',
  deliveryCallbackUrl: 'https://meuwebhook.com.br/delivery',
  receivedCallbackUrl: 'https://meuwebhook.com.br/receive',
  disconnectedCallbackUrl: 'https://meuwebhook.com.br/disconnected',
  connectedCallbackUrl: 'https://meuwebhook.com.br/connected',
  messageStatusCallbackUrl: 'https://meuwebhook.com.br/status',
  isDevice: false,
  businessDevice: true,
  engine: 'sandbox',
};

/** Keys of a GET /instances content item (the documented response example). */
const LIST_ITEM_KEYS = [
  'token', 'tenant', 'created', 'due', 'paymentStatus', 'deliveryCallbackUrl', 'receivedCallbackUrl',
  'disconnectedCallbackUrl', 'messageStatusCallbackUrl', 'receivedAndDeliveryCallbackUrl', 'presenceChatCallbackUrl',
  'connectedCallbackUrl', 'receivedStatusCallbackUrl', 'phoneConnected', 'whatsappConnected', 'middleware', 'name', 'id',
];

const OTHER_TOKEN = 'other-account-partner-token-42';
const uniq = () => Math.random().toString(36).slice(2, 8);

describe.each(backends)('partner API ($name)', ({ env }) => {
  let server: TestServer;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const e = await env();
    cleanup = e.cleanup;
    server = await startTestServer(e.env);
    // A second account with its own partner token (one OpenZap can host several resellers' customers).
    const db = server.oz.ctx.store.db;
    await db.insertInto('accounts').values({ id: 'OTHERACCOUNT0001', name: 'other', client_token: null, client_token_enabled: 0, ip_allowlist: '[]', created_at: Date.now() }).execute();
    await db.insertInto('partner_tokens').values({ token_hash: sha256Hex(OTHER_TOKEN), account_id: 'OTHERACCOUNT0001', label: 'test', created_at: Date.now() }).execute();
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  const partnerUrl = (id: string, token: string, action: 'subscription' | 'cancel') =>
    `/instances/${id}/token/${token}/integrator/on-demand/${action}`;

  it('creates an instance from the documented body: {id, token, due}, settings and webhooks stored', async () => {
    const before = Date.now();
    const res = await server.partner('POST', '/instances/integrator/on-demand', {
      ...DOC_BODY,
      presenceChatCallbackUrl: 'https://meuwebhook.com.br/presence',
      callRejectAuto: true,
      callRejectMessage: 'Busy, write to me',
      autoReadMessage: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toMatch(/^[0-9A-F]{32}$/);
    expect(res.body.token).toMatch(/^[0-9A-F]{32}$/);
    expect(res.body.token).not.toBe(res.body.id);
    expect(res.body.due).toBeGreaterThanOrEqual(before + 2 * DAY);
    expect(res.body.due).toBeLessThanOrEqual(Date.now() + 2 * DAY);

    const me = await server.instance(res.body.id, res.body.token).call('GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: res.body.id,
      token: res.body.token,
      name: DOC_BODY.name,
      due: res.body.due,
      paymentStatus: 'TRIAL',
      deliveryCallbackUrl: 'https://meuwebhook.com.br/delivery',
      receivedCallbackUrl: 'https://meuwebhook.com.br/receive',
      disconnectedCallbackUrl: 'https://meuwebhook.com.br/disconnected',
      connectedCallbackUrl: 'https://meuwebhook.com.br/connected',
      messageStatusCallbackUrl: 'https://meuwebhook.com.br/status',
      presenceChatCallbackUrl: 'https://meuwebhook.com.br/presence',
      receiveCallbackSentByMe: false,
      callRejectAuto: true,
      callRejectMessage: 'Busy, write to me',
      autoReadMessage: true,
      middleware: 'web',
      sandbox: true,
    });
    // Trial: due = created + 2 days (OPENZAP_TRIAL_DAYS default).
    expect(me.body.due - Date.parse(me.body.created)).toBe(2 * DAY);
  });

  it('receivedAndDeliveryCallbackUrl sets the received webhook with "notify sent by me"', async () => {
    const res = await server.partner('POST', '/instances/integrator/on-demand', {
      name: 'rd',
      engine: 'sandbox',
      receivedAndDeliveryCallbackUrl: 'https://meuwebhook.com.br/rd',
    });
    expect(res.status).toBe(200);
    const me = await server.instance(res.body.id, res.body.token).call('GET', '/me');
    expect(me.body).toMatchObject({ receivedCallbackUrl: 'https://meuwebhook.com.br/rd', receivedAndDeliveryCallbackUrl: 'https://meuwebhook.com.br/rd', receiveCallbackSentByMe: true });
  });

  it('an empty receivedAndDeliveryCallbackUrl does not hide receivedCallbackUrl', async () => {
    const res = await server.partner('POST', '/instances/integrator/on-demand', {
      name: 'empty-fields',
      engine: 'sandbox',
      receivedCallbackUrl: 'https://meuwebhook.com.br/receive',
      receivedAndDeliveryCallbackUrl: '',
      deliveryCallbackUrl: '',
    });
    expect(res.status).toBe(200);
    const me = await server.instance(res.body.id, res.body.token).call('GET', '/me');
    expect(me.body).toMatchObject({ receivedCallbackUrl: 'https://meuwebhook.com.br/receive', receiveCallbackSentByMe: false, deliveryCallbackUrl: '' });
  });

  it('creates and subscribes even when the engine cannot start right now (no error that invites a retry)', async () => {
    const engines = server.oz.ctx.engines;
    const failStart = () => vi.spyOn(engines, 'start').mockRejectedValueOnce(new Error('engine down'));

    failStart();
    const created = await server.partner('POST', '/instances/integrator/on-demand', { name: 'engine-down', engine: 'sandbox' });
    expect(created.status).toBe(200);
    const inst = server.instance(created.body.id, created.body.token);
    expect((await inst.call('GET', '/status')).body).toMatchObject({ connected: false });
    expect((await server.partner('GET', `/instances?query=${inst.id}`)).body.total).toBe(1);

    await server.oz.ctx.instances.update(inst.id, { due_at: Date.now() - 1 });
    failStart();
    const sub = await server.partner('POST', partnerUrl(inst.id, inst.token, 'subscription'));
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({ paymentStatus: 'PAID', due: null });
    expect((await inst.call('GET', '/status')).status).toBe(200);
    vi.restoreAllMocks();
  });

  it('refuses a bad create body with 400 and creates nothing', async () => {
    const total = async () => (await server.partner('GET', '/instances')).body.total;
    const n = await total();
    expectError(await server.partner('POST', '/instances/integrator/on-demand', { engine: 'sandbox' }), 400, 'validation');
    expectError(await server.partner('POST', '/instances/integrator/on-demand', { name: '', engine: 'sandbox' }), 400, 'validation');
    expectError(await server.partner('POST', '/instances/integrator/on-demand', { name: 'x', engine: 'whatsmeow' }), 400, 'validation');
    expectError(await server.partner('POST', '/instances/integrator/on-demand', { name: 'x', engine: 'sandbox', isDevice: 'maybe' }), 400, 'validation');
    expectError(await server.partner('POST', '/instances/integrator/on-demand', { name: 'x', engine: 'sandbox', receivedCallbackUrl: 'not a url' }), 400, 'invalid-url');
    expectError(await server.partner('POST', '/instances/integrator/on-demand', { name: 'x', engine: 'sandbox', connectedCallbackUrl: 'ftp://x.example/c' }), 400, 'invalid-url');
    expect(await total()).toBe(n);
  });

  it('subscription makes the instance PAID with no due date; cancelling then gives 30 more days', async () => {
    const inst = await server.createInstance({ name: 'billing' });
    const sub = await server.partner('POST', partnerUrl(inst.id, inst.token, 'subscription'));
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({ value: true, id: inst.id, paymentStatus: 'PAID', due: null });
    expect((await inst.call('GET', '/me')).body).toMatchObject({ paymentStatus: 'PAID', due: null });

    const before = Date.now();
    const cancel = await server.partner('POST', partnerUrl(inst.id, inst.token, 'cancel'));
    expect(cancel.status).toBe(201);
    expect(cancel.body).toMatchObject({ value: true, paymentStatus: 'CANCELED' });
    expect(cancel.body.due).toBeGreaterThanOrEqual(before + 30 * DAY);
    expect(cancel.body.due).toBeLessThanOrEqual(Date.now() + 30 * DAY);
    expect((await inst.call('GET', '/me')).body).toMatchObject({ paymentStatus: 'CANCELED', due: cancel.body.due });
    // Still usable during the 30 days.
    expect((await inst.call('GET', '/status')).status).toBe(200);

    // Cancelling again does not push the end date further.
    await new Promise((r) => setTimeout(r, 5));
    const again = await server.partner('POST', partnerUrl(inst.id, inst.token, 'cancel'));
    expect(again.status).toBe(201);
    expect(again.body.due).toBe(cancel.body.due);

    // Subscribing again makes it permanent.
    expect((await server.partner('POST', partnerUrl(inst.id, inst.token, 'subscription'))).body).toMatchObject({ paymentStatus: 'PAID', due: null });
  });

  it('cancelling a trial keeps the trial end (never extends it)', async () => {
    const inst = await server.createInstance({ name: 'trial-cancel' });
    const due = (await inst.call('GET', '/me')).body.due;
    const cancel = await server.partner('POST', partnerUrl(inst.id, inst.token, 'cancel'));
    expect(cancel.status).toBe(201);
    expect(cancel.body).toMatchObject({ paymentStatus: 'CANCELED', due });
  });

  it('an expired instance answers 402 on instance routes, keeps its data, and subscription revives it', async () => {
    const inst = await server.createInstance({ name: 'expiring', receivedCallbackUrl: 'https://meuwebhook.com.br/r', callRejectAuto: true });
    await inst.call('PUT', '/update-auto-read-message', { value: true });
    const meBefore = (await inst.call('GET', '/me')).body;

    await server.oz.ctx.instances.update(inst.id, { due_at: Date.now() - 1 });
    await server.oz.ctx.engines.stopExpired(); // what the 30 s expiry timer does
    for (const [method, route, body] of [
      ['GET', '/status'],
      ['GET', '/me'],
      ['GET', '/qr-code'],
      ['PUT', '/update-name', { value: 'nope' }],
      ['POST', '/send-text', { phone: '5511999999999', message: 'hi' }],
    ] as const) {
      const res = await inst.call(method, route, body);
      expectError(res, 402, 'instance-expired');
      expect(res.body.message).toMatch(/trial ended/);
    }

    // The data is still there: the partner list shows it with its settings.
    const listed = (await server.partner('GET', `/instances?query=${inst.id}`)).body.content;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: inst.id, name: 'expiring', receivedCallbackUrl: 'https://meuwebhook.com.br/r' });

    const sub = await server.partner('POST', partnerUrl(inst.id, inst.token, 'subscription'));
    expect(sub.status).toBe(201);
    const meAfter = await inst.call('GET', '/me');
    expect(meAfter.status).toBe(200);
    expect(meAfter.body).toEqual({ ...meBefore, paymentStatus: 'PAID', due: null, connected: false });
    // The engine runs again: a QR code to scan.
    expect((await inst.call('GET', '/status')).body).toMatchObject({ connected: false, error: 'You are not connected.' });
    expect((await inst.call('GET', '/qr-code')).body.value).toEqual(expect.any(String));
  });

  it('a cancelled instance past its 30 days says so', async () => {
    const inst = await server.createInstance({ name: 'cancelled-expired' });
    await server.partner('POST', partnerUrl(inst.id, inst.token, 'subscription'));
    await server.partner('POST', partnerUrl(inst.id, inst.token, 'cancel'));
    await server.oz.ctx.instances.update(inst.id, { due_at: Date.now() - 1 });
    const res = await inst.call('GET', '/status');
    expectError(res, 402, 'instance-expired');
    expect(res.body.message).toMatch(/cancel/);
  });

  it('lists instances page by page (total, totalPage, pageSize, page, content)', async () => {
    const tag = `page-${uniq()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await server.createInstance({ name: `${tag}-${i}` })).id);

    const p1 = await server.partner('GET', `/instances?query=${tag}&page=1&pageSize=2`);
    expect(p1.status).toBe(201); // as documented
    expect(p1.body).toMatchObject({ total: 5, totalPage: 3, pageSize: 2, page: 1 });
    expect(p1.body.content).toHaveLength(2);
    for (const key of LIST_ITEM_KEYS) expect(p1.body.content[0]).toHaveProperty(key);
    expect(p1.body.content[0]).toMatchObject({ paymentStatus: 'TRIAL', middleware: 'web', phoneConnected: false, whatsappConnected: false });
    expect(typeof p1.body.content[0].due).toBe('number');
    const p2 = await server.partner('GET', `/instances?query=${tag}&page=2&pageSize=2`);
    const p3 = await server.partner('GET', `/instances?query=${tag}&page=3&pageSize=2`);
    expect(p3.body.content).toHaveLength(1);
    const seen = [...p1.body.content, ...p2.body.content, ...p3.body.content].map((c: any) => c.id);
    expect(seen).toEqual(ids); // oldest first, each once
    expect((await server.partner('GET', `/instances?query=${tag}&page=4&pageSize=2`)).body.content).toEqual([]);
    // Defaults when page/pageSize are absent.
    expect((await server.partner('GET', `/instances?query=${tag}`)).body).toMatchObject({ total: 5, totalPage: 1, page: 1, pageSize: 100 });
  });

  it('filters the list by name substring (any case), by id, and treats LIKE wildcards literally', async () => {
    const tag = uniq();
    const a = await server.createInstance({ name: `Shop ${tag} Centro` });
    const b = await server.createInstance({ name: `shop ${tag}_north` });
    const c = await server.createInstance({ name: `shop ${tag}xnorth 100%` });
    const ids = async (q: string) => (await server.partner('GET', `/instances?query=${encodeURIComponent(q)}`)).body.content.map((x: any) => x.id).sort();

    expect(await ids(`SHOP ${tag}`)).toEqual([a.id, b.id, c.id].sort());
    expect(await ids(`${tag} centro`)).toEqual([a.id]);
    expect(await ids(a.id)).toEqual([a.id]);
    expect(await ids(a.id.slice(4, 20).toLowerCase())).toEqual([a.id]);
    expect(await ids(`${tag}_north`)).toEqual([b.id]); // "_" is not "any character"
    expect(await ids(`${tag}x`)).toEqual([c.id]);
    expect(await ids('100%')).toEqual([c.id]); // "%" is not "anything"
    expect(await ids(`zz-${tag}-no-such`)).toEqual([]);
  });

  it('filters by middleware: isDevice true is "mobile", otherwise "web"', async () => {
    const tag = `mw-${uniq()}`;
    const web = await server.createInstance({ name: `${tag}-web`, isDevice: false });
    const mobile = await server.createInstance({ name: `${tag}-mobile`, isDevice: true });
    const list = async (mw?: string) =>
      (await server.partner('GET', `/instances?query=${tag}${mw ? `&middleware=${mw}` : ''}`)).body.content.map((x: any) => [x.id, x.middleware]);
    expect(await list('mobile')).toEqual([[mobile.id, 'mobile']]);
    expect(await list('web')).toEqual([[web.id, 'web']]);
    expect(await list()).toHaveLength(2);
    expectError(await server.partner('GET', '/instances?middleware=desktop'), 400, 'validation');
  });

  it('shows phoneConnected/whatsappConnected once the instance is paired', async () => {
    const inst = await server.pairedInstance();
    const item = (await server.partner('GET', `/instances?query=${inst.id}`)).body.content[0];
    expect(item).toMatchObject({ id: inst.id, phoneConnected: true, whatsappConnected: true });
  });

  it('refuses a missing, malformed or unknown partner token with 401 on every partner route', async () => {
    const inst = await server.createInstance();
    const routes: [string, string, unknown?][] = [
      ['POST', '/instances/integrator/on-demand', { name: 'x', engine: 'sandbox' }],
      ['POST', partnerUrl(inst.id, inst.token, 'subscription')],
      ['POST', partnerUrl(inst.id, inst.token, 'cancel')],
      ['GET', '/instances'],
      ['GET', '/account/security'],
      ['PUT', '/account/security', { ipAllowlist: ['10.0.0.1'] }],
    ];
    const total = (await server.partner('GET', '/instances')).body.total;
    for (const [method, route, body] of routes) {
      expectError(await call(method, server.url + route, body), 401, 'unauthorized');
      expectError(await server.partner(method, route, body, 'wrong-partner-token-123456'), 401, 'unauthorized');
      expectError(await call(method, server.url + route, body, { authorization: `Basic ${PARTNER_TOKEN}` }), 401, 'unauthorized');
      expectError(await call(method, server.url + route, body, { authorization: `Bearer ${PARTNER_TOKEN} extra` }), 401, 'unauthorized');
    }
    // Nothing happened: not created, not subscribed or cancelled, security unchanged.
    expect((await server.partner('GET', '/instances')).body.total).toBe(total);
    expect((await inst.call('GET', '/me')).body.paymentStatus).toBe('TRIAL');
    expect((await server.partner('GET', '/account/security')).body.ipAllowlist).toEqual([]);
  });

  it("keeps accounts apart: another account's token neither lists nor manages our instances", async () => {
    const ours = await server.createInstance({ name: 'ours' });
    const theirs = await server.partner('POST', '/instances/integrator/on-demand', { name: 'theirs', engine: 'sandbox' }, OTHER_TOKEN);
    expect(theirs.status).toBe(200);

    const theirList = await server.partner('GET', '/instances', undefined, OTHER_TOKEN);
    expect(theirList.body.content.map((x: any) => x.id)).toEqual([theirs.body.id]);
    expect(theirList.body.content[0].tenant).toBe('OTHERACCOUNT0001');
    const ourList = await server.partner('GET', '/instances?pageSize=1000');
    expect(ourList.body.content.map((x: any) => x.id)).toContain(ours.id);
    expect(ourList.body.content.map((x: any) => x.id)).not.toContain(theirs.body.id);

    // The instance exists and the instance token is right, but it is not this account's: 404 (no probing).
    expectError(await server.partner('POST', partnerUrl(ours.id, ours.token, 'subscription'), undefined, OTHER_TOKEN), 404, 'instance-not-found');
    expectError(await server.partner('POST', partnerUrl(ours.id, ours.token, 'cancel'), undefined, OTHER_TOKEN), 404, 'instance-not-found');
    expectError(await server.partner('POST', partnerUrl(theirs.body.id, theirs.body.token, 'cancel')), 404, 'instance-not-found');
    expect((await ours.call('GET', '/me')).body.paymentStatus).toBe('TRIAL');
    expect((await server.instance(theirs.body.id, theirs.body.token).call('GET', '/me')).body.paymentStatus).toBe('TRIAL');
  });

  it('answers 404 to subscription/cancel with a wrong instance token, an unknown or a malformed id', async () => {
    const inst = await server.createInstance();
    const wrong = 'F'.repeat(32);
    for (const action of ['subscription', 'cancel'] as const) {
      const bad = [
        await server.partner('POST', partnerUrl(inst.id, wrong, action)),
        await server.partner('POST', partnerUrl(wrong, inst.token, action)),
        await server.partner('POST', partnerUrl('not-an-id', inst.token, action)),
      ];
      for (const res of bad) expectError(res, 404, 'instance-not-found');
      expect(bad[1].body).toEqual(bad[0].body); // unknown id and wrong token look the same
    }
    expect((await inst.call('GET', '/me')).body).toMatchObject({ paymentStatus: 'TRIAL' });
  });
});

describe('partner API with OPENZAP_TRIAL_DAYS', () => {
  it('uses the configured trial length for the due date', async () => {
    const server = await startTestServer({ OPENZAP_TRIAL_DAYS: '7' });
    try {
      const created = await server.partner('POST', '/instances/integrator/on-demand', { name: 't', engine: 'sandbox' });
      const me = await server.instance(created.body.id, created.body.token).call('GET', '/me');
      expect(created.body.due).toBe(me.body.due);
      expect(me.body.due - Date.parse(me.body.created)).toBe(7 * DAY);
    } finally {
      await server.close();
    }
  });
});
