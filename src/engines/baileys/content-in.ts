// A received proto.IMessage → the port's message content. Pure mapping: the media a message
// carries is listed (MediaPart) for media-in.ts to download and keep, and poll votes and event
// responses are flagged (AddOn) for inbound.ts to decrypt against their stored parent.
//
// What does not map:
// - protocol and system messages (revokes, key shares, history notices, album headers whose
//   items arrive as their own messages, encrypted community reactions and comments, event
//   edits, placeholders) are skipped: null, no event;
// - a message a person sent whose kind the content model cannot hold (a cart order, a payment,
//   a scheduled call, a poll results share, a status mention, an unknown future type) becomes a
//   text with a note "[unsupported message: <type>]", so the integration still learns that
//   something arrived and can answer it.
import { getContentType, proto, toNumber, type DownloadableMessage, type MediaType } from 'baileys';
import type { Button, CarouselCard, ContactCard, MediaRef, MessageContent, MessageKey } from '../content.js';

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
  | { kind: 'eventResponse'; enc: proto.Message.IEncEventResponseMessage };

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
  'declinePaymentRequestMessage',
  'cancelPaymentRequestMessage',
]);

const num = (v: number | Long | null | undefined): number | undefined => (v == null ? undefined : toNumber(v));
const str = (v: string | null | undefined): string | undefined => (v == null || v === '' ? undefined : v);

