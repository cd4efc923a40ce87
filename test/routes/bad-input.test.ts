// Bad input on every spine route (DESIGN.md §1): malformed JSON → 400 invalid-json, wrong
// types and missing fields → 400 validation, a body that is not JSON → 415, oversized → 413,
// unknown routes → 404, sandbox controls on a real-engine instance → 4xx. Always JSON
// {error, message}, never a 500, and nothing changes. On SQLite and Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, PARTNER_TOKEN, type TestInstance, type TestServer } from '../helpers/server.js';
import { call, type Res } from '../helpers/http.js';
import { backends, expectError } from './expect.js';

const CONTACT = '5511987654321';
const BIG = JSON.stringify({ value: 'x'.repeat(2 * 1024 * 1024) }); // 2 MB against a 1 MB limit

interface BodyRoute {
  method: 'POST' | 'PUT' | 'DELETE';
  route: string;
  partner?: boolean;
  /** The route validates its body (an object with a schema). */
  schema: boolean;
  /** Bodies of the wrong shape, with the error code expected (default "validation"). */
  wrong?: (unknown | [unknown, string])[];
  /** Bodies that lack a mandatory field. */
  missing?: unknown[];
}

const NUL = 'a\u0000b';

const booleanValue = (route: string): BodyRoute => ({
  method: 'PUT',
  route,
  schema: true,
  wrong: [{ value: 123 }, { value: 'yes' }, { value: {} }, { value: [] }, { value: [true, false] }],
  missing: [{}, { notValue: true }],
});
const urlValue = (route: string): BodyRoute => ({
  method: 'PUT',
  route,
  schema: true,
  wrong: [{ value: {} }, { value: [1, 2] }, { value: 'https://example.com/' + 'x'.repeat(2100) }, [{ value: 'not a url' }, 'invalid-url'], [{ value: 123 }, 'invalid-url'], [{ value: `https://example.com/${NUL}` }, 'invalid-text']],
  missing: [{}, { url: 'https://example.com/h' }],
});

