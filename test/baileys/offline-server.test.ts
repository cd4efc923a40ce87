// A real Baileys instance on a real in-process server, on a machine that cannot reach
// WhatsApp: the server stays healthy, the instance says why it is not connected, the QR
// route answers clearly, and the engine does not hammer the network.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/http.js';
import type { BaileysEngine } from '../../src/engines/baileys/engine.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('a baileys instance with WhatsApp out of reach', () => {
  it('stays healthy, reports why, answers the QR route clearly, and retries with restraint', async () => {
    const created = await server.partner('POST', '/instances/integrator/on-demand', { name: 'real one', engine: 'baileys' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ engine: 'baileys', sandbox: false });
    const inst = server.instance(created.body.id, created.body.token);
    const engine = server.oz.ctx.engines.engine(inst.id) as BaileysEngine;
    expect(engine.kind).toBe('baileys');
    const startedAt = Date.now();

    // The first attempt fails (no DNS, no route, or refused): the reason says so.
    await waitFor(() => engine.state().reason && !/^Connecting/.test(engine.state().reason!), 10_000, 'a failed attempt');
    const status = await inst.call('GET', '/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ connected: false, smartphoneConnected: false, engine: 'baileys' });
    expect(typeof status.body.reason).toBe('string');
    expect(status.body.reason.length).toBeGreaterThan(10);

    const qr = await inst.call('GET', '/qr-code');
    if (qr.status === 200) {
      expect(typeof qr.body.value).toBe('string'); // WhatsApp was reachable after all
    } else {
      expect(qr.status).toBeGreaterThanOrEqual(400);
      expect(qr.status).toBeLessThan(500);
      expect(qr.body).toMatchObject({ error: 'qr-unavailable' });
      expect(qr.body.message).toMatch(/No QR code available yet/);
    }
    const image = await inst.call('GET', '/qr-code/image');
    expect(image.status).toBeLessThan(500);

    // Ten seconds of failures: a handful of attempts, not a busy loop.
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - startedAt))));
    expect(engine.connectionAttempts).toBeGreaterThanOrEqual(1);
    expect(engine.connectionAttempts).toBeLessThanOrEqual(5);

    const health = await server.partner('GET', '/health');
    expect(health.status).toBe(200);
    const again = await inst.call('GET', '/status');
    expect(again.body).toMatchObject({ connected: false });
    expect(again.body.reason).toMatch(/WhatsApp|Connecting|Reconnecting/);
  }, 30_000);
});
