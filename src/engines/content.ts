// Engine-level message content: every kind of message OpenZap can send or receive, as
// engines see it. Chats and people are jids; media is a reference into OpenZap's media
// store (src/media/), never a URL the client gave us. Route modules build these from the
// Z-API request bodies; engines turn them into WhatsApp messages and back; the webhook
// mapper (webhooks/received-content.ts) turns them into ReceivedCallback variant objects.

/** A file held in OpenZap's media store. Engines read the bytes through MediaStore.read(id). */
export interface MediaRef {
  /** Store id (random, unguessable); the public URL is derived from it. */
  id: string;
  mimeType: string;
  size: number;
  fileName?: string;
}

export interface TextContent {
  type: 'text';
  text: string;
  /** jids mentioned in the text */
  mentions?: string[];
  groupMentions?: { jid: string; subject: string }[];
  /** Received only: the text came from a click-to-WhatsApp ad (engines do not send it). */
  ad?: AdReply;
}

/** The ad a received text came from (WhatsApp's contextInfo.externalAdReply). */
export interface AdReply {
  title: string;
  /** The ad's text. */
  body: string;
  /** 0 none, 1 image, 2 video (WhatsApp's ExternalAdReplyInfo.MediaType). */
  mediaType: number;
  /** The ad's image kept by OpenZap; when absent, `thumbnailUrl` as WhatsApp gave it. */
  thumbnail?: MediaRef;
  thumbnailUrl?: string;
  /** "ad", "post" … */
  sourceType: string;
  sourceId: string;
  sourceUrl: string;
  /** Click-to-WhatsApp click id. */
  ctwaClid: string;
  containsAutoReply: boolean;
  renderLargerThumbnail: boolean;
  showAdAttribution: boolean;
}

/** Text with a rich link preview (send-link; received text with title/description/url). */
export interface LinkContent {
  type: 'link';
  text: string;
  url: string;
  title: string;
  description: string;
  image?: MediaRef;
  /** linkType LARGE: the big preview. */
  large?: boolean;
}

export interface ImageContent {
  type: 'image';
  media: MediaRef;
  caption?: string;
  viewOnce?: boolean;
  width?: number;
  height?: number;
}

export interface StickerContent {
  type: 'sticker';
  media: MediaRef;
  author?: string;
}

/** Video; `gif` plays as a looping GIF (send-gif). */
export interface VideoContent {
  type: 'video';
  media: MediaRef;
  caption?: string;
  gif?: boolean;
  viewOnce?: boolean;
  seconds?: number;
}

/** Round video note ("PTV"). */
export interface PtvContent {
  type: 'ptv';
  media: MediaRef;
  seconds?: number;
}

export interface AudioContent {
  type: 'audio';
  media: MediaRef;
  /** Voice note (push-to-talk); send-audio always sends voice notes, as Z-API does. */
  ptt: boolean;
  seconds?: number;
  viewOnce?: boolean;
  /** Show a waveform (send-audio `waveform`). */
  waveform?: boolean;
}

export interface DocumentContent {
  type: 'document';
  media: MediaRef;
  fileName: string;
  caption?: string;
  title?: string;
  pageCount?: number;
}

export interface LocationContent {
  type: 'location';
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
  url?: string;
}

export interface ContactCard {
  name: string;
  /** Digits with country code. */
  phones: string[];
  businessDescription?: string;
  /** The vCard as sent or received; built from the fields above when absent. */
  vcard?: string;
}

/** One contact (send-contact) or several (send-contacts). */
export interface ContactsContent {
  type: 'contacts';
  contacts: ContactCard[];
}

/** The message a reaction, pin or event response points at. */
export interface MessageKey {
  id: string;
  /** The chat the message is in. */
  chatJid: string;
  fromMe: boolean;
  /** In groups: who sent it. */
  participant?: string;
}

export interface ReactionContent {
  type: 'reaction';
  target: MessageKey;
  /** The emoji; '' removes the reaction. */
  emoji: string;
}

export type ButtonKind = 'REPLY' | 'URL' | 'CALL' | 'COPY';

export interface Button {
  id: string;
  kind: ButtonKind;
  label: string;
  /** URL buttons. */
  url?: string;
  /** CALL buttons: digits. */
  phone?: string;
  /** COPY buttons (OTP): the code copied. */
  code?: string;
}

