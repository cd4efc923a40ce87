import { describe, expect, it } from 'vitest';
import { fromJid, toJid } from '../../src/domain/phone.js';
import { ApiError } from '../../src/domain/errors.js';

describe('phone and chat ids', () => {
  it.each([
    ['5511999999999', '5511999999999@s.whatsapp.net'],
    ['+5511999999999', '5511999999999@s.whatsapp.net'],
    [5511999999999, '5511999999999@s.whatsapp.net'],
    ['120363019502650977-group', '120363019502650977@g.us'],
    ['5511999999999-1623281429-group', '5511999999999-1623281429@g.us'],
    ['120363019502650977@g.us', '120363019502650977@g.us'],
    ['81896604192873@lid', '81896604192873@lid'],
    ['120363166555745933@newsletter', '120363166555745933@newsletter'],
  ])('%s → %s', (input, jid) => {
    expect(toJid(input)).toBe(jid);
  });

  it.each(['', 'abc', '55 11 9999', '123', '5511999999999@evil.com', '../../etc'])('rejects %j with a 400', (input) => {
    let err: unknown;
    try {
      toJid(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).statusCode).toBe(400);
  });

  it('maps jids back to Z-API phones', () => {
    expect(fromJid('5511999999999@s.whatsapp.net')).toBe('5511999999999');
    expect(fromJid('5511999999999:12@s.whatsapp.net')).toBe('5511999999999');
    expect(fromJid('120363019502650977@g.us')).toBe('120363019502650977-group');
    expect(fromJid('81896604192873@lid')).toBe('81896604192873@lid');
  });
});
