// What travels on the simulated network, and how a recipient sees it. A message is carried
// exactly as its sender built it (media stays the same MediaRef: the media store is shared
// by every instance of the process); the recipient's engine turns it into an
// IncomingMessage from its own point of view, as a WhatsApp client does.
import { createHash } from 'node:crypto';
import { fromJid } from '../../domain/phone.js';
import type { IncomingMessage, MessageContent, MessageKey } from '../engine.js';

/** The chat statuses (stories) are posted to; also the `to` of a poster's record of a status. */
export const STATUS_JID = 'status@broadcast';

/** Phones named in one `in (…)` list when many peers are looked up at once (start-up). */
export const PHONES_PER_QUERY = 500;

export interface NetworkMessage {
  id: string;
  from: string;
  /**
   * The recipient's phone; STATUS_JID for the poster's record of a status post; the group
   * jid for the sender's record of a group message.
   */
  to: string;
  content: MessageContent;
  timestamp: number;
  quotedId?: string;
  /** An edit: the id of the sender's message it replaces. */
  editId?: string;
  forwarded?: boolean;
  /** A reply to a status of the recipient (reply-status-*). */
  isStatusReply?: boolean;
  /** One viewer's copy of a status post (`to` is the viewer). */
  broadcast?: boolean;
  /** One member's copy of a group message (`to` is the member): the group's jid. */
  group?: string;
  /** The sender's record of a status post or group message: the phones it was fanned out to. */
  audience?: string[];
  /** Push name of a simulated contact. */
  senderName?: string;
  /** Deleted for everyone by its sender (epoch ms). */
  revokedAt?: number;
  /**
   * The recipient (a sandbox instance) had this message when it was deleted for everyone: it
   * is owed a messageRevoked, handed over like a message (the row is undelivered until then).
   */
  revokeDue?: boolean;
}

/**
 * The sandbox_messages row of a network message. A status post or a group message has one
 * row for the sender (id = message id) and one per viewer or member, keyed by the message
 * id and the recipient's phone.
 */
export const rowIdOf = (msg: Pick<NetworkMessage, 'id' | 'to' | 'broadcast' | 'group'>): string =>
  msg.broadcast || msg.group ? copyId(msg.id, msg.to) : msg.id;
export const copyId = (messageId: string, recipient: string): string => `${messageId}:${recipient}`;

/** The chat a receipt for this row is given in, when it is not the one-to-one chat: statuses, or the group. */
export const sharedChatOf = (msg: Pick<NetworkMessage, 'broadcast' | 'group'>): string | undefined => (msg.broadcast ? STATUS_JID : msg.group);

// ---- Simulated groups ----
//
// Any group jid (<digits>[-<digits>]@g.us) is a group on the sandbox network. Its members
// are the instance that writes to it and SIMULATED_GROUP_SIZE simulated contacts derived
// from the group id alone: the same group always has the same members, on every instance
// and after every restart, and nobody has to create it first. Members are phones in a
// range reserved for them (SIMULATED_MEMBER_PREFIX, 14 digits: never the 15 digits of a
// default sandbox instance phone, and pairing an instance in that range is refused), so a
// simulated member is never a sandbox instance. Mentions do not add members: a mentioned
// number that is not a member is just text, as it is on WhatsApp.
//
// Out of scope for now (a later groups issue): sandbox instances as members of each
// other's groups (delivery of group messages to instances, their receipts and reads),
// simulated members writing to the group, and group administration (create, add, remove).

/** Phones of simulated group members: 550099 followed by 8 digits. */
export const SIMULATED_MEMBER_PREFIX = '550099';
export const SIMULATED_GROUP_SIZE = 3;

const GROUP_JID = /^[0-9]{5,40}(?:-[0-9]{5,20})?@g\.us$/;
export const isSimulatedGroup = (jid: string): boolean => GROUP_JID.test(jid);
export const isSimulatedMemberPhone = (phone: string): boolean => phone.length === 14 && phone.startsWith(SIMULATED_MEMBER_PREFIX) && /^[0-9]+$/.test(phone);

/** The simulated members of a group (the sending instance aside), derived from its jid: distinct, in a stable order. */
export function simulatedGroupMembers(groupJid: string): string[] {
  const members: string[] = [];
  for (let round = 0; members.length < SIMULATED_GROUP_SIZE; round++) {
    const digest = createHash('sha256').update(`openzap-sandbox-group:${groupJid}:${round}`).digest();
    for (let i = 0; i + 4 <= digest.length && members.length < SIMULATED_GROUP_SIZE; i += 4) {
      const phone = SIMULATED_MEMBER_PREFIX + (digest.readUInt32BE(i) % 100_000_000).toString().padStart(8, '0');
      if (!members.includes(phone)) members.push(phone);
    }
  }
  return members;
}

