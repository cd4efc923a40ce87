// Small media files with real magic numbers, and a file server on 127.0.0.1 serving them,
// for tests that send media by URL (the server must run with OPENZAP_ALLOW_PRIVATE_URLS=true).
import { LocalServer } from './local-server.js';

const box = (type: string, body: Buffer) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
};

export const SAMPLES = {
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'),
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF sample bytes for tests'), Buffer.from([0xff, 0xd9])]),
  webp: Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(18, 3)]),
  mp4: Buffer.concat([box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1')), box('mdat', Buffer.alloc(64, 5))]),
  ogg: Buffer.concat([Buffer.from('OggS'), Buffer.from([0, 2]), Buffer.alloc(58, 9)]),
  mp3: Buffer.concat([Buffer.from('ID3'), Buffer.from([3, 0, 0, 0, 0, 0, 10]), Buffer.alloc(40, 1)]),
  pdf: Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>'),
} as const;

export type SampleKind = keyof typeof SAMPLES;

export const SAMPLE_MIME: Record<SampleKind, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  mp4: 'video/mp4',
  ogg: 'audio/ogg',
  mp3: 'audio/mpeg',
  pdf: 'application/pdf',
  svg: 'image/svg+xml',
};

export const dataUri = (kind: SampleKind) => `data:${SAMPLE_MIME[kind]};base64,${SAMPLES[kind].toString('base64')}`;

/** Serves /<name>.<kind> (e.g. /logo.png, /clip.mp4) with the sample of that kind; counts requests. */
export class MediaFileServer extends LocalServer {
  readonly requests: string[] = [];

  /** URL of a sample: fileUrl('mp4', 'clip') → http://127.0.0.1:port/clip.mp4 */
  fileUrl(kind: SampleKind, name = 'sample'): string {
    return `${this.url}/${name}.${kind}`;
  }

  async start(): Promise<this> {
    await this.listen((req, res) => {
      this.requests.push(req.url ?? '');
      const m = /\.([a-z0-9]+)(?:\?.*)?$/.exec(req.url ?? '');
      const kind = m?.[1] as SampleKind | undefined;
      if (!kind || !(kind in SAMPLES)) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': SAMPLE_MIME[kind], 'content-length': SAMPLES[kind].length }).end(SAMPLES[kind]);
    });
    return this;
  }
}
