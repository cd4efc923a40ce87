// What every makeWASocket of an instance is given: its auth state behind a bounded key
// cache, the WhatsApp Web version, a quiet logger, getMessage for retries, and caches that
// outlive a single socket (retry counters must survive a reconnect).
import {
  DEFAULT_CONNECTION_CONFIG,
  makeCacheableSignalKeyStore,
  type AuthenticationCreds,
  type GroupMetadata,
  type SocketConfig,
  type UserFacingSocketConfig,
  type WAMessageKey,
  type WASocket,
  type WAVersion,
  type proto,
} from 'baileys';
import type { DbAuthState } from './auth-state.js';
import { BoundedCache } from './cache.js';

export type SocketFactory = (config: UserFacingSocketConfig) => WASocket;
/** Baileys' logger interface (not exported by name from the package root). */
export type BaileysLogger = SocketConfig['logger'];

export interface SocketSettings {
  auth: DbAuthState;
  logger: BaileysLogger;
  /** null: the WhatsApp Web version bundled with the package (no network call at start). */
  version: WAVersion | null;
  getMessage: (key: WAMessageKey) => Promise<proto.IMessage | undefined>;
  /** Group metadata from our store, so group sends do not query WhatsApp every time. */
  cachedGroupMetadata?: (jid: string) => Promise<GroupMetadata | undefined>;
}

export class SocketResources {
  private readonly keyCache = new BoundedCache(5_000, 5 * 60_000);
  private readonly retryCounter = new BoundedCache(5_000, 60 * 60_000);
  private readonly deviceCache = new BoundedCache(2_000, 5 * 60_000);

  constructor(private readonly s: SocketSettings) {}

  config(creds: AuthenticationCreds): UserFacingSocketConfig {
    return {
      auth: { creds, keys: makeCacheableSignalKeyStore(this.s.auth.keys, this.s.logger, this.keyCache) },
      // Never fetchLatestBaileysVersion at start: the bundled version works offline and is deterministic.
      version: this.s.version ?? DEFAULT_CONNECTION_CONFIG.version,
      logger: this.s.logger,
      // Keeps notifications on the phone; we are an API, not a person at a browser.
      markOnlineOnConnect: false,
      syncFullHistory: false,
      getMessage: this.s.getMessage,
      ...(this.s.cachedGroupMetadata ? { cachedGroupMetadata: this.s.cachedGroupMetadata } : {}),
      msgRetryCounterCache: this.retryCounter,
      userDevicesCache: this.deviceCache,
    };
  }

  /** The session was wiped: no cached key may outlive it. */
  forgetKeys(): void {
    this.keyCache.flushAll();
    this.deviceCache.flushAll();
  }
}
