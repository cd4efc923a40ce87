// Sandbox: what a simulated contact can send that no send endpoint produces, so an integration
// can be tested against every ReceivedCallback variant (docs/compatibility.md "Sandbox: variants
// only received"): a customer's cart, a payment request, a payment, a declined payment request,
// a text from a click-to-WhatsApp ad, and a business template with an image, video, document or
// location header. Registered by sandbox.ts, which lends its checks (sandbox instance, contact
// phone); delivered like the registry's inbound routes, through oz.network.inbound.
import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../../domain/errors.js';
import { newMessageId } from '../../domain/ids.js';
import { toPhoneDigits } from '../../domain/phone.js';
import type { Button, ButtonsContent, CartProduct, MediaRef, MessageContent } from '../../engines/content.js';
import type { SandboxEngine } from '../../engines/sandbox/engine.js';
import type { IngestOptions } from '../../media/media.js';
import { coordinate, Enum, linkUrl, MB, MediaInput, Str } from './messages/kinds.js';
import { LIMITS } from './messages/media.js';

/** The checks sandbox.ts runs for its own inbound routes. */
export interface SandboxChecks {
  /** The instance's sandbox engine, started; 400 for a non-sandbox instance. */
  sandboxOf(req: FastifyRequest): Promise<SandboxEngine>;
  /** A simulated contact's phone (not the instance, not another sandbox instance). */
  contactPhone(engine: SandboxEngine, raw: string, field?: string): Promise<string>;
}

/** The routes below, relative to /sandbox/inbound (they have no send endpoint of the same name). */
export const RECEIVED_ONLY_PATHS = ['/cart', '/payment-request', '/payment-sent', '/payment-declined', '/ad-text', '/template'] as const;

// ---- bodies ----

const Contact = {
  phone: Str(1, 100, 'The simulated contact who sends it (digits with country code)'),
  senderName: Type.Optional(Type.String({ maxLength: 100, description: 'Push name of the contact' })),
};
const Currency = Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code (default BRL)' }));
const Amount = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000_000, description });
const Note = Type.Optional(Str(1, 1024, 'The text sent with it'));

const CartBody = Type.Object({
  ...Contact,
  products: Type.Array(
    Type.Object({
      productId: Str(1, 64, "The product's catalog id"),
      retailerId: Type.Optional(Str(1, 64, "The seller's own id for it")),
      name: Str(1, 200, 'Product name'),
      price: Type.Number({ minimum: 0, maximum: 1_000_000_000, description: 'Unit price in currency units' }),
      quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
      currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: "Must be the cart's currency" })),
    }),
    { minItems: 1, maxItems: 100 },
  ),
  currency: Currency,
  message: Type.Optional(Type.String({ maxLength: 4096, description: 'What the customer writes with the cart' })),
  orderTitle: Type.Optional(Str(1, 200, 'Default: the first product name')),
  thumbnail: Type.Optional(MediaInput('Cart thumbnail image')),
  orderId: Type.Optional(Type.String({ pattern: '^[0-9]{1,32}$', description: 'Default: a new id' })),
  token: Type.Optional(Str(1, 256, 'Order token (default: a new one)')),
});

const PaymentRequestBody = Type.Object({
  ...Contact,
  value: Amount('Amount requested, in currency units'),
  currency: Currency,
  note: Note,
  expiration: Type.Optional(Type.Integer({ minimum: 0, description: 'Epoch ms; must be in the future (default: in 7 days)' })),
});

const PaymentBody = Type.Object({ ...Contact, value: Amount('Amount, in currency units'), currency: Currency, note: Note });
const DeclineBody = Type.Object({ ...Contact, value: Amount('Amount of the declined request, in currency units'), currency: Currency });

const AdTextBody = Type.Object({
  ...Contact,
  message: Str(1, 65_536, 'The text the contact sends from the ad'),
  ad: Type.Object({
    title: Str(1, 200, 'Ad title'),
    body: Type.Optional(Type.String({ maxLength: 1024, description: 'Ad text' })),
    sourceUrl: Str(1, 2048, 'The ad or post link (http/https)'),
    sourceId: Type.Optional(Type.String({ pattern: '^[0-9]{1,32}$', description: 'Ad id (default: a new one)' })),
    sourceType: Type.Optional(Enum(['ad', 'post'] as const, 'Default ad')),
    ctwaClid: Type.Optional(Str(1, 512, 'Click id (default: a new one)')),
    thumbnail: Type.Optional(MediaInput('Ad image')),
    mediaType: Type.Optional(Type.Integer({ minimum: 0, maximum: 2, description: '0 none, 1 image, 2 video (default: 1 with a thumbnail, else 0)' })),
    containsAutoReply: Type.Optional(Type.Boolean()),
    renderLargerThumbnail: Type.Optional(Type.Boolean()),
    showAdAttribution: Type.Optional(Type.Boolean({ description: 'Default true' })),
  }),
});

