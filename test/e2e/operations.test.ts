// Operations surface: /health, /metrics, /docs (OpenAPI generated from the route schemas).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { call } from '../helpers/http.js';

describe('operations endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('reports health with the database in use', async () => {
    const res = await call('GET', `${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'sqlite' });
  });

  it('serves the OpenAPI document built from the route schemas, and the UI', async () => {
    const doc = await call('GET', `${server.url}/docs/json`);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.body.paths);
    for (const p of ['/instances/integrator/on-demand', '/instances', '/instances/{instanceId}/token/{token}/send-text', '/instances/{instanceId}/token/{token}/queue', '/instances/{instanceId}/token/{token}/update-every-webhooks']) {
      expect(paths).toContain(p);
    }
    const sendText = doc.body.paths['/instances/{instanceId}/token/{token}/send-text'].post;
    expect(sendText.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['phone', 'message']));
    const ui = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('exposes Prometheus metrics that move with the work', async () => {
    const inst = await server.createInstance();
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const count = (text: string) => Number(/^openzap_messages_accepted_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
    expect(await inst.call('POST', '/send-text', { phone: '5511999990000', message: 'x' })).toMatchObject({ status: 200 });
    const after = await (await fetch(`${server.url}/metrics`)).text();
    expect(count(after)).toBe(count(before) + 1);
    expect(after).toMatch(/process_resident_memory_bytes/);
  });

  it('reports the route validators still to compile, down to 0 once the idle warm-up is done', async () => {
    const fresh = await startTestServer();
    try {
      const pending = async () => Number(/^openzap_validators_pending (\d+)/m.exec(await (await fetch(`${fresh.url}/metrics`)).text())?.[1] ?? 'NaN');
      const deadline = Date.now() + 20_000;
      let last = await pending();
      expect(last).toBeGreaterThan(0); // just started: the warm-up takes about a second
      while (last > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        last = await pending();
      }
      expect(last).toBe(0);
    } finally {
      await fresh.close();
    }
  }, 30_000);
});

describe('wrong method and proxies', () => {
  it('answers 405 with Allow for a known route and the wrong method, 404 for an unknown path', async () => {
    const server = await startTestServer();
    try {
      const inst = await server.createInstance();
      const wrong = await inst.call('GET', '/send-text');
      expect(wrong.status).toBe(405);
      expect(wrong.body.error).toBe('method-not-allowed');
      expect(wrong.headers.get('allow')).toBe('POST');
      expect(JSON.stringify(wrong.body)).not.toContain(inst.token);
      const unknown = await inst.call('GET', '/no-such-route');
      expect(unknown.status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('uses X-Forwarded-For for the IP allow-list only when the proxy is trusted', async () => {
    for (const trusted of [false, true]) {
      const server = await startTestServer(trusted ? { OPENZAP_TRUST_PROXY: '127.0.0.1' } : {});
      try {
        const inst = await server.createInstance();
        await server.partner('PUT', '/account/security', { ipAllowlist: ['203.0.113.7'] });
        const res = await inst.call('GET', '/status', undefined, { 'x-forwarded-for': '203.0.113.7' });
        expect(res.status).toBe(trusted ? 200 : 403);
      } finally {
        await server.close();
      }
    }
  });
});
