// Bad input on every messages and status endpoint (DESIGN.md §1): missing mandatory
// fields, wrong types, unknown enum values, bad media (file:// and private URLs, wrong
// types, oversize base64), references to unknown or unsuitable messages → a 4xx JSON
// {error, message}, never a 500, and nothing queued. The instance is not paired, so an
// accepted message would stay in the queue: GET /queue/count proves nothing was.
// Each endpoint's valid body is first shown to be accepted on another instance, so every
// refusal below is caused by the one thing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { MediaFileServer, SAMPLES, dataUri } from '../helpers/media-samples.js';
import { expectError } from './expect.js';

const CONTACT = '5511987654321';
const OTHER = '5511912345678';
const MIN = 60_000;

// Messages seeded into both instances' recent-message store (they are unpaired: nothing is ever sent).
const ID = {
  own: '3EB0000000000000000000A1',
  old: '3EB0000000000000000000A2',
  theirs: '3EB0000000000000000000A3',
  poll: '3EB0000000000000000000A4',
  ownEvent: '3EB0000000000000000000A5',
  theirEvent: '3EB0000000000000000000A6',
  order: '3EB0000000000000000000A7',
  otherChat: '3EB0000000000000000000A8',
  reaction: '3EB0000000000000000000A9',
  image: '3EB0000000000000000000AA',
  status: '3EB0000000000000000000AB',
  unknown: '3EB0FFFFFFFFFFFFFFFFFFFF',
};
const jid = (p: string) => `${p}@s.whatsapp.net`;
const SEED: { id: string; chat: string; fromMe: boolean; kind: string; content: unknown; ageMs?: number }[] = [
  { id: ID.own, chat: jid(CONTACT), fromMe: true, kind: 'text', content: { type: 'text', text: 'mine' } },
  { id: ID.old, chat: jid(CONTACT), fromMe: true, kind: 'text', content: { type: 'text', text: 'old' }, ageMs: 20 * MIN },
  { id: ID.theirs, chat: jid(CONTACT), fromMe: false, kind: 'text', content: { type: 'text', text: 'theirs' } },
  { id: ID.poll, chat: jid(CONTACT), fromMe: true, kind: 'poll', content: { type: 'poll', question: 'Q?', options: ['A', 'B'], maxOptions: 1 } },
  { id: ID.ownEvent, chat: jid(CONTACT), fromMe: true, kind: 'event', content: { type: 'event', name: 'E', startTime: 1, canceled: false } },
  { id: ID.theirEvent, chat: jid(CONTACT), fromMe: false, kind: 'event', content: { type: 'event', name: 'F', startTime: 1, canceled: false } },
  {
    id: ID.order,
    chat: jid(CONTACT),
    fromMe: true,
    kind: 'order',
    content: { type: 'order', referenceId: 'REF1', orderRequestId: 'REQ1', order: { currency: 'BRL', products: [] }, payment: {}, subTotal: 0, total: 0 },
  },
  { id: ID.otherChat, chat: jid(OTHER), fromMe: true, kind: 'text', content: { type: 'text', text: 'elsewhere' } },
  { id: ID.reaction, chat: jid(CONTACT), fromMe: true, kind: 'reaction', content: { type: 'reaction', target: { id: ID.theirs, chatJid: jid(CONTACT), fromMe: false }, emoji: '👍' } },
  { id: ID.status, chat: 'status@broadcast', fromMe: false, kind: 'text', content: { type: 'text', text: 'my day' } },
  { id: ID.image, chat: jid(CONTACT), fromMe: true, kind: 'image', content: { type: 'image', media: { id: 'gone-gone-gone-gone-gone-gone', mimeType: 'image/png', size: 10 } } },
];

type Bad = [body: Record<string, unknown>, status: number, error: string];
interface Case {
  route: string;
  valid: Record<string, unknown>;
  /** Mandatory fields: each one removed → 400 validation. */
  mandatory: string[];
  bad: Bad[];
}

const PHONE_BAD: (v: Record<string, unknown>) => Bad[] = (v) => [
  [{ ...v, phone: 'abc' }, 400, 'invalid-phone'],
  [{ ...v, phone: {} }, 400, 'validation'],
  [{ ...v, delayMessage: 16 }, 400, 'validation'],
  [{ ...v, delayTyping: 'soon' }, 400, 'validation'],
];
const MEDIA_BAD = (v: Record<string, unknown>, field: string, wrongKind: 'pdf' | 'png' | 'mp3' | 'mp4'): Bad[] => [
  [{ ...v, [field]: 'file:///etc/passwd' }, 400, 'invalid-media-url'],
  [{ ...v, [field]: 'not base64 !!' }, 400, 'invalid-media'],
  [{ ...v, [field]: 'data:image/png,notbase64' }, 400, 'invalid-media'],
  [{ ...v, [field]: '' }, 400, 'validation'],
  [{ ...v, [field]: {} }, 400, 'validation'],
  [{ ...v, [field]: dataUri(wrongKind) }, 415, 'invalid-media-type'],
];
const with_ = (v: Record<string, unknown>, o: Record<string, unknown>) => ({ ...v, ...o });

