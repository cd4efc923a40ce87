// The reconnect policy as a table, and the backoff arithmetic (cap, jitter, minute budget).
import { describe, expect, it } from 'vitest';
import { DisconnectReason } from 'baileys';
import { Backoff, closeAction } from '../../src/engines/baileys/reconnect.js';

const paired = { qrShown: false, paired: true };

describe('closeAction by DisconnectReason', () => {
  it.each([
    [DisconnectReason.loggedOut, 'logged-out'],
    [DisconnectReason.forbidden, 'terminal'],
    [DisconnectReason.connectionReplaced, 'terminal'],
    [DisconnectReason.multideviceMismatch, 'terminal'],
    [DisconnectReason.restartRequired, 'immediate'],
    [DisconnectReason.connectionLost, 'backoff'],
    [DisconnectReason.connectionClosed, 'backoff'],
    [DisconnectReason.badSession, 'backoff'],
    [DisconnectReason.unavailableService, 'backoff'],
    [405, 'backoff'],
    [undefined, 'backoff'],
  ])('%s → %s', (code, kind) => {
    expect(closeAction(code, 'x', paired).kind).toBe(kind);
  });

  it('408 after an unscanned QR is the QR expiring, not a network problem', () => {
    expect(closeAction(408, 'QR refs attempts ended', { qrShown: true, paired: false }).kind).toBe('qr-expired');
    expect(closeAction(408, 'WebSocket Error', { qrShown: false, paired: false }).kind).toBe('backoff');
  });
});

describe('Backoff', () => {
  it('doubles from the base up to the cap', () => {
    const b = new Backoff({ baseMs: 1_000, capMs: 10_000, maxPerMinute: 1_000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.next(0))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    b.reset();
    expect(b.next(0)).toBe(1_000);
  });

  it('jitter stays within its fraction and never exceeds the cap', () => {
    const lo = new Backoff({ baseMs: 1_000, capMs: 10_000, maxPerMinute: 1_000, jitter: 0.2 }, () => 0);
    const hi = new Backoff({ baseMs: 1_000, capMs: 10_000, maxPerMinute: 1_000, jitter: 0.2 }, () => 0.999999);
    expect(lo.next(0)).toBe(800);
    expect(hi.next(0)).toBe(1_200);
    for (let i = 0; i < 10; i++) hi.next(0);
    expect(hi.next(0)).toBeLessThanOrEqual(10_000);
  });

  it('caps attempts per rolling minute, immediate ones included', () => {
    const b = new Backoff({ baseMs: 1_000, capMs: 60_000, maxPerMinute: 3, jitter: 0 });
    b.record(0);
    b.record(100);
    expect(b.next(200, true)).toBe(0); // two attempts in the last minute: one more fits
    b.record(200);
    expect(b.next(300, true)).toBe(59_700); // the first attempt must leave the window first
    expect(b.next(59_999, true)).toBe(1);
    expect(b.next(60_000, true)).toBe(0);
  });
});