/** Text with buttons (send-button-actions, send-button-list), optionally with an image or video header. */
export interface ButtonsContent {
  type: 'buttons';
  text: string;
  title?: string;
  footer?: string;
  buttons: Button[];
  image?: MediaRef;
  video?: MediaRef;
  /** Received templates only (no send endpoint builds these headers): a document header. */
  document?: MediaRef;
  /** Received templates only: a location header. */
  location?: { latitude: number; longitude: number; name?: string; address?: string; url?: string };
  /**
   * Received only: the message was a hydrated template (WhatsApp's templateMessage), with this
   * template id ('' when WhatsApp gave none). The webhook then is a hydratedTemplate whatever the buttons.
   */
  templateId?: string;
}

export interface ListContent {
  type: 'list';
  text: string;
  title: string;
  buttonLabel: string;
  footer?: string;
  sections: { title: string; rows: { id: string; title: string; description?: string }[] }[];
}

/** One-time-password message with a "copy code" button (send-button-otp). */
export interface OtpContent {
  type: 'otp';
  text: string;
  code: string;
  buttonText?: string;
  image?: MediaRef;
}

/** PIX key payment button (send-button-pix). keyType: CPF, CNPJ, PHONE, EMAIL, EVP. */
export interface PixContent {
  type: 'pix';
  key: string;
  keyType: string;
  merchantName?: string;
  currency: string;
  referenceId: string;
}

export interface CarouselCard {
  text: string;
  image: MediaRef;
  buttons: Button[];
}

export interface CarouselContent {
  type: 'carousel';
  text: string;
  cards: CarouselCard[];
}

export interface PollContent {
  type: 'poll';
  question: string;
  options: string[];
  /** 0 = any number of options. */
  maxOptions: number;
}

export interface PollVoteContent {
  type: 'pollVote';
  poll: MessageKey;
  options: string[];
}

export interface ProductContent {
  type: 'product';
  /** The business whose catalog holds the product. */
  catalogJid: string;
  productId: string;
  title?: string;
  description?: string;
  price?: number;
  currency?: string;
  image?: MediaRef;
}

export interface CatalogContent {
  type: 'catalog';
  catalogJid: string;
  text?: string;
  title?: string;
  description?: string;
  /** Language of the "View catalog" texts (Z-API `translation`: EN, PT …). */
  translation?: string;
}

export interface OrderProduct {
  productId?: string;
  name: string;
  value: number;
  quantity: number;
  isCustomItem?: boolean;
}

export interface OrderDetails {
  currency: string;
  products: OrderProduct[];
  discount?: number;
  tax?: number;
  shipping?: number;
}

/** An order for the customer to review and pay (send-order). */
export interface OrderContent {
  type: 'order';
  text?: string;
  referenceId: string;
  orderRequestId: string;
  order: OrderDetails;
  payment: { pix?: { key: string; keyType: string; name: string }; card?: { enabled: boolean } };
  /** Money totals in the order's currency (derived from the products). */
  subTotal: number;
  total: number;
}

/** A status or payment change of an order sent earlier (order-status-update, order-payment-update). */
export interface OrderUpdateContent {
  type: 'orderUpdate';
  update: 'status' | 'payment';
  /** The order message being updated. */
  orderMessageId: string;
  text?: string;
  referenceId: string;
  orderRequestId: string;
  orderStatus: string;
  paymentStatus: string;
  order: OrderDetails;
  subTotal: number;
  total: number;
}

export interface PinContent {
  type: 'pin';
  target: MessageKey;
  action: 'pin' | 'unpin';
  /** 86400, 604800 or 2592000. */
  durationSecs: number;
}

export interface NewsletterAdminInviteContent {
  type: 'newsletterAdminInvite';
  newsletterJid: string;
  newsletterName?: string;
  text: string;
  /** Unix seconds. */
  expiration: number;
}

export interface EventContent {
  type: 'event';
  name: string;
  description?: string;
  /** Unix seconds. */
  startTime: number;
  location?: { name?: string; address?: string; latitude?: number; longitude?: number };
  callLinkType?: 'voice' | 'video';
  joinLink?: string;
  canceled: boolean;
}

export interface EventResponseContent {
  type: 'eventResponse';
  event: MessageKey;
  response: 'GOING' | 'NOT_GOING' | 'MAYBE';
}

/** A tap on a reply button of a buttons message (received; a simulated contact can send it). */
export interface ButtonReplyContent {
  type: 'buttonReply';
  buttonId: string;
  text: string;
  quotedId?: string;
}

