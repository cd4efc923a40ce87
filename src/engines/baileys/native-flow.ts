// Interactive messages through WhatsApp's "native flow": reply/URL/call/copy buttons, option
// lists, OTP copy buttons, PIX keys, carousels, orders and order status updates. Baileys removed
// its generators for them (PR #956), so they are built here as proto messages and sent with
// relayMessage plus the <biz> stanza node WhatsApp needs to deliver them (send.ts). Whether a
// recipient's app renders them is WhatsApp's business (docs/capabilities.md); the shapes follow
// what other gateways send and what WhatsApp Web itself builds:
//
// - No viewOnceMessage wrapper. Gateways used to wrap interactive messages in viewOnceMessage;
//   WhatsApp Web then shows a "view once, open it on your phone" placeholder and phones show
//   nothing (evolution-api issues #1360, #2104), and Evolution API removed the wrapper (PR #1292).
//   The interactiveMessage goes at the top level, as Evolution API sends it today.
// - messageContextInfo.messageSecret (32 random bytes), as Baileys adds to every message it
//   generates (generateWAMessageContent); relayMessage then attaches the reporting token. A
//   gateway fork that captured a rendering PIX message on the wire found the secret necessary for
//   delivery (vendora fork of evolution-api, docs/brain/pix-discard.md).
// - nativeFlowMessage.messageVersion 1, as WhatsApp Web's own builders set it (wppconnect wa-js
//   createNativeFlowButtons, sendCarouselMessage, sendPixKeyMessage, sendChargeMessage).
// - The <biz> node: without it the server accepts the message and nobody receives it. Buttons,
//   lists and carousels carry <biz><interactive type="native_flow" v="1"><native_flow v="9"
//   name="mixed"/></interactive></biz> (Evolution API buildInteractiveBizNode). Payment flows carry
//   the flat <biz native_flow_name="…"/> WhatsApp clients put on them (payment_info; order_details
//   for review_and_pay; order_status for review_order): captured on the wire from a PIX message
//   that rendered, while the nested form with name="payment_info" was answered with error 473
//   (pix-discard.md above); Baileys forks map the flow names the same way.
import { randomBytes } from 'node:crypto';
import { prepareWAMessageMedia, proto, type BinaryNode, type WAMediaUploadFunction, type WAMessage } from 'baileys';
import type { Button, MediaRef, MessageContent, OrderDetails } from '../content.js';

export type NativeFlowContent = Extract<MessageContent, { type: 'buttons' | 'list' | 'otp' | 'pix' | 'carousel' | 'order' | 'orderUpdate' }>;

export const NATIVE_FLOW_KINDS: ReadonlySet<string> = new Set(['buttons', 'list', 'otp', 'pix', 'carousel', 'order', 'orderUpdate']);

export const isNativeFlow = (c: MessageContent): c is NativeFlowContent => NATIVE_FLOW_KINDS.has(c.type);

export interface FlowDeps {
  /** The bytes of a media file (MediaPort.read). */
  read(ref: MediaRef): Promise<Buffer>;
  /** Media upload: header images and videos are uploaded like any WhatsApp media. */
  upload?: WAMediaUploadFunction;
  /** A message from the recent-message store (an order update quotes its order). */
  stored(id: string): Promise<WAMessage | undefined>;
}

export interface FlowMessage {
  message: proto.IMessage;
  additionalNodes: BinaryNode[];
  /** The message quoted when the request quotes none (an order update quotes its order). */
  quote?: WAMessage;
}

type IInteractive = proto.Message.IInteractiveMessage;
type IHeader = proto.Message.InteractiveMessage.IHeader;
type IFlowButton = proto.Message.InteractiveMessage.NativeFlowMessage.INativeFlowButton;

/** <biz> for buttons, lists and carousels (Evolution API's buildInteractiveBizNode). */
export function mixedBizNode(): BinaryNode {
  return {
    tag: 'biz',
    attrs: {},
    content: [{ tag: 'interactive', attrs: { type: 'native_flow', v: '1' }, content: [{ tag: 'native_flow', attrs: { v: '9', name: 'mixed' } }] }],
  };
}

/** <biz native_flow_name="…"/> for payment flows. */
export function paymentBizNode(flow: 'payment_info' | 'order_details' | 'order_status'): BinaryNode {
  return { tag: 'biz', attrs: { native_flow_name: flow } };
}

const flowButton = (name: string, params: object): IFlowButton => ({ name, buttonParamsJson: JSON.stringify(params) });

/**
 * A button of the content model as a native-flow button (the parameter names WhatsApp Web's
 * builders and Evolution API use). Call buttons dial the number in E.164 form, with "+", as
 * WhatsApp's phone-number buttons take it.
 */
