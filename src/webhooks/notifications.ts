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
//
// Everything else an engine reports as a 'notification' event: notificationCallback() below.
import type { InstanceRow } from '../store/schema.js';
import type { ChatNotice, EngineEvents, EngineNotification } from '../engines/engine.js';
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

// ---- EngineNotification → ReceivedCallback ----
//
// Four envelopes, each the documented example's keys (catalogue.json "notification:*"):
// - group notifications (MEMBERSHIP_APPROVAL_REQUEST, REVOKED_MEMBERSHIP_REQUESTS, GROUP_CREATE,
//   GROUP_PARTICIPANT_*): the join-request examples, plus chatLid, participantLid, viewOnce and
//   waitingMessage from the captured GROUP_PARTICIPANT_* deliveries (webhook-shapes-observed.md
//   "received_callback/group_message"). participantPhone is who did it; notificationParameters
//   whom it is about (docs/compatibility.md "Notifications").
// - channel admin changes (NEWSLETTER_ADMIN_PROMOTE/DEMOTE): the channel examples, isNewsletter
//   false as both documents show it; phone is the channel's jid.
// - account notifications (PROFILE_NAME_UPDATED, PROFILE_PICTURE_UPDATED, CHAT_LABEL_ASSOCIATION):
//   phone is the connected number, fromMe true, chatName null, as documented.
// - chat notices (E2E_ENCRYPTED, BLUE_MSG_*, BIZ_MOVE_TO_CONSUMER_APP): no example in the docs;
//   the REVOKE envelope above, with notificationParameters [].

type Notice<K extends EngineNotification['kind']> = Extract<EngineNotification, { kind: K }>;

const GROUP_KINDS = new Set<EngineNotification['kind']>([
  'MEMBERSHIP_APPROVAL_REQUEST',
  'REVOKED_MEMBERSHIP_REQUESTS',
  'GROUP_CREATE',
  'GROUP_PARTICIPANT_ADD',
  'GROUP_PARTICIPANT_INVITE',
  'GROUP_PARTICIPANT_REMOVE',
  'GROUP_PARTICIPANT_LEAVE',
]);

type GroupNotice = Notice<
  'MEMBERSHIP_APPROVAL_REQUEST' | 'REVOKED_MEMBERSHIP_REQUESTS' | 'GROUP_CREATE' | 'GROUP_PARTICIPANT_ADD' | 'GROUP_PARTICIPANT_INVITE' | 'GROUP_PARTICIPANT_REMOVE' | 'GROUP_PARTICIPANT_LEAVE'
>;
type NewsletterNotice = Notice<'NEWSLETTER_ADMIN_PROMOTE' | 'NEWSLETTER_ADMIN_DEMOTE'>;
type AccountNotice = Notice<'PROFILE_NAME_UPDATED' | 'PROFILE_PICTURE_UPDATED' | 'CHAT_LABEL_ASSOCIATION'>;
type ChatNoticeEvent = Notice<ChatNotice>;

const isGroupNotice = (n: EngineNotification): n is GroupNotice => GROUP_KINDS.has(n.kind);

/** The ReceivedCallback for an engine notification. */
export function notificationCallback(inst: InstanceRow, n: EngineNotification, connectedPhone: string | null): Payload {
  if (isGroupNotice(n)) return groupNotification(inst, n, connectedPhone);
  switch (n.kind) {
    case 'NEWSLETTER_ADMIN_PROMOTE':
    case 'NEWSLETTER_ADMIN_DEMOTE':
      return newsletterNotification(inst, n, connectedPhone);
    case 'PROFILE_NAME_UPDATED':
    case 'PROFILE_PICTURE_UPDATED':
    case 'CHAT_LABEL_ASSOCIATION':
      return accountNotification(inst, n, connectedPhone);
    default:
      return chatNotice(inst, n, connectedPhone);
  }
}

/** notificationParameters of a group notification: the phones (or subject) it is about. */
function groupParameters(n: GroupNotice): string[] {
  switch (n.kind) {
    case 'MEMBERSHIP_APPROVAL_REQUEST':
      // Added by a participant who is not an admin: [who added, who was added] ("X added Y", the docs' second example).
      return n.requestMethod === 'non_admin_add' && n.actorJid && n.actorJid !== n.requesterJid
        ? [fromJid(n.actorJid), fromJid(n.requesterJid)]
        : [fromJid(n.requesterJid)];
    case 'REVOKED_MEMBERSHIP_REQUESTS':
      return [fromJid(n.requesterJid)];
    case 'GROUP_CREATE':
      return [n.subject];
    default:
      return n.participantJids.map(fromJid);
  }
}

