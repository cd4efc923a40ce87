// What travels on the simulated network, and how a recipient sees it. A message is carried
// exactly as its sender built it (media stays the same MediaRef: the media store is shared
// by every instance of the process); the recipient's engine turns it into an
// IncomingMessage from its own point of view, as a WhatsApp client does.
import { fromJid } from '../../domain/phone.js';
import type { IncomingMessage, MessageContent, MessageKey } from '../engine.js';

/** The chat statuses (stories) are posted to; also the `to` of a poster's record of a status. */
export const STATUS_JID = 'status@broadcast';

export interface NetworkMessage {
  id: string;
  from: string;
  /** The recipient's phone, or STATUS_JID for the poster's record of a status post. */
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
  /** The poster's record of a status post: the viewers it was fanned out to. */
  audience?: string[];
  /** Push name of a simulated contact. */
  senderName?: string;
  /** Deleted for everyone by its sender (epoch ms). */
  revokedAt?: number;
}

/**
 * The sandbox_messages row of a network message. A status post has one row for the poster
 * and one per viewer, keyed by the post id and the viewer's phone.
 */
export const rowIdOf = (msg: Pick<NetworkMessage, 'id' | 'to' | 'broadcast'>): string => (msg.broadcast ? statusCopyId(msg.id, msg.to) : msg.id);
export const statusCopyId = (postId: string, viewer: string): string => `${postId}:${viewer}`;

/** Voice notes and round videos are "played" after they are read (blue microphone). */
export function isPlayable(c: MessageContent): boolean {
  return (c.type === 'audio' && c.ptt) || c.type === 'ptv';
}

/** What WhatsApp lets you post as a status: text (with or without a link preview), image, video, voice. */
const STATUS_KINDS: ReadonlySet<MessageContent['type']> = new Set(['text', 'link', 'image', 'video', 'audio']);

/** Why the sandbox has no chat `jid` (groups, channels … are not simulated yet), or null when it has. */
export function unsupportedChat(jid: string): string | null {
  if (jid.endsWith('@s.whatsapp.net') || jid === STATUS_JID) return null;
  if (jid.endsWith('@g.us')) return 'The sandbox does not simulate groups yet: send to a phone number (another sandbox instance or a simulated contact).';
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
