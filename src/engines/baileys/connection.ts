// The makeWASocket lifecycle of one instance: QR cache, pairing code, restart without a
// new scan, logout, and the reconnect policy by DisconnectReason (reconnect.ts). A socket
// that we retire (restart, logout, close) is forgotten at once: its late events are ignored.
// What gets reported to the port, and when, is status.ts's business.
import { initAuthCreds, jidDecode, type AuthenticationCreds, type ConnectionState, type WASocket } from 'baileys';
import { ApiError, conflict } from '../../domain/errors.js';
import type { EngineEmitter, EngineState } from '../engine.js';
import { hasSession, type DbAuthState } from './auth-state.js';
import { Backoff, closeAction, DEFAULT_BACKOFF, type BackoffOptions } from './reconnect.js';
import { SocketResources, type SocketFactory, type SocketSettings } from './socket-config.js';
import { StatusReporter } from './status.js';

export type { BaileysLogger, SocketFactory } from './socket-config.js';

export interface ConnectionDeps extends SocketSettings {
  createSocket: SocketFactory;
  events: EngineEmitter;
  /** Every new socket is handed over so the event mapping can subscribe to it. */
  onSocket: (sock: WASocket) => void;
  backoff?: BackoffOptions;
  /** Consecutive failed attempts after which a reconnecting instance is reported disconnected. */
  failuresBeforeDisconnected?: number;
  /** How long pairingCode() waits for the socket to be ready. */
  pairingWaitMs?: number;
}

export class BaileysConnection {
  private sock: WASocket | null = null;
  private generation = 0;
  private creds: AuthenticationCreds | null = null;
  private readonly status: StatusReporter;
  private lastQr: string | null = null;
  private qrShown = false;
  private timer: NodeJS.Timeout | null = null;
  /** True while the engine should be (re)connecting; false once stopped (terminal, QR expired, close). */
  private running = false;
  private readonly backoff: Backoff;
  private readonly resources: SocketResources;
  private starting: Promise<void> | null = null;
  /** Sockets created so far (tests and metrics: no busy loop). */
  attempts = 0;

  constructor(private readonly d: ConnectionDeps) {
    this.backoff = new Backoff(d.backoff ?? DEFAULT_BACKOFF);
    this.status = new StatusReporter(d.events);
    this.resources = new SocketResources(d);
  }

  state(): EngineState {
    return this.status.state;
  }

  /** The socket, only while the connection is open. */
  openSocket(): WASocket | null {
    return this.status.status === 'connected' ? this.sock : null;
  }

  get authCreds(): AuthenticationCreds | null {
    return this.creds;
  }