const TemplateBody = Type.Object({
  ...Contact,
  message: Str(1, 4096, 'Template body text'),
  title: Type.Optional(Str(1, 200)),
  footer: Type.Optional(Str(1, 200)),
  templateId: Type.Optional(Type.String({ pattern: '^[0-9]{1,32}$', description: 'Default: a new id' })),
  header: Type.Optional(
    Type.Object(
      {
        image: Type.Optional(MediaInput('Header image')),
        video: Type.Optional(MediaInput('Header video')),
        document: Type.Optional(MediaInput('Header document')),
        fileName: Type.Optional(Str(1, 255, 'Document file name')),
        location: Type.Optional(
          Type.Object({
            latitude: Type.Union([Type.Number(), Type.String()]),
            longitude: Type.Union([Type.Number(), Type.String()]),
            name: Type.Optional(Str(1, 200)),
            address: Type.Optional(Str(1, 500)),
            url: Type.Optional(Str(1, 2048)),
          }),
        ),
      },
      { description: 'One of image, video, document or location' },
    ),
  ),
  buttons: Type.Optional(
    Type.Array(
      Type.Object({
        type: Enum(['URL', 'CALL', 'REPLY'] as const),
        label: Str(1, 100, 'Button text'),
        url: Type.Optional(Str(1, 2048, 'URL: the link opened')),
        phone: Type.Optional(Str(1, 30, 'CALL: the number called')),
        id: Type.Optional(Str(1, 256, 'REPLY: the id a tap answers with (default: its position, 1-based)')),
      }),
      { maxItems: 3, description: 'Up to 3 buttons, as WhatsApp templates have' },
    ),
  ),
});

// ---- helpers ----

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const digits = (n: number) => String(randomInt(1, 10)) + Array.from({ length: n - 1 }, () => randomInt(0, 10)).join('');
const SEVEN_DAYS = 7 * 86_400_000;

function templateButtons(list: Static<typeof TemplateBody>['buttons'] = []): Button[] {
  const out = list.map((b, i): Button => {
    const at = `buttons[${i}]`;
    const id = b.id ?? String(i + 1);
    if (b.type === 'URL') {
      if (!b.url) throw badRequest(`${at}.url is required for a URL button`);
      return { id, kind: 'URL', label: b.label, url: linkUrl(b.url, `${at}.url`) };
    }
    if (b.type === 'CALL') {
      if (!b.phone) throw badRequest(`${at}.phone is required for a CALL button`);
      return { id, kind: 'CALL', label: b.label, phone: toPhoneDigits(b.phone, `${at}.phone`) };
    }
    return { id, kind: 'REPLY', label: b.label };
  });
  const replies = out.filter((b) => b.kind === 'REPLY').map((b) => b.id);
  const twice = replies.find((id, i) => replies.indexOf(id) !== i);
  if (twice !== undefined) throw badRequest(`buttons: button id "${twice}" is used twice`, 'duplicate-id');
  return out;
}

