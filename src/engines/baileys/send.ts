// Port sends → Baileys calls. Every message goes out with the id generated at enqueue time
// (sendMessage / relayMessage option `messageId`), so a retry after a crash is recognised instead of sent
// twice. content-out.ts decides what Baileys sends; this module adds what surrounds it:
// replies quote the stored original (statuses included), edits point at the original key,
// statuses go to status@broadcast with the contact list as audience, and the sent message is
// stored for retries, replies and receipts.
import {
  generateWAMessageFromContent,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  toNumber,
  type MiscMessageGenerationOptions,
  type Product,
  type WAMessage,
  type WAMessageKey,
  type WASocket,
} from 'baileys';
import { ApiError, badRequest, notFound, Unsupported } from '../../domain/errors.js';
import type { MediaPort } from '../../media/media.js';
import type { EngineEmitter, OutgoingMessage, PresenceKind, SendResult } from '../engine.js';
import { STATUS_JID, toOutbound, unsupportedReason, type OutDeps } from './content-out.js';
import type { OwnJids } from './secret-addons.js';
import { Status, type BaileysStore } from './store.js';

export interface SendDeps {
  store: BaileysStore;
  events: EngineEmitter;
  /** Ids sent through the API recently: the events module skips their echo. */
  sent: { set(id: string, v: true): void };
  /** The bytes of the media we send. */
  media: Pick<MediaPort, 'read'>;
  /** Known contacts: a status is shown to them. */
  contacts: { list(): Promise<{ jid: string }[]> };
  warn?: (obj: object, msg: string) => void;
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

/** Boom errors of a closed socket mean "not connected": the queue keeps the message for the reconnect. */
function asSendError(err: unknown): Error {
  const e = err as Error & { output?: { statusCode?: number } };
  const code = e?.output?.statusCode;
  if (code === 428 || /Connection Closed|Connection Terminated/i.test(e?.message ?? '')) {
    return new ApiError(409, 'not-connected', `WhatsApp connection closed while sending: ${e.message}`);
  }
  return e instanceof Error ? e : new Error(String(err));
}

/** Our jids without device: the phone one, and the LID when the session knows it. */
export function ownJids(sock: WASocket): OwnJids {
  const user = sock.user;
  const pn = jidNormalizedUser(user?.id);
  return user?.lid ? { pn, lid: jidNormalizedUser(user.lid) } : { pn };
}

/** A product of a catalog, paging through it (there is no single-product query). */
async function findProduct(sock: WASocket, catalogJid: string, productId: string): Promise<Product | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await sock.getCatalog({ jid: catalogJid, limit: 100, cursor });
    const found = res.products.find((p) => p.id === productId);
    if (found || !res.nextPageCursor) return found;
    cursor = res.nextPageCursor;
  }
  return undefined;
}

/**
 * Who sees a status: every contact in the local store (phone jids, or the LID when no phone is
 * known) and our own devices. WhatsApp's status privacy lists are not readable from a linked
 * device, so they are not applied (docs/capabilities.md).
 */
async function statusAudience(sock: WASocket, contacts: SendDeps['contacts']): Promise<string[]> {
  const jids = (await contacts.list()).map((c) => c.jid).filter((j) => isPnUser(j) || isLidUser(j));
  if (jids.length === 0) {
    throw new ApiError(409, 'no-status-audience', 'No contacts are known yet (they come with the history sync), so a status would reach nobody.');
  }
  return [...new Set([...jids, ownJids(sock).pn])];
}

/** The stored message a reply quotes. */
async function quotedFor(msg: OutgoingMessage, store: BaileysStore): Promise<WAMessage | undefined> {
  const c = msg.content;
  const id = msg.quotedId ?? (c.type === 'buttonReply' || c.type === 'listReply' ? c.quotedId : undefined);
  if (!id) return undefined;
  const quoted = await store.message(id);
  const what = msg.quotedIsStatus ? 'status' : 'message';
  if (!quoted) throw notFound(`The ${what} to reply to (${id}) is no longer in the recent-message store.`, 'message-not-found');
  if (msg.quotedIsStatus && quoted.key.remoteJid !== STATUS_JID) throw badRequest(`Message ${id} is not a status`);
  return quoted;
}