  /** Start (or resume) connecting; concurrent calls share one start. */
  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    return (this.starting ??= this.begin().finally(() => (this.starting = null)));
  }

  private async begin(): Promise<void> {
    try {
      await this.d.auth.flushed(); // a wipe under way finishes before a new socket writes anything
      this.creds ??= await this.d.auth.loadCreds();
    } catch (err) {
      // An unreadable session (wrong OPENZAP_SECRET_KEY, say) is reported, not retried.
      this.status.set('disconnected', `The stored WhatsApp session cannot be read: ${(err as Error).message}`);
      return;
    }
    this.status.patch({ hasSession: hasSession(this.creds) });
    this.running = true;
    this.open();
  }

  private open(): void {
    this.clearTimer();
    const creds = this.creds!;
    if (!hasSession(creds) && creds.me) {
      // An unfinished pairing-code attempt: register again instead of logging in as a half-paired device.
      creds.me = undefined;
      creds.pairingCode = undefined;
    }
    const gen = ++this.generation;
    this.qrShown = false;
    this.lastQr = null;
    this.attempts += 1;
    this.backoff.record(Date.now());
    // Once reported disconnected (it kept failing), further attempts do not flip-flop the status.
    if (!(this.status.status === 'disconnected' && this.backoff.consecutiveFailures > 0)) {
      this.status.set('connecting', this.status.reconnectingSilently ? 'Reconnecting to WhatsApp.' : 'Connecting to WhatsApp.');
    }
    let sock: WASocket;
    try {
      sock = this.d.createSocket(this.resources.config(creds));
    } catch (err) {
      this.onClose(gen, err as Error);
      return;
    }
    this.sock = sock;
    sock.ev.on('creds.update', (update) => {
      if (gen !== this.generation) return;
      Object.assign(creds, update);
      void this.d.auth.saveCreds(creds).catch((err) => this.d.logger.error({ err }, 'could not save WhatsApp creds'));
    });
    sock.ev.on('connection.update', (u) => {
      if (gen === this.generation) this.onUpdate(gen, u);
    });
    this.d.onSocket(sock);
  }

  private onUpdate(gen: number, u: Partial<ConnectionState>): void {
    if (u.qr) {
      this.qrShown = true;
      this.lastQr = u.qr;
      this.status.set('qr', 'Waiting for the QR code to be scanned (or the pairing code to be entered).');
      this.d.events.emit('qr', { qr: u.qr });
    }
    if (u.connection === 'open') {
      this.lastQr = null;
      this.backoff.reset();
      const phone = jidDecode(this.sock?.user?.id ?? this.creds?.me?.id)?.user ?? null;
      this.status.patch({ hasSession: true });
      this.status.set('connected', null, { phone });
    } else if (u.connection === 'close') {
      const err = u.lastDisconnect?.error as (Error & { output?: { statusCode?: number } }) | undefined;
      this.onClose(gen, err);
    }
  }

  private onClose(gen: number, err: (Error & { output?: { statusCode?: number } }) | undefined): void {
    if (gen !== this.generation) return;
    this.sock = null;
    this.lastQr = null;
    const code = err?.output?.statusCode;
    const action = closeAction(code, err?.message, { qrShown: this.qrShown, paired: hasSession(this.creds!) });
    const level = action.kind === 'immediate' ? 'info' : 'warn';
    this.d.logger[level]({ code, action: action.kind }, 'WhatsApp connection closed');
    switch (action.kind) {
      case 'logged-out':
        this.running = false;
        void this.forget().catch((err) => this.d.logger.error({ err }, 'could not wipe the WhatsApp session'));
        this.status.set('disconnected', action.reason, { loggedOut: true });
        return;
      case 'terminal':
      case 'qr-expired':
        this.running = false;
        this.status.set('disconnected', action.reason);
        return;
      case 'immediate':
      case 'backoff': {
        if (!this.running) return;
        const delay = this.backoff.next(Date.now(), action.kind === 'immediate');
        const retry = delay > 0 ? ` Retrying in ${Math.ceil(delay / 1000)} s.` : ' Reconnecting now.';
        const failures = this.backoff.consecutiveFailures;
        if (action.kind === 'backoff' && failures >= (this.d.failuresBeforeDisconnected ?? 3)) {
          this.status.set('disconnected', `Cannot reach WhatsApp: ${action.reason}${retry}`);
        } else {
          this.status.set('connecting', action.reason + retry);
        }
        this.timer = setTimeout(() => {
          this.timer = null;
          if (this.running) this.open();
        }, delay);
        this.timer.unref?.();
      }
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Forget the current socket: its late events are ignored from now on. */
  private retire(): WASocket | null {
    this.clearTimer();
    this.generation += 1;
    const s = this.sock;
    this.sock = null;
    this.lastQr = null;
    // Never "connected" without a socket: the queue would spin on sends that cannot go out.
    if (this.status.status === 'connected') this.status.set('connecting', 'Restarting.');
    return s;
  }

  /** Wipe the stored session and start over with fresh creds (a new QR is needed). */
  private forget(): Promise<void> {
    // In memory at once (a new socket must not start from the old creds); the wipe is queued
    // before any later creds write, and start() waits for it before a new socket writes keys.
    this.resources.forgetKeys();
    this.creds = initAuthCreds();
    this.status.patch({ hasSession: false, phone: null });
    return this.d.auth.wipe();
  }

  async qr(): Promise<string | null> {
    if (this.status.status === 'qr') return this.lastQr;
    // Stopped without a session (QR expired, logged out): asking for the QR starts a new attempt.
    if (!this.running && this.creds && !hasSession(this.creds)) await this.start();
    return null;
  }

  async pairingCode(phone: string): Promise<string> {
    if (this.creds && hasSession(this.creds)) throw conflict('This instance already has a WhatsApp session; disconnect it first.', 'already-paired');
    if (!this.running) await this.start();
    if (this.timer) {
      // Waiting out a backoff: WhatsApp was unreachable a moment ago, no point holding the request.
      throw new ApiError(409, 'not-ready', `WhatsApp is not reachable right now, so no pairing code can be requested: ${this.status.state.reason}`);
    }
    // The socket is ready for a pairing code once WhatsApp offered a QR (Baileys' own example waits for it).
    const ready = await this.status.waitFor('qr', this.d.pairingWaitMs ?? 20_000, () => !this.running);
    const sock = this.sock;
    if (!ready || !sock) {
      const why = this.status.state.reason ?? 'still connecting';
      throw new ApiError(409, 'not-ready', `WhatsApp is not reachable right now, so no pairing code can be requested: ${why}`);
    }
    return sock.requestPairingCode(phone);
  }

  /** End the socket and open a new one with the same auth state: no new scan. */
  async restart(): Promise<void> {
    const old = this.retire();
    await old?.end(undefined);
    this.backoff.reset();
    this.running = false;
    await this.start();
  }

  /** Unlink the device from the phone, wipe the session, and get ready for a new QR. */
  async logout(): Promise<void> {
    const old = this.retire();
    this.running = false;
    if (old) {
      try {
        await old.logout(); // remove-companion-device; ends the socket with 401
      } catch (err) {
        // Not connected: the phone will drop the device on its own; we still forget it here.
        this.d.logger.warn({ err: (err as Error).message }, 'logout could not reach WhatsApp');
        await old.end(undefined).catch(() => undefined);
      }
    }
    await this.forget();
    this.status.set('disconnected', 'Device has been disconnected', { loggedOut: true });
    this.backoff.reset();
    await this.start(); // a fresh socket shows a new QR, like a freshly created instance
  }

  /** Stop without logging out (shutdown, expiry): the session stays and resumes at the next start. */
  async close(): Promise<void> {
    const old = this.retire();
    this.running = false;
    await old?.end(undefined).catch(() => undefined);
    this.status.set('disconnected', 'Stopped.', { silent: true });
    await this.d.auth.flushed();
  }
}