type Long = Parameters<typeof toNumber>[0];
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
class Found {
  readonly media: MediaPart[] = [];
  readonly keys: MessageKey[] = [];

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

function params(json: string | null | undefined): Record<string, unknown> {
  try {
    const v = JSON.parse(json ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A native-flow button the content model has a kind for; other kinds are dropped. */
function flowButton(b: proto.Message.InteractiveMessage.NativeFlowMessage.INativeFlowButton, index: number): Button | null {
  const p = params(b.buttonParamsJson);
  const label = s(p.display_text) ?? '';
  const id = s(p.id) ?? String(index);
  switch (b.name) {
    case 'quick_reply':
      return { id, kind: 'REPLY', label };
    case 'cta_url':
      return { id, kind: 'URL', label, url: s(p.url) ?? s(p.merchant_url) ?? '' };
    case 'cta_call':
      return { id, kind: 'CALL', label, phone: (s(p.phone_number) ?? s(p.phoneNumber) ?? '').replace(/\D/g, '') };
    case 'cta_copy':
      return { id, kind: 'COPY', label, code: s(p.copy_code) ?? '' };
    default:
      return null;
  }
}

function hydratedButtons(list: proto.IHydratedTemplateButton[] | null | undefined): Button[] {
  return (list ?? []).flatMap((b, i): Button[] => {
    if (b.quickReplyButton) return [{ id: b.quickReplyButton.id ?? String(i), kind: 'REPLY', label: b.quickReplyButton.displayText ?? '' }];
    if (b.urlButton) return [{ id: String(i), kind: 'URL', label: b.urlButton.displayText ?? '', url: b.urlButton.url ?? '' }];
    if (b.callButton) return [{ id: String(i), kind: 'CALL', label: b.callButton.displayText ?? '', phone: (b.callButton.phoneNumber ?? '').replace(/\D/g, '') }];
    return [];
  });
}

type Header = { imageMessage?: proto.Message.IImageMessage | null; videoMessage?: proto.Message.IVideoMessage | null };

function headerMedia(h: Header | null | undefined, f: Found): { image?: MediaRef; video?: MediaRef } {
  const out: { image?: MediaRef; video?: MediaRef } = {};
  if (h?.imageMessage) out.image = f.file(h.imageMessage, 'image');
  if (h?.videoMessage) out.video = f.file(h.videoMessage, 'video');
  return out;
}

function interactive(im: proto.Message.IInteractiveMessage, f: Found): MessageContent {
  const text = im.body?.text ?? '';
  if (im.carouselMessage) {
    const cards = (im.carouselMessage.cards ?? []).map(
      (c): CarouselCard => ({
        text: c.body?.text ?? '',
        image: c.header?.imageMessage ? f.file(c.header.imageMessage, 'image') : f.missing('image/jpeg'),
        buttons: (c.nativeFlowMessage?.buttons ?? []).map(flowButton).filter((b): b is Button => b !== null),
      }),
    );
    return { type: 'carousel', text, cards };
  }
  const buttons = im.nativeFlowMessage?.buttons ?? [];
  const select = buttons.find((b) => b.name === 'single_select');
  if (select) {
    const p = params(select.buttonParamsJson);
    const sections = (Array.isArray(p.sections) ? p.sections : []) as { title?: unknown; rows?: unknown }[];
    return clean({
      type: 'list',
      text,
      title: im.header?.title ?? '',
      buttonLabel: s(p.title) ?? '',
      footer: str(im.footer?.text),
      sections: sections.map((sec) => ({
        title: s(sec.title) ?? '',
        rows: ((Array.isArray(sec.rows) ? sec.rows : []) as Record<string, unknown>[]).map((r) => clean({ id: s(r.id) ?? '', title: s(r.title) ?? '', description: s(r.description) })),
      })),
    });
  }
  const payment = buttons.find((b) => b.name === 'payment_info');
  if (payment) {
    const p = params(payment.buttonParamsJson);
    const settings = (Array.isArray(p.payment_settings) ? p.payment_settings : []) as Record<string, unknown>[];
    const pix = settings.map((x) => x.pix_static_code as Record<string, unknown> | undefined).find((x) => x && typeof x === 'object');
    if (pix) {
      return clean({
        type: 'pix',
        key: s(pix.key) ?? '',
        keyType: (s(pix.key_type) ?? '').toUpperCase(),
        merchantName: s(pix.merchant_name),
        currency: s(p.currency) ?? 'BRL',
        referenceId: s(p.reference_id) ?? '',
      });
    }
  }
  return clean({
    type: 'buttons',
    text,
    title: str(im.header?.title),
    footer: str(im.footer?.text),
    buttons: buttons.map(flowButton).filter((b): b is Button => b !== null),
    ...headerMedia(im.header, f),
  });
}

function clean<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as Record<string, unknown>)[k];
  return o;
}

const note = (type: string): MessageContent => ({ type: 'text', text: `[unsupported message: ${type}]` });

/** Map a received message's content; null for what is skipped (see the header). */
export function mapContent(message: proto.IMessage | null | undefined): InboundContent | null {
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

  switch (type) {
    case 'conversation':
      if (!m.conversation) return null;
      content = { type: 'text', text: m.conversation };
      break;
    case 'extendedTextMessage': {
      const t = m.extendedTextMessage!;
      ctx = t.contextInfo ?? null;
      const text = t.text ?? '';
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
    case 'buttonsResponseMessage': {
      const r = m.buttonsResponseMessage!;
      ctx = r.contextInfo ?? null;
      content = clean({ type: 'buttonReply', buttonId: r.selectedButtonId ?? '', text: r.selectedDisplayText ?? '', quotedId: str(ctx?.stanzaId) });
      break;
    }
    case 'templateButtonReplyMessage': {
      const r = m.templateButtonReplyMessage!;
      ctx = r.contextInfo ?? null;
      content = clean({ type: 'buttonReply', buttonId: r.selectedId ?? '', text: r.selectedDisplayText ?? '', quotedId: str(ctx?.stanzaId) });
      break;
    }
    case 'listResponseMessage': {
      const r = m.listResponseMessage!;
      ctx = r.contextInfo ?? null;
      content = clean({
        type: 'listReply',
        rowId: r.singleSelectReply?.selectedRowId ?? '',
        title: r.title ?? '',
        text: str(r.description) ?? r.title ?? '',
        quotedId: str(ctx?.stanzaId),
      });
      break;
    }
    case 'interactiveResponseMessage': {
      const r = m.interactiveResponseMessage!;
      ctx = r.contextInfo ?? null;
      const p = params(r.nativeFlowResponseMessage?.paramsJson);
      content = clean({ type: 'buttonReply', buttonId: s(p.id) ?? r.nativeFlowResponseMessage?.name ?? '', text: r.body?.text ?? '', quotedId: str(ctx?.stanzaId) });
      break;
    }
    case 'buttonsMessage': {
      const b = m.buttonsMessage!;
      ctx = b.contextInfo ?? null;
      content = clean({
        type: 'buttons',
        text: b.contentText ?? '',
        title: str(b.text),
        footer: str(b.footerText),
        buttons: (b.buttons ?? []).map((x, i): Button => ({ id: x.buttonId ?? String(i), kind: 'REPLY', label: x.buttonText?.displayText ?? '' })),
        ...headerMedia(b, f),
      });
      break;
    }
    case 'templateMessage': {
      const t = m.templateMessage!;
      ctx = t.contextInfo ?? null;
      const h = t.hydratedTemplate ?? t.hydratedFourRowTemplate;
      if (!h) return { content: note(type), contextInfo: ctx, viewOnce: once, media: [], keys: [] };
      content = clean({
        type: 'buttons',
        text: h.hydratedContentText ?? '',
        title: str(h.hydratedTitleText),
        footer: str(h.hydratedFooterText),
        buttons: hydratedButtons(h.hydratedButtons),
        ...headerMedia(h, f),
      });
      break;
    }
    case 'interactiveMessage':
      ctx = m.interactiveMessage!.contextInfo ?? null;
      content = interactive(m.interactiveMessage!, f);
      break;
    case 'listMessage': {
      const l = m.listMessage!;
      ctx = l.contextInfo ?? null;
      content = clean({
        type: 'list',
        text: l.description ?? '',
        title: l.title ?? '',
        buttonLabel: l.buttonText ?? '',
        footer: str(l.footerText),
        sections: (l.sections ?? []).map((sec) => ({
          title: sec.title ?? '',
          rows: (sec.rows ?? []).map((r) => clean({ id: r.rowId ?? '', title: r.title ?? '', description: str(r.description) })),
        })),
      });
      break;
    }
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
          const edited = mapContent(pm.editedMessage);
          editOf = pm.key.id;
          return edited ? { ...edited, editOf } : null;
        }
        return null;
      }
      if (SKIPPED.has(type)) return null;
      content = note(type);
    }
  }
  return { content, contextInfo: ctx, viewOnce: once, media: f.media, keys: f.keys, ...(addOn ? { addOn } : {}), ...(editOf ? { editOf } : {}) };
}
