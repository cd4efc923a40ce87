// The socket lifecycle with a fake socket and fake timers: QR, pairing, 515, the reconnect
// policy per DisconnectReason, restart without rescan, logout, and the port events emitted.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONNECTION_CONFIG, DisconnectReason } from 'baileys';
import type { Store } from '../../src/store/db.js';
import { connected, makeEngine, ME, settle, testStore, type EngineHarness } from './fake-socket.js';

let store: Store;
let h: EngineHarness;

const connectionEvents = () => h.events.filter((e) => e.name === 'connection').map((e) => e.args as { status: string; reason: string | null; loggedOut?: boolean });
const authRows = async () => ({
  creds: (await store.db.selectFrom('baileys_creds').selectAll().execute()).length,
  keys: (await store.db.selectFrom('baileys_keys').selectAll().execute()).length,
});

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  store = await testStore();
  h = makeEngine(store.db);
});
afterEach(async () => {
  await h.engine.close();
  vi.useRealTimers();
  await store.close();
});

describe('starting and pairing', () => {
  it('uses the bundled WhatsApp Web version, a quiet logger and no online presence', async () => {
    await h.engine.connect();
    const cfg = h.sockets.last.config;
    expect(cfg.version).toEqual(DEFAULT_CONNECTION_CONFIG.version);
    expect(cfg.markOnlineOnConnect).toBe(false);
    expect(['warn', 'error', 'fatal', 'silent']).toContain(cfg.logger!.level);
    expect(typeof cfg.getMessage).toBe('function');
  });

  it('reports connecting, caches the QR, then connects after the scan and the 515 restart', async () => {
    await h.engine.connect();
    expect(h.engine.state()).toMatchObject({ status: 'connecting', hasSession: false });
    expect(await h.engine.qr()).toBeNull();

    h.sockets.last.showQr('QR-1');
    expect(await h.engine.qr()).toBe('QR-1');
    expect(h.engine.state().status).toBe('qr');
    h.sockets.last.showQr('QR-2');
    expect(await h.engine.qr()).toBe('QR-2');
    expect(h.events.filter((e) => e.name === 'qr').map((e) => e.args)).toEqual([{ qr: 'QR-1' }, { qr: 'QR-2' }]);

    h.sockets.last.pair();
    await settle();
    vi.advanceTimersByTime(0);
    expect(h.sockets.sockets).toHaveLength(2); // 515: reconnected at once
    expect(h.sockets.sockets[1].config.auth!.creds).toBe(h.sockets.sockets[0].config.auth!.creds); // same auth: no rescan
    h.sockets.last.open();
    await settle();
    expect(h.engine.state()).toEqual({ status: 'connected', phone: ME, reason: null, hasSession: true });
    expect(await h.engine.qr()).toBeNull();
    // Real transitions only: connecting → qr → connecting (scanned, 515 restart) → connected.
    expect(connectionEvents().map((e) => e.status)).toEqual(['connecting', 'qr', 'connecting', 'connected']);
    expect(connectionEvents()[3]).toEqual({ status: 'connected', phone: ME, reason: null });
    expect((await authRows()).creds).toBe(1); // creds.update persisted
  });

  it('requests a pairing code once the socket is up, with the digits only', async () => {
    await h.engine.connect();
    const code = h.engine.pairingCode('5511987654321');
    h.sockets.last.showQr();
    await expect(code).resolves.toBe('ABCD1234');
    expect(h.sockets.last.requestPairingCode).toHaveBeenCalledWith('5511987654321');
  });

  it('refuses a pairing code with a clear 409 when WhatsApp cannot be reached', async () => {
    await h.engine.connect();
    const code = h.engine.pairingCode('5511987654321');
    const settled = expect(code).rejects.toMatchObject({ statusCode: 409, error: 'not-ready' });
    vi.advanceTimersByTime(20_000);
    await settled;
  });

  it('does not hold a pairing-code request while waiting out a backoff', async () => {
    await h.engine.connect();
    h.sockets.last.emitClose(DisconnectReason.connectionLost);
    await settle();
    await expect(h.engine.pairingCode('5511987654321')).rejects.toMatchObject({ statusCode: 409, message: expect.stringMatching(/Retrying in 2 s/) });
  });

  it('stops when the QR codes run out unscanned, and starts again when the QR is asked for', async () => {
    await h.engine.connect();
    h.sockets.last.showQr();
    h.sockets.last.emitClose(DisconnectReason.timedOut, 'QR refs attempts ended');
    await settle();
    expect(h.engine.state()).toMatchObject({ status: 'disconnected' });
    expect(h.engine.state().reason).toMatch(/QR code expired/);
    vi.advanceTimersByTime(10 * 60_000);
    expect(h.sockets.sockets).toHaveLength(1); // no reconnect on its own
    // …until someone asks for a QR (two requests at once start one socket).
    expect(await Promise.all([h.engine.qr(), h.engine.qr()])).toEqual([null, null]);
    expect(h.sockets.sockets).toHaveLength(2);
  });
});

