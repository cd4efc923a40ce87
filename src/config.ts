// Configuration: every OPENZAP_* variable parsed and validated into one typed object.
// An invalid value stops start-up with a message naming the variable.
import path from 'node:path';

export type EngineKind = 'baileys' | 'sandbox';

export interface GapRange {
  min: number;
  max: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** postgres://… when set; otherwise SQLite under dataDir. */
  databaseUrl: string | null;
  partnerToken: string | null;
  clientToken: string | null;
  allowHttpWebhooks: boolean;
  allowPrivateUrls: boolean;
  sendGapMs: GapRange;
  defaultEngine: EngineKind;
  /** Maximum messages waiting for a disconnected instance before new sends are refused. */
  queueLimitDisconnected: number;
  webhookRetryHorizonMs: number;
  /** First retry delay; doubles per attempt (with jitter), capped at 10 minutes. */
  webhookBackoffBaseMs: number;
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  sandboxReceiptDelayMs: number;
  trialDays: number;
  bodyLimitBytes: number;
  logLevel: string;
  /** Public base URL used in links we hand out (media); defaults to http://host:port. */
  publicUrl: string | null;
  /** 32-byte key (OPENZAP_SECRET_KEY) encrypting secrets at rest (Baileys auth state); null = stored in clear. */
  secretKey: Buffer | null;
  /** WhatsApp Web version the Baileys engine announces; null = the version bundled with the package. */
  waWebVersion: [number, number, number] | null;
  /** Fastify trustProxy: false, true, a hop count, or a comma list of proxy addresses/CIDRs. */
  trustProxy: boolean | number | string;
  /** Days recent messages and delivered webhooks are kept (failed webhooks: at least 30). */
  messageRetentionDays: number;
  /** Largest media file accepted from a client (URL or base64) or kept from WhatsApp. */
  mediaMaxBytes: number;
  /** Time limit of one media download (URL inputs). */
  mediaFetchTimeoutMs: number;
  /** Days received and sent media stay downloadable from OpenZap (Z-API: 30). */
  mediaRetentionDays: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

/** "0", "1500" or "200-400" (milliseconds). */
export function parseGap(raw: string | undefined, name = 'OPENZAP_SEND_GAP_MS'): GapRange {
  if (raw === undefined || raw.trim() === '') return { min: 1000, max: 3000 };
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  if (!m) throw new ConfigError(name, `expected milliseconds like "0", "1500" or "200-400", got "${raw}"`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new ConfigError(name, `range end ${max} is below its start ${min}`);
  if (max > 600_000) throw new ConfigError(name, 'gap above 10 minutes');
  return { min, max };
}

/** A 256-bit key written as 64 hex characters or as base64 (standard or url-safe). */
export function parseSecretKey(raw: string | undefined, name = 'OPENZAP_SECRET_KEY'): Buffer | null {
  const v = raw?.trim();
  if (!v) return null;
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(v)) {
    const key = Buffer.from(v, 'base64');
    if (key.length === 32) return key;
  }
  throw new ConfigError(name, 'expected a 32-byte key as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)');
}

/** "2.3000.1043857760": the WhatsApp Web version to announce, for when the bundled one gets refused (405). */
export function parseWaVersion(raw: string | undefined, name = 'OPENZAP_WA_WEB_VERSION'): [number, number, number] | null {
  const v = raw?.trim();
  if (!v) return null;
  const m = /^(\d{1,6})[.,](\d{1,6})[.,](\d{1,12})$/.exec(v);
  if (!m) throw new ConfigError(name, `expected three numbers like "2.3000.1043857760", got "${v}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Behind a reverse proxy the client IP (allow-list, logs) comes from X-Forwarded-For only when trusted. */
function parseTrustProxy(raw: string | undefined): boolean | number | string {
  const v = raw?.trim() ?? '';
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  for (const part of v.split(',')) {
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(part.trim())) {
      throw new ConfigError('OPENZAP_TRUST_PROXY', `expected true, false, a hop count or a comma list of proxy IPs/CIDRs, got "${v}"`);
    }
  }
  return v;
}

export function loadConfig(env: Env = process.env): Config {
  const engine = (env.OPENZAP_DEFAULT_ENGINE ?? 'baileys').trim() || 'baileys';
  if (engine !== 'baileys' && engine !== 'sandbox') {
    throw new ConfigError('OPENZAP_DEFAULT_ENGINE', `expected "baileys" or "sandbox", got "${engine}"`);
  }
  const databaseUrl = env.OPENZAP_DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('OPENZAP_DATABASE_URL', 'expected a postgres:// URL (leave unset for the embedded SQLite)');
  }
  const host = env.OPENZAP_HOST?.trim() || '0.0.0.0';
  const partnerToken = env.OPENZAP_PARTNER_TOKEN?.trim() || null;
  if (partnerToken !== null && partnerToken.length < 16) {
    throw new ConfigError('OPENZAP_PARTNER_TOKEN', 'must be at least 16 characters');
  }
  const clientToken = env.OPENZAP_CLIENT_TOKEN?.trim() || null;
  if (clientToken !== null && clientToken.length < 16) {
    throw new ConfigError('OPENZAP_CLIENT_TOKEN', 'must be at least 16 characters');
  }
  const publicUrl = env.OPENZAP_PUBLIC_URL?.trim() || null;
  if (publicUrl !== null && !/^https?:\/\/[^\s]+$/.test(publicUrl)) {
    throw new ConfigError('OPENZAP_PUBLIC_URL', 'expected an http(s) URL');
  }
  const trustProxy = parseTrustProxy(env.OPENZAP_TRUST_PROXY);
  const logLevel = env.OPENZAP_LOG_LEVEL?.trim() || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('OPENZAP_LOG_LEVEL', `unknown level "${logLevel}"`);
  }
  return {
    port: int(env, 'OPENZAP_PORT', 3000, 0, 65535),
    host,
    dataDir: path.resolve(env.OPENZAP_DATA_DIR?.trim() || './data'),
    databaseUrl,
    partnerToken,
    clientToken,
    allowHttpWebhooks: bool(env, 'OPENZAP_ALLOW_HTTP_WEBHOOKS', false),
    allowPrivateUrls: bool(env, 'OPENZAP_ALLOW_PRIVATE_URLS', false),
    sendGapMs: parseGap(env.OPENZAP_SEND_GAP_MS),
    defaultEngine: engine,
    queueLimitDisconnected: int(env, 'OPENZAP_QUEUE_LIMIT', 1000, 1, 1_000_000),
    webhookRetryHorizonMs: int(env, 'OPENZAP_WEBHOOK_RETRY_SECONDS', 86_400, 0, 30 * 86_400) * 1000,
    webhookBackoffBaseMs: int(env, 'OPENZAP_WEBHOOK_BACKOFF_MS', 1000, 10, 600_000),
    webhookTimeoutMs: int(env, 'OPENZAP_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookConcurrency: int(env, 'OPENZAP_WEBHOOK_CONCURRENCY', 64, 1, 10_000),
    sandboxReceiptDelayMs: int(env, 'OPENZAP_SANDBOX_RECEIPT_DELAY_MS', 300, 0, 600_000),
    trialDays: int(env, 'OPENZAP_TRIAL_DAYS', 2, 0, 3650),
    bodyLimitBytes: int(env, 'OPENZAP_BODY_LIMIT_MB', 20, 1, 200) * 1024 * 1024,
    logLevel,
    publicUrl,
    trustProxy,
    messageRetentionDays: int(env, 'OPENZAP_MESSAGE_RETENTION_DAYS', 7, 1, 3650),
    mediaMaxBytes: int(env, 'OPENZAP_MEDIA_MAX_MB', 100, 1, 2048) * 1024 * 1024,
    mediaFetchTimeoutMs: int(env, 'OPENZAP_MEDIA_FETCH_TIMEOUT_MS', 30_000, 100, 600_000),
    mediaRetentionDays: int(env, 'OPENZAP_MEDIA_RETENTION_DAYS', 30, 1, 3650),
    secretKey: parseSecretKey(env.OPENZAP_SECRET_KEY),
    waWebVersion: parseWaVersion(env.OPENZAP_WA_WEB_VERSION),
  };
}
