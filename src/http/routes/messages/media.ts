// Media sends: image, sticker, GIF, audio, video, PTV and documents (zapi-reference.txt
// "Send image" … "Send documents"). The file (URL or base64) is fetched into the media store
// before the message is queued, so a bad file is a 4xx now, not a failed send later.
import { Type } from '@sinclair/typebox';
import { mimeForExtension } from '../../../media/mime.js';
import type { MediaRef, MessageContent } from '../../../engines/content.js';
import { Delays, MB, MediaInput, Phone, ReplyTo, defineKind, delays, replyTo, type BuildContext, type MediaOptions, type Outgoing } from './kinds.js';

// The documentation defers to WhatsApp's own limits: 16 MB for photos, videos and voice
// notes, 100 KB–500 KB stickers (1 MB allowed here for unconverted PNGs), documents up to the
// store's configured maximum (OPENZAP_MEDIA_MAX_MB caps every limit).
export const LIMITS = { image: 16 * MB, sticker: 1 * MB, video: 16 * MB, audio: 16 * MB, document: 2048 * MB };

const Caption = (what: string) => Type.Optional(Type.String({ maxLength: 65_536, description: what }));
export const caption = (c: string | undefined) => (c ? { caption: c } : {});
const viewOnce = (v: boolean | undefined) => (v ? { viewOnce: true } : {});
const Async = Type.Optional(Type.Boolean({ description: 'Accepted; OpenZap always answers right after the file is stored (see docs/compatibility.md)' }));

/**
 * What every media send does: the chat, the quoted message checked, the file fetched or
 * decoded into the media store, then the content built around the stored file.
 */
async function mediaMessage(
  b: { phone: string; messageId?: string; delayMessage?: number; delayTyping?: number },
  ctx: BuildContext,
  input: string,
  opts: MediaOptions,
  content: (media: MediaRef) => MessageContent,
): Promise<Outgoing> {
  const jid = ctx.chat(b.phone);
  const quotedId = await replyTo(ctx, b);
  const media = await ctx.media(input, opts);
  return { jid, content: content(media), ...delays(b), quotedId };
}

const sendImage = defineKind({
  path: '/send-image',
  summary: 'Send an image',
  doc: 2055,
  body: Type.Object({ phone: Phone, image: MediaInput('The image'), caption: Caption('Caption'), viewOnce: Type.Optional(Type.Boolean()), ...ReplyTo, ...Delays }),
  build: (b, ctx) =>
    mediaMessage(b, ctx, b.image, { field: 'image', expect: 'image/', maxBytes: LIMITS.image }, (media) => ({ type: 'image', media, ...caption(b.caption), ...viewOnce(b.viewOnce) })),
});

const sendSticker = defineKind({
  path: '/send-sticker',
  summary: 'Send a sticker',
  doc: 2155,
  body: Type.Object({ phone: Phone, sticker: MediaInput('The sticker image'), stickerAuthor: Type.Optional(Type.String({ maxLength: 128 })), ...ReplyTo, ...Delays }),
  build: (b, ctx) =>
    mediaMessage(b, ctx, b.sticker, { field: 'sticker', expect: 'image/', maxBytes: LIMITS.sticker }, (media) => ({
      type: 'sticker',
      media,
      ...(b.stickerAuthor ? { author: b.stickerAuthor } : {}),
    })),
});

const sendGif = defineKind({
  path: '/send-gif',
  summary: 'Send a GIF (an MP4 played as a looping GIF)',
  doc: 2252,
  body: Type.Object({ phone: Phone, gif: MediaInput('The GIF, as an MP4 file'), caption: Caption('Caption'), ...ReplyTo, ...Delays }),
  // "The file must be an mp4": WhatsApp GIFs are MP4 videos played in a loop.
  build: (b, ctx) =>
    mediaMessage(b, ctx, b.gif, { field: 'gif', expect: 'video/mp4', maxBytes: LIMITS.video }, (media) => ({ type: 'video', media, gif: true, ...caption(b.caption) })),
});

const sendAudio = defineKind({
  path: '/send-audio',
  summary: 'Send an audio (voice note)',
  doc: 2335,
  body: Type.Object({
    phone: Phone,
    audio: MediaInput('The audio'),
    viewOnce: Type.Optional(Type.Boolean()),
    waveform: Type.Optional(Type.Boolean({ description: 'Show a waveform' })),
    async: Async,
    ...ReplyTo,
    ...Delays,
  }),
  // Z-API sends every audio as a voice note (PTT).
  build: (b, ctx) =>
    mediaMessage(b, ctx, b.audio, { field: 'audio', expect: 'audio/', maxBytes: LIMITS.audio }, (media) => ({
      type: 'audio',
      media,
      ptt: true,
      ...viewOnce(b.viewOnce),
      ...(b.waveform ? { waveform: true } : {}),
    })),
});

const sendVideo = defineKind({
  path: '/send-video',
  summary: 'Send a video',
  doc: 2426,
  body: Type.Object({
    phone: Phone,
    video: MediaInput('The video'),
    caption: Caption('Caption'),
    viewOnce: Type.Optional(Type.Boolean()),
    async: Async,
    ...ReplyTo,
    ...Delays,
  }),
  build: (b, ctx) =>
    mediaMessage(b, ctx, b.video, { field: 'video', expect: 'video/', maxBytes: LIMITS.video }, (media) => ({ type: 'video', media, ...caption(b.caption), ...viewOnce(b.viewOnce) })),
});

const sendPtv = defineKind({
  path: '/send-ptv',
  summary: 'Send a PTV (round video note)',
  doc: 2517,
  body: Type.Object({ phone: Phone, ptv: MediaInput('The video'), ...ReplyTo, ...Delays }),
  build: (b, ctx) => mediaMessage(b, ctx, b.ptv, { field: 'ptv', expect: 'video/', maxBytes: LIMITS.video }, (media) => ({ type: 'ptv', media })),
});

/** The name the recipient sees: the given one (with the extension added when it has none), else the URL's, else document.<ext>. */
function documentName(given: string | undefined, input: string, ext: string): string {
  const hasExt = (n: string) => /\.[A-Za-z0-9]{1,10}$/.test(n);
  if (given && given.trim() !== '') return hasExt(given.trim()) ? given.trim() : `${given.trim()}.${ext}`;
  if (/^https?:\/\//i.test(input)) {
    try {
      const last = decodeURIComponent(new URL(input).pathname.split('/').pop() ?? '');
      if (last.toLowerCase().endsWith(`.${ext.toLowerCase()}`)) return last;
    } catch {
      /* not a usable name: the default below */
    }
  }
  return `document.${ext}`;
}

const sendDocument = defineKind({
  path: '/send-document/:extension',
  summary: 'Send a document; {extension} gives its type and default name',
  doc: 2603,
  params: { extension: Type.String({ pattern: '^[A-Za-z0-9]{1,10}$', description: 'File extension, e.g. pdf' }) },
  body: Type.Object({
    phone: Phone,
    document: MediaInput('The document'),
    fileName: Type.Optional(Type.String({ maxLength: 200, description: 'Name shown to the recipient' })),
    caption: Caption('Description'),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const ext = ctx.params.extension.toLowerCase();
    const fileName = documentName(b.fileName, b.document.trim(), ext);
    return mediaMessage(b, ctx, b.document, { field: 'document', maxBytes: LIMITS.document, fileName, mimeType: mimeForExtension(ext) }, (media) => ({
      type: 'document',
      media,
      fileName,
      ...caption(b.caption),
    }));
  },
});

export const mediaKinds = [sendImage, sendSticker, sendGif, sendAudio, sendVideo, sendPtv, sendDocument];
