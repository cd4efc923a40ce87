// The BuildContext a registry entry works with: chats named by `phone`, client media
// ingested into the media store, and messages referenced by id resolved from the
// instance's recent-message store (`messages` table: sent through the queue or received).
import type { AppContext } from '../../context.js';
import type { InstanceRow } from '../../../store/schema.js';
import type { MediaRef, MessageContent, MessageKey } from '../../../engines/content.js';
import { ApiError, badRequest, notFound } from '../../../domain/errors.js';
import { fromJid, toJid } from '../../../domain/phone.js';
import { keyOf, type BuildContext, type RefRules, type StoredMessage } from './kinds.js';

/** Two jids name the same chat; a LID cannot be compared with a phone jid here, so it is trusted. */
export const sameChat = (a: string, b: string) => a === b || a.endsWith('@lid') || b.endsWith('@lid');

export async function loadMessage(oz: AppContext, instanceId: string, id: string): Promise<StoredMessage | null> {
  const row = await oz.store.db
    .selectFrom('messages')
    .select(['message_id', 'chat_jid', 'from_me', 'sender_jid', 'kind', 'payload', 'created_at'])
    .where('instance_id', '=', instanceId)
    .where('message_id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  let content: MessageContent | null = null;
  try {
    content = (JSON.parse(row.payload) as { content?: MessageContent }).content ?? null;
  } catch {
    content = null; // a row we cannot read is still a known message (delete, read); its content is not
  }
  return {
    id: row.message_id,
    chatJid: row.chat_jid,
    fromMe: row.from_me === 1,
    senderJid: row.sender_jid,
    kind: row.kind,
    content,
    createdAt: Number(row.created_at),
  };
}

export interface ContextOptions {
  direction: 'send' | 'inbound';
  instance: InstanceRow;
  ownPhone: string | null;
  params: Record<string, string>;
  /** inbound: the simulated contact's jid (every `phone` of the body names it). */
  contactJid?: string;
}

export function buildContext(oz: AppContext, o: ContextOptions): BuildContext {
  const inbound = o.direction === 'inbound';
  const who = inbound ? 'the contact' : 'this instance';
  return {
    direction: o.direction,
    instance: o.instance,
    ownPhone: o.ownPhone,
    params: o.params,
    chat(phone, field = 'phone') {
      return inbound ? o.contactJid! : toJid(phone, field);
    },
    media(input, opts) {
      return oz.media.ingest(input, { ...opts, instanceId: o.instance.id });
    },
    async message(id, field, rules: RefRules = {}) {
      const m = await loadMessage(oz, o.instance.id, id);
      if (!m) throw notFound(`${field} ${id} is not a known message of this instance (sent or received within the retention window)`, 'message-not-found');
      // A simulated contact only sees its own chat with the instance.
      const chat = inbound && !rules.anyChat ? o.contactJid : rules.chat;
      if (chat && !sameChat(chat, m.chatJid)) {
        throw badRequest(`${field} ${id} is a message of chat ${fromJid(m.chatJid)}, not of ${fromJid(chat)}`, 'message-chat-mismatch');
      }
      // fromMe is the instance's point of view; "own" is the sender's.
      const sentBySender = inbound ? !m.fromMe : m.fromMe;
      if (rules.own && !sentBySender) throw badRequest(`${field} ${id} was not sent by ${who}`, 'not-own-message');
      if (rules.theirs && sentBySender) throw badRequest(`${field} ${id} was sent by ${who} itself`, 'own-message');
      if (rules.kinds && !rules.kinds.includes(m.kind as never)) {
        throw badRequest(`${field} ${id} is a ${m.kind} message; expected ${rules.kinds.join(' or ')}`, 'wrong-message-type');
      }
      if (rules.kinds && !m.content) throw new ApiError(422, 'message-unreadable', `${field} ${id}: its stored content cannot be read`);
      return m;
    },
    key(m): MessageKey {
      if (!inbound) return keyOf(m);
      // The contact's side of its one-to-one chat with the instance: the chat is the instance.
      return { id: m.id, chatJid: `${o.ownPhone}@s.whatsapp.net`, fromMe: !m.fromMe };
    },
    async mediaAlive(refs: MediaRef[], field: string) {
      for (const ref of refs) {
        if (!(await oz.media.info(ref.id))) throw notFound(`${field}: the media of this message has expired from the media store`, 'media-expired');
      }
    },
  };
}
