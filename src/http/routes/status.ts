// Status area (zapi-reference.txt "Status"): post a text, image or video status (story,
// sent to status@broadcast) and answer a contact's status with text, a GIF or a sticker
// (a message to the contact quoting the status). Same registry and queue as the messages.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { badRequest } from '../../domain/errors.js';
import { fromJid } from '../../domain/phone.js';
import { sendRoute } from './messages/accept.js';
import { sameChat } from './messages/context.js';
import type { MessageContent } from '../../engines/content.js';
import { Delays, MB, MediaInput, Phone, Str, defineKind, delays, type BuildContext, type Outgoing } from './messages/kinds.js';
import { LIMITS, caption } from './messages/media.js';

export const STATUS_JID = 'status@broadcast';
/** WhatsApp's limit for a text status. */
const STATUS_TEXT_MAX = 700;
/** Documented: "The maximum size for videos in status is 10mb". */
const STATUS_VIDEO_MAX = 10 * MB;

const Caption = Type.Optional(Type.String({ maxLength: 1024, description: 'Caption' }));
const { delayMessage } = Delays;

/** A status post: to status@broadcast, listed in the queue under it. */
const post = (b: { delayMessage?: number }, content: MessageContent): Outgoing => ({ jid: STATUS_JID, phone: STATUS_JID, content, delayMessage: b.delayMessage || undefined });

const sendTextStatus = defineKind({
  path: '/send-text-status',
  summary: 'Post a text status',
  doc: 13814,
  body: Type.Object({ message: Str(1, STATUS_TEXT_MAX, 'Status text'), delayMessage }),
  async build(b) {
    return post(b, { type: 'text', text: b.message });
  },
});

const sendImageStatus = defineKind({
  path: '/send-image-status',
  summary: 'Post an image status',
  doc: 13874,
  body: Type.Object({ image: MediaInput('The image'), caption: Caption, delayMessage }),
  async build(b, ctx) {
    const media = await ctx.media(b.image, { field: 'image', expect: 'image/', maxBytes: LIMITS.image });
    return post(b, { type: 'image', media, ...caption(b.caption) });
  },
});

const sendVideoStatus = defineKind({
  path: '/send-video-status',
  summary: 'Post a video status (10 MB at most)',
  doc: 14128,
  body: Type.Object({ video: MediaInput('The video'), caption: Caption, delayMessage }),
  async build(b, ctx) {
    const media = await ctx.media(b.video, { field: 'video', expect: 'video/', maxBytes: STATUS_VIDEO_MAX });
    return post(b, { type: 'video', media, ...caption(b.caption) });
  },
});

const StatusMessageId = Str(1, 128, 'The status answered (from the received-message webhook)');

/**
 * The status answered: a status (status@broadcast) posted by the one we answer. Every id a
 * client can know came with a ReceivedCallback, recorded with the message in one transaction.
 */
async function statusOf(ctx: BuildContext, id: string, poster: string): Promise<string> {
  const m = await ctx.message(id, 'statusMessageId', { anyChat: true, theirs: true });
  if (m.chatJid !== STATUS_JID) throw badRequest(`statusMessageId ${id} is not a status but a message of chat ${fromJid(m.chatJid)}`, 'not-a-status');
  if (ctx.direction === 'send' && m.senderJid && !sameChat(m.senderJid, poster)) {
    throw badRequest(`statusMessageId ${id} was posted by ${fromJid(m.senderJid)}, not by ${fromJid(poster)}`, 'message-chat-mismatch');
  }
  return m.id;
}

/** An answer to a status: a message to `phone` quoting the status (checked first), its content made after. */
async function statusReply(
  b: { phone: string; statusMessageId: string; delayMessage?: number; delayTyping?: number },
  ctx: BuildContext,
  content: () => MessageContent | Promise<MessageContent>,
): Promise<Outgoing> {
  const jid = ctx.chat(b.phone);
  const quotedId = await statusOf(ctx, b.statusMessageId, jid);
  return { jid, content: await content(), quotedId, quotedIsStatus: true, ...delays(b) };
}

const replyStatusText = defineKind({
  path: '/reply-status-text',
  summary: 'Answer a status with text',
  doc: 13941,
  body: Type.Object({ phone: Phone, message: Str(1, 65_536, 'The answer'), statusMessageId: StatusMessageId, ...Delays }),
  build: (b, ctx) => statusReply(b, ctx, () => ({ type: 'text', text: b.message })),
});

const replyStatusGif = defineKind({
  path: '/reply-status-gif',
  summary: 'Answer a status with a GIF (MP4)',
  doc: 14003,
  body: Type.Object({ phone: Phone, gif: MediaInput('The GIF, as an MP4 file'), statusMessageId: StatusMessageId, ...Delays }),
  build: (b, ctx) =>
    statusReply(b, ctx, async () => ({ type: 'video', media: await ctx.media(b.gif, { field: 'gif', expect: 'video/mp4', maxBytes: LIMITS.video }), gif: true })),
});

const replyStatusSticker = defineKind({
  path: '/reply-status-sticker',
  summary: 'Answer a status with a sticker',
  doc: 14066,
  body: Type.Object({ phone: Phone, sticker: MediaInput('The sticker image'), statusMessageId: StatusMessageId, ...Delays }),
  build: (b, ctx) => statusReply(b, ctx, async () => ({ type: 'sticker', media: await ctx.media(b.sticker, { field: 'sticker', expect: 'image/', maxBytes: LIMITS.sticker }) })),
});

export const statusKinds = [sendTextStatus, sendImageStatus, sendVideoStatus, replyStatusText, replyStatusGif, replyStatusSticker];

export const statusRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const kind of statusKinds) sendRoute(app, kind, ['status']);
};
