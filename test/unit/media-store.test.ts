import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { MediaStore } from '../../src/media/store.js';
import { guardedAgent } from '../../src/net/guard.js';
import { sniffMime } from '../../src/media/mime.js';
import { ApiError } from '../../src/domain/errors.js';
import { tempDir } from '../helpers/server.js';

// A 1×1 PNG, a minimal PDF header, an Ogg page header: real magic numbers.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
const OGG = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(60, 1)]);

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('media store', () => {
  let store: Store;
  let dir: string;
  let files: http.Server;
  let base: string;
  const served = new Map<string, { status?: number; type?: string; body?: Buffer; location?: string; disposition?: string }>();
  const agents: ReturnType<typeof guardedAgent>[] = [];

  function media(opts: { allowPrivate?: boolean; maxBytes?: number; retentionMs?: number; fetchTimeoutMs?: number } = {}): MediaStore {
    const agent = guardedAgent({ allowHttp: true, allowPrivate: opts.allowPrivate ?? true, timeoutMs: 2000 });
    agents.push(agent);
    return new MediaStore(store.db, {
      dir: path.join(dir, 'media'),
      publicBase: () => 'http://127.0.0.1:9999',
      maxBytes: opts.maxBytes ?? 1024 * 1024,
      retentionMs: opts.retentionMs ?? 30 * 86_400_000,
      allowPrivate: opts.allowPrivate ?? true,
      dispatcher: agent,
      fetchTimeoutMs: opts.fetchTimeoutMs ?? 2000,
    });
  }

  beforeAll(async () => {
    dir = tempDir();
    store = await openStore({ dataDir: dir, databaseUrl: null });
    files = http.createServer((req, res) => {
      const f = served.get(req.url ?? '');
      if (!f) return res.writeHead(404).end();
      const headers: Record<string, string> = {};
      if (f.type) headers['content-type'] = f.type;
      if (f.location) headers.location = f.location;
      if (f.disposition) headers['content-disposition'] = f.disposition;
      res.writeHead(f.status ?? 200, headers).end(f.body ?? '');
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    files?.close();
    await store?.close();
  });

  it('sniffs the formats WhatsApp media uses', () => {
    expect(sniffMime(PNG)).toBe('image/png');
    expect(sniffMime(PDF)).toBe('application/pdf');
    expect(sniffMime(OGG)).toBe('audio/ogg');
    expect(sniffMime(Buffer.from('plain words'))).toBeNull();
  });

  it('keeps a data: URI, serves the same bytes back, and names the file', async () => {
    const m = media();
    const ref = await m.ingest(`data:image/png;base64,${PNG.toString('base64')}`, { instanceId: 'I1', field: 'image', expect: 'image/' });
    expect(ref).toMatchObject({ mimeType: 'image/png', size: PNG.length, fileName: 'image.png' });
    expect(await m.read(ref.id)).toEqual(PNG);
    expect(m.url(ref)).toBe(`http://127.0.0.1:9999/media/${ref.id}/image.png`);
    // Bare base64 (no data: prefix) is accepted too, typed by its bytes.
    const bare = await m.ingest(PDF.toString('base64'), { instanceId: 'I1', field: 'document', fileName: 'report.pdf' });
    expect(bare).toMatchObject({ mimeType: 'application/pdf', fileName: 'report.pdf' });
  });

  it('fetches http URLs, preferring the bytes over a wrong Content-Type, and taking the name from the URL or Content-Disposition', async () => {
    served.set('/pics/cat.png', { type: 'application/octet-stream', body: PNG });
    served.set('/download?id=7', { type: 'application/pdf', body: PDF, disposition: 'attachment; filename="contract 7.pdf"' });
    const m = media();
    const img = await m.ingest(`${base}/pics/cat.png`, { instanceId: 'I1', field: 'image', expect: 'image/' });
    expect(img).toMatchObject({ mimeType: 'image/png', fileName: 'cat.png', size: PNG.length });
    expect(await m.read(img.id)).toEqual(PNG);
    const doc = await m.ingest(`${base}/download?id=7`, { instanceId: 'I1', field: 'document' });
    expect(doc).toMatchObject({ mimeType: 'application/pdf', fileName: 'contract 7.pdf' });
    expect(m.url(doc)).toMatch(/\/media\/[A-Za-z0-9_-]+\/contract%207\.pdf$/);
  });

  it('refuses what is not http(s) or base64, private targets when not allowed, and redirects to them', async () => {
    const m = media();
    expect((await refusal(m.ingest('file:///etc/passwd', { instanceId: 'I1', field: 'image' }))).statusCode).toBe(400);
    expect((await refusal(m.ingest('ftp://example.com/a.png', { instanceId: 'I1', field: 'image' }))).statusCode).toBe(400);
    expect((await refusal(m.ingest('not a url, not base64', { instanceId: 'I1', field: 'image' }))).statusCode).toBe(400);
    expect((await refusal(m.ingest('data:image/png,rawtext', { instanceId: 'I1', field: 'image' }))).statusCode).toBe(400);
    const strict = media({ allowPrivate: false });
    const priv = await refusal(strict.ingest(`${base}/pics/cat.png`, { instanceId: 'I1', field: 'image' }));
    expect(priv.statusCode).toBe(400);
    expect(priv.message).toMatch(/private/);
    expect((await refusal(strict.ingest('http://[::ffff:127.0.0.1]/x.png', { instanceId: 'I1', field: 'image' }))).statusCode).toBe(400);
    // A redirect is followed only to where the guard would go itself.
    served.set('/hop', { status: 302, location: 'file:///etc/passwd' });
    expect((await refusal(m.ingest(`${base}/hop`, { instanceId: 'I1', field: 'image' }))).statusCode).toBe(400);
    served.set('/hop2', { status: 302, location: '/pics/cat.png' });
    expect((await m.ingest(`${base}/hop2`, { instanceId: 'I1', field: 'image' })).mimeType).toBe('image/png');
  });

  it('enforces size limits for base64 and downloads, types when asked, and reports unreachable files as 4xx', async () => {
    const m = media({ maxBytes: 1000 });
    const big = Buffer.alloc(5000, 7);
    expect((await refusal(m.ingest(`data:image/png;base64,${big.toString('base64')}`, { instanceId: 'I1', field: 'image' }))).statusCode).toBe(413);
    served.set('/big.bin', { type: 'application/octet-stream', body: big });
    expect((await refusal(m.ingest(`${base}/big.bin`, { instanceId: 'I1', field: 'document' }))).statusCode).toBe(413);
    // A per-call limit below the configured one (e.g. status video 10 MB).
    expect((await refusal(media().ingest(`data:image/png;base64,${PNG.toString('base64')}`, { instanceId: 'I1', field: 'image', maxBytes: 10 }))).statusCode).toBe(413);
    expect((await refusal(m.ingest(`data:application/pdf;base64,${PDF.toString('base64')}`, { instanceId: 'I1', field: 'image', expect: 'image/' }))).statusCode).toBe(415);
    expect((await refusal(m.ingest(`${base}/missing.png`, { instanceId: 'I1', field: 'image' }))).statusCode).toBe(422);
    const before = (await store.db.selectFrom('media').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    await refusal(m.ingest(`${base}/big.bin`, { instanceId: 'I1', field: 'document' }));
    const after = (await store.db.selectFrom('media').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    expect(Number(after)).toBe(Number(before)); // nothing kept on refusal
  });

  it('limits the whole download in time, not only the gap between chunks', async () => {
    const drip = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(PNG.subarray(0, 4));
      const t = setInterval(() => res.write(Buffer.from([0])), 50); // a byte every 50 ms, forever
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => drip.listen(0, '127.0.0.1', r));
    try {
      const m = media({ fetchTimeoutMs: 300 });
      const err = await refusal(m.ingest(`http://127.0.0.1:${(drip.address() as AddressInfo).port}/slow.png`, { instanceId: 'I1', field: 'image' }));
      expect(err.statusCode).toBe(422);
      expect(err.message).toMatch(/within/);
    } finally {
      drip.closeAllConnections();
      drip.close();
    }
  });

  it('expires files after the retention: unreadable at once, pruned from disk', async () => {
    const m = media({ retentionMs: 50 });
    const ref = await m.put('I2', OGG, { mimeType: 'audio/ogg; codecs=opus', fileName: '../../voice.ogg' });
    expect(ref.fileName).toBe('voice.ogg'); // no path parts in names
    const file = m.pathOf(ref.id);
    expect(fs.existsSync(file)).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect((await refusal(m.read(ref.id))).statusCode).toBe(404);
    expect(await m.prune()).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(file)).toBe(false);
    expect(await m.info(ref.id)).toBeNull();
    expect(await m.info('../../etc/passwd')).toBeNull();
  });
});

describe('sniffing does not mistake common files', () => {
  it('UTF-16 text, text starting "BM", HEIC/AVIF photos', () => {
    expect(sniffMime(Buffer.from([0xff, 0xfe, 0x48, 0x00, 0x69, 0x00]))).toBeNull(); // UTF-16LE "Hi"
    expect(sniffMime(Buffer.from('BMW,Audi,Volkswagen,Mercedes\n'))).toBeNull();
    const ftyp = (brand: string) => Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from(`ftyp${brand}\0\0\0\0mif1`, 'latin1')]);
    expect(sniffMime(ftyp('heic'))).toBe('image/heic');
    expect(sniffMime(ftyp('avif'))).toBe('image/avif');
    expect(sniffMime(ftyp('isom'))).toBe('video/mp4');
    expect(sniffMime(Buffer.from([0xff, 0xfb, 0x90, 0x64]))).toBe('audio/mpeg'); // an MPEG-1 layer III frame header
    const bmp = Buffer.alloc(30);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);
    expect(sniffMime(bmp)).toBe('image/bmp');
  });
});