export function toFlowButton(b: Button): IFlowButton {
  switch (b.kind) {
    case 'REPLY':
      return flowButton('quick_reply', { display_text: b.label, id: b.id });
    case 'URL':
      return flowButton('cta_url', { display_text: b.label, url: b.url ?? '', merchant_url: b.url ?? '' });
    case 'CALL':
      return flowButton('cta_call', { display_text: b.label, phone_number: `+${(b.phone ?? '').replace(/\D/g, '')}` });
    case 'COPY':
      return flowButton('cta_copy', { display_text: b.label, copy_code: b.code ?? '' });
  }
}

const nativeFlow = (buttons: IFlowButton[]): proto.Message.InteractiveMessage.INativeFlowMessage => ({ buttons, messageVersion: 1 });

type HeaderSource = Partial<Pick<Extract<MessageContent, { type: 'buttons' }>, 'image' | 'video' | 'document' | 'location'>>;

/**
 * A header: a title, and an image, video or document uploaded as WhatsApp media (the same upload
 * as an image message), or a location. Documents and locations come only from received templates
 * sent on (forwarded); the send endpoints build image and video headers.
 */
async function header(title: string | undefined, src: HeaderSource, deps: FlowDeps): Promise<IHeader> {
  const out: IHeader = title ? { title } : {};
  if (src.location) {
    const l = src.location;
    const loc: proto.Message.ILocationMessage = { degreesLatitude: l.latitude, degreesLongitude: l.longitude };
    if (l.name) loc.name = l.name;
    if (l.address) loc.address = l.address;
    return { ...out, hasMediaAttachment: true, locationMessage: loc };
  }
  const ref = src.image ?? src.video ?? src.document;
  if (!ref) return { ...out, hasMediaAttachment: false };
  if (!deps.upload) throw new Error('This socket cannot upload media');
  const bytes = await deps.read(ref);
  const opts = { upload: deps.upload };
  if (src.image) return { ...out, hasMediaAttachment: true, imageMessage: (await prepareWAMessageMedia({ image: bytes, mimetype: ref.mimeType }, opts)).imageMessage };
  if (src.video) return { ...out, hasMediaAttachment: true, videoMessage: (await prepareWAMessageMedia({ video: bytes, mimetype: ref.mimeType }, opts)).videoMessage };
  const doc = await prepareWAMessageMedia({ document: bytes, mimetype: ref.mimeType, fileName: ref.fileName ?? 'file' }, opts);
  return { ...out, hasMediaAttachment: true, documentMessage: doc.documentMessage };
}

/** The message around an interactiveMessage: the secret Baileys gives every message; a forward or reply context. */
function wrap(im: IInteractive, ctx: proto.IContextInfo | undefined): proto.IMessage {
  if (ctx) im.contextInfo = { ...ctx };
  return { interactiveMessage: im, messageContextInfo: { messageSecret: randomBytes(32) } };
}

const body = (text: string | undefined) => (text ? { body: { text } } : {});
const footer = (text: string | undefined) => (text ? { footer: { text } } : {});

/** The native-flow message for an interactive content, with its <biz> node. */
export async function buildNativeFlow(c: NativeFlowContent, deps: FlowDeps, ctx?: proto.IContextInfo): Promise<FlowMessage> {
  switch (c.type) {
    case 'buttons': {
      const im: IInteractive = {
        header: await header(c.title, c, deps),
        body: { text: c.text },
        ...footer(c.footer),
        nativeFlowMessage: nativeFlow(c.buttons.map(toFlowButton)),
      };
      return { message: wrap(im, ctx), additionalNodes: [mixedBizNode()] };
    }
    case 'list': {
      // single_select: the button label opens the sections; a tap answers with the row id.
      const params = {
        title: c.buttonLabel,
        sections: c.sections.map((s) => ({
          title: s.title,
          rows: s.rows.map((r) => (r.description ? { id: r.id, title: r.title, description: r.description } : { id: r.id, title: r.title })),
        })),
      };
      const im: IInteractive = {
        header: { title: c.title, hasMediaAttachment: false },
        body: { text: c.text },
        ...footer(c.footer),
        nativeFlowMessage: nativeFlow([flowButton('single_select', params)]),
      };
      return { message: wrap(im, ctx), additionalNodes: [mixedBizNode()] };
    }
    case 'otp': {
      // WhatsApp's authentication templates are a "copy code" button: cta_copy.
      const im: IInteractive = {
        header: await header(undefined, { image: c.image }, deps),
        body: { text: c.text },
        nativeFlowMessage: nativeFlow([flowButton('cta_copy', { display_text: c.buttonText || 'Copy code', copy_code: c.code })]),
      };
      return { message: wrap(im, ctx), additionalNodes: [mixedBizNode()] };
    }
    case 'carousel': {
      // Cards are interactive messages themselves: image header, text, buttons (WhatsApp Web's sendCarouselMessage).
      const cards: IInteractive[] = [];
      for (const card of c.cards) {
        cards.push({ header: await header(undefined, { image: card.image }, deps), body: { text: card.text }, nativeFlowMessage: nativeFlow(card.buttons.map(toFlowButton)) });
      }
      const im: IInteractive = {
        body: { text: c.text },
        carouselMessage: { cards, messageVersion: 1, carouselCardType: proto.Message.InteractiveMessage.CarouselMessage.CarouselCardType.HSCROLL_CARDS },
      };
      return { message: wrap(im, ctx), additionalNodes: [mixedBizNode()] };
    }
    case 'pix':
      return { message: wrap(paymentMessage(undefined, flowButton('payment_info', pixParams(c))), ctx), additionalNodes: [paymentBizNode('payment_info')] };
    case 'order':
      return { message: wrap(paymentMessage(c.text, flowButton('review_and_pay', orderParams(c))), ctx), additionalNodes: [paymentBizNode('order_details')] };
    case 'orderUpdate': {
      // review_order: the order's reference and its new status (the Cloud API's order_status
      // parameters, which it passes on as the button's parameters). It answers the order message,
      // as WhatsApp Web's order updates do.
      const params = { reference_id: c.referenceId, order: { status: c.orderStatus } };
      const quote = await deps.stored(c.orderMessageId);
      const flow: FlowMessage = { message: wrap(paymentMessage(c.text, flowButton('review_order', params)), ctx), additionalNodes: [paymentBizNode('order_status')] };
      return quote ? { ...flow, quote } : flow;
    }
  }
}

