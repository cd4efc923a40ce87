// The real WhatsApp engine: WhatsApp Web multi-device through Baileys, behind the port.
// This class only composes: auth-state.ts (session in our database), connection.ts
// (socket lifecycle and reconnects), events.ts (Baileys events → port events), send.ts
// (port sends → Baileys calls; content-out.ts and content-in.ts map message content both ways,
// media-in.ts keeps received files, secret-addons.ts reads and writes poll votes and event
// responses), store.ts (recent messages, LID ↔ phone), store-chats.ts,
// store-contacts.ts and store-groups.ts (the local store, fed by sync.ts), calls.ts (calls
// and auto-reject) and presence-subs.ts (presence subscriptions renewed after a reconnect).
import makeWASocket, { isWABusinessPlatform, jidDecode, jidNormalizedUser, type WAMessageKey, type WASocket, type WAVersion } from 'baileys';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ApiError, Unsupported } from '../../domain/errors.js';
import type { Database, InstanceRow } from '../../store/schema.js';
import type { MessageContent } from '../content.js';
import {
  EngineEmitter,
  type DeviceInfo,
  type EngineState,
  type OutgoingMessage,
  type PresenceKind,
  type SendResult,
  type WhatsAppEngine,
} from '../engine.js';
import { DbAuthState } from './auth-state.js';
import { BoundedCache } from './cache.js';
import { CallHandler } from './calls.js';
import { BaileysConnection, type BaileysLogger, type SocketFactory } from './connection.js';
import { EventMapper } from './events.js';
import type { BackoffOptions } from './reconnect.js';
import { deleteMessage, mediaInput, ownJids, playedMessages, readMessages, sendMessage, sendPresence } from './send.js';
import { unsupportedReason } from './content-out.js';
import { makeAddOnReader } from './inbound.js';
import { keepMedia, socketDownloader, type MediaDownloader } from './media-in.js';
import type { MediaPort } from '../../media/media.js';
import { PresenceSubscriptions, type PresenceSubsOptions } from './presence-subs.js';
import { BaileysStore } from './store.js';
import { ChatStore } from './store-chats.js';
import { ContactStore } from './store-contacts.js';
import { GroupStore } from './store-groups.js';

const DAY = 86_400_000;

export interface BaileysEngineOptions {
  db: Kysely<Database>;
  instanceId: string;
  logger: Logger;
  /** OPENZAP_SECRET_KEY: seals the auth state at rest when set. */
  secretKey: Buffer | null;
  /** null: the WhatsApp Web version bundled with the package. */
  version?: WAVersion | null;
  /** Tests inject a fake socket; production uses makeWASocket. */
  createSocket?: SocketFactory;
  backoff?: BackoffOptions;
  /** How long raw messages are kept for retries and replies (default 7 days). */
  retentionMs?: number;
  /** The instance rows (call settings are read when a call comes in). */
  instances?: { get(id: string): Promise<InstanceRow | undefined> };
  presence?: PresenceSubsOptions;
  /** Media to send is read from here; received media is kept here. */
  media: MediaPort;
  /** Tests inject a fake; production downloads through the socket (media-in.ts). */
  downloadMedia?: MediaDownloader;
}

/** Baileys logs at 'warn' or quieter: its info level is a firehose of protocol detail. */
export function baileysLogger(parent: Logger, instanceId: string): BaileysLogger {
  const warn = parent.levels.values.warn;
  const level = parent.levelVal > warn ? parent.level : 'warn';
  return parent.child({ part: 'baileys', instanceId }, { level }) as unknown as BaileysLogger;
}

const notConnected = () => new ApiError(409, 'not-connected', 'You are not connected.');

export class BaileysEngine implements WhatsAppEngine {
  readonly kind = 'baileys' as const;
  readonly events = new EngineEmitter();
  readonly store: BaileysStore;
  readonly chats: ChatStore;
  readonly contacts: ContactStore;
  readonly groups: GroupStore;
  private readonly presenceSubs: PresenceSubscriptions;
  private readonly calls: CallHandler;
  /** The newest socket (open or not): group metadata is fetched through it on a cache miss. */
  private current: WASocket | null = null;
  private readonly auth: DbAuthState;
  private readonly conn: BaileysConnection;
  private readonly mapper: EventMapper;
  /** Ids sent through the API recently (their echo from Baileys is not a received message). */
  private readonly sent = new BoundedCache<true>(10_000, 10 * 60_000);
  private pruneTimer: NodeJS.Timeout | null = null;
  private readonly retentionMs: number;
  private readonly media: MediaPort;
  private readonly logger: BaileysLogger;

