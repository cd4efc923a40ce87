import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseGap } from '../../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: null,
      partnerToken: null,
      clientToken: null,
      allowHttpWebhooks: false,
      allowPrivateUrls: false,
      sendGapMs: { min: 1000, max: 3000 },
      defaultEngine: 'baileys',
      queueLimitDisconnected: 1000,
      webhookRetryHorizonMs: 24 * 3600 * 1000,
      trialDays: 2,
    });
    expect(c.dataDir.endsWith('/data')).toBe(true);
  });

  it('reads every documented variable', () => {
    const c = loadConfig({
      OPENZAP_PORT: '8080',
      OPENZAP_HOST: '127.0.0.1',
      OPENZAP_DATA_DIR: '/tmp/x',
      OPENZAP_DATABASE_URL: 'postgres://u@h/db',
      OPENZAP_PARTNER_TOKEN: 'a-partner-token-long-enough',
      OPENZAP_CLIENT_TOKEN: 'a-client-token-long-enough',
      OPENZAP_ALLOW_HTTP_WEBHOOKS: 'true',
      OPENZAP_ALLOW_PRIVATE_URLS: 'yes',
      OPENZAP_SEND_GAP_MS: '200-400',
      OPENZAP_DEFAULT_ENGINE: 'sandbox',
      OPENZAP_QUEUE_LIMIT: '50',
      OPENZAP_WEBHOOK_RETRY_SECONDS: '60',
    });
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/tmp/x',
      databaseUrl: 'postgres://u@h/db',
      partnerToken: 'a-partner-token-long-enough',
      clientToken: 'a-client-token-long-enough',
      allowHttpWebhooks: true,
      allowPrivateUrls: true,
      sendGapMs: { min: 200, max: 400 },
      defaultEngine: 'sandbox',
      queueLimitDisconnected: 50,
      webhookRetryHorizonMs: 60_000,
    });
  });

  it.each([
    ['OPENZAP_PORT', 'abc'],
    ['OPENZAP_PORT', '70000'],
    ['OPENZAP_DEFAULT_ENGINE', 'whatsmeow'],
    ['OPENZAP_DATABASE_URL', 'mysql://x'],
    ['OPENZAP_ALLOW_HTTP_WEBHOOKS', 'maybe'],
    ['OPENZAP_SEND_GAP_MS', '5-1'],
    ['OPENZAP_SEND_GAP_MS', 'fast'],
    ['OPENZAP_PARTNER_TOKEN', 'short'],
    ['OPENZAP_CLIENT_TOKEN', 'short'],
    ['OPENZAP_QUEUE_LIMIT', '0'],
    ['OPENZAP_LOG_LEVEL', 'loud'],
    ['OPENZAP_TRUST_PROXY', 'the proxy'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message).toContain(name);
  });

  it('parses trust-proxy settings', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ OPENZAP_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ OPENZAP_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ OPENZAP_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy).toBe('10.0.0.1, 192.168.0.0/16');
  });

  it('parses send gaps', () => {
    expect(parseGap('0')).toEqual({ min: 0, max: 0 });
    expect(parseGap('1500')).toEqual({ min: 1500, max: 1500 });
    expect(parseGap(' 200 - 400 ')).toEqual({ min: 200, max: 400 });
  });
});