/** A choice from a list message (received; a simulated contact can send it). */
export interface ListReplyContent {
  type: 'listReply';
  rowId: string;
  title: string;
  text: string;
  quotedId?: string;
}

/** One line of a customer's cart. Money in currency units. */
export interface CartProduct {
  productId: string;
  /** The seller's own id for the product (catalog retailer id), when known. */
  retailerId?: string;
  name: string;
  quantity: number;
  /** Unit price. */
  price: number;
  currency: string;
}

/** A customer's cart sent to a business from its catalog (received; WhatsApp's orderMessage). */
export interface CartContent {
  type: 'cart';
  orderId: string;
  /** WhatsApp's order token (base64): what the seller needs to read the order's details. */
  token: string;
  itemCount: number;
  /** What the customer wrote with the cart. */
  message?: string;
  title?: string;
  /** The business the cart was sent to. */
  sellerJid: string;
  thumbnail?: MediaRef;
  currency: string;
  total: number;
  subTotal: number;
  /** Empty when the engine could not read the order's lines. */
  products: CartProduct[];
}

/** WhatsApp's record of a payment (WebMessageInfo.paymentInfo). Money in currency units. */
export interface PaymentInfo {
  /** Who receives the money; absent when the engine does not know (see the mapper's fallback). */
  receiverJid?: string;
  value: number;
  currency: string;
  /** WhatsApp's PaymentInfo.Status name: WAITING, COMPLETE, REJECTED … */
  status: string;
  /** WhatsApp's PaymentInfo.TxnStatus name: COLLECT_SUCCESS, SUCCESS … */
  transactionStatus: string;
}

/** A request for money (received; WhatsApp's requestPaymentMessage). */
export interface PaymentRequestContent {
  type: 'paymentRequest';
  value: number;
  currency: string;
  /** Who is asked to pay (WhatsApp's requestFrom). */
  requestFrom: string;
  /** When the request expires, epoch ms; 0 when WhatsApp gave none. */
  expiration: number;
  note?: string;
  payment: PaymentInfo;
}

/** A payment made (received; WhatsApp's sendPaymentMessage). */
export interface PaymentSentContent {
  type: 'paymentSent';
  note?: string;
  /** The payment request this pays, when it answers one. */
  requestId?: string;
  payment: PaymentInfo;
}

/**
 * A payment request was declined (received; WhatsApp's declinePaymentRequestMessage). Z-API
 * reports it as the notification PAYMENT_ACTION_REQUEST_DECLINED, not as a content object.
 */
export interface PaymentDeclinedContent {
  type: 'paymentDeclined';
  /** The declined request, when known. */
  request?: MessageKey;
  /** The request's amount, when known. */
  value?: number;
  currency?: string;
}

export type MessageContent =
  | TextContent
  | LinkContent
  | ImageContent
  | StickerContent
  | VideoContent
  | PtvContent
  | AudioContent
  | DocumentContent
  | LocationContent
  | ContactsContent
  | ReactionContent
  | ButtonsContent
  | ListContent
  | OtpContent
  | PixContent
  | CarouselContent
  | PollContent
  | PollVoteContent
  | ProductContent
  | CatalogContent
  | OrderContent
  | OrderUpdateContent
  | PinContent
  | NewsletterAdminInviteContent
  | EventContent
  | EventResponseContent
  | ButtonReplyContent
  | ListReplyContent
  | CartContent
  | PaymentRequestContent
  | PaymentSentContent
  | PaymentDeclinedContent;

export type ContentType = MessageContent['type'];

/** The media files a content refers to (to keep them alive, copy them, or check them). */
export function mediaOf(c: MessageContent): MediaRef[] {
  switch (c.type) {
    case 'image':
    case 'sticker':
    case 'video':
    case 'ptv':
    case 'audio':
    case 'document':
      return [c.media];
    case 'link':
    case 'otp':
    case 'product':
      return c.image ? [c.image] : [];
    case 'buttons':
      return [c.image, c.video, c.document].filter((m): m is MediaRef => m !== undefined);
    case 'text':
      return c.ad?.thumbnail ? [c.ad.thumbnail] : [];
    case 'cart':
      return c.thumbnail ? [c.thumbnail] : [];
    case 'carousel':
      return c.cards.map((card) => card.image);
    default:
      return [];
  }
}
