// A received proto.IMessage → the port's message content. Pure mapping: the media a message
// carries is listed (MediaPart) for media-in.ts to download and keep, poll votes and event
// responses are flagged (AddOn) for inbound.ts to decrypt against their stored parent, and
// carts and payment answers are flagged for inbound.ts to complete (the cart's lines come from
// an order-details query, a decline's amount from the stored request).
// Business templates and interactive messages are mapped in content-in-business.ts.
//
// What does not map:
// - protocol and system messages (revokes, key shares, history notices, album headers whose
//   items arrive as their own messages, encrypted community reactions and comments, event
//   edits, placeholders, payment request cancellations) are skipped: null, no event;
// - a message a person sent whose kind the content model cannot hold (a scheduled call, a poll
//   results share, a status mention, an unknown future type) becomes a text with a note
//   "[unsupported message: <type>]", so the integration still learns that something arrived
//   and can answer it.
import { getContentType, proto, toNumber, type DownloadableMessage, type MediaType } from 'baileys';
import type { AdReply, CartContent, ContactCard, MediaRef, MessageContent, MessageKey, PaymentInfo } from '../content.js';
import { BUSINESS_KINDS, clean, mapBusiness, type MediaFinder } from './content-in-business.js';

/** A file a message carries: downloaded (or taken inline) and kept by media-in.ts, which fills `ref` in place. */
export interface MediaPart {
  /** Until the bytes are kept: id '' with what WhatsApp declared (type, size, name). */
  ref: MediaRef;
  /** Where to download it from (mediaKey, directPath, url); absent for inline bytes. */
  source?: DownloadableMessage;
  mediaType: MediaType;
  /** Bytes carried in the message itself (link preview thumbnails). */
  inline?: Uint8Array;
  /** The message's own media (Baileys can ask the phone to re-upload it when the link expired). */
  topLevel: boolean;
}

export type AddOn =
  | { kind: 'pollVote'; update: proto.Message.IPollUpdateMessage }
  | { kind: 'eventResponse'; enc: proto.Message.IEncEventResponseMessage }
  /** A cart: its lines are read with the order id and token (reported without them when that fails). */
  | { kind: 'cart'; orderId: string; token: string; totalAmount1000?: number }
  /** A payment or decline answering a request: its amount comes from the stored request, when there. */
  | { kind: 'paymentOf'; requestId: string };

export interface InboundContent {
  content: MessageContent;
  contextInfo: proto.IContextInfo | null;
  /** Set for an edit: the id of the message whose content changed. */
  editOf?: string;
  /** Came in a view-once wrapper (or flagged view-once). */
  viewOnce: boolean;
  media: MediaPart[];
  /** Message keys inside the content (reaction, pin, vote targets): their jids get resolved to phones. */
  keys: MessageKey[];
  /** Other jids inside the content (a cart's seller, who pays, who receives): resolved to phones the same way. */
  jids: JidSlot[];
  /** An encrypted poll vote or event response: the content is filled in once decrypted. */
  addOn?: AddOn;
}

/** Kinds that are protocol or system traffic, not something a person sent: no event. */
const SKIPPED: ReadonlySet<string> = new Set([
  'protocolMessage',
  'keepInChatMessage',
  'encReactionMessage',
  'encCommentMessage',
  'secretEncryptedMessage',
  'albumMessage',
  'placeholderMessage',
  'botInvokeMessage',
  'messageHistoryBundle',
  'messageHistoryNotice',
  'highlyStructuredMessage',
  'fastRatchetKeySenderKeyDistributionMessage',
  'deviceSentMessage',
  'cancelPaymentRequestMessage',
]);

const num = (v: number | Long | null | undefined): number | undefined => (v == null ? undefined : toNumber(v));
const str = (v: string | null | undefined): string | undefined => (v == null || v === '' ? undefined : v);

type Long = Parameters<typeof toNumber>[0];