export const sandboxReceivedRoutes: FastifyPluginAsyncTypebox<SandboxChecks> = async (app, checks) => {
  const oz = app.oz;
  const tags = ['sandbox'];
  const response = { 200: Type.Object({ messageId: Type.String(), id: Type.String() }) };

  /** The paired sandbox engine and the contact who sends. */
  async function sender(req: FastifyRequest, phone: string): Promise<{ engine: SandboxEngine; from: string }> {
    const engine = await checks.sandboxOf(req);
    if (engine.state().status !== 'connected') throw new ApiError(409, 'not-connected', 'Pair the sandbox instance first.');
    return { engine, from: await checks.contactPhone(engine, phone, 'phone') };
  }

  const media = (req: FastifyRequest, input: string, opts: Omit<IngestOptions, 'instanceId'>): Promise<MediaRef> =>
    oz.media.ingest(input, { ...opts, instanceId: req.instance.id });

  /** Deliver what the contact sends, as sandbox.ts does for the registry's routes. */
  async function deliver(engine: SandboxEngine, from: string, content: MessageContent, senderName: string | undefined) {
    const id = newMessageId();
    oz.network.presence(from, engine.phone, 'available');
    await oz.network.inbound({ id, from, to: engine.phone, content, timestamp: Date.now(), senderName });
    return { messageId: id, id };
  }

  app.post(
    '/sandbox/inbound/cart',
    {
      schema: {
        tags,
        summary: "A simulated customer sends a cart from this instance's catalog",
        description: 'The instance receives the `order{…}` ReceivedCallback (WhatsApp\'s cart order). Money in currency units; all lines in one currency.',
        body: CartBody,
        response,
      },
    },
    async (req) => {
      const b = req.body;
      const currency = b.currency ?? b.products[0]?.currency ?? 'BRL';
      const products = b.products.map((p, i): CartProduct => {
        if (p.currency && p.currency !== currency) throw badRequest(`products[${i}].currency ${p.currency} is not the cart's currency ${currency}`, 'currency-mismatch');
        return { productId: p.productId, ...(p.retailerId ? { retailerId: p.retailerId } : {}), name: p.name, quantity: p.quantity, price: p.price, currency };
      });
      const { engine, from } = await sender(req, b.phone);
      const thumbnail = b.thumbnail ? await media(req, b.thumbnail, { field: 'thumbnail', expect: 'image/', maxBytes: 5 * MB }) : undefined;
      const total = round3(products.reduce((sum, p) => sum + p.price * p.quantity, 0));
      const content: MessageContent = {
        type: 'cart',
        orderId: b.orderId ?? digits(15),
        token: b.token ?? randomBytes(32).toString('base64'),
        itemCount: products.reduce((n, p) => n + p.quantity, 0),
        ...(b.message ? { message: b.message } : {}),
        title: b.orderTitle ?? products[0].name,
        sellerJid: `${engine.phone}@s.whatsapp.net`,
        ...(thumbnail ? { thumbnail } : {}),
        currency,
        total,
        subTotal: total,
        products,
      };
      return deliver(engine, from, content, b.senderName);
    },
  );

  app.post(
    '/sandbox/inbound/payment-request',
    {
      schema: {
        tags,
        summary: 'A simulated contact asks this instance for money',
        description: 'The instance receives the `requestPayment{…}` ReceivedCallback: `requestPhone` is the instance (asked to pay), the contact receives; status WAITING.',
        body: PaymentRequestBody,
        response,
      },
    },
    async (req) => {
      const b = req.body;
      const now = Date.now();
      if (b.expiration !== undefined && b.expiration <= now) throw badRequest('expiration must be in the future (epoch ms)', 'invalid-expiration');
      const { engine, from } = await sender(req, b.phone);
      const currency = b.currency ?? 'BRL';
      const content: MessageContent = {
        type: 'paymentRequest',
        value: b.value,
        currency,
        requestFrom: `${engine.phone}@s.whatsapp.net`,
        expiration: b.expiration ?? now + SEVEN_DAYS,
        ...(b.note ? { note: b.note } : {}),
        payment: { receiverJid: `${from}@s.whatsapp.net`, value: b.value, currency, status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' },
      };
      return deliver(engine, from, content, b.senderName);
    },
  );

  app.post(
    '/sandbox/inbound/payment-sent',
    {
      schema: {
        tags,
        summary: 'A simulated contact pays this instance',
        description: 'The instance receives the `sendPayment{paymentInfo{…}}` ReceivedCallback: the instance receives, status COMPLETE.',
        body: PaymentBody,
        response,
      },
    },
    async (req) => {
      const b = req.body;
      const { engine, from } = await sender(req, b.phone);
      const content: MessageContent = {
        type: 'paymentSent',
        ...(b.note ? { note: b.note } : {}),
        payment: { receiverJid: `${engine.phone}@s.whatsapp.net`, value: b.value, currency: b.currency ?? 'BRL', status: 'COMPLETE', transactionStatus: 'SUCCESS' },
      };
      return deliver(engine, from, content, b.senderName);
    },
  );

  app.post(
    '/sandbox/inbound/payment-declined',
    {
      schema: {
        tags,
        summary: "A simulated contact declines a payment request of this instance's number",
        description:
          'The instance receives the ReceivedCallback `notification: "PAYMENT_ACTION_REQUEST_DECLINED"` with `notificationParameters` [contact phone, currency, value in thousandths]. ' +
          'Instances cannot send payment requests, so the request is described by its amount.',
        body: DeclineBody,
        response,
      },
    },
    async (req) => {
      const b = req.body;
      const { engine, from } = await sender(req, b.phone);
      return deliver(engine, from, { type: 'paymentDeclined', value: b.value, currency: b.currency ?? 'BRL' }, b.senderName);
    },
  );

  app.post(
    '/sandbox/inbound/ad-text',
    {
      schema: {
        tags,
        summary: 'A simulated contact writes from a click-to-WhatsApp ad',
        description: 'The instance receives a `text{…}` filled from the ad and `externalAdReply{…}` (the docs\' "text-ad" example).',
        body: AdTextBody,
        response,
      },
    },
    async (req) => {
      const b = req.body;
      const a = b.ad;
      const sourceUrl = linkUrl(a.sourceUrl, 'ad.sourceUrl');
      const { engine, from } = await sender(req, b.phone);
      const thumbnail = a.thumbnail ? await media(req, a.thumbnail, { field: 'ad.thumbnail', expect: 'image/', maxBytes: 5 * MB }) : undefined;
      const content: MessageContent = {
        type: 'text',
        text: b.message,
        ad: {
          title: a.title,
          body: a.body ?? '',
          mediaType: a.mediaType ?? (thumbnail ? 1 : 0),
          ...(thumbnail ? { thumbnail } : {}),
          sourceType: a.sourceType ?? 'ad',
          sourceId: a.sourceId ?? digits(17),
          sourceUrl,
          ctwaClid: a.ctwaClid ?? randomBytes(48).toString('base64url'),
          containsAutoReply: a.containsAutoReply ?? false,
          renderLargerThumbnail: a.renderLargerThumbnail ?? thumbnail !== undefined,
          showAdAttribution: a.showAdAttribution ?? true,
        },
      };
      return deliver(engine, from, content, b.senderName);
    },
  );

  app.post(
    '/sandbox/inbound/template',
    {
      schema: {
        tags,
        summary: 'A simulated business sends this instance a template message',
        description:
          'The instance receives the `hydratedTemplate{…}` ReceivedCallback: a header with one image, video, document or location (or none), ' +
          'up to 3 URL, CALL or REPLY buttons, the template id.',
        body: TemplateBody,
        response,
      },
    },
    async (req) => {
      const b = req.body;
      const h = b.header ?? {};
      const given = (['image', 'video', 'document', 'location'] as const).filter((k) => h[k] !== undefined);
      if (given.length > 1) throw badRequest(`header: one of image, video, document or location, not ${given.join(' and ')}`, 'header-conflict');
      if (h.fileName && !h.document) throw badRequest('header.fileName goes with header.document');
      const buttons = templateButtons(b.buttons);
      const location = h.location
        ? {
            latitude: coordinate(h.location.latitude, 'header.location.latitude', 90),
            longitude: coordinate(h.location.longitude, 'header.location.longitude', 180),
            ...(h.location.name ? { name: h.location.name } : {}),
            ...(h.location.address ? { address: h.location.address } : {}),
            ...(h.location.url ? { url: linkUrl(h.location.url, 'header.location.url') } : {}),
          }
        : undefined;
      const { engine, from } = await sender(req, b.phone);
      const header: Pick<ButtonsContent, 'image' | 'video' | 'document' | 'location'> = {};
      if (h.image) header.image = await media(req, h.image, { field: 'header.image', expect: 'image/', maxBytes: LIMITS.image });
      if (h.video) header.video = await media(req, h.video, { field: 'header.video', expect: 'video/', maxBytes: LIMITS.video });
      if (h.document) header.document = await media(req, h.document, { field: 'header.document', maxBytes: 100 * MB, ...(h.fileName ? { fileName: h.fileName } : {}) });
      if (location) header.location = location;
      const content: MessageContent = {
        type: 'buttons',
        text: b.message,
        ...(b.title ? { title: b.title } : {}),
        ...(b.footer ? { footer: b.footer } : {}),
        buttons,
        ...header,
        templateId: b.templateId ?? digits(15),
      };
      return deliver(engine, from, content, b.senderName);
    },
  );
};
