// Sends that act on another message or carry no media of their own: forward, reactions,
// pin/unpin and channel admin invites (zapi-reference.txt "Forward message", "Send
// reaction", "Remove reaction", "Pin/Unpin messages", "Send channel admin invite").
import { Type } from '@sinclair/typebox';
import { badRequest } from '../../../domain/errors.js';
import { toJid } from '../../../domain/phone.js';
import { mediaOf, type ContentType } from '../../../engines/content.js';
import { Delays, Enum, Phone, Str, defineKind, delays } from './kinds.js';

const MessageId = (description: string) => Str(1, 128, description);

/** Messages that act on another one: WhatsApp has nothing to forward or react to in them. */
const NOT_A_MESSAGE: ContentType[] = ['reaction', 'pollVote', 'pin', 'eventResponse', 'paymentDeclined'];
/** Orders, carts and payments belong to their chat: WhatsApp does not forward them. */
const NOT_FORWARDABLE: ContentType[] = [...NOT_A_MESSAGE, 'order', 'orderUpdate', 'cart', 'paymentRequest', 'paymentSent'];

const forwardMessage = defineKind({
  path: '/forward-message',
  summary: 'Forward a message',
  doc: 1854,
  body: Type.Object({
    phone: Phone,
    messageId: MessageId('The message to forward'),
    messagePhone: Str(1, 100, 'The chat the message is in'),
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    let source: string | undefined;
    if (ctx.direction === 'send') {
      source = toJid(b.messagePhone, 'messagePhone');
    } else if (b.messagePhone.replace(/^\+/, '') !== ctx.ownPhone) {
      // A simulated contact only has its chat with this instance to forward from.
      throw badRequest(`messagePhone must be this instance's number (${ctx.ownPhone}): the contact forwards from its chat with it`, 'message-chat-mismatch');
    }
    const m = await ctx.message(b.messageId, 'messageId', { chat: source });
    if (!m.content) throw badRequest(`messageId ${m.id}: its content is not stored, it cannot be forwarded`, 'not-forwardable');
    if (NOT_FORWARDABLE.includes(m.content.type)) throw badRequest(`messageId ${m.id} is a ${m.content.type} message, which WhatsApp does not forward`, 'not-forwardable');
    await ctx.mediaAlive(mediaOf(m.content), 'messageId');
    return { jid, content: m.content, forwarded: true, ...delays(b) };
  },
});

// Emoji: pictographs, flags, keycaps, with their joiners and modifiers; nothing else.
const EMOJI_CHARS = /^(?:\p{Emoji}|\p{Emoji_Component}|\u200d|\ufe0f|\u20e3)+$/u;
const EMOJI_SIGN = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

const sendReaction = defineKind({
  path: '/send-reaction',
  summary: 'React to a message with an emoji',
  doc: 1921,
  body: Type.Object({ phone: Phone, reaction: Str(1, 32, 'One emoji'), messageId: MessageId('The message reacted to'), ...Delays }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    if (!EMOJI_CHARS.test(b.reaction) || !EMOJI_SIGN.test(b.reaction)) throw badRequest('reaction must be an emoji', 'invalid-reaction');
    const m = await ctx.message(b.messageId, 'messageId', { chat: jid });
    if (NOT_A_MESSAGE.includes(m.kind as ContentType)) throw badRequest(`messageId ${m.id} is a ${m.kind}; WhatsApp does not react to it`, 'wrong-message-type');
    return { jid, content: { type: 'reaction', target: ctx.key(m), emoji: b.reaction }, ...delays(b) };
  },
});

const sendRemoveReaction = defineKind({
  path: '/send-remove-reaction',
  summary: 'Remove a reaction from a message',
  doc: 1989,
  body: Type.Object({ phone: Phone, messageId: MessageId('The message whose reaction is removed'), ...Delays }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const m = await ctx.message(b.messageId, 'messageId', { chat: jid });
    if (NOT_A_MESSAGE.includes(m.kind as ContentType)) throw badRequest(`messageId ${m.id} is a ${m.kind}; it carries no reaction`, 'wrong-message-type');
    // WhatsApp removes a reaction by reacting with an empty text.
    return { jid, content: { type: 'reaction', target: ctx.key(m), emoji: '' }, ...delays(b) };
  },
});

const PIN_SECONDS = { '24_hours': 86_400, '7_days': 604_800, '30_days': 2_592_000 } as const;

const pinMessage = defineKind({
  path: '/pin-message',
  summary: 'Pin or unpin a message in its chat',
  doc: 4676,
  body: Type.Object({
    phone: Phone,
    messageId: MessageId('The message to pin or unpin'),
    messageAction: Enum(['pin', 'unpin'] as const),
    pinMessageDuration: Enum(['24_hours', '7_days', '30_days'] as const, 'How long it stays pinned (no effect on unpin)'),
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const m = await ctx.message(b.messageId, 'messageId', { chat: jid });
    if (NOT_A_MESSAGE.includes(m.kind as ContentType)) throw badRequest(`messageId ${m.id} is a ${m.kind}; WhatsApp does not pin it`, 'wrong-message-type');
    return { jid, content: { type: 'pin', target: ctx.key(m), action: b.messageAction, durationSecs: PIN_SECONDS[b.pinMessageDuration] }, ...delays(b) };
  },
});

/** How long a channel admin invite can be accepted. */
const ADMIN_INVITE_SECS = 3 * 86_400;

const sendNewsletterAdminInvite = defineKind({
  path: '/send-newsletter-admin-invite',
  summary: 'Invite someone to be an admin of your channel',
  doc: 4743,
  body: Type.Object({
    phone: Phone,
    adminInviteMessage: Type.Object({
      newsletterId: Str(1, 100, 'Channel id, e.g. 120363166555745933@newsletter'),
      caption: Str(1, 65_536, 'Invitation text'),
    }),
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const raw = b.adminInviteMessage.newsletterId.trim();
    const newsletterJid = /^[0-9]{5,40}$/.test(raw) ? `${raw}@newsletter` : raw;
    if (!/^[0-9]{5,40}@newsletter$/.test(newsletterJid)) throw badRequest('adminInviteMessage.newsletterId must be a channel id (<digits>@newsletter)', 'invalid-newsletter');
    return {
      jid,
      content: { type: 'newsletterAdminInvite', newsletterJid, text: b.adminInviteMessage.caption, expiration: Math.floor(Date.now() / 1000) + ADMIN_INVITE_SECS },
      ...delays(b),
    };
  },
});

export const actionKinds = [forwardMessage, sendReaction, sendRemoveReaction, pinMessage, sendNewsletterAdminInvite];
