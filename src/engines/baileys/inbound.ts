// A received WAMessage → the port's IncomingMessage. Text only in this slice
// (conversation / extendedTextMessage, and edits of them); every other content type maps
// to null for now, so the caller emits nothing rather than something wrong.
import {
  getContentType,
  isJidGroup,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  toNumber,
  type WAMessage,
} from 'baileys';
import type { IncomingMessage, MessageContent } from '../engine.js';

export interface MappedContent {
  content: MessageContent;
  contextInfo: proto.IContextInfo | null;
  /** Set for an edit: the id of the message whose content changed. */
  editOf?: string;
}

/** The text content of a message, or null for anything else (media, notification messages (messageStubType), protocol messages…). */
export function mapContent(message: proto.IMessage | null | undefined): MappedContent | null {
  const m = normalizeMessageContent(message);
  const type = getContentType(m);
  if (!m || !type) return null;
  if (type === 'conversation' && m.conversation) {
    return { content: { type: 'text', text: m.conversation }, contextInfo: null };
  }
  if (type === 'extendedTextMessage' && typeof m.extendedTextMessage?.text === 'string') {
    const ctx = m.extendedTextMessage.contextInfo ?? null;
    const content: MessageContent = { type: 'text', text: m.extendedTextMessage.text };
    if (ctx?.mentionedJid?.length) content.mentions = [...ctx.mentionedJid];
    const groups = (ctx?.groupMentions ?? []).filter((g) => g.groupJid);
    if (groups.length) content.groupMentions = groups.map((g) => ({ jid: g.groupJid!, subject: g.groupSubject ?? '' }));
    return { content, contextInfo: ctx };
  }
  const pm = m.protocolMessage;
  if (type === 'protocolMessage' && pm?.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && pm.key?.id) {
    const edited = mapContent(pm.editedMessage);
    return edited ? { ...edited, editOf: pm.key.id } : null;
  }
  return null;
}

/** A jid as events should carry it: the phone jid when known, with the LID kept aside. */
export interface ResolvedJid {
  jid: string;
  lid?: string;
}

export type JidResolver = (jid: string, alt?: string | null) => Promise<ResolvedJid>;

/** Builds the resolver: the alternative address on the key first, then the stored mapping, then Baileys'. */
export function makeResolver(lookup: {
  phoneJid(jid: string): string;
  remember(pairs: { lid: string; pn: string }[]): Promise<void>;
  signalLookup?: (lid: string) => Promise<string | null | undefined>;
}): JidResolver {
  return async (raw, alt) => {
    const jid = jidNormalizedUser(raw) || raw;
    if (!isLidUser(jid)) {
      if (alt && isLidUser(alt)) await lookup.remember([{ lid: alt, pn: jid }]);
      return { jid, ...(alt && isLidUser(alt) ? { lid: jidNormalizedUser(alt) } : {}) };
    }
    if (alt && isPnUser(alt)) {
      await lookup.remember([{ lid: jid, pn: alt }]);
      return { jid: jidNormalizedUser(alt), lid: jid };
    }
    const known = lookup.phoneJid(jid);
    if (known !== jid) return { jid: known, lid: jid };
    const pn = await lookup.signalLookup?.(jid).catch(() => null);
    if (pn && isPnUser(pn)) {
      await lookup.remember([{ lid: jid, pn }]);
      return { jid: jidNormalizedUser(pn), lid: jid };
    }
    return { jid, lid: jid }; // only the LID is known: it stays the id
  };
}

/** The IncomingMessage for a received (or typed-on-the-phone) text message; null when not text. */
export async function toIncoming(
  msg: WAMessage,
  resolve: JidResolver,
  me: () => string | null,
  /** The stored name of a sender (contacts store), for messages that carry no push name. */
  nameOf?: (jid: string) => Promise<string | null>,
): Promise<IncomingMessage | null> {
  const mapped = mapContent(msg.message);
  const key = msg.key;
  if (!mapped || !key.id || !key.remoteJid) return null;
  const chat = await resolve(key.remoteJid, key.remoteJidAlt);
  const group = isJidGroup(key.remoteJid) === true;
  let sender: ResolvedJid;
  if (key.fromMe) {
    const own = me();
    sender = own ? { jid: `${own}@s.whatsapp.net` } : chat;
  } else if (group) {
    const participant = key.participant ?? msg.participant;
    sender = participant ? await resolve(participant, key.participantAlt) : chat;
  } else {
    sender = chat;
  }
  const ctx = mapped.contextInfo;
  const out: IncomingMessage = {
    id: mapped.editOf ?? key.id,
    chatJid: chat.jid,
    senderJid: sender.jid,
    senderName: msg.pushName || (!key.fromMe && nameOf ? await nameOf(sender.jid).catch(() => null) : null) || null,
    fromMe: key.fromMe === true,
    fromApi: false,
    timestamp: toNumber(msg.messageTimestamp ?? 0) * 1000 || Date.now(),
    content: mapped.content,
  };
  if (ctx?.stanzaId) out.quotedId = ctx.stanzaId;
  if (mapped.editOf) out.isEdit = true;
  if (ctx?.isForwarded) out.forwarded = true;
  if (chat.lid) out.chatLid = chat.lid;
  if (sender.lid) out.senderLid = sender.lid;
  return out;
}
