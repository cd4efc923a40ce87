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

  it('compares secrets exactly', () => {
    expect(safeEqual('ABC', 'ABC')).toBe(true);
    expect(safeEqual('ABD', 'ABC')).toBe(false);
    expect(safeEqual('AB', 'ABC')).toBe(false);
    expect(safeEqual('', 'ABC')).toBe(false);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });
});
