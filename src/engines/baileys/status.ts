// The engine state of a Baileys instance and the port 'connection' events it reports.
// Events go out on real transitions only. A drop of a connected session is held back while
// we reconnect ("reconnect silently"): it is reported once it turns terminal or keeps
// failing, and a successful reconnect reports 'connected' again (no webhook, since nothing
// changed for the sink, but the queue drains).
import type { ConnectionStatus, EngineEmitter, EngineState } from '../engine.js';

export class StatusReporter {
  private st: EngineState = { status: 'disconnected', phone: null, reason: 'Not started.', hasSession: false };
  private emitted: ConnectionStatus | null = null;
  /** A connected session dropped and we are reconnecting without having told anyone. */
  private held = false;

  constructor(private readonly events: EngineEmitter) {}

  get state(): EngineState {
    return { ...this.st };
  }

  get status(): ConnectionStatus {
    return this.st.status;
  }

  get reconnectingSilently(): boolean {
    return this.held;
  }

  /** Facts that change without a transition (session stored or wiped, phone known). */
  patch(p: Partial<Pick<EngineState, 'hasSession' | 'phone' | 'reason'>>): void {
    this.st = { ...this.st, ...p };
  }

  /** `silent`: a stop we were asked for (shutdown, expiry) is no transition to report. */
  set(status: ConnectionStatus, reason: string | null, extra: { phone?: string | null; loggedOut?: boolean; silent?: boolean } = {}): void {
    const phone = extra.phone !== undefined ? extra.phone : this.st.phone;
    this.st = { status, phone, reason, hasSession: this.st.hasSession };
    if (extra.silent) return;
    let emit = status !== this.emitted || extra.loggedOut === true;
    if (status === 'connecting' && this.emitted === 'connected') {
      this.held = true; // a drop or a restart of a connected session: silent while it reconnects
      emit = false;
    } else if (status === 'connected' && this.held) {
      emit = true; // reconnected: say so, the queue drains
    }
    if (status !== 'connecting') this.held = false;
    if (!emit) return;
    this.emitted = status;
    this.events.emit('connection', { status, phone, reason, ...(extra.loggedOut ? { loggedOut: true } : {}) });
  }

  /** Resolves true once the status is `status`, false on timeout or when `gaveUp()` turns true. */
  waitFor(status: ConnectionStatus, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
    if (this.st.status === status) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off('qr', check);
        this.events.off('connection', check);
        resolve(this.st.status === status);
      };
      const check = () => {
        if (this.st.status === status || gaveUp()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.events.on('qr', check);
      this.events.on('connection', check);
    });
  }
}
