// The port's message content → what Baileys sends: an AnyMessageContent for sendMessage, or
// (poll votes, event responses, interactive native-flow messages, which Baileys has no generator
// for) a hand-built message for relayMessage with the stanza node WhatsApp Web adds (<meta>, or
// <biz> for native flows: native-flow.ts). unsupportedReason() says, before a message is queued,
// which kinds WhatsApp Web through Baileys cannot send and why.
import {
  extractImageThumb,
  prepareWAMessageMedia,
  proto,
  type AnyMessageContent,
  type BinaryNode,
  type Product,
  type WAMediaUploadFunction,
  type WAMessage,
  type WAMessageKey,
  type WAUrlInfo,
} from 'baileys';
import { badRequest, notFound, Unsupported } from '../../domain/errors.js';
import { vCardOf } from '../../domain/vcard.js';
import type { MediaRef, MessageContent, MessageKey } from '../content.js';
import { buildNativeFlow, isNativeFlow } from './native-flow.js';
import { buildEventResponse, buildVote, pollOptions, secretOf, type OwnJids } from './secret-addons.js';

export const STATUS_JID = 'status@broadcast';

export type OutboundPlan =
  | { via: 'send'; content: AnyMessageContent }
  | {
      via: 'relay';
      message: proto.IMessage;
      additionalNodes: BinaryNode[];
      additionalAttributes?: Record<string, string>;
      /** The message takes a reply context (the request's quoted message) as sendMessage would give it. */
      replyable?: boolean;
      /** Quoted when the request quotes nothing else (an order update answers its order). */
      quote?: WAMessage;
    };

export interface OutDeps {
  /** The bytes of a media file (MediaPort.read). */
  read(ref: MediaRef): Promise<Buffer>;
  /** A message from the recent-message store: reactions, pins and votes name its exact key. */
  stored(id: string): Promise<WAMessage | undefined>;
  me(): OwnJids;
  /** A product of a business catalog (send-product gives ids only). */
  product(catalogJid: string, productId: string): Promise<Product | undefined>;
  /** Media upload (large link previews carry an uploaded image). */
  upload?: WAMediaUploadFunction;
  warn?: (obj: object, msg: string) => void;
}

export interface OutOptions {
  /** Replace our earlier message with this key (text only). */
  edit?: WAMessageKey;
  /** Shown as "Forwarded". */
  forwarded?: boolean;
}

const PAYMENT_UPDATE =
  'An order payment update cannot be sent through WhatsApp Web (Baileys): the order status flow (review_order) has no documented field for a payment status ' +
  'set by the seller, so the update would not say what it is meant to. Send an order status update (order-status-update) instead.';
const ONE_TO_ONE: ReadonlySet<string> = new Set(['pix', 'order', 'orderUpdate']);
const RECEIVED_ONLY =
  'Customer carts, payment requests, payments and payment declines are WhatsApp catalog and WhatsApp Pay flows that Baileys cannot start on a linked device; OpenZap only receives them.';
const ADMIN_INVITE =
  'Baileys 7 cannot create channel admin invites (it has no admin-invite query), so an invite message could not be accepted by its recipient.';
const STATUS_KINDS: ReadonlySet<string> = new Set(['text', 'image', 'video', 'audio']);
const CHANNEL_KINDS: ReadonlySet<string> = new Set(['text', 'link', 'image', 'video', 'audio', 'document', 'sticker']);

/** Why Baileys cannot send this content to `to`, or null when it can. */
export function unsupportedReason(content: MessageContent, to: string): string | null {
  switch (content.type) {
    case 'orderUpdate':
      if (content.update === 'payment') return PAYMENT_UPDATE;
      break;
    case 'newsletterAdminInvite':
      return ADMIN_INVITE;
    case 'cart':
    case 'paymentRequest':
    case 'paymentSent':
    case 'paymentDeclined':
      return RECEIVED_ONLY;
  }
  // Buttons, lists, OTP, carousels and payment flows are native-flow messages (native-flow.ts):
  // sent, though rendering on WhatsApp clients is not guaranteed (docs/capabilities.md).
  if (ONE_TO_ONE.has(content.type) && to.endsWith('@g.us')) {
    return `"${content.type}" messages are WhatsApp payment flows (PIX keys, orders), which WhatsApp has only in one-to-one chats, not in groups.`;
  }
  if (to === STATUS_JID && !STATUS_KINDS.has(content.type)) {
    return `A status (story) can be text, an image, a video or an audio; "${content.type}" cannot be posted as one.`;
  }
  if (to.endsWith('@newsletter') && !CHANNEL_KINDS.has(content.type)) {
    return `Channels take text, links, images, videos, audios, documents and stickers through Baileys; "${content.type}" is not one of them.`;
  }
  return null;
}

