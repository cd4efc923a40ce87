// A fake Baileys socket for offline tests: the package's real event buffer (makeEventBuffer),
// real message generation (generateWAMessage, with real media encryption and a fake upload)
// for sendMessage, and vi.fn() for every other call, so tests assert the exact Baileys call
// and drive inbound flows with real events. memoryMedia() is an in-memory MediaPort.
import { walSyncsIdle } from '../../src/store/durable-sqlite.js';
import { afterEach, beforeEach, vi } from 'vitest';
import pino from 'pino';
import sharp from 'sharp';
import {
  generateWAMessage,
  makeEventBuffer,
  proto,
  type AnyMessageContent,
  type GroupMetadata,
  type MessageRelayOptions,
  type MiscMessageGenerationOptions,
  type OrderDetails,
  type UserFacingSocketConfig,
  type WAMediaUploadFunction,
  type WAMessage,
  type WASocket,
} from 'baileys';
import type { Kysely } from 'kysely';
import { openStore, type Store } from '../../src/store/db.js';
import type { Database, InstanceRow } from '../../src/store/schema.js';
import { blankInstanceRow } from '../../src/domain/instances.js';
import { BaileysEngine, type BaileysEngineOptions } from '../../src/engines/baileys/engine.js';
import type { MessageContent } from '../../src/engines/content.js';
import { tempDir } from '../helpers/server.js';
import type { MediaPort, MediaRef } from '../../src/media/media.js';

export const silent = pino({ level: 'silent' });

/** What Baileys' close events carry: a Boom with output.statusCode. */
export function boom(statusCode: number, message = `closed with ${statusCode}`): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } });
}

export const ME = '5511900000001';
export const ME_JID = `${ME}:7@s.whatsapp.net`;

export type FakeSocket = ReturnType<typeof makeFakeSocket>;

/** What an upload to WhatsApp's media servers answers, offline: a path named after the encrypted file's hash. */
export const fakeUpload: WAMediaUploadFunction = async (_path, { fileEncSha256B64, mediaType }) => {
  const name = encodeURIComponent(fileEncSha256B64);
  return { mediaUrl: `https://mmg.whatsapp.net/test/${mediaType}/${name}`, directPath: `/test/${mediaType}/${name}` };
};

/** An in-memory MediaPort: what the engine reads to send and keeps when it receives. */
export function memoryMedia() {
  const files = new Map<string, { instanceId: string; bytes: Buffer; ref: MediaRef }>();
  let n = 0;
  const port = {
    files,
    ingest: vi.fn(async (): Promise<MediaRef> => {
      throw new Error('ingest is the routes\' business');
    }),
    put: vi.fn(async (instanceId: string, bytes: Buffer, meta: { mimeType: string; fileName?: string }): Promise<MediaRef> => {
      const id = `media${String(++n).padStart(17, '0')}`;
      const ref: MediaRef = { id, mimeType: meta.mimeType, size: bytes.length, ...(meta.fileName ? { fileName: meta.fileName } : {}) };
      files.set(id, { instanceId, bytes: Buffer.from(bytes), ref });
      return { ...ref };
    }),
    read: vi.fn(async (id: string): Promise<Buffer> => {
      const f = files.get(id);
      if (!f) throw Object.assign(new Error(`Media ${id} is unknown or has expired`), { statusCode: 404 });
      return f.bytes;
    }),
    url: (ref: MediaRef) => `https://openzap.test/media/${ref.id}`,
    /** Test helper: a file as the routes would have ingested it. */
    add: async (bytes: Buffer, mimeType: string, fileName?: string) => port.put('test', bytes, { mimeType, fileName }),
  };
  return port satisfies MediaPort & object;
}

export type MemoryMedia = ReturnType<typeof memoryMedia>;