describe('reconnect policy by DisconnectReason', () => {
  it.each([
    [DisconnectReason.forbidden, /banned or locked/],
    [DisconnectReason.connectionReplaced, /replaced/],
    [DisconnectReason.multideviceMismatch, /multi-device/],
  ])('%i is terminal: disconnected with a reason, never reconnects', async (code, reason) => {
    await connected(h);
    h.sockets.last.emitClose(code);
    await settle();
    expect(h.engine.state().status).toBe('disconnected');
    expect(h.engine.state().reason).toMatch(reason);
    expect(h.engine.state().hasSession).toBe(true); // the session is kept: a restart may take it back
    vi.advanceTimersByTime(60 * 60_000);
    expect(h.sockets.sockets).toHaveLength(2);
    expect(connectionEvents().at(-1)).toMatchObject({ status: 'disconnected', reason: expect.stringMatching(reason) });
  });

  it('401 wipes the stored session and reports a logout, without reconnecting', async () => {
    await connected(h);
    await store.db
      .insertInto('baileys_keys')
      .values({ instance_id: 'A'.repeat(32), type: 'session', key_id: 'x', value: '{}', updated_at: 0 })
      .execute();
    h.sockets.last.emitClose(DisconnectReason.loggedOut);
    // At once, before the wipe finishes: never "connected" without a socket.
    expect(h.engine.state()).toMatchObject({ status: 'disconnected', hasSession: false, phone: null });
    await settle();
    expect(h.engine.state()).toMatchObject({ status: 'disconnected', hasSession: false, phone: null });
    expect(connectionEvents().at(-1)).toMatchObject({ status: 'disconnected', loggedOut: true });
    expect(await authRows()).toEqual({ creds: 0, keys: 0 });
    vi.advanceTimersByTime(60 * 60_000);
    expect(h.sockets.sockets).toHaveLength(2);
  });

  it('515 reconnects at once with the same auth state', async () => {
    await connected(h);
    const before = h.sockets.sockets.length;
    h.sockets.last.emitClose(DisconnectReason.restartRequired);
    await settle();
    vi.advanceTimersByTime(0);
    expect(h.sockets.sockets).toHaveLength(before + 1);
  });

  it('transient closes back off exponentially, report disconnected after a few failures, and stay bounded per minute', async () => {
    await connected(h);
    const n0 = h.sockets.sockets.length;
    const eventsBefore = connectionEvents().length;

    h.sockets.last.emitClose(DisconnectReason.connectionLost);
    await settle();
    expect(h.engine.state().status).toBe('connecting');
    expect(connectionEvents()).toHaveLength(eventsBefore); // a blip of a connected session is silent
    vi.advanceTimersByTime(1_999);
    expect(h.sockets.sockets).toHaveLength(n0);
    vi.advanceTimersByTime(1);
    expect(h.sockets.sockets).toHaveLength(n0 + 1); // 2 s

    h.sockets.last.emitClose(DisconnectReason.connectionClosed);
    await settle();
    vi.advanceTimersByTime(3_999);
    expect(h.sockets.sockets).toHaveLength(n0 + 1);
    vi.advanceTimersByTime(1);
    expect(h.sockets.sockets).toHaveLength(n0 + 2); // 4 s

    h.sockets.last.emitClose(DisconnectReason.unavailableService);
    await settle();
    expect(h.engine.state().status).toBe('disconnected'); // third failure in a row: reported
    expect(h.engine.state().reason).toMatch(/Cannot reach WhatsApp.*503.*Retrying in 8 s/);
    expect(connectionEvents().at(-1)).toMatchObject({ status: 'disconnected' });
    vi.advanceTimersByTime(8_000);
    expect(h.sockets.sockets).toHaveLength(n0 + 3);

    // It comes back: connected again, and the next failure starts from the base delay.
    h.sockets.last.open();
    await settle();
    expect(connectionEvents().at(-1)).toMatchObject({ status: 'connected', phone: ME });
    h.sockets.last.emitClose(DisconnectReason.badSession);
    await settle();
    vi.advanceTimersByTime(2_000);
    expect(h.sockets.sockets).toHaveLength(n0 + 4);
  });

  it('a socket that closes at once on every attempt cannot cause a storm', async () => {
    await h.engine.connect();
    // 515 asks for an immediate reconnect; a misbehaving server could ask forever.
    for (let i = 0; i < 50; i++) {
      h.sockets.last.emitClose(DisconnectReason.restartRequired);
      await settle(3);
      vi.advanceTimersByTime(1_000);
    }
    // 50 s of immediate-reconnect requests: at most 6 attempts per rolling minute (+ the first).
    expect(h.sockets.sockets.length).toBeLessThanOrEqual(7);
  });
});