/** Payment flows: an empty header, as the captured PIX message has it; the text, when there is one. */
function paymentMessage(text: string | undefined, button: IFlowButton): IInteractive {
  return { header: { hasMediaAttachment: false }, ...body(text), nativeFlowMessage: nativeFlow([button]) };
}

/** WhatsApp amounts: an integer value and the offset it is divided by (cents: 100). */
export const amount = (n: number) => ({ value: Math.round(n * 100), offset: 100 });

/** A PIX key as the DICT registers it: CPF/CNPJ digits only, a phone with "+" and country code. */
export function pixKey(key: string, keyType: string): string {
  const digits = key.replace(/\D/g, '');
  switch (keyType) {
    case 'CPF':
    case 'CNPJ':
      return digits;
    case 'PHONE':
      return `+${digits.length <= 11 ? `55${digits}` : digits}`;
    default:
      return key.trim();
  }
}

/**
 * payment_info with a static PIX key: Evolution API's payload (an empty order of zero value and
 * the key in payment_settings), the payload of the PIX message captured rendering on the wire.
 */
function pixParams(c: Extract<MessageContent, { type: 'pix' }>): object {
  const zero = amount(0);
  return {
    currency: c.currency,
    total_amount: zero,
    reference_id: c.referenceId,
    type: 'physical-goods',
    order: { status: 'pending', subtotal: zero, order_type: 'ORDER', items: [{ name: '', amount: zero, quantity: 0, sale_amount: zero }] },
    payment_settings: [{ type: 'pix_static_code', pix_static_code: { merchant_name: c.merchantName || 'Pix', key: pixKey(c.key, c.keyType), key_type: c.keyType } }],
    share_payment_status: false,
  };
}

/** The items and charges of an order, as review_and_pay lists them. */
function orderObject(o: OrderDetails, status: string, subTotal: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status,
    order_type: 'ORDER',
    subtotal: amount(subTotal),
    items: o.products.map((p, i) => ({
      retailer_id: p.productId ?? `custom-item-${i + 1}`,
      name: p.name,
      amount: amount(p.value),
      quantity: p.quantity,
      isCustomItem: p.isCustomItem === true,
      isQuantitySet: true,
    })),
  };
  if (o.tax) out.tax = amount(o.tax);
  if (o.shipping) out.shipping = amount(o.shipping);
  if (o.discount) out.discount = amount(o.discount);
  return out;
}

/**
 * review_and_pay: what WhatsApp Web sends for a charge (wa-js sendChargeMessage) and what the
 * Cloud API takes as order_details parameters: reference, goods type, currency, total, the order
 * and the payment settings (a static PIX key, cards).
 */
function orderParams(c: Extract<MessageContent, { type: 'order' }>): object {
  const settings: object[] = [];
  const pix = c.payment.pix;
  if (pix) settings.push({ type: 'pix_static_code', pix_static_code: { merchant_name: pix.name, key: pixKey(pix.key, pix.keyType), key_type: pix.keyType } });
  if (c.payment.card) settings.push({ type: 'cards', cards: { enabled: c.payment.card.enabled } });
  return {
    reference_id: c.referenceId,
    type: 'physical-goods',
    currency: c.order.currency,
    total_amount: amount(c.total),
    order: orderObject(c.order, 'pending', c.subTotal),
    ...(settings.length ? { payment_settings: settings } : {}),
  };
}