export function makeFakeSocket(config: UserFacingSocketConfig) {
  const ev = makeEventBuffer(silent);
  const creds = config.auth!.creds;
  const sock = {
    config,
    ev,
    authState: { creds, keys: config.auth!.keys },
    get user() {
      return creds.me;
    },
    signalRepository: { lidMapping: { getPNForLID: vi.fn(async (_lid: string): Promise<string | null> => null) } },
    // Real content generation: a content Baileys would refuse fails here too.
    sendMessage: vi.fn(async (jid: string, content: AnyMessageContent, options: MiscMessageGenerationOptions = {}) =>
      generateWAMessage(jid, content, {
        ...options,
        userJid: creds.me!.id,
        logger: silent,
        upload: sock.waUploadToServer,
      }),
    ),
    waUploadToServer: vi.fn(fakeUpload),
    relayMessage: vi.fn(async (_jid: string, _message: proto.IMessage, opts: MessageRelayOptions) => opts.messageId ?? ''),
    sendReceipt: vi.fn(async (_jid: string, _participant: string | undefined, _ids: string[], _type: string) => undefined),
    chatModify: vi.fn(async (_mod: unknown, _jid: string) => undefined),
    getOrderDetails: vi.fn(async (_orderId: string, _token: string): Promise<OrderDetails> => {
      throw new Error('no order details offline');
    }),
    getCatalog: vi.fn(async (_o: { jid?: string; limit?: number; cursor?: string }) => ({ products: [] as unknown[], nextPageCursor: undefined as string | undefined })),
    updateMediaMessage: vi.fn(async (m: unknown) => m),
    sendPresenceUpdate: vi.fn(async () => undefined),
    readMessages: vi.fn(async () => undefined),
    rejectCall: vi.fn(async (_callId: string, _callFrom: string) => undefined),
    presenceSubscribe: vi.fn(async (_jid: string) => undefined),
    groupMetadata: vi.fn(async (jid: string): Promise<GroupMetadata> => {
      throw new Error(`no metadata for ${jid} offline`);
    }),
    updateProfileName: vi.fn(async () => undefined),
    updateProfileStatus: vi.fn(async () => undefined),
    updateProfilePicture: vi.fn(async () => undefined),
    profilePictureUrl: vi.fn(async () => 'https://pps.whatsapp.net/v/me.jpg'),
    requestPairingCode: vi.fn(async () => 'ABCD1234'),
    logout: vi.fn(async () => {
      sock.emitClose(401);
    }),
    end: vi.fn(async (error?: Error) => {
      ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
    }),

    // ---- test drivers ----
    showQr(qr = 'https://wa.me/settings/linked_devices#ref,noise,identity,adv,1') {
      ev.emit('connection.update', { qr });
    },
    /** The phone scanned the QR: creds as Baileys' pair-success leaves them, then 515. */
    pair(platform = 'android') {
      ev.emit('creds.update', { me: { id: ME_JID, name: 'OpenZap Test' }, account: proto.ADVSignedDeviceIdentity.fromObject({}), platform });
      sock.emitClose(515);
    },
    open() {
      ev.emit('connection.update', { connection: 'open' });
    },
    emitClose(code: number, message?: string) {
      ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: boom(code, message), date: new Date() } });
    },
  };
  return sock;
}

export function fakeSockets() {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (config: UserFacingSocketConfig) => {
      const s = makeFakeSocket(config);
      sockets.push(s);
      return s as unknown as WASocket;
    },
    get last(): FakeSocket {
      return sockets[sockets.length - 1];
    },
  };
}

/** Let promise chains and database writes finish (setImmediate stays real under our fake timers). */
/** Let pending work run: turns of the event loop, each also waiting for SQLite's fsyncs under way (store/durable-sqlite.ts). */
export async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setImmediate(r));
    await walSyncsIdle();
  }
}

/** SQLite by default; a Postgres database when a URL is given (see test/helpers/postgres.ts backends). */
export async function testStore(databaseUrl: string | null = null): Promise<Store> {
  return openStore({ dataDir: tempDir('openzap-baileys-'), databaseUrl });
}

export interface EngineHarness {
  engine: BaileysEngine;
  media: MemoryMedia;
  sockets: ReturnType<typeof fakeSockets>;
  db: Kysely<Database>;
  events: { name: string; args: unknown }[];
}

