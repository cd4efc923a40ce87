// Engine message content → the content part of a Z-API ReceivedCallback (`text`, `image`,
// `reaction`, `hydratedTemplate` …), shaped as zapi-webhook-received.txt documents each
// variant and as captured deliveries (webhook-shapes-observed.md) carry them. Choices where
// the docs contradict themselves are listed in docs/compatibility.md ("Received message variants").
import type {
  Button,
  ButtonsContent,
  ContactCard,
  MediaRef,
  MessageContent,
  MessageKey,
  OrderDetails,
} from '../engines/content.js';
import { fromJid } from '../domain/phone.js';

type Obj = Record<string, unknown>;
/** Media URLs; null for media that could not be kept (an engine reports it with id ''). */
type Urls = { url(ref: MediaRef): string | null };

/** What some variants need from the message around the content. */
export interface ReceivedContext {
  /** The message's timestamp in ms (reaction.time, eventResponse.time). */
  timestamp: number;
  /** Z-API phone of the sender (reaction.reactionBy, eventResponse.responseFrom). */
  senderPhone: string;
  /** The message arrived as view-once (IncomingMessage.viewOnce). */
  viewOnce: boolean;
}

/** WhatsApp's own link behind an OTP "Copy code" button (as in the docs' template-button example). */
const otpUrl = (code: string) => `https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=${encodeURIComponent(code)}`;

/** The message a reaction, pin or event response points at. */
function referenced(k: MessageKey): Obj {
  return { messageId: k.id, fromMe: k.fromMe, phone: fromJid(k.chatJid), participant: k.participant ? fromJid(k.participant) : null };
}

// vCard 3.0 text values escape backslash, comma, semicolon and newlines.
const vEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/([,;])/g, '\\$1').replace(/\r?\n/g, '\\n');

/** The vCard WhatsApp clients send for a contact card (TEL with waid, as in the docs' example). */
function vCardOf(c: ContactCard): string {
  const name = vEscape(c.name);
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `N:;${name};;;`, `FN:${name}`];
  for (const p of c.phones) lines.push(`TEL;type=CELL;type=VOICE;waid=${p}:+${p}`);
  if (c.businessDescription) lines.push(`X-WA-BIZ-DESCRIPTION:${vEscape(c.businessDescription)}`);
  lines.push('END:VCARD');
  return lines.join('\n');
}

const contact = (c: ContactCard): Obj => ({ displayName: c.name, vCard: c.vcard ?? vCardOf(c), phones: c.phones });

/** Image object as in `image` and template/carousel headers. */
function image(urls: Urls, m: MediaRef, o: { caption?: string; width?: number; height?: number; viewOnce?: boolean } = {}): Obj {
  const url = urls.url(m);
  // OpenZap keeps no separate thumbnail: the image itself serves as one.
  return { imageUrl: url, thumbnailUrl: url, caption: o.caption ?? '', mimeType: m.mimeType, width: o.width ?? 0, height: o.height ?? 0, viewOnce: o.viewOnce ?? false };
}

/** Template header: `{}` without media, as in the docs' text template example. */
function header(urls: Urls, img?: MediaRef, vid?: MediaRef): Obj {
  if (img) return { image: image(urls, img) };
  if (vid) return { video: { videoUrl: urls.url(vid), caption: '', mimeType: vid.mimeType, width: 0, height: 0, seconds: 0, viewOnce: false } };
  return {};
}

function hydratedButton(b: Button, index: number): Obj {
  switch (b.kind) {
    case 'URL':
      return { index, urlButton: { displayText: b.label, url: b.url ?? '' } };
    case 'CALL':
      return { index, callButton: { displayText: b.label, phoneNumber: b.phone ?? '' } };
    case 'COPY':
      return { index, urlButton: { displayText: b.label, url: otpUrl(b.code ?? '') } };
    case 'REPLY':
      return { index, quickReplyButton: { displayText: b.label, id: b.id } };
  }
}