/** Voice notes and round videos are "played" after they are read (blue microphone). */
export function isPlayable(c: MessageContent): boolean {
  return (c.type === 'audio' && c.ptt) || c.type === 'ptv';
}

/** What WhatsApp lets you post as a status: text (with or without a link preview), image, video, voice. */
const STATUS_KINDS: ReadonlySet<MessageContent['type']> = new Set(['text', 'link', 'image', 'video', 'audio']);

/** Why the sandbox has no chat `jid` (channels … are not simulated yet), or null when it has. */
export function unsupportedChat(jid: string): string | null {
  if (jid.endsWith('@s.whatsapp.net') || jid === STATUS_JID || isSimulatedGroup(jid)) return null;
  if (jid.endsWith('@g.us')) return `${jid} is not a group id: the sandbox simulates groups <digits>[-<digits>]@g.us.`;
  if (jid.endsWith('@newsletter')) return 'The sandbox does not simulate channels (newsletters) yet.';
  if (jid.endsWith('@lid')) return 'The sandbox addresses people by phone number, not by LID.';
  if (jid.endsWith('@broadcast')) return 'The sandbox does not simulate broadcast lists; status@broadcast (statuses) is its only broadcast chat.';
  return `The sandbox network has no chat ${jid}.`;
}

/** Why the sandbox cannot carry `content` to the chat `to` (a jid), or null when it can: every kind to a person. */
export function unsupportedOnNetwork(content: MessageContent, to: string): string | null {
  const chat = unsupportedChat(to);
  if (chat) return chat;
  if (to === STATUS_JID && !STATUS_KINDS.has(content.type)) {
    return `A status is a text, an image, a video or a voice note; a "${content.type}" message cannot be posted as one.`;
  }
  return null;
}

/**
 * A message key as its sender wrote it, seen by the recipient (as Baileys' normaliseKey
 * does): a key the sender did not own points at the recipient's own message when it names
 * the recipient, and the chat is the one the message arrived in (statuses keep theirs).
 */
function keySeenBy(key: MessageKey, recipient: string, chatJid: string): MessageKey {
  const owner = key.participant ?? key.chatJid;
  return {
    ...key,
    fromMe: key.fromMe ? false : fromJid(owner) === recipient,
    chatJid: key.chatJid === STATUS_JID ? STATUS_JID : chatJid,
  };
}

function contentSeenBy(c: MessageContent, recipient: string, chatJid: string): MessageContent {
  switch (c.type) {
    case 'reaction':
    case 'pin':
      return { ...c, target: keySeenBy(c.target, recipient, chatJid) };
    case 'pollVote':
      return { ...c, poll: keySeenBy(c.poll, recipient, chatJid) };
    case 'eventResponse':
      return { ...c, event: keySeenBy(c.event, recipient, chatJid) };
    case 'paymentDeclined':
      return c.request ? { ...c, request: keySeenBy(c.request, recipient, chatJid) } : c;
    default:
      return c;
  }
}

const viewOnceOf = (c: MessageContent): boolean => (c.type === 'image' || c.type === 'video' || c.type === 'audio') && c.viewOnce === true;

/** The 'message' event the recipient (`msg.to`) emits for a network message. */
export function incomingOf(msg: NetworkMessage): IncomingMessage {
  const sender = `${msg.from}@s.whatsapp.net`;
  const chatJid = msg.broadcast ? STATUS_JID : sender;
  const m: IncomingMessage = {
    // An edit is reported under the id of the message it replaces (as the Baileys engine does).
    id: msg.editId ?? msg.id,
    chatJid,
    senderJid: sender,
    senderName: msg.senderName ?? null,
    fromMe: false,
    fromApi: false,
    timestamp: msg.timestamp,
    content: contentSeenBy(msg.content, msg.to, chatJid),
    quotedId: msg.quotedId,
    isEdit: msg.editId !== undefined,
  };
  if (msg.forwarded) m.forwarded = true;
  if (msg.isStatusReply) m.isStatusReply = true;
  if (msg.broadcast) m.broadcast = true;
  if (viewOnceOf(msg.content)) m.viewOnce = true;
  return m;
}
