// Media sends: image, sticker, GIF, audio, video, PTV and documents (zapi-reference.txt
// "Send image" … "Send documents"). The file (URL or base64) is fetched into the media store
// before the message is queued, so a bad file is a 4xx now, not a failed send later.
import { Type } from '@sinclair/typebox';
import { mimeForExtension } from '../../../media/mime.js';
import { Delays, MB, MediaInput, Phone, ReplyTo, defineKind, delays, type BuildContext } from './kinds.js';

// The documentation defers to WhatsApp's own limits: 16 MB for photos, videos and voice
// notes, 100 KB–500 KB stickers (1 MB allowed here for unconverted PNGs), documents up to the
// store's configured maximum (OPENZAP_MEDIA_MAX_MB caps every limit).
export const LIMITS = { image: 16 * MB, sticker: 1 * MB, video: 16 * MB, audio: 16 * MB, document: 2048 * MB };

const Caption = (what: string) => Type.Optional(Type.String({ maxLength: 65_536, description: what }));
const caption = (c: string | undefined) => (c ? { caption: c } : {});

async function replyTo(ctx: BuildContext, id: string | undefined): Promise<string | undefined> {
  if (id) await ctx.message(id, 'messageId');
  return id;
}

const sendImage = defineKind({
  path: '/send-image',
  summary: 'Send an image',
  doc: 2055,
  body: Type.Object({ phone: Phone, image: MediaInput('The image'), caption: Caption('Caption'), viewOnce: Type.Optional(Type.Boolean()), ...ReplyTo, ...Delays }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const quotedId = await replyTo(ctx, b.messageId);
    const media = await ctx.media(b.image, { field: 'image', expect: 'image/', maxBytes: LIMITS.image });
    return { jid, content: { type: 'image', media, ...caption(b.caption), ...(b.viewOnce ? { viewOnce: true } : {}) }, ...delays(b), quotedId };
  },
});

const sendSticker = defineKind({
  path: '/send-sticker',
  summary: 'Send a sticker',
  doc: 2155,
  body: Type.Object({ phone: Phone, sticker: MediaInput('The sticker image'), stickerAuthor: Type.Optional(Type.String({ maxLength: 128 })), ...ReplyTo, ...Delays }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const quotedId = await replyTo(ctx, b.messageId);
    const media = await ctx.media(b.sticker, { field: 'sticker', expect: 'image/', maxBytes: LIMITS.sticker });
    return { jid, content: { type: 'sticker', media, ...(b.stickerAuthor ? { author: b.stickerAuthor } : {}) }, ...delays(b), quotedId };
  },
});

const sendGif = defineKind({
  path: '/send-gif',
  summary: 'Send a GIF (an MP4 played as a looping GIF)',
  doc: 2252,
  body: Type.Object({ phone: Phone, gif: MediaInput('The GIF, as an MP4 file'), caption: Caption('Caption'), ...ReplyTo, ...Delays }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const quotedId = await replyTo(ctx, b.messageId);
    // "The file must be an mp4": WhatsApp GIFs are MP4 videos played in a loop.
    const media = await ctx.media(b.gif, { field: 'gif', expect: 'video/mp4', maxBytes: LIMITS.video });
    return { jid, content: { type: 'video', media, gif: true, ...caption(b.caption) }, ...delays(b), quotedId };
  },
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
    async: Type.Optional(Type.Boolean({ description: 'Accepted; OpenZap always answers right after the file is stored (see docs/compatibility.md)' })),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const quotedId = await replyTo(ctx, b.messageId);
    const media = await ctx.media(b.audio, { field: 'audio', expect: 'audio/', maxBytes: LIMITS.audio });
    return {
      jid,
      // Z-API sends every audio as a voice note (PTT).
      content: { type: 'audio', media, ptt: true, ...(b.viewOnce ? { viewOnce: true } : {}), ...(b.waveform ? { waveform: true } : {}) },
      ...delays(b),
      quotedId,
    };
  },
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
    async: Type.Optional(Type.Boolean({ description: 'Accepted; OpenZap always answers right after the file is stored (see docs/compatibility.md)' })),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const quotedId = await replyTo(ctx, b.messageId);
    const media = await ctx.media(b.video, { field: 'video', expect: 'video/', maxBytes: LIMITS.video });
    return { jid, content: { type: 'video', media, ...caption(b.caption), ...(b.viewOnce ? { viewOnce: true } : {}) }, ...delays(b), quotedId };
  },
});

const sendPtv = defineKind({
  path: '/send-ptv',
  summary: 'Send a PTV (round video note)',
  doc: 2517,
  body: Type.Object({ phone: Phone, ptv: MediaInput('The video'), ...ReplyTo, ...Delays }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const quotedId = await replyTo(ctx, b.messageId);
    const media = await ctx.media(b.ptv, { field: 'ptv', expect: 'video/', maxBytes: LIMITS.video });
    return { jid, content: { type: 'ptv', media }, ...delays(b), quotedId };
  },
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
    const jid = ctx.chat(b.phone);
    const ext = ctx.params.extension.toLowerCase();
    const quotedId = await replyTo(ctx, b.messageId);
    const fileName = documentName(b.fileName, b.document.trim(), ext);
    const media = await ctx.media(b.document, { field: 'document', maxBytes: LIMITS.document, fileName, mimeType: mimeForExtension(ext) });
    return { jid, content: { type: 'document', media, fileName, ...caption(b.caption) }, ...delays(b), quotedId };
  },
});

export const mediaKinds = [sendImage, sendSticker, sendGif, sendAudio, sendVideo, sendPtv, sendDocument];
