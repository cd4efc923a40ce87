// Authentication of instance routes (id + token in the URL, then the account's IP
// allow-list and Client-Token, zapi-reference.txt "Call barring by IP" and "Account
// Security Token"), and the rule that tokens never reach the logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { PARTNER_TOKEN, startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { call, waitFor } from '../helpers/http.js';
import { redactUrl } from '../../src/http/app.js';
import { expectError } from './expect.js';

const CLIENT_TOKEN = 'client-token-0123456789abcdef';

describe('instance id and token', () => {
  let server: TestServer;
  let inst: TestInstance;

  beforeAll(async () => {
    server = await startTestServer();
    inst = await server.createInstance();
  });
  afterAll(() => server?.close());

  it('answers an unknown id, a malformed id and a wrong token with the same 404', async () => {
    const ok = await inst.call('GET', '/status');
    expect(ok.status).toBe(200);
    const urls = [
      `/instances/${'A'.repeat(32)}/token/${inst.token}/status`, // unknown id
      `/instances/${inst.id.slice(1)}/token/${inst.token}/status`, // 31 characters
      `/instances/${inst.id}0/token/${inst.token}/status`, // 33 characters
      `/instances/${'Z'.repeat(32)}/token/${inst.token}/status`, // not hex
      `/instances/${inst.id}/token/${'0'.repeat(32)}/status`, // wrong token
      `/instances/${inst.id}/token/${inst.token.toLowerCase()}/status`, // tokens are exact
      `/instances/${inst.id}/token/${inst.token}x/status`,
      `/instances/${inst.id}/token/${inst.token.slice(0, 31)}/status`,
    ];
    const answers = await Promise.all(urls.map((u) => call('GET', server.url + u)));
    for (const res of answers) {
      expectError(res, 404, 'instance-not-found');
      expect(res.body).toEqual(answers[0].body);
    }
    // The same on a write route, and nothing is written.
    const wrong = server.instance(inst.id, '0'.repeat(32));
    expectError(await wrong.call('PUT', '/update-name', { value: 'hijacked' }), 404, 'instance-not-found');
    expectError(await wrong.call('POST', '/send-text', { phone: '5511999999999', message: 'x' }), 404, 'instance-not-found');
    expect((await inst.call('GET', '/me')).body.name).toBe('test');
    expect((await inst.call('GET', '/queue/count')).body.count).toBe(0);
  });

  describe('account security (PUT /account/security)', () => {
    const security = (body: Record<string, unknown>) => server.partner('PUT', '/account/security', body);
    afterAll(async () => {
      await security({ clientToken: null, ipAllowlist: [] });
    });

    it('starts open: no Client-Token, no allow-list', async () => {
      const res = await server.partner('GET', '/account/security');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ clientTokenEnabled: false, clientToken: null, ipAllowlist: [] });
      expect((await inst.call('GET', '/status')).status).toBe(200);
    });

    it('enforces the Client-Token header once enabled: missing → "null not allowed", wrong → 401, right → 200', async () => {
      const set = await security({ clientToken: CLIENT_TOKEN, clientTokenEnabled: true, ipAllowlist: [] });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ clientTokenEnabled: true, clientToken: CLIENT_TOKEN, ipAllowlist: [] });

      const missing = await inst.call('GET', '/status');
      expectError(missing, 401, 'null not allowed');
      const wrong = await inst.call('GET', '/status', undefined, { 'Client-Token': 'x'.repeat(28) });
      expectError(wrong, 401);
      expect(JSON.stringify(wrong.body)).not.toContain('x'.repeat(28)); // not echoed
      const right = await inst.call('GET', '/status', undefined, { 'Client-Token': CLIENT_TOKEN });
      expect(right.status).toBe(200);
      expect((await inst.call('GET', '/me', undefined, { 'client-token': CLIENT_TOKEN })).status).toBe(200);

      // Write routes too, and a refused write writes nothing.
      expectError(await inst.call('POST', '/send-text', { phone: '5511999999999', message: 'x' }), 401, 'null not allowed');
      expectError(await inst.call('PUT', '/update-name', { value: 'x' }, { 'Client-Token': CLIENT_TOKEN + 'x' }), 401);
      const me = await inst.call('GET', '/me', undefined, { 'Client-Token': CLIENT_TOKEN });
      expect(me.body.name).toBe('test');
      expect((await inst.call('GET', '/queue/count', undefined, { 'Client-Token': CLIENT_TOKEN })).body.count).toBe(0);

      // Partner routes authenticate with the bearer token, not the Client-Token.
      expect((await server.partner('GET', '/instances')).status).toBe(201);
    });

    it('refuses to enable the check without a token, or with a short one, and changes nothing', async () => {
      await security({ clientToken: null });
      expect((await server.partner('GET', '/account/security')).body).toMatchObject({ clientTokenEnabled: false, clientToken: null });
      expectError(await security({ clientTokenEnabled: true }), 400, 'client-token-missing');
      expectError(await security({ clientToken: 'short', clientTokenEnabled: true }), 400, 'validation');
      expectError(await security({ clientToken: 123, clientTokenEnabled: true }), 400);
      expectError(await security({ ipAllowlist: { ip: '127.0.0.1' } }), 400, 'validation');
      expect((await server.partner('GET', '/account/security')).body).toMatchObject({ clientTokenEnabled: false, clientToken: null, ipAllowlist: [] });
      expect((await inst.call('GET', '/status')).status).toBe(200);
    });

    it('disabling keeps the token but stops the check', async () => {
      await security({ clientToken: CLIENT_TOKEN, clientTokenEnabled: true });
      expectError(await inst.call('GET', '/status'), 401, 'null not allowed');
      const off = await security({ clientTokenEnabled: false });
      expect(off.body).toMatchObject({ clientTokenEnabled: false, clientToken: CLIENT_TOKEN });
      expect((await inst.call('GET', '/status')).status).toBe(200);
    });

    it('enforces the IP allow-list: "<ip> not allowed" (403) outside it, 200 inside', async () => {
      const set = await security({ ipAllowlist: ['10.9.9.9'] });
      expect(set.body.ipAllowlist).toEqual(['10.9.9.9']);
      const refused = await inst.call('GET', '/status');
      expectError(refused, 403, '127.0.0.1 not allowed');
      expectError(await inst.call('PUT', '/update-name', { value: 'x' }), 403, '127.0.0.1 not allowed');

      await security({ ipAllowlist: ['10.9.9.9', '127.0.0.1'] });
      expect((await inst.call('GET', '/status')).status).toBe(200);
      expect((await inst.call('GET', '/me')).body.name).toBe('test');

      // An IPv4-mapped entry matches the IPv4 client (and is stored as such).
      expect((await security({ ipAllowlist: ['::ffff:127.0.0.1'] })).body.ipAllowlist).toEqual(['127.0.0.1']);
      expect((await inst.call('GET', '/status')).status).toBe(200);
      await security({ ipAllowlist: ['10.9.9.9', '127.0.0.1'] });

      expectError(await security({ ipAllowlist: ['127.0.0.1', 'not-an-ip'] }), 400, 'invalid-ip');
      expect((await server.partner('GET', '/account/security')).body.ipAllowlist).toEqual(['10.9.9.9', '127.0.0.1']);

      await security({ ipAllowlist: [] });
      expect((await inst.call('GET', '/status')).status).toBe(200);
    });

    it('checks both together: an allowed IP still needs the Client-Token', async () => {
      await security({ clientToken: CLIENT_TOKEN, clientTokenEnabled: true, ipAllowlist: ['127.0.0.1'] });
      expectError(await inst.call('GET', '/status'), 401, 'null not allowed');
      expect((await inst.call('GET', '/status', undefined, { 'Client-Token': CLIENT_TOKEN })).status).toBe(200);
      await security({ clientTokenEnabled: false, ipAllowlist: ['10.9.9.9'] });
      expectError(await inst.call('GET', '/status', undefined, { 'Client-Token': CLIENT_TOKEN }), 403, '127.0.0.1 not allowed');
    });
  });
});

