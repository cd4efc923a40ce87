// Interactive sends: action buttons, reply buttons (with image or video), option lists,
// OTP copy button, PIX key button and carousels (zapi-reference.txt "Send text with action
// buttons" … "Send carousel"). Whether a recipient's app shows them is WhatsApp's business;
// an engine that cannot send them at all says so through unsupportedReason (501).
import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from '../../../domain/errors.js';
import { toPhoneDigits } from '../../../domain/phone.js';
import type { Button } from '../../../engines/content.js';
import { Delays, Enum, MB, MediaInput, Phone, ReplyTo, Str, defineKind, delays, linkUrl, replyTo } from './kinds.js';

const TEXT_MAX = 65_536;
const IMAGE_MAX = 16 * MB;

const ButtonAction = Type.Object({
  id: Type.Optional(Str(1, 256, 'Button id (default: its position, 1-based)')),
  type: Enum(['CALL', 'URL', 'REPLY'] as const, 'CALL, URL or REPLY'),
  phone: Type.Optional(Str(1, 30, 'CALL: the number called')),
  url: Type.Optional(Str(1, 2048, 'URL: the link opened')),
  label: Str(1, 100, 'Button text'),
});

/** WhatsApp's "copy code" link turns a URL button into a copy button (documented tip). */
function copyCode(url: string): string | null {
  try {
    const u = new URL(url);
    if (!/(^|\.)whatsapp\.com$/.test(u.hostname) || !u.pathname.startsWith('/otp/code')) return null;
    if (u.searchParams.get('otp_type') !== 'COPY_CODE') return null;
    return u.searchParams.get('code');
  } catch {
    return null;
  }
}

/** Ids must be unique: the reply webhook names the button by id. */
function uniqueIds(ids: string[], field: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw badRequest(`${field}: button id "${id}" is used twice`, 'duplicate-id');
    seen.add(id);
  }
}

export function actionButtons(list: Static<typeof ButtonAction>[], field: string): Button[] {
  const buttons = list.map((a, i): Button => {
    const id = a.id ?? String(i + 1);
    const at = `${field}[${i}]`;
    if (a.type === 'CALL') {
      if (!a.phone) throw badRequest(`${at}.phone is required for a CALL button`);
      return { id, kind: 'CALL', label: a.label, phone: toPhoneDigits(a.phone, `${at}.phone`) };
    }
    if (a.type === 'URL') {
      if (!a.url) throw badRequest(`${at}.url is required for a URL button`);
      const url = linkUrl(a.url, `${at}.url`);
      const code = copyCode(url);
      return code ? { id, kind: 'COPY', label: a.label, code } : { id, kind: 'URL', label: a.label, url };
    }
    return { id, kind: 'REPLY', label: a.label };
  });
  uniqueIds(buttons.map((b) => b.id), field);
  const kinds = new Set(buttons.map((b) => b.kind));
  // Documented: all three types together fail on WhatsApp Web (and on Meta's own API).
  if (kinds.has('REPLY') && kinds.has('URL') && kinds.has('CALL')) {
    throw badRequest(`${field}: CALL, URL and REPLY buttons cannot be sent together (WhatsApp Web fails on it); send the REPLY button in a separate message`, 'button-mix');
  }
  return buttons;
}

