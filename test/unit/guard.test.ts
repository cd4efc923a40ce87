import { describe, expect, it } from 'vitest';
import { UrlRefused, checkUrl, isPrivateAddress } from '../../src/net/guard.js';
import { backoffMs, signature } from '../../src/webhooks/delivery.js';
import { createHmac } from 'node:crypto';

describe('outbound URL guard', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '100.64.0.1'])(
    '%s is private',
    (ip) => expect(isPrivateAddress(ip)).toBe(true),
  );
  it.each(['::ffff:7f00:1', '::ffff:a9fe:a9fe', '::ffff:0a00:0001', '64:ff9b::7f00:1', '2002:7f00:1::', 'fec0::1', '::', '::127.0.0.1', '0:0:0:0:0:0:0:1', 'not-an-ip'])(
    '%s (IPv4 inside IPv6 and other forms) is private',
    (ip) => expect(isPrivateAddress(ip)).toBe(true),
  );
  it('refuses the hex form the URL parser produces for a mapped loopback', () => {
    expect(new URL('https://[::ffff:127.0.0.1]/x').hostname).toBe('[::ffff:7f00:1]');
    expect(() => checkUrl('https://[::ffff:127.0.0.1]/x', { allowHttp: false, allowPrivate: false })).toThrow(/private/);
    expect(() => checkUrl('https://[::ffff:a9fe:a9fe]/latest/meta-data', { allowHttp: false, allowPrivate: false })).toThrow(/private/);
  });
  it.each(['8.8.8.8', '172.32.0.1', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2606:4700::1111'])('%s is public', (ip) => expect(isPrivateAddress(ip)).toBe(false));

  const strict = { allowHttp: false, allowPrivate: false };
  it.each([
    ['file:///etc/passwd', 'https'],
    ['ftp://example.com/x', 'https'],
    ['http://example.com/hook', 'https'],
    ['https://127.0.0.1/hook', 'private'],
    ['https://localhost/hook', 'private'],
    ['https://[::1]/hook', 'private'],
    ['https://user:pw@example.com/hook', 'credentials'],
    ['not a url', 'valid'],
  ])('refuses %s', (url, why) => {
    expect(() => checkUrl(url, strict)).toThrow(UrlRefused);
    expect(() => checkUrl(url, strict)).toThrow(new RegExp(why));
  });

  it('accepts https, and http/private only when allowed', () => {
    expect(checkUrl('https://example.com/hook', strict).hostname).toBe('example.com');
    expect(checkUrl('http://127.0.0.1:4000/x', { allowHttp: true, allowPrivate: true }).port).toBe('4000');
  });
});

describe('webhook retry and signing', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, 1000, 0)).toBe(500);
    expect(backoffMs(1, 1000, 1)).toBe(1000);
    expect(backoffMs(4, 1000, 1)).toBe(8000);
    expect(backoffMs(4, 1000, 0)).toBe(4000);
    expect(backoffMs(40, 1000, 1)).toBe(600_000);
  });

  it('signs the raw body with HMAC-SHA256', () => {
    const body = '{"type":"DeliveryCallback"}';
    expect(signature('k', body)).toBe('sha256=' + createHmac('sha256', 'k').update(body).digest('hex'));
  });
});
