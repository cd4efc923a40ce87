// Text-like sends: plain text (with reply, edit and mentions), link preview, location and
// contact cards (zapi-reference.txt "Send plain text", "Send link", "Send location",
// "Send contact", "Send multiple contacts").
import { Type } from '@sinclair/typebox';
import { badRequest } from '../../../domain/errors.js';
import { toJid, toPhoneDigits } from '../../../domain/phone.js';
import { Delays, Enum, MB, MediaInput, Phone, ReplyTo, Str, coordinate, defineKind, delays, linkUrl, replyTo } from './kinds.js';

/** WhatsApp lets a message be edited for 15 minutes after it was sent. */
export const EDIT_WINDOW_MS = 15 * 60_000;
const TEXT_MAX = 65_536;

const sendText = defineKind({
  path: '/send-text',
  summary: 'Send plain text (reply, edit, mentions)',
  doc: 1767,
  body: Type.Object({
    phone: Phone,
    message: Str(1, TEXT_MAX, 'Text to send'),
    ...Delays,
    editMessageId: Type.Optional(Str(1, 128, 'Replace the text of a message sent earlier (within 15 minutes)')),
    ...ReplyTo,
    privateAnswer: Type.Optional(Type.Boolean({ description: 'Group reply sent privately to the quoted message\'s sender' })),
    mentioned: Type.Optional(Type.Array(Type.Union([Str(1, 100), Type.Integer()]), { maxItems: 1024 })),
    groupMentioned: Type.Optional(
      Type.Array(Type.Object({ phone: Str(1, 100), subject: Type.String({ maxLength: 200 }) }), { maxItems: 256 }),
    ),
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    if (b.editMessageId) {
      if (b.messageId) throw badRequest('editMessageId replaces the text of a sent message; it cannot also quote messageId');
      const m = await ctx.message(b.editMessageId, 'editMessageId', { chat: jid, own: true, kinds: ['text', 'link'] });
      if (Date.now() - m.createdAt > EDIT_WINDOW_MS) {
        throw badRequest(`editMessageId ${m.id} was sent more than 15 minutes ago; WhatsApp no longer allows editing it`, 'edit-window-expired');
      }
    }
    const quotedId = await replyTo(ctx, b);
    if (b.privateAnswer && !b.messageId) throw badRequest('privateAnswer needs messageId (the group message to answer privately)');
    if (b.privateAnswer && ctx.direction === 'inbound') throw badRequest('privateAnswer: a simulated contact writes one-to-one; there is no group to answer from');
    const mentions = (b.mentioned ?? []).map((m) => toJid(String(m), 'mentioned'));
    const groupMentions = (b.groupMentioned ?? []).map((g) => ({ jid: toJid(g.phone, 'groupMentioned.phone'), subject: g.subject }));
    for (const g of groupMentions) if (!g.jid.endsWith('@g.us')) throw badRequest('groupMentioned.phone must be a group id (<id>-group)', 'invalid-phone');
    return {
      jid,
      content: {
        type: 'text',
        text: b.message,
        ...(mentions.length ? { mentions } : {}),
        ...(groupMentions.length ? { groupMentions } : {}),
      },
      ...delays(b),
      quotedId,
      privateAnswer: b.privateAnswer || undefined,
      editId: b.editMessageId,
    };
  },
});

const sendLink = defineKind({
  path: '/send-link',
  summary: 'Send a link with a rich preview',
  doc: 2689,
  body: Type.Object({
    phone: Phone,
    message: Str(1, TEXT_MAX, 'Text about the link; it should end with linkUrl'),
    image: MediaInput('Preview image'),
    linkUrl: Str(1, 2048, 'The link'),
    title: Str(1, 1024, 'Preview title'),
    linkDescription: Type.String({ maxLength: 4096, description: 'Preview description' }),
    linkType: Type.Optional(Enum(['SMALL', 'MEDIUM', 'LARGE'] as const, 'Preview size (default SMALL)')),
    ...Delays,
    ...ReplyTo,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const url = linkUrl(b.linkUrl, 'linkUrl');
    const quotedId = await replyTo(ctx, b);
    const image = await ctx.media(b.image, { field: 'image', expect: 'image/', maxBytes: 5 * MB });
    // WhatsApp attaches the preview to the URL found in the text: without it there is nothing to open.
    const text = b.message.includes(url) ? b.message : `${b.message} ${url}`;
    return {
      jid,
      content: { type: 'link', text, url, title: b.title, description: b.linkDescription, image, ...(b.linkType === 'LARGE' ? { large: true } : {}) },
      ...delays(b),
      quotedId,
    };
  },
});

const Coordinate = Type.Union([Type.String({ minLength: 1, maxLength: 40 }), Type.Number()]);

const sendLocation = defineKind({
  path: '/send-location',
  summary: 'Send a fixed location',
  doc: 2768,
  body: Type.Object({
    phone: Phone,
    title: Str(1, 1024, 'Name of the place'),
    address: Str(1, 1024, 'Address of the place'),
    latitude: Coordinate,
    longitude: Coordinate,
    ...Delays,
    ...ReplyTo,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const latitude = coordinate(b.latitude, 'latitude', 90);
    const longitude = coordinate(b.longitude, 'longitude', 180);
    const quotedId = await replyTo(ctx, b);
    return { jid, content: { type: 'location', latitude, longitude, name: b.title, address: b.address }, ...delays(b), quotedId };
  },
});

const sendContact = defineKind({
  path: '/send-contact',
  summary: 'Send a contact card',
  doc: 2979,
  body: Type.Object({
    phone: Phone,
    contactName: Str(1, 256, 'Name on the card'),
    contactPhone: Str(1, 30, 'Phone of the contact shared (digits with country code)'),
    contactBusinessDescription: Type.Optional(Type.String({ maxLength: 1024 })),
    ...Delays,
    ...ReplyTo,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const phone = toPhoneDigits(b.contactPhone, 'contactPhone');
    const quotedId = await replyTo(ctx, b);
    const card = { name: b.contactName, phones: [phone], ...(b.contactBusinessDescription ? { businessDescription: b.contactBusinessDescription } : {}) };
    return { jid, content: { type: 'contacts', contacts: [card] }, ...delays(b), quotedId };
  },
});

const sendContacts = defineKind({
  path: '/send-contacts',
  summary: 'Send several contact cards',
  doc: 3049,
  body: Type.Object({
    phone: Phone,
    contacts: Type.Array(
      Type.Object({
        name: Str(1, 256),
        phones: Type.Array(Str(1, 30), { minItems: 1, maxItems: 20 }),
        businessDescription: Type.Optional(Type.String({ maxLength: 1024 })),
      }),
      { minItems: 1, maxItems: 100 },
    ),
    ...Delays,
    ...ReplyTo,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const contacts = b.contacts.map((c, i) => ({
      name: c.name,
      phones: c.phones.map((p, j) => toPhoneDigits(p, `contacts[${i}].phones[${j}]`)),
      ...(c.businessDescription ? { businessDescription: c.businessDescription } : {}),
    }));
    const quotedId = await replyTo(ctx, b);
    return { jid, content: { type: 'contacts', contacts }, ...delays(b), quotedId };
  },
});

export const textKinds = [sendText, sendLink, sendLocation, sendContact, sendContacts];