describe('Client-Token from OPENZAP_CLIENT_TOKEN', () => {
  it('is enabled at start', async () => {
    const server = await startTestServer({ OPENZAP_CLIENT_TOKEN: CLIENT_TOKEN });
    try {
      const inst = await server.createInstance();
      expect((await server.partner('GET', '/account/security')).body).toMatchObject({ clientTokenEnabled: true, clientToken: CLIENT_TOKEN });
      expectError(await inst.call('GET', '/status'), 401, 'null not allowed');
      expectError(await inst.call('GET', '/status', undefined, { 'Client-Token': 'wrong-client-token-000000' }), 401);
      expect((await inst.call('GET', '/status', undefined, { 'Client-Token': CLIENT_TOKEN })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('redactUrl', () => {
  it.each([
    ['/instances/ABC/token/SECRET/status', '/instances/ABC/token/***/status'],
    ['/instances/ABC/token/SECRET', '/instances/ABC/token/***'],
    ['/instances/ABC/token/SECRET?page=1', '/instances/ABC/token/***?page=1'],
    ['/instances/ABC/TOKEN/SECRET/status', '/instances/ABC/TOKEN/***/status'],
    ['/instances/ABC/%74oken/SECRET/status', '/instances/ABC/%74oken/***/status'],
    ['/instances/ABC/%74%6F%6B%65%6E/SECRET/status', '/instances/ABC/%74%6F%6B%65%6E/***/status'],
    ['//instances/ABC/token/SECRET/x', '//instances/ABC/token/***/x'],
    ['/instances/ABC/token/SEC%E0%A4%A/x', '/instances/ABC/token/***/x'],
    ['/instances/ABC/token/SECRET/x?token=SECRET&page=2&Client-Token=C', '/instances/ABC/token/***/x?token=***&page=2&Client-Token=***'],
    ['/instances?page=1', '/instances?page=1'],
    ['/health', '/health'],
  ])('%s → %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});

describe('logs (OPENZAP_LOG_LEVEL=info)', () => {
  let server: TestServer;
  let hooks: WebhookReceiver;
  const lines: string[] = [];
  const restore: (() => void)[] = [];

  /** Capture what a pino logger writes (the real serialized lines) instead of printing it. */
  function capture(logger: object): void {
    const stream = (logger as Record<symbol, { write: (s: string) => boolean }>)[pino.symbols.streamSym];
    if (!stream || restore.some((r) => (r as any).stream === stream)) return;
    const original = stream.write;
    stream.write = (s: string) => {
      lines.push(String(s));
      return true;
    };
    const undo = () => {
      stream.write = original;
    };
    (undo as any).stream = stream;
    restore.push(undo);
  }

  beforeAll(async () => {
    hooks = await new WebhookReceiver().start();
    server = await startTestServer({ OPENZAP_LOG_LEVEL: 'info', OPENZAP_WEBHOOK_RETRY_SECONDS: '0' });
    capture(server.oz.app.log); // Fastify's request logger
    capture((server.oz.ctx.engines as any).d.log); // the process logger (engines, queue, webhooks)
  });
  afterAll(async () => {
    for (const r of restore) r();
    await server?.close();
    await hooks?.stop();
  });

  it('never writes an instance token, the partner token or the Client-Token', async () => {
    expect(restore).toHaveLength(2);
    const inst = await server.pairedInstance(`${hooks.url}/hook`);
    await server.partner('PUT', '/account/security', { clientToken: CLIENT_TOKEN, clientTokenEnabled: true });
    const ct = { 'Client-Token': CLIENT_TOKEN };

    // Plain, odd spellings of the token segment, unknown routes, bad input, auth failures.
    expect((await inst.call('GET', '/status', undefined, ct)).status).toBe(200);
    expect((await call('GET', `${server.url}/instances/${inst.id}/%74oken/${inst.token}/status`, undefined, ct)).status).toBe(200);
    await call('GET', `${server.url}/instances/${inst.id}/token/${inst.token}/no-such-route`, undefined, ct);
    await call('GET', `${server.url}/instances/${inst.id}/token/${inst.token}/st%E0%A4%Aatus`, undefined, ct);
    await call('GET', `${server.url}/instances/${inst.id}/token/${inst.token}%ZZ/status`, undefined, ct);
    await call('GET', `${server.url}/instances/${inst.id}/token/${inst.token}${'A'.repeat(200)}/status`, undefined, ct);
    await inst.call('PUT', '/update-name', '{"value":', ct);
    await inst.call('PUT', '/update-name', { value: {} }, ct);
    await inst.call('GET', '/status'); // no Client-Token
    await inst.call('GET', '/status', undefined, { 'Client-Token': 'wrong' + CLIENT_TOKEN });
    await call('GET', `${server.url}/instances/${inst.id}/token/${inst.token}/status?token=${inst.token}`, undefined, ct);
    await server.partner('GET', '/instances');
    await server.partner('GET', '/instances', undefined, 'wrong-' + PARTNER_TOKEN);
    await server.partner('POST', `/instances/${inst.id}/token/${inst.token}/integrator/on-demand/subscription`);

    // Webhooks carry the token in a header: a delivered one and a failed one.
    const sent = await inst.call('POST', '/send-text', { phone: '5511987654321', message: 'hi' }, ct);
    await waitFor(() => hooks.of('DeliveryCallback', (b) => b.messageId === sent.body.messageId)[0], 5000, 'delivery');
    hooks.failWith = 500;
    await inst.call('POST', '/sandbox/inbound', { from: '5511987654321', message: 'fails' }, ct);
    await waitFor(() => lines.some((l) => l.includes('webhook delivery failed')), 5000, 'failure logged');
    hooks.failWith = null;

    const all = lines.join('');
    // The capture works: requests were logged, with the token segment redacted.
    expect(all).toContain(`"url":"/instances/${inst.id}/token/***/status"`);
    expect(all).toContain(`"url":"/instances/${inst.id}/%74oken/***/status"`);
    expect(all).toContain('webhook delivery failed');
    for (const secret of [inst.token, PARTNER_TOKEN, CLIENT_TOKEN]) expect(all).not.toContain(secret);
  });
});