/** A jid inside the content, and how to write its resolved form back. */
export interface JidSlot {
  jid: string;
  set(jid: string): void;
}
type MediaProto = {
  mimetype?: string | null;
  fileLength?: number | Long | null;
  url?: string | null;
  directPath?: string | null;
  mediaKey?: Uint8Array | null;
  viewOnce?: boolean | null;
};

const DEFAULT_MIME: Partial<Record<MediaType, string>> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  ptv: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  sticker: 'image/webp',
  document: 'application/octet-stream',
  'thumbnail-link': 'image/jpeg',
};

/** Collects the media parts and inner keys while a message is mapped. */
class Found implements MediaFinder {
  readonly media: MediaPart[] = [];
  readonly keys: MessageKey[] = [];
  readonly jids: JidSlot[] = [];

  /** Note a jid the content holds (written back resolved); '' stays ''. */
  jid<T extends object, K extends keyof T & string>(o: T, field: K): void {
    const v = o[field];
    if (typeof v === 'string' && v) this.jids.push({ jid: v, set: (jid) => ((o as Record<string, unknown>)[field] = jid) });
  }

  file(p: MediaProto, mediaType: MediaType, topLevel = false, fileName?: string): MediaRef {
    const ref: MediaRef = { id: '', mimeType: str(p.mimetype) ?? DEFAULT_MIME[mediaType] ?? 'application/octet-stream', size: num(p.fileLength) ?? 0 };
    if (fileName) ref.fileName = fileName;
    this.media.push({ ref, mediaType, topLevel, source: { mediaKey: p.mediaKey, directPath: p.directPath, url: p.url } });
    return ref;
  }

  inline(bytes: Uint8Array, mimeType: string): MediaRef {
    const ref: MediaRef = { id: '', mimeType, size: bytes.length };
    this.media.push({ ref, mediaType: 'thumbnail-link', topLevel: false, inline: bytes });
    return ref;
  }

  /** A placeholder for a card image the message does not carry (CarouselCard needs one). */
  missing(mimeType: string): MediaRef {
    return { id: '', mimeType, size: 0 };
  }

  key(k: proto.IMessageKey | null | undefined): MessageKey {
    const key: MessageKey = { id: k?.id ?? '', chatJid: k?.remoteJid ?? '', fromMe: k?.fromMe === true };
    if (k?.participant) key.participant = k.participant;
    this.keys.push(key);
    return key;
  }
}

/** Unwrap ephemeral, view-once, document-with-caption, edited and similar wrappers, noting view-once. */
function unwrap(message: proto.IMessage): { m: proto.IMessage; viewOnce: boolean } {
  let m = message;
  let viewOnce = false;
  for (let i = 0; i < 6; i++) {
    const once = m.viewOnceMessage ?? m.viewOnceMessageV2 ?? m.viewOnceMessageV2Extension;
    if (once) viewOnce = true;
    const inner =
      m.ephemeralMessage ??
      once ??
      m.documentWithCaptionMessage ??
      m.editedMessage ??
      m.lottieStickerMessage ??
      m.associatedChildMessage ??
      m.groupStatusMessage ??
      m.groupStatusMessageV2 ??
      m.botForwardedMessage;
    if (!inner?.message) break;
    // messageContextInfo (pin durations, secrets) sits beside the wrapped content.
    m = inner.message.messageContextInfo || !m.messageContextInfo ? inner.message : { ...inner.message, messageContextInfo: m.messageContextInfo };
  }
  return { m, viewOnce };
}

/** Phones of a vCard: TEL;…waid=<digits> or TEL:+<digits>. */
export function vCardPhones(vcard: string | null | undefined): string[] {
  const out: string[] = [];
  for (const line of (vcard ?? '').split(/\r?\n/)) {
    if (!/^(item\d+\.)?TEL/i.test(line)) continue;
    const waid = /waid=(\d+)/i.exec(line)?.[1];
    const digits = waid ?? line.slice(line.lastIndexOf(':') + 1).replace(/\D/g, '');
    if (digits) out.push(digits);
  }
  return out;
}

