// Engine message content → the content part of a Z-API ReceivedCallback (`text`, `image`,
// `reaction`, `hydratedTemplate` …), shaped as zapi-webhook-received.txt documents each
// variant and as captured deliveries (webhook-shapes-observed.md) carry them. Choices where
// the docs contradict themselves are listed in docs/compatibility.md ("Received message variants").
import type {
  AdReply,
  Button,
  ButtonsContent,
  CartContent,
  ContactCard,
  MediaRef,
  MessageContent,
  MessageKey,
  OrderDetails,
  PaymentDeclinedContent,
  PaymentInfo,
} from '../engines/content.js';
import { fromJid } from '../domain/phone.js';
import { vCardOf } from '../domain/vcard.js';

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
  /** Sent by the instance's own number (payments: who is on the other side). */
  fromMe: boolean;
  /** Z-API phone of the chat. */
  chatPhone: string;
  /** The instance's own phone ('' while unknown). */
  ownPhone: string;
}

/** WhatsApp's own link behind an OTP "Copy code" button (as in the docs' template-button example). */
const otpUrl = (code: string) => `https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=${encodeURIComponent(code)}`;

/** The message a reaction, pin or event response points at. */
function referenced(k: MessageKey): Obj {
  return { messageId: k.id, fromMe: k.fromMe, phone: fromJid(k.chatJid), participant: k.participant ? fromJid(k.participant) : null };
}

const contact = (c: ContactCard): Obj => ({ displayName: c.name, vCard: c.vcard ?? vCardOf(c), phones: c.phones });

/** Image object as in `image` and template/carousel headers. */
function image(urls: Urls, m: MediaRef, o: { caption?: string; width?: number; height?: number; viewOnce?: boolean } = {}): Obj {
  const url = urls.url(m);
  // OpenZap keeps no separate thumbnail: the image itself serves as one.
  return { imageUrl: url, thumbnailUrl: url, caption: o.caption ?? '', mimeType: m.mimeType, width: o.width ?? 0, height: o.height ?? 0, viewOnce: o.viewOnce ?? false };
}

/** Template header: `{}` without media, as in the docs' text template example. */
function header(urls: Urls, h: Pick<ButtonsContent, 'image' | 'video' | 'document' | 'location'>): Obj {
  if (h.image) return { image: image(urls, h.image) };
  if (h.video) return { video: { videoUrl: urls.url(h.video), caption: '', mimeType: h.video.mimeType, width: 0, height: 0, seconds: 0, viewOnce: false } };
  if (h.document) {
    const d = h.document;
    return { document: { caption: null, documentUrl: urls.url(d), mimeType: d.mimeType, title: '', pageCount: 0, fileName: d.fileName ?? '' } };
  }
  if (h.location) {
    const l = h.location;
    return { location: { longitude: l.longitude, latitude: l.latitude, name: l.name ?? '', address: l.address ?? '', url: l.url ?? '' } };
  }
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
  // Reply buttons alone are a buttonsMessage, unless the message was a template or has a header only templates have.
  const template = c.templateId !== undefined || c.document !== undefined || c.location !== undefined;
  if (!template && c.buttons.every((b) => b.kind === 'REPLY')) {
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
      header: header(urls, c),
      message: c.text,
      footer: c.footer ?? '',
      title: c.title ?? '',
      templateId: c.templateId ?? '',
      hydratedButtons: c.buttons.map(hydratedButton),
    },
  };
}

/** A text from a click-to-WhatsApp ad: the docs' text-ad example fills `text` from the ad and adds `externalAdReply`. */
function adText(text: string, ad: AdReply, urls: Urls): Obj {
  const thumbnailUrl = ad.thumbnail ? urls.url(ad.thumbnail) : (ad.thumbnailUrl ?? '');
  return {
    text: { message: text, description: ad.body, title: ad.title, url: ad.sourceUrl, thumbnailUrl },
    externalAdReply: {
      title: ad.title,
      body: ad.body,
      mediaType: ad.mediaType,
      thumbnailUrl,
      sourceType: ad.sourceType,
      sourceId: ad.sourceId,
      ctwaClid: ad.ctwaClid,
      sourceUrl: ad.sourceUrl,
      containsAutoReply: ad.containsAutoReply,
      renderLargerThumbnail: ad.renderLargerThumbnail,
      showAdAttribution: ad.showAdAttribution,
    },
  };
}

/** The customer's cart. Both spellings of the seller key: the two docs' examples disagree (docs/compatibility.md). */
function cart(c: CartContent, urls: Urls): Obj {
  const seller = fromJid(c.sellerJid);
  return {
    order: {
      itemCount: c.itemCount,
      orderId: c.orderId,
      message: c.message ?? '',
      orderTitle: c.title ?? '',
      sellerJid: seller,
      sellerID: seller,
      thumbnailUrl: c.thumbnail ? urls.url(c.thumbnail) : '',
      token: c.token,
      currency: c.currency,
      total: c.total,
      subTotal: c.subTotal,
      products: c.products.map((p) => ({ quantity: p.quantity, name: p.name, productId: p.productId, retailerId: p.retailerId ?? '', price: p.price, currencyCode: p.currency })),
    },
  };
}

function paymentInfo(p: PaymentInfo, receiverWhenUnknown: string): Obj {
  return {
    receiverPhone: p.receiverJid ? fromJid(p.receiverJid) : receiverWhenUnknown,
    value: p.value,
    currencyCode: p.currency,
    status: p.status,
    transactionStatus: p.transactionStatus,
  };
}

/** WhatsApp's amount1000: the docs' example declines a request of value 1 with "1000". */
const amount1000 = (value: number) => String(Math.round(value * 1000));

/**
 * notificationParameters [phone, currency, value]: `phone` is the other side of the request (the
 * contact who declined ours, or whose request we declined), as in the docs' example.
 */
function paymentDeclined(c: PaymentDeclinedContent, ctx: ReceivedContext): Obj {
  const requester = c.request?.participant ? fromJid(c.request.participant) : ctx.chatPhone;
  return {
    notification: 'PAYMENT_ACTION_REQUEST_DECLINED',
    notificationParameters: [ctx.fromMe ? requester : ctx.senderPhone, c.currency ?? '', c.value === undefined ? '' : amount1000(c.value)],
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
      return c.ad ? adText(c.text, c.ad, urls) : { text: { message: c.text } };
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
          header: header(urls, { image: c.image }),
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
    case 'cart':
      return cart(c, urls);
    case 'paymentRequest':
      return {
        requestPayment: {
          value: c.value,
          currencyCode: c.currency,
          expiration: c.expiration,
          requestPhone: fromJid(c.requestFrom),
          // Unknown receiver: the one who asks for the money.
          paymentInfo: paymentInfo(c.payment, ctx.senderPhone),
        },
      };
    case 'paymentSent':
      // Unknown receiver: the other side of the chat from the one who pays.
      return { sendPayment: { paymentInfo: paymentInfo(c.payment, ctx.fromMe ? ctx.chatPhone : ctx.ownPhone) } };
    case 'paymentDeclined':
      return paymentDeclined(c, ctx);
  }
}