  constructor(opts: BaileysEngineOptions) {
    const logger = baileysLogger(opts.logger, opts.instanceId);
    this.retentionMs = opts.retentionMs ?? 7 * DAY;
    this.media = opts.media;
    this.logger = logger;
    const download = opts.downloadMedia ?? socketDownloader(() => this.current, logger);
    this.auth = new DbAuthState(opts.db, opts.instanceId, opts.secretKey);
    this.store = new BaileysStore(opts.db, opts.instanceId);
    const phoneJid = (jid: string) => this.store.phoneJid(jid);
    this.chats = new ChatStore(opts.db, opts.instanceId, phoneJid);
    this.contacts = new ContactStore(opts.db, opts.instanceId, phoneJid);
    this.groups = new GroupStore(opts.db, opts.instanceId);
    this.presenceSubs = new PresenceSubscriptions(opts.db, opts.instanceId, logger, opts.presence);
    this.calls = new CallHandler({
      events: this.events,
      logger,
      contacts: this.contacts,
      store: this.store,
      settings: async () => opts.instances?.get(opts.instanceId),
      sent: this.sent,
    });
    this.mapper = new EventMapper({
      store: this.store,
      events: this.events,
      logger,
      me: () => this.conn.state().phone,
      sending: { has: (id) => this.sent.get(id) === true },
      local: { chats: this.chats, contacts: this.contacts, groups: this.groups, retentionMs: this.retentionMs },
      presenceSubs: this.presenceSubs,
      keepMedia: (msg, parts) => keepMedia(msg, parts, { download, media: this.media, instanceId: opts.instanceId, logger }),
      readAddOn: makeAddOnReader({
        stored: (id) => this.store.message(id),
        me: () => (this.current?.user?.id ? ownJids(this.current) : null),
        otherForm: (jid) => (jid.endsWith('@lid') ? (this.store.phoneJid(jid) !== jid ? this.store.phoneJid(jid) : undefined) : this.store.lidFor(jid)),
        logger,
        orderDetails: async (orderId, token) => {
          if (!this.current) throw new Error('not connected');
          return this.current.getOrderDetails(orderId, token);
        },
      }),
    });
    this.conn = new BaileysConnection({
      auth: this.auth,
      createSocket: opts.createSocket ?? makeWASocket,
      logger,
      events: this.events,
      version: opts.version ?? null,
      getMessage: (key) => this.getMessage(key),
      cachedGroupMetadata: (jid) => this.groups.cached(jid, this.current ? (j) => this.current!.groupMetadata(j) : null),
      onSocket: (sock) => {
        this.current = sock;
        this.mapper.attach(sock);
        this.calls.attach(sock, (jid, alt) => this.mapper.resolver(jid, alt));
        this.presenceSubs.attach(sock);
      },
      backoff: opts.backoff,
    });
  }

  /** Baileys asks for a message it must send again (a recipient's retry request). */
  private async getMessage(key: WAMessageKey) {
    return key.id ? (await this.store.message(key.id))?.message ?? undefined : undefined;
  }

  /** The number of sockets created so far (no busy loop: tests and diagnostics). */
  get connectionAttempts(): number {
    return this.conn.attempts;
  }

  /** Resolves once every Baileys event received so far has been mapped. */
  async idle(): Promise<void> {
    await this.calls.idle();
    await this.mapper.idle();
  }

  /** Follow a chat's presence now and after every reconnect. */
  async subscribePresence(jid: string): Promise<void> {
    await this.presenceSubs.subscribe(this.socket(), jid);
  }

  state(): EngineState {
    return this.conn.state();
  }

  async connect(): Promise<void> {
    await this.store.loadLidMap();
    await this.prune();
    this.pruneTimer ??= setInterval(() => void this.prune(), 6 * 3_600_000);
    this.pruneTimer.unref?.();
    await this.conn.start();
  }

  private async prune(): Promise<void> {
    await this.store.prune(Date.now() - this.retentionMs).catch(() => undefined);
  }

  qr(): Promise<string | null> {
    return this.conn.qr();
  }

  pairingCode(phone: string): Promise<string> {
    return this.conn.pairingCode(phone);
  }

  restart(): Promise<void> {
    return this.conn.restart();
  }

  logout(): Promise<void> {
    return this.conn.logout();
  }

  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    this.presenceSubs.stop();
    await this.conn.close();
    await this.idle();
  }

  private socket(): WASocket {
    const sock = this.conn.openSocket();
    if (!sock) throw notConnected();
    return sock;
  }

  async device(): Promise<DeviceInfo> {
    const sock = this.socket();
    const user = sock.user;
    const platform = this.conn.authCreds?.platform ?? 'unknown';
    const me = user?.id ? jidNormalizedUser(user.id) : null;
    const imgUrl = me ? await sock.profilePictureUrl(me, 'image', 5_000).catch(() => undefined) : undefined;
    return {
      phone: jidDecode(user?.id)?.user ?? null,
      name: user?.name ?? user?.notify ?? user?.verifiedName ?? null,
      imgUrl: imgUrl ?? null,
      platform,
      sessionName: 'OpenZap',
      deviceModel: 'WhatsApp Web (Baileys)',
      isBusiness: isWABusinessPlatform(platform),
    };
  }

  messages = {
    unsupportedReason: (content: MessageContent, to: string): string | null => unsupportedReason(content, to),
    send: async (msg: OutgoingMessage): Promise<SendResult> =>
      sendMessage(this.socket(), msg, {
        store: this.store,
        events: this.events,
        sent: this.sent,
        media: this.media,
        contacts: this.contacts,
        warn: (obj, m) => this.logger.warn(obj, m),
      }),
    sendPresence: async (jid: string, presence: PresenceKind): Promise<void> => sendPresence(this.socket(), jid, presence),
    read: async (chatJid: string, ids: string[]): Promise<void> => readMessages(this.socket(), chatJid, ids, this.store),
    delete: async (key: { id: string; chatJid: string; fromMe: boolean; participant?: string }): Promise<void> =>
      deleteMessage(this.socket(), key, this.store),
    played: async (chatJid: string, ids: string[]): Promise<void> => playedMessages(this.socket(), chatJid, ids, this.store),
  };

  profile = {
    setName: async (name: string): Promise<void> => {
      await this.socket().updateProfileName(name);
    },
    setDescription: async (text: string): Promise<void> => {
      await this.socket().updateProfileStatus(text);
    },
    setPicture: async (url: string): Promise<void> => {
      const sock = this.socket();
      const input = mediaInput(url, 'value');
      const me = jidNormalizedUser(sock.user?.id);
      try {
        await sock.updateProfilePicture(me, input);
      } catch (err) {
        if (/No image processing library/i.test((err as Error).message)) {
          throw new Unsupported('Changing the profile picture needs an image library on the server (install the optional "sharp" package).');
        }
        throw err;
      }
    },
  };
}