const BODY_ROUTES: BodyRoute[] = [
  {
    method: 'PUT',
    route: '/update-name',
    schema: true,
    wrong: [{ value: {} }, { value: [1, 2] }, { value: '' }, { value: null }, { value: 'x'.repeat(201) }, [{ value: NUL }, 'invalid-text']],
    missing: [{}, { name: 'x' }],
  },
  booleanValue('/update-auto-read-message'),
  booleanValue('/update-auto-read-status'),
  booleanValue('/update-call-reject-auto'),
  { method: 'PUT', route: '/update-call-reject-message', schema: true, wrong: [{ value: {} }, { value: 'x'.repeat(1001) }, [{ value: NUL }, 'invalid-text']], missing: [{}] },
  { method: 'PUT', route: '/profile-name', schema: true, wrong: [{ value: {} }, { value: '' }, { value: 'x'.repeat(26) }], missing: [{}] },
  { method: 'PUT', route: '/profile-description', schema: true, wrong: [{ value: {} }, { value: 'x'.repeat(140) }], missing: [{}] },
  { method: 'PUT', route: '/profile-picture', schema: true, wrong: [{ value: {} }, { value: '' }, [{ value: 'file:///etc/passwd' }, 'invalid-url']], missing: [{}] },
  urlValue('/update-webhook-delivery'),
  urlValue('/update-webhook-received'),
  urlValue('/update-webhook-received-delivery'),
  urlValue('/update-webhook-disconnected'),
  urlValue('/update-webhook-message-status'),
  urlValue('/update-webhook-status'),
  urlValue('/update-webhook-chat-presence'),
  urlValue('/update-webhook-connected'),
  {
    ...urlValue('/update-every-webhooks'),
    wrong: [...urlValue('').wrong!, { value: 'https://example.com/h', notifySentByMe: 'maybe' }, { value: 'https://example.com/h', notifySentByMe: {} }],
    missing: [{}, { notifySentByMe: true }],
  },
  { method: 'PUT', route: '/update-notify-sent-by-me', schema: true, wrong: [{ notifySentByMe: 'maybe' }, { notifySentByMe: 5 }, { notifySentByMe: {} }], missing: [{}, { value: true }] },
  { method: 'PUT', route: '/update-webhook-secret', schema: true, wrong: [{ value: {} }, { value: 'x'.repeat(257) }, [{ value: NUL }, 'invalid-text']], missing: [{}] },
  {
    method: 'POST',
    route: '/webhooks/replay',
    schema: true,
    wrong: [{ ids: 'x' }, { ids: {} }, { ids: [0] }, { ids: [-1] }, { ids: ['a'] }, { ids: [1.5] }, { ids: [2 ** 63] }, { ids: [1e20] }],
  },
  {
    method: 'POST',
    route: '/send-text',
    schema: true,
    wrong: [
      { phone: [], message: 'x' },
      { phone: {}, message: 'x' },
      { phone: CONTACT, message: {} },
      { phone: CONTACT, message: [] },
      { phone: CONTACT, message: '' },
      { phone: CONTACT, message: 'x', delayMessage: 16 },
      { phone: CONTACT, message: 'x', delayMessage: 'soon' },
      { phone: CONTACT, message: 'x', delayTyping: -1 },
      { phone: CONTACT, message: 'x', delayTyping: 2.5 },
      { phone: CONTACT, message: 'x', privateAnswer: 'maybe' },
      { phone: CONTACT, message: 'x', mentioned: {} },
      { phone: CONTACT, message: 'x', groupMentioned: [{ phone: CONTACT }] },
      [{ phone: 'abc', message: 'x' }, 'invalid-phone'],
      [{ phone: '12', message: 'x' }, 'invalid-phone'],
      [{ phone: CONTACT, message: 'x', mentioned: ['not-a-phone'] }, 'invalid-phone'],
      [{ phone: CONTACT, message: 'x', privateAnswer: true }, 'bad-request'],
      [{ phone: CONTACT, message: NUL }, 'invalid-text'],
    ],
    missing: [{}, { phone: CONTACT }, { message: 'hello' }, { phone: '', message: 'x' }],
  },
  { method: 'POST', route: '/sandbox/pair', schema: true, wrong: [{ phone: 'abc' }, { phone: {} }, { phone: '123' }, { phone: [] }] },
  {
    method: 'POST',
    route: '/sandbox/inbound',
    schema: true,
    wrong: [{ from: 'abc', message: 'x' }, { from: [], message: 'x' }, { from: CONTACT, message: {} }, { from: CONTACT, message: '' }, { from: CONTACT, message: 'x', senderName: {} }],
    missing: [{}, { from: CONTACT }, { message: 'x' }],
  },
  {
    method: 'POST',
    route: '/sandbox/presence',
    schema: true,
    wrong: [{ from: CONTACT, status: 'dancing' }, { from: CONTACT, status: 1 }, { from: 'abc', status: 'composing' }],
    missing: [{}, { from: CONTACT }, { status: 'composing' }],
  },
  { method: 'DELETE', route: '/queue', schema: false },
  { method: 'DELETE', route: '/queue/ZAAPID', schema: false },
  // Partner routes (Authorization: Bearer).
  {
    method: 'POST',
    route: '/instances/integrator/on-demand',
    partner: true,
    schema: true,
    wrong: [
      { name: {} },
      { name: '' },
      { name: 'x'.repeat(201) },
      { name: 'x', engine: 5 },
      { name: 'x', engine: 'other' },
      { name: 'x', isDevice: 'maybe' },
      { name: 'x', callRejectAuto: {} },
      { name: 'x', deliveryCallbackUrl: {} },
      [{ name: 'x', engine: 'sandbox', receivedCallbackUrl: 'nope' }, 'invalid-url'],
      [{ name: NUL, engine: 'sandbox' }, 'invalid-text'],
    ],
    missing: [{}, { engine: 'sandbox' }],
  },
  { method: 'POST', route: '/instances/ID/token/TOKEN/integrator/on-demand/subscription', partner: true, schema: false },
  { method: 'POST', route: '/instances/ID/token/TOKEN/integrator/on-demand/cancel', partner: true, schema: false },
  {
    method: 'PUT',
    route: '/account/security',
    partner: true,
    schema: true,
    wrong: [{ clientToken: {} }, { clientToken: 'short' }, { clientTokenEnabled: 'maybe' }, { ipAllowlist: {} }, { ipAllowlist: [{}] }, [{ ipAllowlist: ['nope'] }, 'invalid-ip']],
  },
];

