// Received media: downloaded at once and kept in the media store before the message event goes
// out, on the same durable path as text (raw message stored first, events in order). A failed
// download still reports the message, without the file (MediaRef.id ''), and is logged.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { proto, type WAMessage } from 'baileys';
import type { Store } from '../../src/store/db.js';
import type { IncomingMessage } from '../../src/engines/engine.js';
import type { DownloadRequest } from '../../src/engines/baileys/media-in.js';
import { connected, makeEngine, memoryMedia, settle, testStore, type EngineHarness, type FakeSocket, type MemoryMedia } from './fake-socket.js';

const CONTACT_JID = '5511987654321@s.whatsapp.net';
const T = 1_760_000_000;
const KEY = Buffer.alloc(32, 2);

let store: Store;
let h: EngineHarness;
let sock: FakeSocket;
let media: MemoryMedia;
let logs: Record<string, unknown>[];
const download = vi.fn(async (req: DownloadRequest) => Buffer.from(`bytes of ${req.source.directPath}`));

beforeEach(async () => {
  download.mockClear();
  logs = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      cb();
    },
  });
  store = await testStore();
  media = memoryMedia();
  h = makeEngine(store.db, { downloadMedia: download, media, logger: pino({ level: 'warn' }, sink) });
  sock = await connected(h);
  h.events.length = 0;
});
afterEach(async () => {
  await h.engine.close();
  await store.close();
});

function image(id: string, path: string | null, extra: object = {}): WAMessage {
  return proto.WebMessageInfo.fromObject({
    key: { remoteJid: CONTACT_JID, fromMe: false, id },
    message: { imageMessage: { ...(path ? { url: `https://mmg.whatsapp.net${path}`, directPath: path, mediaKey: KEY } : {}), mimetype: 'image/jpeg', fileLength: 2048, caption: id, ...extra } },
    messageTimestamp: T,
    pushName: 'Maria',
  }) as WAMessage;
}

const messages = () => h.events.filter((e) => e.name === 'message').map((e) => e.args as IncomingMessage);

async function upsert(msgs: WAMessage[]) {
  sock.ev.emit('messages.upsert', { messages: msgs, type: 'notify' });
  await h.engine.idle();
  await settle();
}

describe('received media', () => {
  it('the bytes the downloader returned are in the media port, under this instance, before the event', async () => {
    let keptWhenEmitted = 0;
    h.engine.events.on('message', () => (keptWhenEmitted = media.files.size));
    await upsert([image('3EB0IMGOK1', '/v/ok1')]);
    const [m] = messages();
    const ref = (m.content as { media: { id: string } }).media;
    expect(await media.read(ref.id)).toEqual(Buffer.from('bytes of /v/ok1'));
    expect(media.put).toHaveBeenCalledWith('A'.repeat(32), Buffer.from('bytes of /v/ok1'), { mimeType: 'image/jpeg' });
    expect(keptWhenEmitted).toBe(1);
    expect(m.content).toMatchObject({ media: { mimeType: 'image/jpeg', size: 'bytes of /v/ok1'.length } });
  });

  it('a failed download: the message is still reported, with the declared type and size and no file; the failure is logged', async () => {
    download.mockRejectedValueOnce(Object.assign(new Error('Failed to fetch stream'), { status: 403 }));
    await upsert([image('3EB0IMGBAD', '/v/bad'), image('3EB0IMGOK2', '/v/ok2')]);
    const [bad, ok] = messages();
    expect(bad).toMatchObject({ id: '3EB0IMGBAD', content: { type: 'image', caption: '3EB0IMGBAD', media: { id: '', mimeType: 'image/jpeg', size: 2048 } } });
    expect(ok).toMatchObject({ id: '3EB0IMGOK2', content: { media: { id: expect.stringMatching(/^media/) } } });
    expect(logs).toContainEqual(expect.objectContaining({ id: '3EB0IMGBAD', mediaType: 'image', msg: expect.stringMatching(/could not be downloaded/) }));
  });

  it('the media store refusing the file (too large) is handled like a failed download', async () => {
    media.put.mockRejectedValueOnce(Object.assign(new Error('The file is larger than OPENZAP_MEDIA_MAX_MB allows'), { statusCode: 413 }));
    await upsert([image('3EB0IMGBIG', '/v/big')]);
    expect(messages()[0]).toMatchObject({ content: { media: { id: '', size: 2048 } } });
    expect(logs).toContainEqual(expect.objectContaining({ id: '3EB0IMGBIG' }));
  });

  it('a message without a media location is not sent to the downloader', async () => {
    await upsert([image('3EB0NOPATH', null)]);
    expect(download).not.toHaveBeenCalled();
    expect(messages()[0]).toMatchObject({ content: { media: { id: '' } } });
  });

  it('media arrives on the durable path: raw message stored at once, events in arrival order, a replay not reported (nor downloaded) twice', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    download.mockImplementationOnce(async (req) => {
      await gate;
      return Buffer.from(`late ${req.source.directPath}`);
    });
    sock.ev.emit('messages.upsert', { messages: [image('3EB0SLOW01', '/v/slow'), image('3EB0FAST02', '/v/fast')], type: 'notify' });
    await settle();
    expect((await h.engine.store.message('3EB0SLOW01'))?.message?.imageMessage?.directPath).toBe('/v/slow');
    expect((await h.engine.store.message('3EB0FAST02'))?.message?.imageMessage?.directPath).toBe('/v/fast');
    expect(messages()).toEqual([]);
    release();
    await h.engine.idle();
    expect(messages().map((m) => m.id)).toEqual(['3EB0SLOW01', '3EB0FAST02']);
    await upsert([image('3EB0SLOW01', '/v/slow')]);
    expect(messages()).toHaveLength(2);
    expect(download).toHaveBeenCalledTimes(2);
  });

  it('our own API sends are not downloaded back (their echo is not a received message)', async () => {
    const ref = await media.add(Buffer.from('jpeg bytes'), 'image/jpeg');
    await h.engine.messages.send({ id: '3EB0APIIMG1', to: CONTACT_JID, content: { type: 'image', media: ref } });
    const echo = (await sock.sendMessage.mock.results[0].value) as WAMessage;
    await upsert([echo]);
    expect(messages()).toEqual([]);
    expect(download).not.toHaveBeenCalled();
  });
});

describe('played receipts', () => {
  it('"played" (status 5) of our audio → PLAYED, after READ too (statuses only go up)', async () => {
    const key = { remoteJid: CONTACT_JID, fromMe: true, id: '3EB0AUDIO01' };
    sock.ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.READ, messageTimestamp: T } }]);
    sock.ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.PLAYED, messageTimestamp: T + 1 } }]);
    sock.ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.READ, messageTimestamp: T + 2 } }]);
    await h.engine.idle();
    expect(h.events.filter((e) => e.name === 'messageStatus').map((e) => (e.args as { status: string }).status)).toEqual(['READ', 'PLAYED']);
  });
});