const order = { currency: 'BRL', products: [{ name: 'P', value: 10, quantity: 1 }] };
const update = {
  phone: CONTACT,
  messageId: ID.order,
  referenceId: 'REF1',
  orderRequestId: 'REQ1',
  orderStatus: 'processing',
  paymentStatus: 'pending',
  order: { currency: 'BRL', products: [{ productId: 'p1', name: 'P', value: 10, quantity: 1, isCustomItem: false }] },
};
const event = { name: 'E', dateTime: '2030-01-01T10:00:00Z', canceled: false };

const CASES: Case[] = [
  {
    route: '/send-text',
    valid: { phone: CONTACT, message: 'hi' },
    mandatory: ['phone', 'message'],
    bad: [
      [{ phone: CONTACT, message: 'x', editMessageId: ID.old }, 400, 'edit-window-expired'],
      [{ phone: CONTACT, message: 'x', editMessageId: ID.theirs }, 400, 'not-own-message'],
      [{ phone: CONTACT, message: 'x', editMessageId: ID.poll }, 400, 'wrong-message-type'],
      [{ phone: CONTACT, message: 'x', editMessageId: ID.otherChat }, 400, 'message-chat-mismatch'],
      [{ phone: CONTACT, message: 'x', editMessageId: ID.own, messageId: ID.theirs }, 400, 'bad-request'],
      [{ phone: CONTACT, message: 'x', messageId: ID.unknown }, 404, 'message-not-found'],
      [{ phone: CONTACT, message: 'x', groupMentioned: [{ phone: CONTACT, subject: 's' }] }, 400, 'invalid-phone'],
      [{ phone: '123456789012345@lid', message: 'x' }, 501, 'unsupported'], // the sandbox addresses people by phone, not LID
    ],
  },
  {
    route: '/forward-message',
    valid: { phone: CONTACT, messageId: ID.own, messagePhone: CONTACT },
    mandatory: ['phone', 'messageId', 'messagePhone'],
    bad: [
      [{ phone: CONTACT, messageId: ID.unknown, messagePhone: CONTACT }, 404, 'message-not-found'],
      [{ phone: CONTACT, messageId: ID.own, messagePhone: OTHER }, 400, 'message-chat-mismatch'],
      [{ phone: CONTACT, messageId: ID.reaction, messagePhone: CONTACT }, 400, 'not-forwardable'],
      [{ phone: CONTACT, messageId: ID.image, messagePhone: CONTACT }, 404, 'media-expired'],
      [{ phone: CONTACT, messageId: ID.own, messagePhone: 'abc' }, 400, 'invalid-phone'],
    ],
  },
  {
    route: '/send-reaction',
    valid: { phone: CONTACT, reaction: '❤️', messageId: ID.theirs },
    mandatory: ['phone', 'reaction', 'messageId'],
    bad: [
      [{ phone: CONTACT, reaction: 'abc', messageId: ID.theirs }, 400, 'invalid-reaction'],
      [{ phone: CONTACT, reaction: '1', messageId: ID.theirs }, 400, 'invalid-reaction'],
      [{ phone: CONTACT, reaction: '', messageId: ID.theirs }, 400, 'validation'],
      [{ phone: CONTACT, reaction: '❤️', messageId: ID.unknown }, 404, 'message-not-found'],
      [{ phone: CONTACT, reaction: '❤️', messageId: ID.otherChat }, 400, 'message-chat-mismatch'],
      [{ phone: CONTACT, reaction: '❤️', messageId: ID.reaction }, 400, 'wrong-message-type'],
    ],
  },
  {
    route: '/send-remove-reaction',
    valid: { phone: CONTACT, messageId: ID.theirs },
    mandatory: ['phone', 'messageId'],
    bad: [
      [{ phone: CONTACT, messageId: ID.unknown }, 404, 'message-not-found'],
      [{ phone: OTHER, messageId: ID.theirs }, 400, 'message-chat-mismatch'],
    ],
  },
  {
    route: '/send-image',
    valid: { phone: CONTACT, image: dataUri('png'), caption: 'c' },
    mandatory: ['phone', 'image'],
    bad: [[{ phone: CONTACT, image: dataUri('png'), viewOnce: 'maybe' }, 400, 'validation'], [{ phone: CONTACT, image: dataUri('png'), messageId: ID.unknown }, 404, 'message-not-found']],
  },
  {
    route: '/send-sticker',
    valid: { phone: CONTACT, sticker: dataUri('webp') },
    mandatory: ['phone', 'sticker'],
    // Stickers: 1 MB at most.
    bad: [[{ phone: CONTACT, sticker: `data:image/webp;base64,${Buffer.concat([SAMPLES.webp, Buffer.alloc(1536 * 1024)]).toString('base64')}` }, 413, 'media-too-large']],
  },
  { route: '/send-gif', valid: { phone: CONTACT, gif: dataUri('mp4') }, mandatory: ['phone', 'gif'], bad: [] },
  {
    route: '/send-audio',
    valid: { phone: CONTACT, audio: dataUri('ogg'), waveform: true },
    mandatory: ['phone', 'audio'],
    bad: [[{ phone: CONTACT, audio: dataUri('mp4') }, 415, 'invalid-media-type'], [{ phone: CONTACT, audio: dataUri('ogg'), waveform: 'x' }, 400, 'validation']],
  },
  { route: '/send-video', valid: { phone: CONTACT, video: dataUri('mp4') }, mandatory: ['phone', 'video'], bad: [[{ phone: CONTACT, video: dataUri('mp4'), async: 'x' }, 400, 'validation']] },
  { route: '/send-ptv', valid: { phone: CONTACT, ptv: dataUri('mp4') }, mandatory: ['phone', 'ptv'], bad: [] },
  {
    route: '/send-document/pdf',
    valid: { phone: CONTACT, document: dataUri('pdf'), fileName: 'f' },
    mandatory: ['phone', 'document'],
    bad: [[{ phone: CONTACT, document: dataUri('pdf'), fileName: {} }, 400, 'validation']],
  },
  {
    route: '/send-link',
    valid: { phone: CONTACT, message: 'see https://z-api.io', image: dataUri('png'), linkUrl: 'https://z-api.io', title: 'T', linkDescription: 'D' },
    mandatory: ['phone', 'message', 'image', 'linkUrl', 'title', 'linkDescription'],
    bad: [],
  },
  {
    route: '/send-location',
    valid: { phone: CONTACT, title: 'T', address: 'A', latitude: '-23.06', longitude: '-50.43' },
    mandatory: ['phone', 'title', 'address', 'latitude', 'longitude'],
    bad: [],
  },
  { route: '/send-product', valid: { phone: CONTACT, catalogPhone: CONTACT, productId: '719' }, mandatory: ['phone', 'catalogPhone', 'productId'], bad: [] },
  { route: '/send-catalog', valid: { phone: CONTACT, catalogPhone: CONTACT, translation: 'EN' }, mandatory: ['phone', 'catalogPhone'], bad: [] },
  {
    route: '/send-contact',
    valid: { phone: CONTACT, contactName: 'N', contactPhone: '554498398733' },
    mandatory: ['phone', 'contactName', 'contactPhone'],
    bad: [],
  },
  {
    route: '/send-contacts',
    valid: { phone: CONTACT, contacts: [{ name: 'N', phones: ['554498398733'] }] },
    mandatory: ['phone', 'contacts'],
    bad: [],
  },
  {
    route: '/send-button-actions',
    valid: { phone: CONTACT, message: 'm', buttonActions: [{ type: 'REPLY', label: 'ok' }] },
    mandatory: ['phone', 'message', 'buttonActions'],
    bad: [],
  },
  {
    route: '/send-button-list',
    valid: { phone: CONTACT, message: 'm', buttonList: { buttons: [{ label: 'Great' }] } },
    mandatory: ['phone', 'message', 'buttonList'],
    bad: [],
  },
  {
    route: '/send-option-list',
    valid: { phone: CONTACT, message: 'm', optionList: { title: 'T', buttonLabel: 'Open', options: [{ title: 'o', description: 'd' }] } },
    mandatory: ['phone', 'message', 'optionList'],
    bad: [],
  },
  { route: '/send-button-otp', valid: { phone: CONTACT, message: 'm', code: '123' }, mandatory: ['phone', 'message', 'code'], bad: [] },
  { route: '/send-button-pix', valid: { phone: CONTACT, pixKey: '123.456.789-09', type: 'CPF' }, mandatory: ['phone', 'pixKey', 'type'], bad: [] },
  { route: '/send-carousel', valid: { phone: CONTACT, message: 'm', carousel: [{ text: 't', image: dataUri('png') }] }, mandatory: ['phone', 'message', 'carousel'], bad: [] },
  { route: '/send-poll', valid: { phone: CONTACT, message: 'Q?', poll: [{ name: 'A' }, { name: 'B' }] }, mandatory: ['phone', 'message', 'poll'], bad: [] },
  {
    route: '/send-poll-vote',
    valid: { phone: CONTACT, pollMessageId: ID.poll, pollVote: [{ name: 'A' }] },
    mandatory: ['phone', 'pollMessageId', 'pollVote'],
    bad: [
      [{ phone: CONTACT, pollMessageId: ID.poll, pollVote: [{ name: 'C' }] }, 400, 'invalid-poll-vote'],
      [{ phone: CONTACT, pollMessageId: ID.poll, pollVote: [{ name: 'A' }, { name: 'B' }] }, 400, 'invalid-poll-vote'], // one vote per person
      [{ phone: CONTACT, pollMessageId: ID.poll, pollVote: [{ name: 'A' }, { name: 'A' }] }, 400, 'duplicate-option'],
      [{ phone: CONTACT, pollMessageId: ID.poll, pollVote: [] }, 400, 'validation'],
      [{ phone: CONTACT, pollMessageId: ID.own, pollVote: [{ name: 'A' }] }, 400, 'wrong-message-type'],
      [{ phone: CONTACT, pollMessageId: ID.unknown, pollVote: [{ name: 'A' }] }, 404, 'message-not-found'],
      [{ phone: OTHER, pollMessageId: ID.poll, pollVote: [{ name: 'A' }] }, 400, 'message-chat-mismatch'],
    ],
  },
  { route: '/send-order', valid: { phone: CONTACT, order }, mandatory: ['phone', 'order'], bad: [] },
  {
    route: '/order-status-update',
    valid: update,
    mandatory: ['phone', 'messageId', 'referenceId', 'orderRequestId', 'orderStatus', 'paymentStatus', 'order'],
    bad: [
      [with_(update, { orderStatus: 'lost' }), 400, 'validation'],
      [with_(update, { referenceId: 'OTHER' }), 400, 'order-mismatch'],
      [with_(update, { messageId: ID.own }), 400, 'wrong-message-type'],
      [with_(update, { messageId: ID.unknown }), 404, 'message-not-found'],
      [with_(update, { order: { currency: 'BRL', products: [{ productId: 'p1', name: 'P', value: 10, quantity: 1 }] } }), 400, 'validation'],
    ],
  },
  {
    route: '/order-payment-update',
    valid: with_(update, { paymentStatus: 'paid' }),
    mandatory: ['phone', 'messageId', 'referenceId', 'orderRequestId', 'orderStatus', 'paymentStatus', 'order'],
    bad: [[with_(update, { paymentStatus: 'refunded' }), 400, 'validation']],
  },
  {
    route: '/pin-message',
    valid: { phone: CONTACT, messageId: ID.theirs, messageAction: 'pin', pinMessageDuration: '24_hours' },
    mandatory: ['phone', 'messageId', 'messageAction', 'pinMessageDuration'],
    bad: [
      [{ phone: CONTACT, messageId: ID.theirs, messageAction: 'stick', pinMessageDuration: '24_hours' }, 400, 'validation'],
      [{ phone: CONTACT, messageId: ID.theirs, messageAction: 'pin', pinMessageDuration: '1_day' }, 400, 'validation'],
      [{ phone: CONTACT, messageId: ID.unknown, messageAction: 'pin', pinMessageDuration: '7_days' }, 404, 'message-not-found'],
      [{ phone: CONTACT, messageId: ID.reaction, messageAction: 'pin', pinMessageDuration: '7_days' }, 400, 'wrong-message-type'],
    ],
  },
  {
    route: '/send-newsletter-admin-invite',
    valid: { phone: CONTACT, adminInviteMessage: { newsletterId: '120363166555745933@newsletter', caption: 'join' } },
    mandatory: ['phone', 'adminInviteMessage'],
    bad: [
      [{ phone: CONTACT, adminInviteMessage: { newsletterId: 'abc', caption: 'join' } }, 400, 'invalid-newsletter'],
      [{ phone: CONTACT, adminInviteMessage: { newsletterId: '120363166555745933@newsletter' } }, 400, 'validation'],
      [{ phone: CONTACT, adminInviteMessage: 'join' }, 400, 'validation'],
    ],
  },
  {
    route: '/send-event',
    valid: { phone: CONTACT, event },
    mandatory: ['phone', 'event'],
    bad: [
      [{ phone: CONTACT, event: with_(event, { dateTime: 'tomorrow' }) }, 400, 'invalid-date'],
      [{ phone: CONTACT, event: with_(event, { dateTime: '2030-02-31T10:00:00Z' }) }, 400, 'invalid-date'],
      [{ phone: CONTACT, event: { name: 'E', dateTime: '2030-01-01T10:00:00Z' } }, 400, 'validation'],
      [{ phone: CONTACT, event: with_(event, { callLinkType: 'phone' }) }, 400, 'validation'],
      [{ phone: CONTACT, event: with_(event, { location: { latitude: 100 } }) }, 400, 'validation'],
    ],
  },
  {
    route: '/send-edit-event',
    valid: { phone: CONTACT, eventMessageId: ID.ownEvent, event },
    mandatory: ['phone', 'event', 'eventMessageId'],
    bad: [
      [{ phone: CONTACT, eventMessageId: ID.theirEvent, event }, 400, 'not-own-message'],
      [{ phone: CONTACT, eventMessageId: ID.own, event }, 400, 'wrong-message-type'],
    ],
  },
  {
    route: '/send-event-response',
    valid: { phone: CONTACT, eventMessageId: ID.theirEvent, eventResponse: 'NOT_GOING' },
    mandatory: ['phone', 'eventResponse', 'eventMessageId'],
    bad: [
      [{ phone: CONTACT, eventMessageId: ID.theirEvent, eventResponse: 'YES' }, 400, 'validation'],
      [{ phone: CONTACT, eventMessageId: ID.ownEvent, eventResponse: 'GOING' }, 400, 'own-message'],
    ],
  },
  { route: '/send-text-status', valid: { message: 'status' }, mandatory: ['message'], bad: [[{ message: {} }, 400, 'validation']] },
  { route: '/send-image-status', valid: { image: dataUri('png') }, mandatory: ['image'], bad: [] },
  { route: '/send-video-status', valid: { video: dataUri('mp4') }, mandatory: ['video'], bad: [] },
  {
    route: '/reply-status-text',
    valid: { phone: CONTACT, message: 'nice', statusMessageId: ID.status },
    mandatory: ['phone', 'message', 'statusMessageId'],
    bad: [
      [{ phone: CONTACT, message: 'nice', statusMessageId: ID.unknown }, 404, 'message-not-found'],
      [{ phone: CONTACT, message: 'nice', statusMessageId: ID.theirs }, 400, 'not-a-status'],
      [{ phone: OTHER, message: 'nice', statusMessageId: ID.status }, 400, 'message-chat-mismatch'],
    ],
  },
  { route: '/reply-status-gif', valid: { phone: CONTACT, gif: dataUri('mp4'), statusMessageId: ID.status }, mandatory: ['phone', 'gif', 'statusMessageId'], bad: [] },
  { route: '/reply-status-sticker', valid: { phone: CONTACT, sticker: dataUri('webp'), statusMessageId: ID.status }, mandatory: ['phone', 'sticker', 'statusMessageId'], bad: [] },
];