const sendButtonActions = defineKind({
  path: '/send-button-actions',
  summary: 'Send text with action buttons (call, link, reply)',
  doc: 3135,
  body: Type.Object({
    phone: Phone,
    message: Str(1, TEXT_MAX, 'Text'),
    buttonActions: Type.Array(ButtonAction, { minItems: 1, maxItems: 10 }),
    title: Type.Optional(Type.String({ maxLength: 1024 })),
    footer: Type.Optional(Type.String({ maxLength: 1024 })),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const buttons = actionButtons(b.buttonActions, 'buttonActions');
    const quotedId = await replyTo(ctx, b);
    return {
      jid,
      content: { type: 'buttons', text: b.message, buttons, ...(b.title ? { title: b.title } : {}), ...(b.footer ? { footer: b.footer } : {}) },
      ...delays(b),
      quotedId,
    };
  },
});

const sendButtonList = defineKind({
  path: '/send-button-list',
  summary: 'Send text with reply buttons, optionally with an image or a video',
  doc: 3249,
  body: Type.Object({
    phone: Phone,
    message: Str(1, TEXT_MAX, 'Text (cannot be empty)'),
    buttonList: Type.Object({
      buttons: Type.Array(Type.Object({ id: Type.Optional(Str(1, 256)), label: Str(1, 100) }), { minItems: 1, maxItems: 3 }),
      image: Type.Optional(MediaInput('Header image')),
      video: Type.Optional(MediaInput('Header video')),
    }),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const { image, video } = b.buttonList;
    if (image && video) throw badRequest('buttonList takes an image or a video, not both');
    const buttons: Button[] = b.buttonList.buttons.map((x, i) => ({ id: x.id ?? String(i + 1), kind: 'REPLY', label: x.label }));
    uniqueIds(buttons.map((x) => x.id), 'buttonList.buttons');
    const quotedId = await replyTo(ctx, b);
    const media = image
      ? { image: await ctx.media(image, { field: 'buttonList.image', expect: 'image/', maxBytes: IMAGE_MAX }) }
      : video
        ? { video: await ctx.media(video, { field: 'buttonList.video', expect: 'video/', maxBytes: 16 * MB }) }
        : {};
    return { jid, content: { type: 'buttons', text: b.message, buttons, ...media }, ...delays(b), quotedId };
  },
});

const sendOptionList = defineKind({
  path: '/send-option-list',
  summary: 'Send a list of options to choose from',
  doc: 3536,
  body: Type.Object({
    phone: Phone,
    message: Str(1, TEXT_MAX, 'Text'),
    optionList: Type.Object({
      title: Str(1, 1024, 'List title'),
      buttonLabel: Str(1, 100, 'Text of the button that opens the list'),
      options: Type.Array(
        Type.Object({ id: Type.Optional(Str(1, 256)), title: Str(1, 200), description: Type.String({ maxLength: 1024 }) }),
        { minItems: 1, maxItems: 10 },
      ),
    }),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const l = b.optionList;
    const rows = l.options.map((o, i) => ({ id: o.id ?? String(i + 1), title: o.title, ...(o.description ? { description: o.description } : {}) }));
    uniqueIds(rows.map((r) => r.id), 'optionList.options');
    const quotedId = await replyTo(ctx, b);
    return {
      jid,
      // Z-API has one untitled group of options: one section named like the list.
      content: { type: 'list', text: b.message, title: l.title, buttonLabel: l.buttonLabel, sections: [{ title: l.title, rows }] },
      ...delays(b),
      quotedId,
    };
  },
});

const sendButtonOtp = defineKind({
  path: '/send-button-otp',
  summary: 'Send text with a "copy code" button',
  doc: 3631,
  body: Type.Object({
    phone: Phone,
    message: Str(1, TEXT_MAX, 'Text'),
    code: Str(1, 256, 'Value copied when the button is tapped'),
    image: Type.Optional(MediaInput('Image shown with the button')),
    buttonText: Type.Optional(Type.String({ maxLength: 100, description: 'Button text (default "Copy code")' })),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const quotedId = await replyTo(ctx, b);
    const image = b.image ? await ctx.media(b.image, { field: 'image', expect: 'image/', maxBytes: IMAGE_MAX }) : undefined;
    return {
      jid,
      content: { type: 'otp', text: b.message, code: b.code, buttonText: b.buttonText || 'Copy code', ...(image ? { image } : {}) },
      ...delays(b),
      quotedId,
    };
  },
});

const PIX_KEY: Record<string, [RegExp, string]> = {
  CPF: [/^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$/, '11 digits'],
  CNPJ: [/^\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2}$/, '14 digits'],
  PHONE: [/^\+?[\d\s()-]{10,20}$/, 'a phone number with country and area code'],
  EMAIL: [/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an e-mail address'],
  EVP: [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a random key (UUID)'],
};

/** Order and PIX reference ids, in the style WhatsApp uses (11 characters). */
export const referenceId = () => randomBytes(8).toString('base64url').replace(/[-_]/g, 'X').slice(0, 11).toUpperCase();

const sendButtonPix = defineKind({
  path: '/send-button-pix',
  summary: 'Send a PIX key with a copy button',
  doc: 3711,
  body: Type.Object({
    phone: Phone,
    pixKey: Str(1, 140, 'The PIX key'),
    type: Enum(['CPF', 'CNPJ', 'PHONE', 'EMAIL', 'EVP'] as const, 'Key type'),
    merchantName: Type.Optional(Type.String({ maxLength: 100, description: 'Title shown on the button (default "Pix")' })),
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const key = b.pixKey.trim();
    const [pattern, what] = PIX_KEY[b.type];
    if (!pattern.test(key)) throw badRequest(`pixKey is not a valid ${b.type} key (expected ${what})`, 'invalid-pix-key');
    return {
      jid,
      content: { type: 'pix', key, keyType: b.type, merchantName: b.merchantName || 'Pix', currency: 'BRL', referenceId: referenceId() },
      ...delays(b),
    };
  },
});

const sendCarousel = defineKind({
  path: '/send-carousel',
  summary: 'Send a carousel of cards with images and buttons',
  doc: 3785,
  body: Type.Object({
    phone: Phone,
    message: Str(1, TEXT_MAX, 'Text above the cards'),
    carousel: Type.Array(
      Type.Object({
        text: Str(1, 4096, 'Card text'),
        image: MediaInput('Card image'),
        buttons: Type.Optional(Type.Array(ButtonAction, { maxItems: 3 })),
      }),
      { minItems: 1, maxItems: 10 },
    ),
    ...ReplyTo,
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const buttons = b.carousel.map((card, i) => actionButtons(card.buttons ?? [], `carousel[${i}].buttons`));
    const quotedId = await replyTo(ctx, b);
    const cards = [];
    for (const [i, card] of b.carousel.entries()) {
      const image = await ctx.media(card.image, { field: `carousel[${i}].image`, expect: 'image/', maxBytes: IMAGE_MAX });
      cards.push({ text: card.text, image, buttons: buttons[i] });
    }
    return { jid, content: { type: 'carousel', text: b.message, cards }, ...delays(b), quotedId };
  },
});

export const interactiveKinds = [sendButtonActions, sendButtonList, sendOptionList, sendButtonOtp, sendButtonPix, sendCarousel];