/** Drop undefined fields, so what Baileys receives is exactly what was meant. */
function clean<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

const FORWARDED: proto.IContextInfo = { isForwarded: true, forwardingScore: 1 };

/** The key WhatsApp knows a message by: the stored one (LID addressing, participant) when we have it. */
async function keyOf(target: MessageKey, deps: OutDeps): Promise<WAMessageKey> {
  const k = (await deps.stored(target.id))?.key;
  if (k) return clean({ remoteJid: k.remoteJid, fromMe: k.fromMe === true, id: target.id, participant: k.participant ?? undefined });
  return clean({ remoteJid: target.chatJid, fromMe: target.fromMe, id: target.id, participant: target.participant });
}

/** Voice notes play only as Opus in Ogg; WhatsApp expects the codec in the MIME type. */
function audioMime(ref: MediaRef, ptt: boolean): string {
  const base = ref.mimeType.split(';')[0].trim().toLowerCase();
  return ptt && base === 'audio/ogg' ? 'audio/ogg; codecs=opus' : ref.mimeType;
}

/** Stickers must be WebP; other images are converted when sharp is installed. */
async function stickerBytes(bytes: Buffer, ref: MediaRef): Promise<{ bytes: Buffer; animated: boolean }> {
  const isWebp = bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP';
  if (isWebp) return { bytes, animated: bytes.includes(Buffer.from('ANIM')) };
  let sharp: (typeof import('sharp'))['default'];
  try {
    sharp = (await import('sharp')).default;
  } catch {
    throw new Unsupported(`Stickers must be WebP (this file is ${ref.mimeType}); converting it needs the optional "sharp" package on the server.`);
  }
  const out = await sharp(bytes)
    .resize(512, 512, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .webp()
    .toBuffer()
    .catch(() => {
      throw badRequest(`The sticker (${ref.mimeType}) is not an image that can be converted to WebP`, 'invalid-media');
    });
  return { bytes: out, animated: false };
}

/** A link preview: the title, description and thumbnail we were given (nothing is fetched). */
async function linkPreview(url: string, title: string, description: string, image: MediaRef | undefined, large: boolean, deps: OutDeps): Promise<WAUrlInfo> {
  const info: WAUrlInfo = { 'canonical-url': url, 'matched-text': url, title, description };
  if (!image) return info;
  const bytes = await deps.read(image);
  if (large && deps.upload) {
    // A large preview is an uploaded image; Baileys builds it as its own link previews do.
    const { imageMessage } = await prepareWAMessageMedia({ image: bytes }, { upload: deps.upload, mediaTypeOverride: 'thumbnail-link' });
    if (imageMessage) {
      info.highQualityThumbnail = imageMessage;
      if (imageMessage.jpegThumbnail) info.jpegThumbnail = Buffer.from(imageMessage.jpegThumbnail);
      return info;
    }
  }
  try {
    info.jpegThumbnail = (await extractImageThumb(bytes, 192)).buffer;
  } catch (err) {
    // No image library, or not an image: the preview goes without its thumbnail.
    deps.warn?.({ err }, 'link preview thumbnail could not be made');
  }
  return info;
}

/** The text with the link in it: WhatsApp anchors the preview on the matched URL. */
const withUrl = (text: string | undefined, url: string) => (text?.includes(url) ? text : text ? `${text}\n${url}` : url);

const digitsOf = (jid: string) => jid.split('@')[0].split(':')[0];

async function productContent(c: Extract<MessageContent, { type: 'product' }>, deps: OutDeps): Promise<AnyMessageContent> {
  const listed = c.image && c.title ? undefined : await deps.product(c.catalogJid, c.productId);
  if (!c.image && !listed) throw notFound(`Product ${c.productId} is not in the catalog of ${digitsOf(c.catalogJid)}`, 'product-not-found');
  const imageUrl = listed ? Object.values(listed.imageUrls ?? {}).find((u) => /^https:\/\//.test(u)) : undefined;
  if (!c.image && !imageUrl) throw badRequest(`Product ${c.productId} has no image; WhatsApp product messages need one`);
  const price = c.price ?? listed?.price;
  const product = clean({
    productId: c.productId,
    title: c.title ?? listed?.name,
    description: c.description ?? listed?.description,
    currencyCode: c.currency ?? listed?.currency,
    priceAmount1000: typeof price === 'number' ? Math.round(price * 1000) : undefined,
    retailerId: listed?.retailerId,
    url: listed?.url,
    productImageCount: 1,
    productImage: c.image ? await deps.read(c.image) : { url: imageUrl! },
  });
  return { product, businessOwnerJid: c.catalogJid };
}

/** What Baileys sends for the port's content. */
export async function toOutbound(c: MessageContent, o: OutOptions, deps: OutDeps): Promise<OutboundPlan> {
  if (o.edit && c.type !== 'text') throw new Unsupported('Only text messages can be edited through WhatsApp Web (Baileys).');
  const reason = unsupportedReason(c, '');
  if (reason) throw new Unsupported(reason);
  const ctx = o.forwarded ? { ...FORWARDED } : undefined;
  const send = (content: Record<string, unknown>, withContext = true): OutboundPlan => {
    if (ctx && withContext) content.contextInfo = { ...((content.contextInfo as object) ?? {}), ...ctx };
    return { via: 'send', content: clean(content) as AnyMessageContent };
  };
  if (isNativeFlow(c)) {
    const flow = await buildNativeFlow(c, deps, ctx);
    return { via: 'relay', message: flow.message, additionalNodes: flow.additionalNodes, replyable: true, ...(flow.quote ? { quote: flow.quote } : {}) };
  }
  switch (c.type) {
    case 'text': {
      const out: Record<string, unknown> = { text: c.text };
      if (c.mentions?.length) out.mentions = c.mentions;
      // Group mentions travel in contextInfo; an edit is a protocolMessage, where they have no place.
      if (c.groupMentions?.length && !o.edit) {
        out.contextInfo = { groupMentions: c.groupMentions.map((g) => ({ groupJid: g.jid, groupSubject: g.subject })) };
      }
      if (o.edit) out.edit = o.edit;
      return send(out, !o.edit);
    }
    case 'link':
      return send({ text: withUrl(c.text, c.url), linkPreview: await linkPreview(c.url, c.title, c.description, c.image, c.large === true, deps) });
    case 'catalog': {
      // WhatsApp has no catalog message: it shares a catalog as its wa.me/c link, with a preview.
      const url = `https://wa.me/c/${digitsOf(c.catalogJid)}`;
      return send({ text: withUrl(c.text, url), linkPreview: await linkPreview(url, c.title ?? '', c.description ?? '', undefined, false, deps) });
    }
    case 'image':
      return send({ image: await deps.read(c.media), mimetype: c.media.mimeType, caption: c.caption, viewOnce: c.viewOnce || undefined, width: c.width, height: c.height });
    case 'sticker': {
      // Baileys writes no sticker-pack EXIF: `author` is not applied (docs/capabilities.md).
      const s = await stickerBytes(await deps.read(c.media), c.media);
      return send({ sticker: s.bytes, mimetype: 'image/webp', isAnimated: s.animated || undefined });
    }
    case 'video':
      return send({
        video: await deps.read(c.media),
        mimetype: c.media.mimeType,
        caption: c.caption,
        gifPlayback: c.gif || undefined,
        viewOnce: c.viewOnce || undefined,
        seconds: c.seconds,
      });
    case 'ptv':
      // Baileys passes only the bytes on for a PTV (round video note, video/mp4).
      return send({ video: await deps.read(c.media), ptv: true });
    case 'audio':
      return send({ audio: await deps.read(c.media), mimetype: audioMime(c.media, c.ptt), ptt: c.ptt, seconds: c.seconds, viewOnce: c.viewOnce || undefined });
    case 'document':
      return send({
        document: await deps.read(c.media),
        mimetype: c.media.mimeType,
        fileName: c.fileName,
        caption: c.caption,
        title: c.title,
        pageCount: c.pageCount,
      });
    case 'location':
      return send({
        location: clean({ degreesLatitude: c.latitude, degreesLongitude: c.longitude, name: c.name, address: c.address, url: c.url }),
      });
    case 'contacts': {
      if (c.contacts.length === 0) throw badRequest('At least one contact is needed');
      const displayName = c.contacts.length === 1 ? c.contacts[0].name : `${c.contacts.length} contacts`;
      return send({ contacts: { displayName, contacts: c.contacts.map((card) => ({ displayName: card.name, vcard: card.vcard || vCardOf(card) })) } });
    }
    case 'reaction':
      return send({ react: { text: c.emoji, key: await keyOf(c.target, deps) } }, false);
    case 'pin': {
      const type = c.action === 'pin' ? proto.PinInChat.Type.PIN_FOR_ALL : proto.PinInChat.Type.UNPIN_FOR_ALL;
      if (c.action === 'pin' && ![86400, 604800, 2592000].includes(c.durationSecs)) {
        throw badRequest('A pin lasts 86400 (24 h), 604800 (7 days) or 2592000 (30 days) seconds');
      }
      const out: Record<string, unknown> = { pin: await keyOf(c.target, deps), type };
      if (c.action === 'pin') out.time = c.durationSecs;
      return send(out, false);
    }
    case 'poll':
      // WhatsApp does not forward polls (and Baileys would file contextInfo under messageContextInfo):
      // a forwarded poll goes out as a new poll.
      return send({ poll: { name: c.question, values: c.options, selectableCount: c.maxOptions } }, false);
    case 'pollVote':
      return pollVote(c, deps);
    case 'event': {
      const loc = c.location;
      return send(
        {
          event: clean({
            name: c.name,
            description: c.description,
            startDate: new Date(c.startTime * 1000),
            location: loc ? clean({ name: loc.name, address: loc.address, degreesLatitude: loc.latitude, degreesLongitude: loc.longitude }) : undefined,
            // Baileys creates the call link itself (createCallLink); a given joinLink is not used.
            call: c.callLinkType ? (c.callLinkType === 'voice' ? 'audio' : 'video') : undefined,
            isCancelled: c.canceled,
          }),
        },
        false,
      );
    }
    case 'eventResponse':
      return eventResponse(c, deps);
    case 'product':
      return send((await productContent(c, deps)) as Record<string, unknown>, false);
    case 'buttonReply':
      return send({ buttonReply: { displayText: c.text, id: c.buttonId, index: 0 }, type: 'plain' }, false);
    case 'listReply':
      return send(
        {
          listReply: {
            title: c.title,
            description: c.text,
            listType: proto.Message.ListResponseMessage.ListType.SINGLE_SELECT,
            singleSelectReply: { selectedRowId: c.rowId },
          },
        },
        false,
      );
    default:
      // Every other kind was refused by unsupportedReason above.
      throw new Unsupported(`"${c.type}" messages cannot be sent through WhatsApp Web (Baileys).`);
  }
}

/** The stored poll or event an add-on answers, with its secret. */
async function parentOf(key: MessageKey, what: string, deps: OutDeps): Promise<{ parent: WAMessage; secret: Uint8Array }> {
  const parent = await deps.stored(key.id);
  if (!parent) throw notFound(`The ${what} (${key.id}) is no longer in the recent-message store: answering it needs its secret.`, 'message-not-found');
  const secret = secretOf(parent);
  if (!secret) throw badRequest(`Message ${key.id} is not a ${what} that can be answered (it carries no message secret)`);
  return { parent, secret };
}

async function pollVote(c: Extract<MessageContent, { type: 'pollVote' }>, deps: OutDeps): Promise<OutboundPlan> {
  const { parent, secret } = await parentOf(c.poll, 'poll', deps);
  const names = pollOptions(parent.message);
  if (!names) throw badRequest(`Message ${c.poll.id} is not a poll`);
  const unknown = c.options.filter((o) => !names.includes(o));
  if (unknown.length) throw badRequest(`Not options of the poll: ${unknown.join(', ')}`);
  const p = parent.message?.pollCreationMessage ?? parent.message?.pollCreationMessageV2 ?? parent.message?.pollCreationMessageV3;
  const max = p?.selectableOptionsCount ?? 0;
  if (max > 0 && c.options.length > max) throw badRequest(`The poll allows at most ${max} option(s)`);
  // WhatsApp Web marks a vote with <meta polltype="vote"/> (stanza type "poll", which Baileys sets).
  return { via: 'relay', message: buildVote(parent, secret, c.options, deps.me()), additionalNodes: [{ tag: 'meta', attrs: { polltype: 'vote' } }] };
}

async function eventResponse(c: Extract<MessageContent, { type: 'eventResponse' }>, deps: OutDeps): Promise<OutboundPlan> {
  const { parent, secret } = await parentOf(c.event, 'event', deps);
  if (!parent.message?.eventMessage) throw badRequest(`Message ${c.event.id} is not an event`);
  // WhatsApp Web sends responses as stanza type "event" with <meta event_type="response"/>.
  return {
    via: 'relay',
    message: buildEventResponse(parent, secret, c.response, deps.me()),
    additionalNodes: [{ tag: 'meta', attrs: { event_type: 'response' } }],
    additionalAttributes: { type: 'event' },
  };
}