// Endpoint-specific wrong values, added to the cases above by route.
const MORE: Record<string, (v: Record<string, unknown>) => Bad[]> = {
  '/send-image': (v) => MEDIA_BAD(v, 'image', 'pdf'),
  '/send-sticker': (v) => MEDIA_BAD(v, 'sticker', 'mp3'),
  '/send-gif': (v) => [...MEDIA_BAD(v, 'gif', 'png'), [with_(v, { gif: `data:image/gif;base64,${Buffer.from('GIF89a0000').toString('base64')}` }), 415, 'invalid-media-type']],
  '/send-audio': (v) => MEDIA_BAD(v, 'audio', 'png'),
  '/send-video': (v) => MEDIA_BAD(v, 'video', 'mp3'),
  '/send-image-status': (v) => MEDIA_BAD(v, 'image', 'mp4'),
  '/send-video-status': (v) => MEDIA_BAD(v, 'video', 'png'),
  '/reply-status-gif': (v) => MEDIA_BAD(v, 'gif', 'png'),
  '/reply-status-sticker': (v) => MEDIA_BAD(v, 'sticker', 'pdf'),
  '/send-text-status': (v) => [[with_(v, { message: 'x'.repeat(701) }), 400, 'validation'], [with_(v, { delayMessage: 99 }), 400, 'validation']],
  '/send-ptv': (v) => MEDIA_BAD(v, 'ptv', 'png'),
  '/send-document/pdf': (v) => MEDIA_BAD(v, 'document', 'pdf').filter(([, status]) => status !== 415), // any file is a document
  '/send-link': (v) => [
    ...MEDIA_BAD(v, 'image', 'pdf'),
    [with_(v, { linkUrl: 'ftp://z-api.io' }), 400, 'invalid-url'],
    [with_(v, { linkUrl: 'not a url' }), 400, 'invalid-url'],
    [with_(v, { linkType: 'HUGE' }), 400, 'validation'],
  ],
  '/send-location': (v) => [
    [with_(v, { latitude: '91' }), 400, 'invalid-coordinate'],
    [with_(v, { longitude: 'east' }), 400, 'invalid-coordinate'],
    [with_(v, { latitude: {} }), 400, 'validation'],
  ],
  '/send-product': (v) => [[with_(v, { catalogPhone: 'abc' }), 400, 'invalid-phone']],
  '/send-catalog': (v) => [[with_(v, { translation: 'FR' }), 400, 'validation'], [with_(v, { catalogPhone: '12' }), 400, 'invalid-phone']],
  '/send-contact': (v) => [[with_(v, { contactPhone: 'abc' }), 400, 'invalid-phone'], [with_(v, { contactName: '' }), 400, 'validation']],
  '/send-contacts': (v) => [
    [with_(v, { contacts: [] }), 400, 'validation'],
    [with_(v, { contacts: [{ name: 'N', phones: [] }] }), 400, 'validation'],
    [with_(v, { contacts: [{ name: 'N', phones: ['x'] }] }), 400, 'invalid-phone'],
    [with_(v, { contacts: [{ phones: ['5511999999999'] }] }), 400, 'validation'],
  ],
  '/send-button-actions': (v) => [
    [with_(v, { buttonActions: [] }), 400, 'validation'],
    [with_(v, { buttonActions: [{ type: 'FOO', label: 'x' }] }), 400, 'validation'],
    [with_(v, { buttonActions: [{ type: 'CALL', label: 'x' }] }), 400, 'bad-request'],
    [with_(v, { buttonActions: [{ type: 'URL', label: 'x' }] }), 400, 'bad-request'],
    [with_(v, { buttonActions: [{ type: 'URL', label: 'x', url: 'javascript:alert(1)' }] }), 400, 'invalid-url'],
    [with_(v, { buttonActions: [{ type: 'REPLY' }] }), 400, 'validation'],
    [
      with_(v, { buttonActions: [{ type: 'REPLY', label: 'a' }, { type: 'URL', label: 'b', url: 'https://z-api.io' }, { type: 'CALL', label: 'c', phone: CONTACT }] }),
      400,
      'button-mix',
    ],
    [with_(v, { buttonActions: [{ id: '1', type: 'REPLY', label: 'a' }, { id: '1', type: 'REPLY', label: 'b' }] }), 400, 'duplicate-id'],
  ],
  '/send-button-list': (v) => [
    [with_(v, { message: '' }), 400, 'validation'],
    [with_(v, { buttonList: { buttons: [] } }), 400, 'validation'],
    [with_(v, { buttonList: { buttons: [1, 2, 3, 4].map((n) => ({ label: `b${n}` })) } }), 400, 'validation'],
    [with_(v, { buttonList: { image: dataUri('png'), video: dataUri('mp4'), buttons: [{ label: 'x' }] } }), 400, 'bad-request'],
    [with_(v, { buttonList: { image: dataUri('pdf'), buttons: [{ label: 'x' }] } }), 415, 'invalid-media-type'],
    [with_(v, { buttonList: { video: 'file:///etc/passwd', buttons: [{ label: 'x' }] } }), 400, 'invalid-media-url'],
  ],
  '/send-option-list': (v) => [
    [with_(v, { optionList: { title: 'T', buttonLabel: 'Open', options: [] } }), 400, 'validation'],
    [with_(v, { optionList: { title: 'T', options: [{ title: 'o', description: 'd' }] } }), 400, 'validation'],
    [with_(v, { optionList: { title: 'T', buttonLabel: 'Open', options: [{ id: 'x', title: 'o', description: 'd' }, { id: 'x', title: 'p', description: 'd' }] } }), 400, 'duplicate-id'],
  ],
  '/send-button-otp': (v) => [[with_(v, { image: dataUri('pdf') }), 415, 'invalid-media-type'], [with_(v, { code: '' }), 400, 'validation']],
  '/send-button-pix': (v) => [
    [with_(v, { type: 'RANDOM' }), 400, 'validation'],
    [with_(v, { pixKey: '123' }), 400, 'invalid-pix-key'],
    [with_(v, { type: 'EMAIL', pixKey: 'not-an-email' }), 400, 'invalid-pix-key'],
    [with_(v, { type: 'EVP', pixKey: 'xyz' }), 400, 'invalid-pix-key'],
  ],
  '/send-carousel': (v) => [
    [with_(v, { carousel: [] }), 400, 'validation'],
    [with_(v, { carousel: [{ text: 't' }] }), 400, 'validation'],
    [with_(v, { carousel: [{ text: 't', image: dataUri('pdf') }] }), 415, 'invalid-media-type'],
    [with_(v, { carousel: Array.from({ length: 11 }, () => ({ text: 't', image: dataUri('png') })) }), 400, 'validation'],
    [with_(v, { carousel: [{ text: 't', image: dataUri('png'), buttons: [{ type: 'CALL', label: 'x' }] }] }), 400, 'bad-request'],
  ],
  '/send-poll': (v) => [
    [with_(v, { poll: [{ name: 'A' }] }), 400, 'validation'],
    [with_(v, { poll: Array.from({ length: 13 }, (_, i) => ({ name: `o${i}` })) }), 400, 'validation'],
    [with_(v, { poll: [{ name: 'A' }, { name: 'A' }] }), 400, 'duplicate-option'],
    [with_(v, { pollMaxOptions: 3 }), 400, 'invalid-poll'],
    [with_(v, { pollMaxOptions: -1 }), 400, 'validation'],
    [with_(v, { poll: ['A', 'B'] }), 400, 'validation'],
  ],
  '/send-order': (v) => [
    [with_(v, { order: { ...order, currency: 'REAL' } }), 400, 'validation'],
    [with_(v, { order: { ...order, products: [] } }), 400, 'validation'],
    [with_(v, { order: { ...order, products: [{ name: 'P', value: 10, quantity: 0 }] } }), 400, 'validation'],
    [with_(v, { order: { ...order, products: [{ name: 'P', value: -1, quantity: 1 }] } }), 400, 'validation'],
    [with_(v, { order: { ...order, discount: 11 } }), 400, 'invalid-order'],
    [with_(v, { paymentSettings: { pix: { key: 'k', keyType: 'foo', name: 'n' } } }), 400, 'invalid-pix-key'],
    [with_(v, { paymentSettings: { card: { enabled: 'yes' } } }), 400, 'validation'],
  ],
};