export async function sendMessage(sock: WASocket, msg: OutgoingMessage, d: SendDeps): Promise<SendResult> {
  if (await d.store.sentThroughApi(msg.id)) {
    return { id: msg.id, timestamp: Date.now(), duplicate: true };
  }
  let to = msg.to;
  // Routes asked before queueing; asked again here for messages queued under another engine.
  const why = unsupportedReason(msg.content, to);
  if (why) throw new Unsupported(why);
  const options: MiscMessageGenerationOptions = { messageId: msg.id };
  const quoted = await quotedFor(msg, d.store);
  if (quoted) {
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
  const outDeps: OutDeps = {
    read: (ref) => d.media.read(ref.id),
    stored: (id) => d.store.message(id),
    me: () => ownJids(sock),
    product: (jid, id) => findProduct(sock, jid, id),
    upload: sock.waUploadToServer,
    warn: d.warn,
  };
  const plan = await toOutbound(msg.content, { edit, forwarded: msg.forwarded }, outDeps);
  if (to === STATUS_JID) {
    options.statusJidList = await statusAudience(sock, d.contacts);
    // A text status needs a background; WhatsApp's own clients pick one too.
    if (msg.content.type === 'text') options.backgroundColor = '#075E54';
  }
  d.sent.set(msg.id, true);
  let result: WAMessage | undefined;
  try {
    if (plan.via === 'send') {
      result = await sock.sendMessage(to, plan.content, options);
    } else {
      // Messages Baileys has no generator for (add-ons, native flows): built here, relayed with the
      // stanza node WhatsApp Web adds, under the enqueued id. A native flow takes the reply context
      // sendMessage would give (contextInfo of the interactiveMessage).
      const quoted = plan.replyable ? (options.quoted ?? plan.quote) : undefined;
      const full = generateWAMessageFromContent(to, plan.message, { userJid: sock.user!.id, messageId: msg.id, ...(quoted ? { quoted } : {}) });
      await sock.relayMessage(to, full.message!, {
        messageId: msg.id,
        additionalNodes: plan.additionalNodes,
        ...(plan.additionalAttributes ? { additionalAttributes: plan.additionalAttributes } : {}),
      });
      result = full;
    }
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

/** Receipts need the original key (LID addressing, group participant): from the store when we have it. */
async function receivedKeys(chatJid: string, ids: string[], store: BaileysStore): Promise<WAMessageKey[]> {
  const keys: WAMessageKey[] = [];
  for (const id of ids) {
    const k = (await store.message(id))?.key;
    keys.push(k ? { remoteJid: k.remoteJid, id, fromMe: false, participant: k.participant ?? undefined } : { remoteJid: chatJid, id, fromMe: false });
  }
  return keys;
}

export async function readMessages(sock: WASocket, chatJid: string, ids: string[], store: BaileysStore): Promise<void> {
  const keys = await receivedKeys(chatJid, ids, store);
  if (keys.length) await sock.readMessages(keys);
}

/** "Played" receipts (audio, PTV), one per chat and author as WhatsApp groups them. */
export async function playedMessages(sock: WASocket, chatJid: string, ids: string[], store: BaileysStore): Promise<void> {
  const groups = new Map<string, { jid: string; participant?: string; ids: string[] }>();
  for (const k of await receivedKeys(chatJid, ids, store)) {
    const at = `${k.remoteJid}|${k.participant ?? ''}`;
    const g = groups.get(at) ?? { jid: k.remoteJid!, ...(k.participant ? { participant: k.participant } : {}), ids: [] };
    g.ids.push(k.id!);
    groups.set(at, g);
  }
  for (const g of groups.values()) await sock.sendReceipt(g.jid, g.participant, g.ids, 'played');
}

/** Ours: revoked for everyone. Someone else's: deleted on our devices only (an app-state patch). */
export async function deleteMessage(
  sock: WASocket,
  key: { id: string; chatJid: string; fromMe: boolean; participant?: string },
  store: BaileysStore,
): Promise<void> {
  const stored = await store.message(key.id);
  const remoteJid = stored?.key.remoteJid ?? key.chatJid;
  const participant = stored?.key.participant ?? key.participant;
  try {
    if (key.fromMe) {
      await sock.sendMessage(remoteJid, { delete: { remoteJid, fromMe: true, id: key.id } });
      return;
    }
    const seconds = stored?.messageTimestamp ? toNumber(stored.messageTimestamp) : 0;
    const target: WAMessageKey = { remoteJid, fromMe: false, id: key.id, ...(participant ? { participant } : {}) };
    await sock.chatModify({ deleteForMe: { key: target, timestamp: seconds ? seconds * 1000 : Date.now(), deleteMedia: false } }, remoteJid);
  } catch (err) {
    throw asSendError(err);
  }
}