function buttons(c: ButtonsContent, urls: Urls): Obj {
  if (c.buttons.every((b) => b.kind === 'REPLY')) {
    const body: Obj = {
      imageUrl: c.image ? urls.url(c.image) : null,
      videoUrl: c.video ? urls.url(c.video) : null,
      message: c.text,
      buttons: c.buttons.map((b) => ({ buttonId: b.id, type: 1, buttonText: { displayText: b.label } })),
    };
    // Not in the documented example; kept so nothing the sender wrote is lost.
    if (c.title !== undefined) body.title = c.title;
    if (c.footer !== undefined) body.footer = c.footer;
    return { buttonsMessage: body };
  }
  return {
    hydratedTemplate: {
      header: header(urls, c.image, c.video),
      message: c.text,
      footer: c.footer ?? '',
      title: c.title ?? '',
      templateId: '',
      hydratedButtons: c.buttons.map(hydratedButton),
    },
  };
}

/** The money part shared by reviewAndPay and reviewOrder. */
function orderBody(o: OrderDetails, c: { referenceId: string; orderRequestId: string; subTotal: number; total: number }, status: { orderStatus: string; paymentStatus: string }): Obj {
  return {
    currency: o.currency,
    referenceId: c.referenceId,
    orderRequestId: c.orderRequestId,
    ...status,
    total: c.total,
    subTotal: c.subTotal,
    discount: o.discount ?? 0,
    shipping: o.shipping ?? 0,
    tax: o.tax ?? 0,
    products: o.products.map((p) => ({
      name: p.name,
      quantity: p.quantity,
      isCustomItem: p.isCustomItem ?? p.productId === undefined,
      productId: p.productId ?? '',
      value: p.value,
    })),
  };
}