export function makeEngine(db: Kysely<Database>, opts: Partial<BaileysEngineOptions> & { media?: MemoryMedia } = {}): EngineHarness {
  const sockets = fakeSockets();
  const media = opts.media ?? memoryMedia();
  const engine = new BaileysEngine({
    media,
    db,
    instanceId: opts.instanceId ?? 'A'.repeat(32),
    logger: silent,
    secretKey: null,
    createSocket: sockets.factory,
    backoff: { baseMs: 2_000, capMs: 60_000, maxPerMinute: 6, jitter: 0 },
    ...opts,
  });
  const events: { name: string; args: unknown }[] = [];
  for (const name of ['connection', 'qr', 'message', 'messageStatus', 'presence', 'call', 'messageRevoked'] as const) {
    engine.events.on(name, (arg: unknown) => events.push({ name, args: arg }));
  }
  return { engine, sockets, db, events, media };
}

/** Connect a harness engine all the way: QR, scan, 515, reconnect, open. */
export async function connected(h: EngineHarness): Promise<FakeSocket> {
  await h.engine.connect();
  h.sockets.last.showQr();
  const before = h.sockets.sockets.length;
  h.sockets.last.pair();
  // 515: the engine reconnects at once (a zero-delay timer): wait for the new socket.
  for (let i = 0; h.sockets.sockets.length === before; i++) {
    if (i > 1000) throw new Error('no reconnect after 515');
    await settle(1);
    if (vi.isFakeTimers()) vi.advanceTimersByTime(0);
    else await new Promise((r) => setTimeout(r, 1));
  }
  h.sockets.last.open();
  await settle();
  return h.sockets.last;
}

export interface ConnectedEngine {
  store: Store;
  h: EngineHarness;
  sock: FakeSocket;
}

/** The usual start of an engine test: a store, an engine, its connected fake socket, events cleared. */
export async function connectedEngine(databaseUrl: string | null = null): Promise<ConnectedEngine> {
  const store = await testStore(databaseUrl);
  const h = makeEngine(store.db);
  const sock = await connected(h);
  h.events.length = 0;
  return { store, h, sock };
}

/**
 * Before each test, a connected engine (connectedEngine()) handed to `use`; after it, the
 * engine and its store closed. As in: useConnectedEngine((e) => ({ h, sock } = e));
 */
export function useConnectedEngine(use: (e: ConnectedEngine) => void): void {
  let current: ConnectedEngine | undefined;
  beforeEach(async () => {
    current = await connectedEngine();
    use(current);
  });
  afterEach(async () => {
    await current?.h.engine.close();
    await current?.store.close();
    current = undefined;
  });
}

/** `send(content, extra?, to?)` through the port of `harness()`, with the ids of a series (`${prefix}000001`, …): the id and the port's answer. */
export function portSends(harness: () => EngineHarness, prefix: string, defaultTo: string) {
  let seq = 0;
  return async (content: MessageContent, extra: Record<string, unknown> = {}, to = defaultTo) => {
    const id = `${prefix}${String(++seq).padStart(6, '0')}`;
    const res = await harness().engine.messages.send({ id, to, content, ...extra });
    return { id, res };
  };
}

/** A small real JPEG (64×48, red) for media sends. */
export const sampleJpeg = (): Promise<Buffer> => sharp({ create: { width: 64, height: 48, channels: 3, background: '#c00' } }).jpeg().toBuffer();

/** WhatsApp delivers `msg` on `sock` (messages.upsert, notify; `key` is merged into its key); resolves once the engine handled it. */
export async function upsertOne(h: EngineHarness, sock: FakeSocket, msg: object, key: object = {}): Promise<WAMessage> {
  const m = proto.WebMessageInfo.fromObject(msg) as WAMessage;
  Object.assign(m.key, key);
  sock.ev.emit('messages.upsert', { messages: [m], type: 'notify' });
  await h.engine.idle();
  await settle();
  return m;
}

export function instanceRow(id = 'A'.repeat(32)): InstanceRow {
  return blankInstanceRow({ id, token: 'T'.repeat(32), account_id: 'ACC', name: 'test', engine: 'baileys', created_at: 0, payment_status: 'PAID', phone: ME });
}