/** GET/DELETE routes with bad path or query parameters: [method, route, partner?, expected error]. */
const PARAM_CASES: [string, string, boolean, string][] = [
  ['GET', '/phone-code/abc', false, 'invalid-phone'],
  ['GET', '/phone-code/12', false, 'invalid-phone'],
  ['GET', `/phone-code/${'1'.repeat(40)}`, false, 'validation'],
  ['GET', '/webhooks/deliveries/abc', false, 'validation'],
  ['GET', '/webhooks/deliveries/0', false, 'validation'],
  ['GET', '/webhooks/deliveries/1.5', false, 'validation'],
  ['GET', '/webhooks/deliveries/99999999999999999999', false, 'validation'],
  ['GET', '/webhooks/deliveries?status=bogus', false, 'validation'],
  ['GET', '/webhooks/deliveries?page=0', false, 'validation'],
  ['GET', '/webhooks/deliveries?pageSize=5000', false, 'validation'],
  ['GET', '/queue?page=abc', false, 'validation'],
  ['GET', '/queue?pageSize=-1', false, 'validation'],
  ['DELETE', `/queue/${'A'.repeat(65)}`, false, 'validation'],
  ['DELETE', '/queue/%00', false, 'invalid-text'],
  ['GET', '/instances?page=0', true, 'validation'],
  ['GET', '/instances?pageSize=abc', true, 'validation'],
  ['GET', '/instances?middleware=desktop', true, 'validation'],
  ['GET', `/instances?query=${'x'.repeat(201)}`, true, 'validation'],
  ['GET', '/instances?query=%00', true, 'invalid-text'],
];