function card(c: proto.Message.IContactMessage): ContactCard {
  const out: ContactCard = { name: c.displayName ?? '', phones: vCardPhones(c.vcard) };
  if (c.vcard) out.vcard = c.vcard;
  return out;
}

const note = (type: string): MessageContent => ({ type: 'text', text: `[unsupported message: ${type}]` });

/** The text a payment carries with it (its noteMessage). */
function noteOf(m: proto.IMessage | null | undefined): string | undefined {
  return str(m?.extendedTextMessage?.text) ?? str(m?.conversation);
}

/** An amount in currency units: amount1000 when given, else Money (value / offset, offset 1000 by default). */
function amountOf(amount1000: number | Long | null | undefined, money: proto.IMoney | null | undefined): number | undefined {
  const a = num(amount1000);
  if (a !== undefined) return a / 1000;
  const v = num(money?.value);
  return v === undefined ? undefined : v / (money?.offset || 1000);
}

/**
 * WhatsApp's record of a payment (WebMessageInfo.paymentInfo) over what the message itself says.
 * Live messages rarely carry it (history sync does); then `known` stands.
 */
function paymentOf(info: proto.IPaymentInfo | null | undefined, known: PaymentInfo): PaymentInfo {
  if (!info) return known;
  const value = amountOf(info.amount1000, info.primaryAmount);
  const status = info.status == null ? undefined : proto.PaymentInfo.Status[info.status];
  const txn = info.txnStatus == null ? undefined : proto.PaymentInfo.TxnStatus[info.txnStatus];
  return clean({
    receiverJid: str(info.receiverJid) ?? known.receiverJid,
    value: value ?? known.value,
    currency: str(info.primaryAmount?.currencyCode) ?? str(info.currency) ?? known.currency,
    status: status ?? known.status,
    transactionStatus: txn ?? known.transactionStatus,
  });
}

/** The click-to-WhatsApp ad a text came from. */
function adOf(a: proto.ContextInfo.IExternalAdReplyInfo, f: Found): AdReply {
  return clean({
    title: a.title ?? '',
    body: a.body ?? '',
    mediaType: a.mediaType ?? 0,
    thumbnail: a.thumbnail?.length ? f.inline(a.thumbnail, 'image/jpeg') : undefined,
    thumbnailUrl: str(a.thumbnailUrl),
    sourceType: a.sourceType ?? '',
    sourceId: a.sourceId ?? '',
    sourceUrl: a.sourceUrl ?? '',
    ctwaClid: a.ctwaClid ?? '',
    containsAutoReply: a.containsAutoReply === true,
    renderLargerThumbnail: a.renderLargerThumbnail === true,
    showAdAttribution: a.showAdAttribution === true,
  });
}

/**
 * Map a received message's content; null for what is skipped (see the header). `paymentInfo` is
 * WhatsApp's record of a payment message, which travels beside it (WebMessageInfo.paymentInfo).
 */
