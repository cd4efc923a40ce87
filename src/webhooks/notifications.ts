// Engine events that Z-API reports as "notification" ReceivedCallbacks.
//
// Calls: an offer is CALL_VOICE / CALL_VIDEO, a missed call (timeout) CALL_MISSED_VOICE /
// CALL_MISSED_VIDEO (zapi-reference.txt "Incoming Callback Example" and "Missed Callback
// Example"; CALL_VIDEO is in webhook-shapes-observed.md "received_callback/unknown", which
// also shows chatLid, participantLid and fromApi on these deliveries). Other call states
// (ringing, accept, reject, terminate) have no Z-API webhook.
//
// Deleted messages: REVOKE (zapi-webhook-received.txt "Notification Response" lists it,
// without an example; catalogue.json webhookNotificationTypes). Its shape is the captured
// REVOKE delivery behind webhook-shapes-observed.md "received_callback/unknown": the
// notification envelope (expiresAt, referenceMessageId, externalAdReply, callId and code
// null, notificationParameters []) with messageId = the deleted message, phone = the chat.
import type { InstanceRow } from '../store/schema.js';
import type { EngineEvents } from '../engines/engine.js';
import { fromJid, isGroupJid, isNewsletterJid } from '../domain/phone.js';
import type { Payload } from './payloads.js';

type CallEvent = EngineEvents['call'][0];

function callNotificationName(ev: CallEvent): string | null {
  const media = ev.isVideo ? 'VIDEO' : 'VOICE';
  if (ev.status === 'offer') return `CALL_${media}`;
  if (ev.status === 'timeout') return `CALL_MISSED_${media}`;
  return null;
}

/** The ReceivedCallback for a call event, or null when Z-API has no webhook for this call state. */
export function callNotification(inst: InstanceRow, ev: CallEvent, connectedPhone: string | null): Payload | null {
  const notification = callNotificationName(ev);
  if (!notification) return null;
  const phone = fromJid(ev.from);
  const lid = ev.fromLid ?? (ev.from.endsWith('@lid') ? ev.from : null);
  return {
    isStatusReply: false,
    chatLid: lid,
    senderLid: lid,
    connectedPhone: connectedPhone ?? '',
    waitingMessage: false,
    isEdit: false,
    isGroup: false, // phone is the caller, for group calls too (the call comes from a person)
    isNewsletter: false,
    instanceId: inst.id,
    messageId: ev.id,
    phone,
    fromMe: false,
    momment: ev.timestamp,
    status: 'RECEIVED',
    chatName: ev.fromName || phone,
    senderPhoto: null,
    senderName: ev.fromName ?? '',
    participantLid: null,
    photo: null,
    broadcast: false,
    referenceMessageId: null,
    externalAdReply: null,
    forwarded: false,
    fromApi: false,
    type: 'ReceivedCallback',
    notification,
    notificationParameters: [],
    callId: ev.id,
  };
}

type RevokeEvent = EngineEvents['messageRevoked'][0];

/** The ReceivedCallback telling that a message was deleted for everyone (notification REVOKE). */
export function revokeNotification(inst: InstanceRow, ev: RevokeEvent, connectedPhone: string | null): Payload {
  const group = isGroupJid(ev.chatJid);
  const phone = fromJid(ev.chatJid);
  const sender = fromJid(ev.senderJid);
  const body: Payload = {
    chatLid: ev.chatJid.endsWith('@lid') ? ev.chatJid : null,
    isGroup: group,
    isNewsletter: isNewsletterJid(ev.chatJid),
    instanceId: inst.id,
    messageId: ev.id,
    phone,
    connectedPhone: connectedPhone ?? '',
    fromMe: ev.fromMe,
    momment: ev.timestamp,
    expiresAt: null,
    status: 'RECEIVED',
    chatName: ev.fromMe || group ? phone : sender,
    senderPhoto: null,
    senderName: sender,
    photo: null,
    broadcast: ev.chatJid === 'status@broadcast',
    referenceMessageId: null,
    externalAdReply: null,
    forwarded: false,
    type: 'ReceivedCallback',
    notification: 'REVOKE',
    notificationParameters: [],
    callId: null,
    code: null,
  };
  // In a group, who deleted it (as group notifications carry it: catalogue.json "MEMBERSHIP_APPROVAL_REQUEST").
  if (group) body.participantPhone = sender;
  return body;
}