describe('messages and status: bad input is a 4xx and queues nothing', () => {
  let server: TestServer;
  let victim: TestInstance;
  let control: TestInstance;

  const count = async (i: TestInstance) => (await i.call('GET', '/queue/count')).body.count as number;

  beforeAll(async () => {
    server = await startTestServer({ OPENZAP_ALLOW_PRIVATE_URLS: 'true' });
    victim = await server.createInstance();
    control = await server.createInstance();
    const db = server.oz.ctx.store.db;
    for (const inst of [victim, control]) {
      for (const m of SEED) {
        await db
          .insertInto('messages')
          .values({
            instance_id: inst.id,
            message_id: m.id,
            zaap_id: null,
            chat_jid: m.chat,
            from_me: m.fromMe ? 1 : 0,
            sender_jid: m.fromMe ? null : m.chat === 'status@broadcast' ? jid(CONTACT) : m.chat,
            kind: m.kind,
            payload: JSON.stringify({ content: m.content }),
            status: 'SENT',
            created_at: Date.now() - (m.ageMs ?? 0),
          })
          .execute();
      }
    }
  });
  afterAll(() => server?.close());

  it('covers every send endpoint of both areas', () => {
    expect(CASES).toHaveLength(41 - 2); // DELETE /messages and /read-message are below
    expect(new Set(CASES.map((c) => c.route)).size).toBe(CASES.length);
  });

  describe.each(CASES)('$route', (c) => {
    it('its valid body is accepted (queued on an unpaired instance)', async () => {
      const before = await count(control);
      const res = await control.call('POST', c.route, c.valid);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.messageId).toMatch(/^3EB0[0-9A-F]{20}$/);
      expect(await count(control)).toBe(before + 1);
    });

    it('refuses every bad variant with a 4xx JSON error and queues nothing', async () => {
      const bad: Bad[] = [
        [{}, 400, 'validation'],
        ...c.mandatory.map((f): Bad => {
          const { [f]: _omit, ...rest } = c.valid;
          return [rest, 400, 'validation'];
        }),
        ...('phone' in c.valid ? PHONE_BAD(c.valid) : []),
        ...c.bad,
        ...(MORE[c.route]?.(c.valid) ?? []),
      ];
      for (const [body, status, error] of bad) {
        const res = await victim.call('POST', c.route, body);
        const what = `${c.route} ${JSON.stringify(body).slice(0, 200)} → ${res.status} ${JSON.stringify(res.body)}`;
        expect(res.status, what).toBe(status);
        expectError(res, status, error);
      }
      // Not JSON at all.
      expectError(await victim.call('POST', c.route, '{"phone": '), 400, 'invalid-json');
      expectError(await victim.call('POST', c.route, 'phone=1', { 'content-type': 'text/plain' }), 415);
      expect(await count(victim)).toBe(0);
    });
  });

  it('send-document: the extension must be a plain extension', async () => {
    expectError(await victim.call('POST', `/send-document/${'x'.repeat(11)}`, { phone: CONTACT, document: dataUri('pdf') }), 400, 'validation');
    expectError(await victim.call('POST', '/send-document/p%20df', { phone: CONTACT, document: dataUri('pdf') }), 400, 'validation');
    // A dot or a traversal never reaches the route.
    for (const ext of ['p.df', '%2e%2e']) {
      const res = await victim.call('POST', `/send-document/${ext}`, { phone: CONTACT, document: dataUri('pdf') });
      expect([400, 404], `${ext}: ${res.status}`).toContain(res.status);
      expectError(res, res.status);
    }
    expect((await victim.call('POST', '/send-document', { phone: CONTACT, document: dataUri('pdf') })).status).toBe(404);
    expect(await count(victim)).toBe(0);
  });

  it('DELETE /messages: mandatory query, owner must match, message must be known and in that chat', async () => {
    const q = (s: string) => victim.call('DELETE', `/messages?${s}`);
    expectError(await q(`messageId=${ID.own}&phone=${CONTACT}`), 400, 'validation');
    expectError(await q(`messageId=${ID.own}&owner=true`), 400, 'validation');
    expectError(await q(`phone=${CONTACT}&owner=true`), 400, 'validation');
    expectError(await q(`messageId=${ID.own}&phone=${CONTACT}&owner=maybe`), 400, 'validation');
    expectError(await q(`messageId=${ID.own}&phone=abc&owner=true`), 400, 'invalid-phone');
    expectError(await q(`messageId=${ID.unknown}&phone=${CONTACT}&owner=true`), 404, 'message-not-found');
    expectError(await q(`messageId=${ID.own}&phone=${OTHER}&owner=true`), 400, 'message-chat-mismatch');
    expectError(await q(`messageId=${ID.own}&phone=${CONTACT}&owner=false`), 400, 'owner-mismatch');
    expectError(await q(`messageId=${ID.theirs}&phone=${CONTACT}&owner=true`), 400, 'owner-mismatch');
    // Everything right, but the instance is not connected.
    expectError(await q(`messageId=${ID.own}&phone=${CONTACT}&owner=true`), 409, 'not-connected');
  });

  it('POST /read-message: mandatory fields, a known received message of that chat', async () => {
    const r = (b: unknown) => victim.call('POST', '/read-message', b);
    expectError(await r({}), 400, 'validation');
    expectError(await r({ phone: CONTACT }), 400, 'validation');
    expectError(await r({ messageId: ID.theirs }), 400, 'validation');
    expectError(await r({ phone: CONTACT, messageId: {} }), 400, 'validation');
    expectError(await r({ phone: CONTACT, messageId: ID.unknown }), 404, 'message-not-found');
    expectError(await r({ phone: OTHER, messageId: ID.theirs }), 400, 'message-chat-mismatch');
    expectError(await r({ phone: CONTACT, messageId: ID.own }), 400, 'own-message');
    expectError(await r({ phone: CONTACT, messageId: ID.theirs }), 409, 'not-connected');
  });
});

