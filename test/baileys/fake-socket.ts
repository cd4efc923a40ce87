// A fake Baileys socket for offline tests: the package's real event buffer (makeEventBuffer),
// real message generation (generateWAMessage) for sendMessage, and vi.fn() for every other
// call, so tests assert the exact Baileys call and drive inbound flows with real events.
import { vi } from 'vitest';
import pino from 'pino';
import {
  generateWAMessage,
  makeEventBuffer,
  proto,
  type AnyMessageContent,
  type GroupMetadata,
  type MiscMessageGenerationOptions,
  type UserFacingSocketConfig,
  type WASocket,
} from 'baileys';
import type { Kysely } from 'kysely';
import { openStore, type Store } from '../../src/store/db.js';
import type { Database, InstanceRow } from '../../src/store/schema.js';
import { blankInstanceRow } from '../../src/domain/instances.js';
import { BaileysEngine, type BaileysEngineOptions } from '../../src/engines/baileys/engine.js';
import { tempDir } from '../helpers/server.js';

export const silent = pino({ level: 'silent' });

/** What Baileys' close events carry: a Boom with output.statusCode. */
export function boom(statusCode: number, message = `closed with ${statusCode}`): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } });
}

export const ME = '5511900000001';
export const ME_JID = `${ME}:7@s.whatsapp.net`;

export type FakeSocket = ReturnType<typeof makeFakeSocket>;

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
        upload: async () => {
          throw new Error('no uploads offline');
        },
      }),
    ),
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
export async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** SQLite by default; a Postgres database when a URL is given (see test/helpers/postgres.ts backends). */
export async function testStore(databaseUrl: string | null = null): Promise<Store> {
  return openStore({ dataDir: tempDir('openzap-baileys-'), databaseUrl });
}

export interface EngineHarness {
  engine: BaileysEngine;
  sockets: ReturnType<typeof fakeSockets>;
  db: Kysely<Database>;
  events: { name: string; args: unknown }[];
}

export function makeEngine(db: Kysely<Database>, opts: Partial<BaileysEngineOptions> = {}): EngineHarness {
  const sockets = fakeSockets();
  const engine = new BaileysEngine({
    db,
    instanceId: opts.instanceId ?? 'A'.repeat(32),
    logger: silent,
    secretKey: null,
    createSocket: sockets.factory,
    backoff: { baseMs: 2_000, capMs: 60_000, maxPerMinute: 6, jitter: 0 },
    ...opts,
  });
  const events: { name: string; args: unknown }[] = [];
  for (const name of ['connection', 'qr', 'message', 'messageStatus', 'presence', 'call'] as const) {
    engine.events.on(name, (arg: unknown) => events.push({ name, args: arg }));
  }
  return { engine, sockets, db, events };
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

/** The usual start of an engine test: a store, an engine, its connected fake socket, events cleared. */
export async function connectedEngine(databaseUrl: string | null = null): Promise<{ store: Store; h: EngineHarness; sock: FakeSocket }> {
  const store = await testStore(databaseUrl);
  const h = makeEngine(store.db);
  const sock = await connected(h);
  h.events.length = 0;
  return { store, h, sock };
}

export function instanceRow(id = 'A'.repeat(32)): InstanceRow {
  return blankInstanceRow({ id, token: 'T'.repeat(32), account_id: 'ACC', name: 'test', engine: 'baileys', created_at: 0, payment_status: 'PAID', phone: ME });
}
