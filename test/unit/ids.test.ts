import { describe, expect, it } from 'vitest';
import { newInstanceId, newInstanceToken, newMessageId, newZaapId, safeEqual } from '../../src/domain/ids.js';

describe('identifiers', () => {
  it('have the documented formats and do not repeat (across pool refills)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const z = newZaapId();
      const m = newMessageId();
      expect(z).toMatch(/^[0-9A-F]{32}$/);
      expect(m).toMatch(/^3EB0[0-9A-F]{20}$/);
      seen.add(z);
      seen.add(m);
    }
    expect(seen.size).toBe(4000);
    expect(newInstanceId()).toMatch(/^[0-9A-F]{32}$/);
    expect(newInstanceToken()).not.toBe(newInstanceToken());
  });

  it('zaapIds start with the time in milliseconds, so that new rows sit together in the index', () => {
    const before = Date.now();
    const z = newZaapId();
    const at = parseInt(z.slice(0, 12), 16);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    // 80 random bits follow: two ids of the same millisecond differ there.
    const [a, b] = [newZaapId(), newZaapId()];
    expect(a.slice(12)).not.toBe(b.slice(12));
  });

  it('compares secrets exactly', () => {
    expect(safeEqual('ABC', 'ABC')).toBe(true);
    expect(safeEqual('ABD', 'ABC')).toBe(false);
    expect(safeEqual('AB', 'ABC')).toBe(false);
    expect(safeEqual('', 'ABC')).toBe(false);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });
});