export function mapContent(message: proto.IMessage | null | undefined, paymentInfo?: proto.IPaymentInfo | null): InboundContent | null {
  if (!message) return null;
  const { m, viewOnce } = unwrap(message);
  const type = getContentType(m);
  if (!type) return null;
  const f = new Found();
  let ctx: proto.IContextInfo | null = null;
  let addOn: AddOn | undefined;
  let editOf: string | undefined;
  let content: MessageContent;
  let once = viewOnce;

  if (BUSINESS_KINDS.has(type)) {
    const b = mapBusiness(type, m, f);
    return b
      ? { content: b.content, contextInfo: b.ctx, viewOnce, media: f.media, keys: f.keys, jids: f.jids }
      : { content: note(type), contextInfo: null, viewOnce, media: [], keys: [], jids: [] };
  }
  switch (type) {
    case 'conversation':
      if (!m.conversation) return null;
      content = { type: 'text', text: m.conversation };
      break;
    case 'extendedTextMessage': {
      const t = m.extendedTextMessage!;
      ctx = t.contextInfo ?? null;
      const text = t.text ?? '';
      if (ctx?.externalAdReply) {
        // A text from a click-to-WhatsApp ad: the ad's title, text and link stand for the preview.
        const adText: MessageContent = { type: 'text', text, ad: adOf(ctx.externalAdReply, f) };
        if (ctx.mentionedJid?.length) adText.mentions = [...ctx.mentionedJid];
        content = adText;
        break;
      }
      if (t.matchedText && (t.title || t.description || t.jpegThumbnail || t.thumbnailDirectPath)) {
        const link: MessageContent = { type: 'link', text, url: t.matchedText, title: t.title ?? '', description: t.description ?? '' };
        if (t.thumbnailDirectPath && t.mediaKey) {
          // The large preview: an uploaded image, downloaded like any other.
          link.image = f.file({ directPath: t.thumbnailDirectPath, mediaKey: t.mediaKey, mimetype: 'image/jpeg' }, 'thumbnail-link');
          link.large = true;
        } else if (t.jpegThumbnail?.length) {
          link.image = f.inline(t.jpegThumbnail, 'image/jpeg');
        }
        content = link;
        break;
      }
      const textContent: MessageContent = { type: 'text', text };
      if (ctx?.mentionedJid?.length) textContent.mentions = [...ctx.mentionedJid];
      const groups = (ctx?.groupMentions ?? []).filter((g) => g.groupJid);
      if (groups.length) textContent.groupMentions = groups.map((g) => ({ jid: g.groupJid!, subject: g.groupSubject ?? '' }));
      content = textContent;
      break;
    }
    case 'imageMessage': {
      const p = m.imageMessage!;
      ctx = p.contextInfo ?? null;
      once ||= p.viewOnce === true;
      content = clean({ type: 'image', media: f.file(p, 'image', true), caption: str(p.caption), width: p.width ?? undefined, height: p.height ?? undefined, viewOnce: once || undefined });
      break;
    }
    case 'stickerMessage': {
      const p = m.stickerMessage!;
      ctx = p.contextInfo ?? null;
      content = { type: 'sticker', media: f.file(p, 'sticker', true) };
      break;
    }
    case 'videoMessage': {
      const p = m.videoMessage!;
      ctx = p.contextInfo ?? null;
      once ||= p.viewOnce === true;
      content = clean({ type: 'video', media: f.file(p, 'video', true), caption: str(p.caption), gif: p.gifPlayback || undefined, seconds: p.seconds ?? undefined, viewOnce: once || undefined });
      break;
    }
    case 'ptvMessage': {
      const p = m.ptvMessage!;
      ctx = p.contextInfo ?? null;
      content = clean({ type: 'ptv', media: f.file(p, 'ptv', true), seconds: p.seconds ?? undefined });
      break;
    }
    case 'audioMessage': {
      const p = m.audioMessage!;
      ctx = p.contextInfo ?? null;
      once ||= p.viewOnce === true;
      content = clean({ type: 'audio', media: f.file(p, 'audio', true), ptt: p.ptt === true, seconds: p.seconds ?? undefined, viewOnce: once || undefined });
      break;
    }
    case 'documentMessage': {
      const p = m.documentMessage!;
      ctx = p.contextInfo ?? null;
      const fileName = str(p.fileName) ?? str(p.title) ?? 'file';
      content = clean({ type: 'document', media: f.file(p, 'document', true, fileName), fileName, caption: str(p.caption), title: str(p.title), pageCount: p.pageCount ?? undefined });
      break;
    }
    case 'locationMessage':
    case 'liveLocationMessage': {
      const p = (m.locationMessage ?? m.liveLocationMessage)! as proto.Message.ILocationMessage & proto.Message.ILiveLocationMessage;
      ctx = p.contextInfo ?? null;
      content = clean({
        type: 'location',
        latitude: p.degreesLatitude ?? 0,
        longitude: p.degreesLongitude ?? 0,
        name: str(p.name) ?? str(p.caption),
        address: str(p.address),
        url: str(p.url),
      });
      break;
    }
    case 'contactMessage':
      ctx = m.contactMessage!.contextInfo ?? null;
      content = { type: 'contacts', contacts: [card(m.contactMessage!)] };
      break;
    case 'contactsArrayMessage':
      ctx = m.contactsArrayMessage!.contextInfo ?? null;
      content = { type: 'contacts', contacts: (m.contactsArrayMessage!.contacts ?? []).map(card) };
      break;
    case 'reactionMessage':
      content = { type: 'reaction', target: f.key(m.reactionMessage!.key), emoji: m.reactionMessage!.text ?? '' };
      break;
    case 'pinInChatMessage': {
      const p = m.pinInChatMessage!;
      const unpin = p.type === proto.Message.PinInChatMessage.Type.UNPIN_FOR_ALL;
      content = { type: 'pin', target: f.key(p.key), action: unpin ? 'unpin' : 'pin', durationSecs: unpin ? 0 : (m.messageContextInfo?.messageAddOnDurationInSecs ?? 0) };
      break;
    }
    case 'pollCreationMessage':
    case 'pollCreationMessageV2':
    case 'pollCreationMessageV3':
    case 'pollCreationMessageV5': {
      const p = (m.pollCreationMessage ?? m.pollCreationMessageV2 ?? m.pollCreationMessageV3 ?? m.pollCreationMessageV5)!;
      ctx = p.contextInfo ?? null;
      content = { type: 'poll', question: p.name ?? '', options: (p.options ?? []).map((o) => o.optionName ?? ''), maxOptions: p.selectableOptionsCount ?? 0 };
      break;
    }
    case 'pollUpdateMessage':
      content = { type: 'pollVote', poll: f.key(m.pollUpdateMessage!.pollCreationMessageKey), options: [] };
      addOn = { kind: 'pollVote', update: m.pollUpdateMessage! };
      break;
    case 'eventMessage': {
      const e = m.eventMessage!;
      ctx = e.contextInfo ?? null;
      const loc = e.location;
      const join = str(e.joinLink);
      content = clean({
        type: 'event',
        name: e.name ?? '',
        description: str(e.description),
        startTime: num(e.startTime) ?? 0,
        location: loc ? clean({ name: str(loc.name), address: str(loc.address), latitude: loc.degreesLatitude ?? undefined, longitude: loc.degreesLongitude ?? undefined }) : undefined,
        callLinkType: join?.includes('/voice/') ? 'voice' : join?.includes('/video/') ? 'video' : undefined,
        joinLink: join,
        canceled: e.isCanceled === true,
      } as MessageContent & object);
      break;
    }
    case 'encEventResponseMessage':
      content = { type: 'eventResponse', event: f.key(m.encEventResponseMessage!.eventCreationMessageKey), response: 'GOING' };
      addOn = { kind: 'eventResponse', enc: m.encEventResponseMessage! };
      break;
    case 'productMessage': {
      const pm = m.productMessage!;
      ctx = pm.contextInfo ?? null;
      const p = pm.product ?? {};
      const price = num(p.priceAmount1000);
      content = clean({
        type: 'product',
        catalogJid: pm.businessOwnerJid ?? '',
        productId: p.productId ?? '',
        title: str(p.title),
        description: str(p.description),
        price: price === undefined ? undefined : price / 1000,
        currency: str(p.currencyCode),
        image: p.productImage ? f.file(p.productImage, 'image') : undefined,
      });
      break;
    }
    case 'newsletterAdminInviteMessage': {
      const n = m.newsletterAdminInviteMessage!;
      ctx = n.contextInfo ?? null;
      content = clean({ type: 'newsletterAdminInvite', newsletterJid: n.newsletterJid ?? '', newsletterName: str(n.newsletterName), text: n.caption ?? '', expiration: num(n.inviteExpiration) ?? 0 });
      break;
    }
    case 'orderMessage': {
      const o = m.orderMessage!;
      ctx = o.contextInfo ?? null;
      const total1000 = num(o.totalAmount1000);
      const total = (total1000 ?? 0) / 1000;
      const cart: CartContent = clean({
        type: 'cart',
        orderId: o.orderId ?? '',
        token: o.token ?? '',
        itemCount: o.itemCount ?? 0,
        message: str(o.message),
        title: str(o.orderTitle),
        sellerJid: o.sellerJid ?? '',
        thumbnail: o.thumbnail?.length ? f.inline(o.thumbnail, 'image/jpeg') : undefined,
        currency: o.totalCurrencyCode ?? '',
        total,
        subTotal: total,
        products: [],
      });
      f.jid(cart, 'sellerJid');
      content = cart;
      if (o.orderId && o.token) addOn = clean({ kind: 'cart', orderId: o.orderId, token: o.token, totalAmount1000: total1000 } as const);
      break;
    }
    case 'requestPaymentMessage': {
      const r = m.requestPaymentMessage!;
      const value = amountOf(r.amount1000, r.amount) ?? 0;
      const currency = str(r.currencyCodeIso4217) ?? str(r.amount?.currencyCode) ?? '';
      // A request just made waits for the payer: what the docs' example shows for a new one.
      const payment = paymentOf(paymentInfo, { value, currency, status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' });
      const request = clean({ type: 'paymentRequest', value, currency, requestFrom: r.requestFrom ?? '', expiration: (num(r.expiryTimestamp) ?? 0) * 1000, note: noteOf(r.noteMessage), payment } as const);
      f.jid(request, 'requestFrom');
      f.jid(payment, 'receiverJid');
      content = request;
      break;
    }
    case 'sendPaymentMessage': {
      const p = m.sendPaymentMessage!;
      const requestId = str(p.requestMessageKey?.id);
      // Without WhatsApp's record the amount is unknown here: the paid request may tell it (add-on).
      const payment = paymentOf(paymentInfo, { value: 0, currency: '', status: 'UNKNOWN_STATUS', transactionStatus: 'UNKNOWN' });
      f.jid(payment, 'receiverJid');
      content = clean({ type: 'paymentSent', note: noteOf(p.noteMessage), requestId, payment } as const);
      if (requestId && !paymentInfo) addOn = { kind: 'paymentOf', requestId };
      break;
    }
    case 'declinePaymentRequestMessage': {
      const k = m.declinePaymentRequestMessage!.key;
      content = clean({ type: 'paymentDeclined', request: k?.id ? f.key(k) : undefined } as const);
      if (k?.id) addOn = { kind: 'paymentOf', requestId: k.id };
      break;
    }
    case 'groupInviteMessage': {
      // No group-invite kind in the content model: the text WhatsApp shows, with the link that joins.
      const g = m.groupInviteMessage!;
      ctx = g.contextInfo ?? null;
      const link = `https://chat.whatsapp.com/${g.inviteCode ?? ''}`;
      content = { type: 'text', text: [g.caption, g.groupName ? `${g.groupName}: ${link}` : link].filter(Boolean).join('\n') };
      break;
    }
    default: {
      if (type === 'protocolMessage') {
        const pm = m.protocolMessage;
        if (pm?.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && pm.key?.id && pm.editedMessage) {
          const edited = mapContent(pm.editedMessage, paymentInfo);
          editOf = pm.key.id;
          return edited ? { ...edited, editOf } : null;
        }
        return null;
      }
      if (SKIPPED.has(type)) return null;
      content = note(type);
    }
  }
  return { content, contextInfo: ctx, viewOnce: once, media: f.media, keys: f.keys, jids: f.jids, ...(addOn ? { addOn } : {}), ...(editOf ? { editOf } : {}) };
}