describe('restart, logout and close', () => {
  it('restart ends the socket and opens a new one with the same auth state: no QR, no disconnect event', async () => {
    const first = await connected(h);
    const count = h.sockets.sockets.length;
    await h.engine.restart();
    expect(first.end).toHaveBeenCalled();
    expect(h.sockets.sockets).toHaveLength(count + 1);
    expect(h.sockets.last.config.auth!.creds).toBe(first.config.auth!.creds);
    h.sockets.last.open();
    await settle();
    expect(h.engine.state().status).toBe('connected');
    // The restart of a connected session is silent; reconnecting says "connected" again (the queue drains).
    expect(connectionEvents().map((e) => e.status)).toEqual(['connecting', 'qr', 'connecting', 'connected', 'connected']);
  });

  it('logout unlinks the device, wipes the session and gets a new QR ready', async () => {
    const first = await connected(h);
    await h.engine.logout();
    expect(first.logout).toHaveBeenCalled();
    expect(await authRows()).toEqual({ creds: 0, keys: 0 });
    expect(connectionEvents().find((e) => e.loggedOut)).toMatchObject({ status: 'disconnected', reason: 'Device has been disconnected' });
    const fresh = h.sockets.last;
    expect(fresh).not.toBe(first);
    expect(fresh.config.auth!.creds.me).toBeUndefined(); // new creds: a new pairing
    fresh.showQr('NEW-QR');
    expect(await h.engine.qr()).toBe('NEW-QR');
  });

  it('while the old socket is ending, the engine does not claim to be connected (the queue must not spin)', async () => {
    const first = await connected(h);
    let release!: () => void;
    first.end.mockImplementationOnce(() => new Promise<void>((r) => (release = r)));
    const restarting = h.engine.restart();
    expect(h.engine.state().status).toBe('connecting');
    await expect(h.engine.messages.send({ id: '3EB0WAIT', to: '5511987654321@s.whatsapp.net', content: { type: 'text', text: 'x' } })).rejects.toMatchObject({
      statusCode: 409,
    });
    release();
    await restarting;
    expect(h.sockets.sockets.at(-1)).not.toBe(first);
  });

  it('late events of a retired socket are ignored', async () => {
    const first = await connected(h);
    await h.engine.restart();
    first.emitClose(DisconnectReason.loggedOut);
    await settle();
    expect(h.engine.state().hasSession).toBe(true);
    expect((await authRows()).creds).toBe(1);
  });
});