describe.each(backends)('bad input ($name)', ({ env }) => {
  let server: TestServer;
  let cleanup: () => Promise<void>;
  let inst: TestInstance;
  let queued: string;

  /** Everything a wrongly accepted request could have changed. */
  const state = async () => ({
    me: (await inst.call('GET', '/me')).body,
    queue: (await inst.call('GET', '/queue')).body,
    deliveries: (await inst.call('GET', '/webhooks/deliveries')).body.total,
    instances: (await server.partner('GET', '/instances')).body.total,
    security: (await server.partner('GET', '/account/security')).body,
    status: (await inst.call('GET', '/status')).body,
  });
  let before: Awaited<ReturnType<typeof state>>;

  beforeAll(async () => {
    const e = await env();
    cleanup = e.cleanup;
    server = await startTestServer({ ...e.env, OPENZAP_BODY_LIMIT_MB: '1' });
    inst = await server.createInstance({ name: 'victim', deliveryCallbackUrl: 'https://example.com/d', callRejectMessage: 'busy' });
    queued = (await inst.call('POST', '/send-text', { phone: CONTACT, message: 'waiting' })).body.zaapId; // unpaired: stays queued
    expect(queued).toMatch(/^[0-9A-F]{32}$/);
    before = await state();
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  const target = (r: BodyRoute) => {
    const route = r.route.replace('/instances/ID/token/TOKEN/', `/instances/${inst.id}/token/${inst.token}/`).replace('ZAAPID', queued);
    return r.partner ? server.url + route : inst.base + route;
  };
  const send = (r: BodyRoute, body?: unknown, headers: Record<string, string> = {}): Promise<Res> =>
    call(r.method, target(r), body, r.partner ? { authorization: `Bearer ${PARTNER_TOKEN}`, ...headers } : headers);

  /** Run requests and report every answer that is not the expected 4xx JSON error. */
  async function check(r: BodyRoute, cases: [string, unknown, Record<string, string> | undefined, number, string | undefined][]) {
    const problems: string[] = [];
    for (const [what, body, headers, status, error] of cases) {
      const res = await send(r, body, headers);
      const ok =
        res.status === status &&
        typeof res.body?.error === 'string' &&
        typeof res.body?.message === 'string' &&
        (error === undefined || res.body.error === error) &&
        (res.headers.get('content-type') ?? '').startsWith('application/json');
      if (!ok) problems.push(`${what}: expected ${status} ${error ?? ''}, got ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  }

  it.each(BODY_ROUTES.map((r) => [`${r.method} ${r.route}`, r] as const))('%s', async (_name, r) => {
    const cases: [string, unknown, Record<string, string> | undefined, number, string | undefined][] = [];
    for (const raw of ['{"value": ', '{bad json}', "{'value': true}", '[1,2', 'nul', '{"value":true}}', '{"value":"\\x"}']) {
      cases.push([`malformed ${raw}`, raw, undefined, 400, 'invalid-json']);
    }
    for (const raw of ['{"__proto__":{"polluted":true},"value":true}', '{"constructor":{"prototype":{"polluted":true}}}']) {
      cases.push([`poisoning ${raw}`, raw, undefined, 400, 'invalid-json']);
    }
    cases.push(['text/plain', '{"value":true}', { 'content-type': 'text/plain' }, 415, 'unsupported-media-type']);
    cases.push(['form', 'value=true', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported-media-type']);
    cases.push(['multipart', '--x\r\n\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }, 415, 'unsupported-media-type']);
    cases.push(['2 MB', BIG, undefined, 413, 'payload-too-large']);
    if (r.schema) {
      for (const raw of ['"text"', '[]', '42', 'null', 'true']) cases.push([`non-object ${raw}`, raw, undefined, 400, 'validation']);
    }
    for (const w of r.wrong ?? []) {
      const [body, error] = Array.isArray(w) ? w : [w, 'validation'];
      cases.push([`wrong ${JSON.stringify(body).slice(0, 80)}`, body, undefined, 400, error]);
    }
    for (const body of r.missing ?? []) cases.push([`missing ${JSON.stringify(body)}`, body, undefined, 400, 'validation']);
    if (r.missing?.length) cases.push(['no body', undefined, undefined, 400, 'validation']);
    await check(r, cases);
  });

  it.each(PARAM_CASES)('%s %s → 400', async (method, route, partner, error) => {
    const res = partner ? await server.partner(method, route) : await inst.call(method, route);
    expectError(res, 400, error);
  });

  it('says what to send on a 415 and a poisoned body', async () => {
    const plain = await inst.call('PUT', '/update-name', '{"value":"x"}', { 'content-type': 'text/plain' });
    expectError(plain, 415, 'unsupported-media-type');
    expect(plain.body.message).toMatch(/text\/plain.*application\/json/);
    const poisoned = await inst.call('PUT', '/update-name', '{"value":"x","__proto__":{"admin":true}}');
    expectError(poisoned, 400, 'invalid-json');
    expect(poisoned.body.message).toMatch(/not valid JSON.*__proto__/);
  });

  it('answers unknown routes with 404 and wrong methods with 405 JSON (token not echoed)', async () => {
    const urls: [string, string, number][] = [
      ['GET', `${inst.base}/no-such-route`, 404],
      ['POST', `${inst.base}/no-such-route`, 404],
      ['DELETE', `${inst.base}/status`, 405],
      ['GET', `${inst.base}/send-text`, 405],
      ['PATCH', `${inst.base}/update-name`, 405],
      ['GET', `${server.url}/no-such-route`, 404],
      ['GET', `${server.url}/instances/integrator/nope`, 404],
      ['GET', `${server.url}/instances/${inst.id}/token/${inst.token}`, 404],
    ];
    for (const [method, url, status] of urls) {
      const res = await call(method, url, method === 'GET' || method === 'DELETE' ? undefined : { value: true });
      expectError(res, status, status === 404 ? 'not-found' : 'method-not-allowed');
      expect(JSON.stringify(res.body)).not.toContain(inst.token);
    }
  });

  it('changed nothing: settings, queue, deliveries, instances and security are as before', async () => {
    expect(await state()).toEqual(before);
  });

  it('answers broken URLs in the same JSON format, without echoing the token', async () => {
    for (const [url, status, error] of [
      [`${server.url}/instances/${inst.id}/token/${inst.token}%ZZ/status`, 400, 'bad-url'],
      [`${server.url}/instances/%ZZ${inst.id}/token/${inst.token}/status`, 400, 'bad-url'],
      [`${inst.base}/sta%ZZtus`, 400, 'bad-url'],
      [`${server.url}/instances/${inst.id}/token/${inst.token}${'A'.repeat(200)}/status`, 414, 'uri-too-long'],
    ] as const) {
      const res = await call('GET', url);
      expectError(res, status, error);
      expect(JSON.stringify(res.body)).not.toContain(inst.token);
    }
  });

  it('refuses sandbox controls on an instance that runs on a real engine', async () => {
    const real = await server.createInstance({ name: 'real-engine' });
    await server.oz.ctx.instances.update(real.id, { engine: 'baileys' });
    for (const [route, body] of [
      ['/sandbox/pair', {}],
      ['/sandbox/pair', { phone: '5500999000111' }],
      ['/sandbox/inbound', { from: CONTACT, message: 'hi' }],
      ['/sandbox/presence', { from: CONTACT, status: 'composing' }],
    ] as const) {
      const res = await real.call('POST', route, body);
      expectError(res, 400, 'not-sandbox');
    }
    expect((await real.call('GET', '/me')).body).toMatchObject({ engine: 'baileys', sandbox: false, connected: false });
  });
});
