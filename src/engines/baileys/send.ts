// Port sends → Baileys calls. Every message goes out with the id generated at enqueue time
// (sendMessage option `messageId`), so a retry after a crash is recognised instead of sent
// twice. Replies quote the stored original; edits point at the original key.
import { toNumber, type AnyMessageContent, type MiscMessageGenerationOptions, type WAMessageKey, type WASocket } from 'baileys';
import { ApiError, badRequest, notFound } from '../../domain/errors.js';
import type { EngineEmitter, MessageContent, OutgoingMessage, PresenceKind, SendResult } from '../engine.js';
import { Status, type BaileysStore } from './store.js';

export interface SendDeps {
  store: BaileysStore;
  events: EngineEmitter;
  /** Ids sent through the API recently: the events module skips their echo. */
  sent: { set(id: string, v: true): void };
}

/**
 * Media inputs for Baileys: only http(s) and data: URLs. Baileys reads any other string
 * as a local file path, which would let API users read the server's files.
 */
export function mediaInput(url: string, field = 'url'): { url: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`${field} is not a valid URL`, 'invalid-url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && parsed.protocol !== 'data:') {
    throw badRequest(`${field} must be an http(s) or data: URL`, 'invalid-url');
  }
  if (parsed.protocol === 'data:' && !/^data:[^,]*;base64,/i.test(url)) {
    throw badRequest(`${field}: data: URLs must be base64 encoded`, 'invalid-url');
  }
  return { url };
}

/** The Baileys content for the port's content (text only in this slice). */
export function toBaileysContent(content: MessageContent, edit?: WAMessageKey): AnyMessageContent {
  switch (content.type) {
    case 'text': {
      const out: AnyMessageContent & Record<string, unknown> = { text: content.text };
      if (content.mentions?.length) out.mentions = content.mentions;
      // Group mentions travel in contextInfo; an edit is a protocolMessage, where they have no place.
      if (content.groupMentions?.length && !edit) {
        out.contextInfo = { groupMentions: content.groupMentions.map((g) => ({ groupJid: g.jid, groupSubject: g.subject })) };
      }
      if (edit) out.edit = edit;
      return out;
    }
  }
}

/** Boom errors of a closed socket mean "not connected": the queue keeps the message for the reconnect. */
function asSendError(err: unknown): Error {
  const e = err as Error & { output?: { statusCode?: number } };
  const code = e?.output?.statusCode;
  if (code === 428 || /Connection Closed|Connection Terminated/i.test(e?.message ?? '')) {
    return new ApiError(409, 'not-connected', `WhatsApp connection closed while sending: ${e.message}`);
  }
  return e instanceof Error ? e : new Error(String(err));
}

export async function sendMessage(sock: WASocket, msg: OutgoingMessage, d: SendDeps): Promise<SendResult> {
  if (await d.store.sentThroughApi(msg.id)) {
    return { id: msg.id, timestamp: Date.now(), duplicate: true };
  }
  let to = msg.to;
  const options: MiscMessageGenerationOptions = { messageId: msg.id };
  if (msg.quotedId) {
    const quoted = await d.store.message(msg.quotedId);
    if (!quoted) throw notFound(`The message to reply to (${msg.quotedId}) is no longer in the recent-message store.`, 'message-not-found');
    options.quoted = quoted;
    // privateAnswer: answer a group message in the sender's private chat, quoting it.
    if (msg.privateAnswer && quoted.key.remoteJid?.endsWith('@g.us')) {
      const author = quoted.key.participantAlt ?? quoted.key.participant ?? quoted.participant;
      if (!author) throw badRequest('privateAnswer: the sender of the quoted group message is not known');
      to = author;
    }
  }
  let edit: WAMessageKey | undefined;
  if (msg.editId) {
    const original = await d.store.message(msg.editId);
    edit = { remoteJid: original?.key.remoteJid ?? to, fromMe: true, id: msg.editId };
  }
  const content = toBaileysContent(msg.content, edit);
  d.sent.set(msg.id, true);
  let result;
  try {
    result = await sock.sendMessage(to, content, options);
  } catch (err) {
    throw asSendError(err);
  }
  const timestamp = result?.messageTimestamp ? toNumber(result.messageTimestamp) * 1000 : Date.now();
  if (result) await d.store.saveMessage(result, true, Status.SERVER_ACK);
  // sendMessage resolves once the server took the message: that is SENT (there is no per-send ack event).
  d.events.emit('messageStatus', { ids: [msg.id], chatJid: to, status: 'SENT', timestamp, device: 0 });
  return { id: msg.id, timestamp, duplicate: false };
}

export async function sendPresence(sock: WASocket, jid: string, presence: PresenceKind): Promise<void> {
  await sock.sendPresenceUpdate(presence, jid);
}

/** Read receipts need the original key (LID addressing, group participant): from the store when we have it. */
export async function readMessages(sock: WASocket, chatJid: string, ids: string[], store: BaileysStore): Promise<void> {
  const keys: WAMessageKey[] = [];
  for (const id of ids) {
    const stored = await store.message(id);
    const k = stored?.key;
    keys.push(k ? { remoteJid: k.remoteJid, id, fromMe: false, participant: k.participant ?? undefined } : { remoteJid: chatJid, id, fromMe: false });
  }
  if (keys.length) await sock.readMessages(keys);
}