/** The content-specific fields of a ReceivedCallback for one message. */
export function contentFields(c: MessageContent, urls: Urls, ctx: ReceivedContext): Obj {
  switch (c.type) {
    case 'text':
      return { text: { message: c.text } };
    case 'link': {
      const text: Obj = { message: c.text, title: c.title, description: c.description, url: c.url };
      if (c.image) text.thumbnailUrl = urls.url(c.image);
      return { text };
    }
    case 'image':
      return { image: image(urls, c.media, { caption: c.caption, width: c.width, height: c.height, viewOnce: c.viewOnce || ctx.viewOnce }) };
    case 'sticker':
      return { sticker: { stickerUrl: urls.url(c.media), mimeType: c.media.mimeType } };
    case 'video':
      return {
        video: {
          videoUrl: urls.url(c.media),
          caption: c.caption ?? '',
          mimeType: c.media.mimeType,
          seconds: c.seconds ?? 0,
          viewOnce: c.viewOnce || ctx.viewOnce,
          // Not in the docs' examples; captured deliveries carry video.isGif on every video.
          isGif: c.gif === true,
        },
      };
    case 'ptv': {
      const url = urls.url(c.media);
      const video: Obj = { videoUrl: url, caption: '', mimeType: c.media.mimeType };
      if (c.seconds !== undefined) video.seconds = c.seconds;
      // Documented as `video`; captured 2025 deliveries carry `ptv{ptvUrl,…}` instead: send both.
      return { video, ptv: { ptvUrl: url, caption: '', mimeType: c.media.mimeType } };
    }
    case 'audio':
      return { audio: { ptt: c.ptt, seconds: c.seconds ?? 0, audioUrl: urls.url(c.media), mimeType: c.media.mimeType, viewOnce: c.viewOnce || ctx.viewOnce } };
    case 'document':
      return {
        document: {
          documentUrl: urls.url(c.media),
          mimeType: c.media.mimeType,
          title: c.title ?? '',
          pageCount: c.pageCount ?? 0,
          fileName: c.fileName,
          caption: c.caption ?? null,
        },
      };
    case 'location':
      return { location: { longitude: c.longitude, latitude: c.latitude, address: c.address ?? '', url: c.url ?? '', name: c.name ?? '' } };
    case 'contacts': {
      // Z-API documents only `contact` (one card). Several cards: `contact` is the first one,
      // so single-contact parsers keep working, and `contacts` lists them all.
      const cards = c.contacts.map(contact);
      return cards.length > 1 ? { contact: cards[0], contacts: cards } : { contact: cards[0] ?? null };
    }
    case 'reaction':
      return { reaction: { value: c.emoji, time: ctx.timestamp, reactionBy: ctx.senderPhone, referencedMessage: referenced(c.target) } };
    case 'buttons':
      return buttons(c, urls);
    case 'list':
      // Undocumented as received: mirrors the send-option-list body (message + optionList).
      return {
        listMessage: {
          message: c.text,
          title: c.title,
          buttonLabel: c.buttonLabel,
          footer: c.footer ?? '',
          options: c.sections.flatMap((s) => s.rows.map((r) => ({ id: r.id, title: r.title, description: r.description ?? '' }))),
          sections: c.sections.map((s) => ({
            title: s.title,
            options: s.rows.map((r) => ({ id: r.id, title: r.title, description: r.description ?? '' })),
          })),
        },
      };
    case 'otp':
      return {
        hydratedTemplate: {
          header: header(urls, c.image),
          message: c.text,
          footer: '',
          title: '',
          templateId: '',
          hydratedButtons: [{ urlButton: { displayText: c.buttonText ?? 'Copy code', url: otpUrl(c.code) }, index: 0 }],
        },
      };
    case 'pix':
      return { pixKeyMessage: { currency: c.currency, referenceId: c.referenceId, key: c.key, keyType: c.keyType, merchantName: c.merchantName ?? '' } };
    case 'carousel':
      return {
        carouselMessage: {
          text: c.text,
          cards: c.cards.map((card) => ({
            header: { image: image(urls, card.image) },
            message: card.text,
            footer: '',
            title: '',
            hydratedButtons: card.buttons.map(hydratedButton),
          })),
        },
      };
    case 'poll':
      return { poll: { question: c.question, pollMaxOptions: c.maxOptions, options: c.options.map((name) => ({ name })) } };
    case 'pollVote':
      return { pollVote: { pollMessageId: c.poll.id, options: c.options.map((name) => ({ name })) } };
    case 'product':
      return {
        product: {
          productImage: c.image ? urls.url(c.image) : '',
          businessOwnerJid: fromJid(c.catalogJid),
          currencyCode: c.currency ?? '',
          productId: c.productId,
          description: c.description ?? '',
          productImageCount: c.image ? 1 : 0,
          price: c.price ?? 0,
          url: '',
          retailerId: '',
          firstImageId: '',
          title: c.title ?? '',
        },
      };
    case 'catalog': {
      // WhatsApp has no catalog message: it is a text with the catalog link's preview, which
      // the docs describe as text{message,title,description,url}.
      const url = `https://wa.me/c/${fromJid(c.catalogJid)}`;
      return { text: { message: c.text ?? url, title: c.title ?? '', description: c.description ?? '', url } };
    }
    case 'order':
      return {
        reviewAndPay: {
          type: 'physical-goods',
          ...orderBody(c.order, c, { orderStatus: 'pending', paymentStatus: 'pending' }),
        },
      };
    case 'orderUpdate':
      return { reviewOrder: orderBody(c.order, c, { orderStatus: c.orderStatus, paymentStatus: c.paymentStatus }) };
    case 'pin':
      return { pinMessage: { action: c.action, pinDurationInSecs: c.durationSecs, referencedMessage: referenced(c.target) } };
    case 'newsletterAdminInvite':
      return {
        newsletterAdminInvite: { newsletterId: c.newsletterJid, newsletterName: c.newsletterName ?? '', text: c.text, inviteExpiration: c.expiration },
      };
    case 'event':
      return {
        event: {
          name: c.name,
          description: c.description ?? '',
          canceled: c.canceled,
          joinLink: c.joinLink ?? '',
          scheduleTime: c.startTime,
          location: c.location ?? {},
        },
      };
    case 'eventResponse':
      return { eventResponse: { response: c.response, responseFrom: ctx.senderPhone, time: ctx.timestamp, referencedMessage: referenced(c.event) } };
    case 'buttonReply':
      return { buttonsResponseMessage: { buttonId: c.buttonId, message: c.text } };
    case 'listReply':
      return { listResponseMessage: { message: c.text, title: c.title, selectedRowId: c.rowId } };
  }
}