/** The fields every notification envelope shares (each builder adds its documented rest). */
function envelope(
  inst: InstanceRow,
  n: { id: string; timestamp: number; fromMe: boolean; kind: string },
  o: { phone: string; connectedPhone: string | null; chatName: string | null; senderName: string; photo?: string | null },
): Payload {
  return {
    instanceId: inst.id,
    messageId: n.id,
    phone: o.phone,
    connectedPhone: o.connectedPhone ?? '',
    fromMe: n.fromMe,
    momment: n.timestamp,
    status: 'RECEIVED',
    chatName: o.chatName,
    senderPhoto: o.photo ?? null,
    senderName: o.senderName,
    photo: o.photo ?? null,
    broadcast: false,
    referenceMessageId: null,
    externalAdReply: null,
    forwarded: false,
    type: 'ReceivedCallback',
    notification: n.kind,
  };
}

function groupNotification(inst: InstanceRow, n: GroupNotice, connectedPhone: string | null): Payload {
  const phone = fromJid(n.chatJid);
  // Who did it; for a join request without an actor, the requester (they asked).
  const actor = n.actorJid ?? ('requesterJid' in n ? n.requesterJid : undefined);
  const actorPhone = actor ? fromJid(actor) : '';
  const body: Payload = {
    isGroup: true,
    isNewsletter: false,
    expiresAt: null,
    participantPhone: actorPhone,
    chatLid: null,
    participantLid: n.actorLid ?? null,
    viewOnce: false,
    waitingMessage: false,
    ...envelope(inst, n, { phone, connectedPhone, chatName: n.chatName || phone, senderName: n.actorName || actorPhone }),
    notificationParameters: groupParameters(n),
    callId: null,
    code: null,
  };
  if (n.kind === 'MEMBERSHIP_APPROVAL_REQUEST') body.requestMethod = n.requestMethod;
  return body;
}

function newsletterNotification(inst: InstanceRow, n: NewsletterNotice, connectedPhone: string | null): Payload {
  const phone = fromJid(n.chatJid);
  const user = fromJid(n.userJid);
  return {
    isStatusReply: false,
    senderLid: n.userLid ?? null,
    waitingMessage: false,
    isEdit: false,
    isGroup: false,
    isNewsletter: false, // as both documents show it for these two; phone says it is a channel
    participantPhone: user,
    ...envelope(inst, n, { phone, connectedPhone, chatName: n.chatName || phone, senderName: '' }),
    notificationParameters: [user, n.role],
    callId: null,
  };
}

function accountNotification(inst: InstanceRow, n: AccountNotice, connectedPhone: string | null): Payload {
  const phone = connectedPhone || fromJid(n.chatJid);
  const picture = n.kind === 'PROFILE_PICTURE_UPDATED' ? n.pictureUrl : null;
  const body: Payload = {
    isGroup: false,
    isNewsletter: false,
    expiresAt: null,
    ...envelope(
      inst,
      { ...n, fromMe: true },
      { phone, connectedPhone, chatName: null, senderName: (n.kind === 'PROFILE_NAME_UPDATED' ? n.name : n.actorName) || inst.profile_name || phone, photo: picture },
    ),
  };
  if (n.kind === 'CHAT_LABEL_ASSOCIATION') {
    body.notificationParameters = n.labels.map((l) => ({ phone: fromJid(l.chatJid), label: l.labelId, assigned: l.assigned }));
  }
  body.callId = null;
  body.code = null;
  if (n.kind === 'PROFILE_NAME_UPDATED') body.profileName = n.name;
  if (n.kind === 'PROFILE_PICTURE_UPDATED') body.updatedPhoto = n.pictureUrl;
  return body;
}

function chatNotice(inst: InstanceRow, n: ChatNoticeEvent, connectedPhone: string | null): Payload {
  const group = isGroupJid(n.chatJid);
  const phone = fromJid(n.chatJid);
  const actor = n.actorJid ? fromJid(n.actorJid) : phone;
  const body: Payload = {
    chatLid: n.chatJid.endsWith('@lid') ? n.chatJid : null,
    isGroup: group,
    isNewsletter: isNewsletterJid(n.chatJid),
    expiresAt: null,
    ...envelope(inst, n, { phone, connectedPhone, chatName: n.chatName || phone, senderName: n.actorName || actor }),
    notificationParameters: [],
    callId: null,
    code: null,
  };
  if (group) body.participantPhone = actor;
  return body;
}