describe('media URLs to private addresses are refused unless allowed', () => {
  let server: TestServer;
  let files: MediaFileServer;
  let inst: TestInstance;

  beforeAll(async () => {
    files = await new MediaFileServer().start();
    server = await startTestServer({ OPENZAP_ALLOW_PRIVATE_URLS: 'false' });
    inst = await server.createInstance();
  });
  afterAll(async () => {
    await server?.close();
    await files?.stop();
  });

  it('127.0.0.1, localhost, ::1 and link-local URLs → 400 invalid-media-url, never fetched, nothing queued', async () => {
    const urls = [
      files.fileUrl('png', 'logo'),
      files.fileUrl('png', 'logo').replace('127.0.0.1', 'localhost'),
      `http://[::1]:${files.port}/logo.png`,
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.1/x.png',
    ];
    for (const image of urls) expectError(await inst.call('POST', '/send-image', { phone: CONTACT, image }), 400, 'invalid-media-url');
    expectError(await inst.call('POST', '/send-image-status', { image: urls[0] }), 400, 'invalid-media-url');
    expectError(
      await inst.call('POST', '/send-carousel', { phone: CONTACT, message: 'm', carousel: [{ text: 't', image: dataUri('png') }, { text: 'u', image: urls[0] }] }),
      400,
      'invalid-media-url',
    );
    expect(files.requests).toEqual([]);
    expect((await inst.call('GET', '/queue/count')).body.count).toBe(0);
    // base64 needs no fetch and is accepted.
    expect((await inst.call('POST', '/send-image', { phone: CONTACT, image: dataUri('png') })).status).toBe(200);
  });
});
