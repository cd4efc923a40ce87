// Starts a real OpenZap on 127.0.0.1 (random port, fresh data dir or Postgres database)
// and offers the calls tests need: partner API, instance API, sandbox pairing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startOpenZap, type OpenZap } from '../../src/server.js';
import { call, type Res } from './http.js';

export const PARTNER_TOKEN = 'test-partner-token-0123456789';

export const testEnv = (dataDir: string, extra: Record<string, string> = {}): Record<string, string> => ({
  OPENZAP_DATA_DIR: dataDir,
  OPENZAP_PORT: '0',
  OPENZAP_HOST: '127.0.0.1',
  OPENZAP_PARTNER_TOKEN: PARTNER_TOKEN,
  OPENZAP_ALLOW_HTTP_WEBHOOKS: 'true',
  OPENZAP_ALLOW_PRIVATE_URLS: 'true',
  OPENZAP_SEND_GAP_MS: '0',
  OPENZAP_SANDBOX_RECEIPT_DELAY_MS: '30',
  OPENZAP_WEBHOOK_BACKOFF_MS: '50',
  OPENZAP_LOG_LEVEL: 'silent',
  ...extra,
});

export const tempDir = (prefix = 'openzap-test-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

export interface TestInstance {
  id: string;
  token: string;
  /** Base URL of the instance routes: …/instances/{id}/token/{token} */
  base: string;
  call<T = any>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<Res<T>>;
}

export class TestServer {
  constructor(
    readonly oz: OpenZap,
    readonly dataDir: string,
  ) {}

  get url(): string {
    return this.oz.url;
  }

  partner<T = any>(method: string, route: string, body?: unknown, token = PARTNER_TOKEN): Promise<Res<T>> {
    return call<T>(method, this.url + route, body, { authorization: `Bearer ${token}` });
  }

  instance(id: string, token: string): TestInstance {
    const base = `${this.url}/instances/${id}/token/${token}`;
    return { id, token, base, call: (m, r, b, h) => call(m, base + r, b, h) };
  }

  async createInstance(body: Record<string, unknown> = {}): Promise<TestInstance> {
    const res = await this.partner('POST', '/instances/integrator/on-demand', { name: 'test', engine: 'sandbox', ...body });
    if (res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return this.instance(res.body.id, res.body.token);
  }

  /** Create a sandbox instance, point every webhook at `webhookUrl` and pair it. */
  async pairedInstance(webhookUrl?: string, phone?: string): Promise<TestInstance & { phone: string }> {
    const inst = await this.createInstance();
    if (webhookUrl) {
      const w = await inst.call('PUT', '/update-every-webhooks', { value: webhookUrl, notifySentByMe: false });
      if (w.status !== 200) throw new Error(`webhooks failed: ${JSON.stringify(w.body)}`);
    }
    const p = await inst.call('POST', '/sandbox/pair', phone ? { phone } : {});
    if (p.status !== 200) throw new Error(`pair failed: ${JSON.stringify(p.body)}`);
    return { ...inst, phone: p.body.phone };
  }

  close(): Promise<void> {
    return this.oz.close();
  }
}

export async function startTestServer(extraEnv: Record<string, string> = {}, dataDir = tempDir()): Promise<TestServer> {
  const config = loadConfig(testEnv(dataDir, extraEnv));
  const oz = await startOpenZap(config);
  return new TestServer(oz, dataDir);
}
