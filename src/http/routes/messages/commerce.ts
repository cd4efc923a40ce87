// WhatsApp Business sends: product and catalog cards, orders and their status and payment
// updates (zapi-reference.txt "Send product" … "Send order payment update"). Whether the
// connected account is a business account is the engine's to say (unsupportedReason → 501).
import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from '../../../domain/errors.js';
import { toPhoneDigits } from '../../../domain/phone.js';
import type { OrderContent, OrderDetails, OrderProduct } from '../../../engines/content.js';
import { Delays, Enum, Phone, Str, defineKind, delays } from './kinds.js';
import { referenceId } from './interactive.js';

const catalogJid = (phone: string) => `${toPhoneDigits(phone, 'catalogPhone')}@s.whatsapp.net`;

const sendProduct = defineKind({
  path: '/send-product',
  summary: 'Send a product of a catalog',
  doc: 2841,
  body: Type.Object({
    phone: Phone,
    catalogPhone: Str(1, 30, 'Business account the product belongs to'),
    productId: Str(1, 128, 'Product id'),
    ...Delays,
  }),
  async build(b, ctx) {
    return { jid: ctx.chat(b.phone), content: { type: 'product', catalogJid: catalogJid(b.catalogPhone), productId: b.productId }, ...delays(b) };
  },
});

const sendCatalog = defineKind({
  path: '/send-catalog',
  summary: 'Send a link to a catalog',
  doc: 2906,
  body: Type.Object({
    phone: Phone,
    catalogPhone: Str(1, 30, 'Business account the catalog belongs to'),
    translation: Type.Optional(Enum(['EN', 'PT'] as const, 'Language of the card\'s default texts')),
    message: Type.Optional(Type.String({ maxLength: 65_536 })),
    title: Type.Optional(Type.String({ maxLength: 1024 })),
    catalogDescription: Type.Optional(Type.String({ maxLength: 4096 })),
    ...Delays,
  }),
  async build(b, ctx) {
    return {
      jid: ctx.chat(b.phone),
      content: {
        type: 'catalog',
        catalogJid: catalogJid(b.catalogPhone),
        ...(b.message ? { text: b.message } : {}),
        ...(b.title ? { title: b.title } : {}),
        ...(b.catalogDescription ? { description: b.catalogDescription } : {}),
        ...(b.translation ? { translation: b.translation } : {}),
      },
      ...delays(b),
    };
  },
});

const Money = (description: string) => Type.Number({ minimum: 0, maximum: 1e12, description });
const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. BRL' });
const Charges = {
  discount: Type.Optional(Money('Discount')),
  tax: Type.Optional(Money('Tax')),
  shipping: Type.Optional(Money('Shipping')),
};
const Quantity = Type.Integer({ minimum: 1, maximum: 1_000_000 });

/** Totals as WhatsApp shows them: Σ value × quantity, then − discount + tax + shipping. */
function totals(order: OrderDetails): { subTotal: number; total: number } {
  const cents = (n: number) => Math.round(n * 100);
  const sub = order.products.reduce((s, p) => s + cents(p.value) * p.quantity, 0);
  const total = sub - cents(order.discount ?? 0) + cents(order.tax ?? 0) + cents(order.shipping ?? 0);
  if (total < 0) throw badRequest('order.discount is larger than the order total', 'invalid-order');
  return { subTotal: sub / 100, total: total / 100 };
}

const charges = (o: { discount?: number; tax?: number; shipping?: number }) => ({
  ...(o.discount !== undefined ? { discount: o.discount } : {}),
  ...(o.tax !== undefined ? { tax: o.tax } : {}),
  ...(o.shipping !== undefined ? { shipping: o.shipping } : {}),
});

const PIX_TYPES: Record<string, string> = { cpf: 'CPF', cnpj: 'CNPJ', phone: 'PHONE', email: 'EMAIL', randomkey: 'EVP', evp: 'EVP' };

const OrderBody = Type.Object({
  currency: Currency,
  products: Type.Array(
    Type.Object({ productId: Type.Optional(Str(1, 128, 'Catalog product id; none = a custom item')), name: Str(1, 256), value: Money('Unit price'), quantity: Quantity }),
    { minItems: 1, maxItems: 100 },
  ),
  ...Charges,
});

