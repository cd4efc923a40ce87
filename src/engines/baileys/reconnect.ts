// What to do when a Baileys socket closes, by DisconnectReason (baileys-map.md §3), and
// how long to wait: exponential backoff with a cap, plus a bounded number of attempts in
// any rolling minute, so a server that keeps closing us at once cannot cause a storm.
import { DisconnectReason } from 'baileys';

export type CloseAction =
  /** 401: the phone unlinked this device. Wipe the session; a new QR is needed. */
  | { kind: 'logged-out'; reason: string }
  /** 403, 440, 411: stop and stay stopped until someone restarts the instance. */
  | { kind: 'terminal'; reason: string }
  /** The QR codes of this attempt ran out without a scan: stop until a QR is asked for again. */
  | { kind: 'qr-expired'; reason: string }
  /** 515 after pairing: reconnect at once with the same auth state (normal). */
  | { kind: 'immediate'; reason: string }
  /** Anything else (408, 428, 500, 503, 405 …): reconnect with backoff. */
  | { kind: 'backoff'; reason: string };

export function closeAction(statusCode: number | undefined, message: string | undefined, ctx: { qrShown: boolean; paired: boolean }): CloseAction {
  const detail = `${statusCode ?? 'no code'}${message ? `: ${message}` : ''}`;
  switch (statusCode) {
    case DisconnectReason.loggedOut:
      return { kind: 'logged-out', reason: 'Device has been disconnected (logged out from the phone).' };
    case DisconnectReason.forbidden:
      return { kind: 'terminal', reason: `WhatsApp refused this number (banned or locked, ${detail}). Not reconnecting.` };
    case DisconnectReason.connectionReplaced:
      return {
        kind: 'terminal',
        reason: `Another connection replaced this one (${detail}): the same session is open elsewhere. Not reconnecting; restart the instance to take it back.`,
      };
    case DisconnectReason.multideviceMismatch:
      return { kind: 'terminal', reason: `WhatsApp refused this multi-device session (${detail}). Not reconnecting.` };
    case DisconnectReason.restartRequired:
      return { kind: 'immediate', reason: 'Restart required by WhatsApp (normal after pairing).' };
  }
  if (!ctx.paired && ctx.qrShown && statusCode === DisconnectReason.timedOut) {
    return { kind: 'qr-expired', reason: 'The QR code expired without being scanned. Ask for the QR code again to get a new one.' };
  }
  return { kind: 'backoff', reason: `WhatsApp connection closed (${detail}).` };
}

export interface BackoffOptions {
  /** First delay; doubles per consecutive failure. */
  baseMs: number;
  /** Largest delay between two attempts. */
  capMs: number;
  /** At most this many attempts in any rolling minute (immediate ones included). */
  maxPerMinute: number;
  /** 0..1: the delay is randomised by ± this fraction, so many instances do not retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2_000, capMs: 5 * 60_000, maxPerMinute: 6, jitter: 0.2 };

const MINUTE = 60_000;

export class Backoff {
  private failures = 0;
  private attempts: number[] = [];

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** An attempt started now. */
  record(now: number): void {
    this.attempts.push(now);
    this.attempts = this.attempts.filter((t) => now - t < MINUTE);
  }

  /** The connection opened: the next failure starts from the base delay again. */
  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Delay before the next attempt after a failure; `immediate` asks for none, the minute budget permitting. */
  next(now: number, immediate = false): number {
    let delay = 0;
    if (!immediate) {
      const exp = Math.min(this.opts.capMs, this.opts.baseMs * 2 ** Math.min(this.failures, 30));
      const spread = exp * this.opts.jitter * (this.random() * 2 - 1);
      delay = Math.max(0, Math.min(this.opts.capMs, Math.round(exp + spread)));
      this.failures += 1;
    }
    return Math.max(delay, this.budgetWait(now));
  }

  /** How long until one more attempt fits in the rolling-minute budget. */
  private budgetWait(now: number): number {
    const recent = this.attempts.filter((t) => now - t < MINUTE);
    if (recent.length < this.opts.maxPerMinute) return 0;
    const oldestThatMustExpire = recent[recent.length - this.opts.maxPerMinute];
    return oldestThatMustExpire + MINUTE - now;
  }
}
