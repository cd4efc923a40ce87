// GET /media/{id}/{name}: the files OpenZap hands out in webhooks. Safe types are shown
// inline with their type; anything else (HTML, SVG …) is a sandboxed download.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SAMPLES } from '../helpers/media-samples.js';

describe('media links', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('serves a kept image inline with its type, and the same bytes', async () => {
    const media = server.oz.ctx.media;
    const ref = await media.put('I', SAMPLES.png, { mimeType: 'image/png', fileName: 'logo.png' });
    const res = await fetch(media.url(ref));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''logo.png");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(SAMPLES.png);
  });

  it('never serves a sent HTML or SVG file as a page of this origin', async () => {
    const media = server.oz.ctx.media;
    for (const [mimeType, fileName, bytes] of [
      ['text/html', 'invoice.html', Buffer.from('<script>alert(document.cookie)</script>')],
      ['image/svg+xml', 'x.svg', SAMPLES.svg],
    ] as const) {
      const ref = await media.put('I', Buffer.from(bytes), { mimeType, fileName });
      const res = await fetch(media.url(ref));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(res.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(bytes));
    }
  });

  it('answers 404 JSON for an unknown or malformed id', async () => {
    for (const path of ['/media/AAAAAAAAAAAAAAAAAAAAAAAA/x.png', '/media/..%2F..%2Fetc%2Fpasswd', '/media/short']) {
      const res = await fetch(server.url + path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
  });
});
