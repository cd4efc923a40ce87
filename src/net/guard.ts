// The one outbound guard (DESIGN.md §6): webhooks and media fetches go through it.
// Only http(s); private, loopback and link-local targets refused unless allowed in config.
// The check runs at DNS-resolution time too, so a public name pointing at 127.0.0.1 is refused.
import dns from 'node:dns';
import net from 'node:net';
import { Agent } from 'undici';

export interface GuardOptions {
  allowHttp: boolean;
  allowPrivate: boolean;
}

const V4_PRIVATE: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
}

/** The 16 bytes of an IPv6 address (any textual form, including an embedded dotted IPv4 tail). */
function v6Bytes(ip: string): number[] | null {
  let text = ip.toLowerCase().split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    if (!net.isIPv4(dotted[1])) return null;
    const n = v4ToInt(dotted[1]);
    text = text.slice(0, -dotted[1].length) + ((n >>> 16) & 0xffff).toString(16) + ':' + (n & 0xffff).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array(Math.max(0, fill)).fill('0'), ...tail];
  if (groups.length !== 8) return null;
  const bytes: number[] = [];
  for (const g of groups) {
    const v = parseInt(g, 16);
    if (!/^[0-9a-f]{1,4}$/.test(g) || Number.isNaN(v)) return null;
    bytes.push(v >> 8, v & 0xff);
  }
  return bytes;
}

const v4Of = (b: number[], at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const n = v4ToInt(ip);
    return V4_PRIVATE.some(([base, bits]) => (n >>> (32 - bits)) === (v4ToInt(base) >>> (32 - bits)));
  }
  const b = net.isIPv6(ip) ? v6Bytes(ip) : null;
  if (!b) return true; // not an address we understand: refuse
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 15) && (b[15] === 0 || b[15] === 1)) return true; // :: and ::1
  // IPv4 inside IPv6 (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16): judge the IPv4.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return isPrivateAddress(v4Of(b, 12));
  if (zeros(0, 12)) return isPrivateAddress(v4Of(b, 12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return isPrivateAddress(v4Of(b, 12));
  if (b[0] === 0x20 && b[1] === 0x02) return isPrivateAddress(v4Of(b, 2));
  if ((b[0] & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return true; // fec0::/10 site-local (deprecated)
  if (b[0] === 0xff) return true; // multicast
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return true; // 2001:db8::/32 documentation
  return false;
}

export class UrlRefused extends Error {}

/** Syntactic check of a URL we are asked to call later (webhook) or fetch now (media). */
export function checkUrl(raw: string, opts: GuardOptions, what = 'URL'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlRefused(`${what} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UrlRefused(`${what} must use https`);
  if (url.protocol === 'http:' && !opts.allowHttp) {
    throw new UrlRefused(`${what} must use https (plain http is allowed only with OPENZAP_ALLOW_HTTP_WEBHOOKS=true)`);
  }
  if (url.username || url.password) throw new UrlRefused(`${what} must not carry credentials`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (net.isIP(host) && isPrivateAddress(host)))) {
    throw new UrlRefused(`${what} points at a private or loopback address (allowed only with OPENZAP_ALLOW_PRIVATE_URLS=true)`);
  }
  return url;
}

/** An undici dispatcher whose DNS lookups refuse private addresses (unless allowed). */
export function guardedAgent(opts: GuardOptions & { connections?: number; timeoutMs: number }): Agent {
  const lookup: net.LookupFunction = (hostname, options, cb) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (cb as any)(err);
      const list = addresses as dns.LookupAddress[];
      const ok = opts.allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address));
      if (ok.length === 0) return (cb as any)(new UrlRefused(`${hostname} resolves to a private address`));
      if ((options as dns.LookupOptions).all) return (cb as any)(null, ok);
      return (cb as any)(null, ok[0].address, ok[0].family);
    });
  };
  return new Agent({
    connections: opts.connections ?? 128,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connect: { lookup, timeout: opts.timeoutMs },
  });
}
