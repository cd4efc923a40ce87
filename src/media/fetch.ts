// Reading a client's media input: an http(s) URL fetched through the outbound guard
// (DESIGN.md §6: scheme, private addresses at DNS time, size and time limits), or a
// data: URI / bare base64 decoded in memory. Any problem is a 4xx naming the field.
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { ApiError, badRequest } from '../domain/errors.js';
import { checkUrl, UrlRefused } from '../net/guard.js';

export interface Loaded {
  bytes: Buffer;
  /** What the source said the type is (Content-Type or the data: URI), if anything. */
  declaredMime: string | null;
  /** A name from Content-Disposition or the URL path, if any. */
  fileName: string | null;
}

export interface FetchLimits {
  maxBytes: number;
  /** The whole download (redirects included), not only the gap between chunks. */
  timeoutMs: number;
  allowPrivate: boolean;
  dispatcher: Dispatcher;
}

const tooLarge = (field: string, max: number) =>
  new ApiError(413, 'media-too-large', `${field} is larger than the ${Math.floor(max / 1024 / 1024 || 1)} MB allowed for it`);

/** data:[<mime>][;param]*;base64,<data> — or, as Z-API accepts for some fields, bare base64. */
export function decodeInline(input: string, field: string, maxBytes: number): Loaded {
  let mime: string | null = null;
  let data = input;
  if (input.startsWith('data:')) {
    const comma = input.indexOf(',');
    if (comma < 0) throw badRequest(`${field} is a data: URI without data`, 'invalid-media');
    const meta = input.slice(5, comma).split(';');
    if (!meta.includes('base64')) throw badRequest(`${field}: only base64 data: URIs are accepted`, 'invalid-media');
    mime = meta[0] || null;
    data = input.slice(comma + 1);
  }
  data = data.replace(/\s+/g, '');
  // Decoded size, before decoding anything: 3 bytes per 4 characters.
  if (Math.floor((data.length * 3) / 4) - 2 > maxBytes) throw tooLarge(field, maxBytes);
  if (data.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(data)) {
    throw badRequest(`${field} must be an http(s) URL or base64 data (data:<mime>;base64,…)`, 'invalid-media');
  }
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) throw badRequest(`${field} is empty`, 'invalid-media');
  if (bytes.length > maxBytes) throw tooLarge(field, maxBytes);
  return { bytes, declaredMime: mime, fileName: null };
}

function nameFromDisposition(header: string | string[] | undefined): string | null {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return null;
  const star = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(h);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through to the plain form */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(h);
  return plain ? plain[1].trim() : null;
}

function nameFromPath(url: URL): string | null {
  const last = url.pathname.split('/').pop() ?? '';
  try {
    const name = decodeURIComponent(last);
    return /\.[A-Za-z0-9]{1,8}$/.test(name) ? name : null;
  } catch {
    return null;
  }
}

/** GET the URL through the guarded dispatcher, refusing redirects to anywhere the guard would refuse. */
export async function fetchUrl(raw: string, field: string, limits: FetchLimits): Promise<Loaded> {
  let url: URL;
  try {
    url = checkUrl(raw, { allowHttp: true, allowPrivate: limits.allowPrivate }, field);
  } catch (err) {
    throw badRequest((err as Error).message, 'invalid-media-url');
  }
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const timedOut = () => new ApiError(422, 'media-unreachable', `${field} could not be downloaded within ${Math.round(limits.timeoutMs / 1000)} s`);
  for (let hop = 0; hop < 5; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', dispatcher: limits.dispatcher, headers: { 'user-agent': 'OpenZap media fetch' }, signal });
    } catch (err) {
      if (signal.aborted) throw timedOut();
      const refused = err instanceof UrlRefused || (err as { cause?: unknown }).cause instanceof UrlRefused;
      if (refused) throw badRequest(`${field} points at a private address (allowed only with OPENZAP_ALLOW_PRIVATE_URLS=true)`, 'invalid-media-url');
      throw new ApiError(422, 'media-unreachable', `${field} could not be downloaded: ${(err as Error).message}`);
    }
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      await res.body.dump();
      try {
        url = checkUrl(new URL(String(res.headers.location), url).toString(), { allowHttp: true, allowPrivate: limits.allowPrivate }, field);
      } catch (err) {
        throw badRequest(`${field} redirects somewhere not allowed: ${(err as Error).message}`, 'invalid-media-url');
      }
      continue;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new ApiError(422, 'media-unreachable', `${field} could not be downloaded: the server answered HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await res.body.dump();
      throw tooLarge(field, limits.maxBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > limits.maxBytes) {
          res.body.destroy();
          throw tooLarge(field, limits.maxBytes);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (signal.aborted) throw timedOut();
      throw new ApiError(422, 'media-unreachable', `${field} could not be downloaded: ${(err as Error).message}`);
    }
    if (size === 0) throw new ApiError(422, 'media-unreachable', `${field} is an empty file`);
    const type = res.headers['content-type'];
    return {
      bytes: Buffer.concat(chunks, size),
      declaredMime: (Array.isArray(type) ? type[0] : type) ?? null,
      fileName: nameFromDisposition(res.headers['content-disposition']) ?? nameFromPath(url),
    };
  }
  throw new ApiError(422, 'media-unreachable', `${field} redirects too many times`);
}
