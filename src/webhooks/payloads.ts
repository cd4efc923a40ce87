// Engine events → Z-API webhook payloads, field names exactly as documented
// (zapi-reference.txt "Webhooks" and webhook-shapes-observed.md), `momment` included.
import type { InstanceRow } from '../store/schema.js';
import type { EngineEvents, IncomingMessage } from '../engines/engine.js';
import { fromJid, isGroupJid, isNewsletterJid } from '../domain/phone.js';
import type { MediaPort } from '../media/media.js';
import { contentFields } from './received-content.js';

/** Turns a stored media reference into the URL OpenZap serves it at. */
export type MediaUrls = Pick<MediaPort, 'url'>;

export type WebhookType =
  | 'DeliveryCallback'
  | 'ReceivedCallback'
  | 'MessageStatusCallback'
  | 'ConnectedCallback'
  | 'DisconnectedCallback'
  | 'PresenceChatCallback';

export type Payload = Record<string, unknown>;

export function deliveryCallback(inst: InstanceRow, p: { jid: string; zaapId: string; messageId: string; error?: string }): Payload {
  const body: Payload = {
    phone: fromJid(p.jid),
    zaapId: p.zaapId,
    messageId: p.messageId,
    type: 'DeliveryCallback',
    instanceId: inst.id,
  };
  if (p.error) body.error = p.error;
  return body;
}

export function connectedCallback(inst: InstanceRow, phone: string | null, momment: number): Payload {
  return { type: 'ConnectedCallback', connected: true, momment, instanceId: inst.id, phone: phone ?? '', isBusiness: inst.business_device === 1 };
}

export function disconnectedCallback(inst: InstanceRow, error: string, momment: number): Payload {
  return { momment, error, disconnected: true, type: 'DisconnectedCallback', instanceId: inst.id };
}

export function messageStatusCallback(inst: InstanceRow, ev: EngineEvents['messageStatus'][0]): Payload {
  const group = isGroupJid(ev.chatJid);
  const body: Payload = {
    instanceId: inst.id,
    status: ev.status,
    ids: ev.ids,
    momment: ev.timestamp,
    phone: fromJid(ev.chatJid),
    type: 'MessageStatusCallback',
    isGroup: group,
  };
  // Observed deliveries: one-to-one chats carry phoneDevice; group receipts carry participant/participantDevice.
  if (ev.participant) {
    body.participant = fromJid(ev.participant);
    body.participantDevice = ev.device ?? 0;
  } else {
    body.phoneDevice = ev.device ?? 0;
  }
  return body;
}

export function presenceChatCallback(inst: InstanceRow, ev: EngineEvents['presence'][0]): Payload {
  return {
    type: 'PresenceChatCallback',
    phone: fromJid(ev.chatJid),
    status: ev.presence.toUpperCase(),
    lastSeen: ev.lastSeen,
    instanceId: inst.id,
  };
}

export function receivedCallback(inst: InstanceRow, m: IncomingMessage, connectedPhone: string | null, urls: MediaUrls): Payload {
  const group = isGroupJid(m.chatJid);
  const senderPhone = fromJid(m.senderJid);
  // "Waiting for message": WhatsApp delivered the envelope but not the content (e.g. view-once
  // media on a linked device). Engines always set content; a stored row may lack it.
  const waiting = (m.content as IncomingMessage['content'] | null | undefined) == null;
  const body: Payload = {
    isStatusReply: m.isStatusReply ?? false,
    // Engines put the phone jid in chatJid/senderJid whenever they know it, and the LID alongside.
    chatLid: m.chatLid ?? (m.chatJid.endsWith('@lid') ? m.chatJid : null),
    senderLid: m.senderLid ?? (m.senderJid.endsWith('@lid') ? m.senderJid : null),
    connectedPhone: connectedPhone ?? '',
    waitingMessage: waiting,
    isEdit: m.isEdit ?? false,
    isGroup: group,
    isNewsletter: isNewsletterJid(m.chatJid),
    instanceId: inst.id,
    messageId: m.id,
    phone: fromJid(m.chatJid),
    fromMe: m.fromMe,
    momment: m.timestamp,
    status: m.fromMe ? 'SENT' : 'RECEIVED',
    chatName: m.fromMe || group ? fromJid(m.chatJid) : (m.senderName ?? senderPhone),
    senderPhoto: null,
    senderName: m.senderName ?? senderPhone,
    participantPhone: group ? senderPhone : null,
    participantLid: group ? (m.senderLid ?? null) : null,
    photo: null,
    broadcast: m.broadcast ?? false,
    // Button and list replies, payments and declines name the message they answer inside the content too.
    referenceMessageId: m.quotedId ?? (waiting ? undefined : quotedIdOf(m.content)) ?? null,
    forwarded: m.forwarded ?? false,
    fromApi: m.fromApi,
    messageExpirationSeconds: 0,
    type: 'ReceivedCallback',
  };
  // The docs' waiting-message example carries a top-level viewOnce.
  if (waiting) return { ...body, viewOnce: m.viewOnce ?? false };
  const ctx = { timestamp: m.timestamp, senderPhone, viewOnce: m.viewOnce ?? false, fromMe: m.fromMe, chatPhone: fromJid(m.chatJid), ownPhone: connectedPhone ?? '' };
  return { ...body, ...contentFields(m.content, { url: (ref) => (ref.id ? urls.url(ref) : null) }, ctx) };
}

/** The message a content answers: a button or list reply's, a payment's request. */
function quotedIdOf(c: IncomingMessage['content']): string | undefined {
  switch (c.type) {
    case 'buttonReply':
    case 'listReply':
      return c.quotedId;
    case 'paymentSent':
      return c.requestId;
    case 'paymentDeclined':
      return c.request?.id;
    default:
      return undefined;
  }
}