const sendOrder = defineKind({
  path: '/send-order',
  summary: 'Send an order for the customer to review and pay',
  doc: 4279,
  body: Type.Object({
    phone: Phone,
    order: OrderBody,
    paymentSettings: Type.Optional(
      Type.Object({
        pix: Type.Optional(Type.Object({ key: Str(1, 140), keyType: Str(1, 20, 'cpf, cnpj, phone, email or randomKey'), name: Str(1, 100) })),
        card: Type.Optional(Type.Object({ enabled: Type.Boolean() })),
      }),
    ),
    message: Type.Optional(Type.String({ maxLength: 65_536 })),
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const products: OrderProduct[] = b.order.products.map((p) =>
      // WhatsApp gives catalog-less items a "custom-item-…" id, used again by the updates.
      p.productId ? { productId: p.productId, name: p.name, value: p.value, quantity: p.quantity } : { productId: `custom-item-${referenceId()}`, name: p.name, value: p.value, quantity: p.quantity, isCustomItem: true },
    );
    const order: OrderDetails = { currency: b.order.currency.toUpperCase(), products, ...charges(b.order) };
    const payment: OrderContent['payment'] = {};
    const pix = b.paymentSettings?.pix;
    if (pix) {
      const keyType = PIX_TYPES[pix.keyType.trim().toLowerCase()];
      if (!keyType) throw badRequest('paymentSettings.pix.keyType must be cpf, cnpj, phone, email or randomKey', 'invalid-pix-key');
      payment.pix = { key: pix.key.trim(), keyType, name: pix.name };
    }
    if (b.paymentSettings?.card) payment.card = { enabled: b.paymentSettings.card.enabled };
    return {
      jid,
      content: { type: 'order', ...(b.message ? { text: b.message } : {}), referenceId: referenceId(), orderRequestId: referenceId(), order, payment, ...totals(order) },
      ...delays(b),
    };
  },
});

const UpdateBody = Type.Object({
  phone: Phone,
  messageId: Str(1, 128, 'The order message (send-order response or webhook)'),
  referenceId: Str(1, 64, 'Order reference id (from the webhook)'),
  orderRequestId: Str(1, 64, 'Order request id (from the webhook)'),
  orderStatus: Enum(['pending', 'processing', 'shipped', 'completed', 'canceled'] as const),
  paymentStatus: Enum(['pending', 'paid'] as const),
  order: Type.Object({
    currency: Currency,
    products: Type.Array(
      Type.Object({ productId: Str(1, 128), name: Str(1, 256), value: Money('Unit price'), quantity: Quantity, isCustomItem: Type.Boolean() }),
      { minItems: 1, maxItems: 100 },
    ),
    ...Charges,
  }),
  message: Type.Optional(Type.String({ maxLength: 65_536 })),
  ...Delays,
});

function orderUpdate(update: 'status' | 'payment', path: string, summary: string, doc: number) {
  return defineKind({
    path,
    summary,
    doc,
    body: UpdateBody,
    async build(b: Static<typeof UpdateBody>, ctx) {
      const jid = ctx.chat(b.phone);
      const m = await ctx.message(b.messageId, 'messageId', { chat: jid, own: true, kinds: ['order'] });
      const sent = m.content as OrderContent;
      // "Send all the data previously informed": the ids must be those of the order updated.
      if (sent.referenceId !== b.referenceId || sent.orderRequestId !== b.orderRequestId) {
        throw badRequest(`referenceId/orderRequestId are not those of order ${m.id} (${sent.referenceId}/${sent.orderRequestId})`, 'order-mismatch');
      }
      const products: OrderProduct[] = b.order.products.map((p) => ({ productId: p.productId, name: p.name, value: p.value, quantity: p.quantity, isCustomItem: p.isCustomItem }));
      const order: OrderDetails = { currency: b.order.currency.toUpperCase(), products, ...charges(b.order) };
      return {
        jid,
        content: {
          type: 'orderUpdate',
          update,
          orderMessageId: m.id,
          ...(b.message ? { text: b.message } : {}),
          referenceId: b.referenceId,
          orderRequestId: b.orderRequestId,
          orderStatus: b.orderStatus,
          paymentStatus: b.paymentStatus,
          order,
          ...totals(order),
        },
        ...delays(b),
      };
    },
  });
}

export const commerceKinds = [
  sendProduct,
  sendCatalog,
  sendOrder,
  orderUpdate('status', '/order-status-update', 'Send an order status update', 4424),
  orderUpdate('payment', '/order-payment-update', 'Send an order payment update', 4550),
];
