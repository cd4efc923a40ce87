// The send registry: one entry per Z-API send endpoint. An entry owns its body schema and
// a build function turning the Z-API body into engine-level content (engines/content.ts)
// plus where and how to send it. The same entry drives POST /<path> (this instance sends,
// through the queue) and POST /sandbox/inbound/<path> (a simulated contact sends it to
// this instance), so both sides accept exactly the same bodies.
import { Type, type Static, type TLiteral, type TObject, type TProperties, type TUnion } from '@sinclair/typebox';
import type { ContentType, MediaRef, MessageContent, MessageKey } from '../../../engines/content.js';
import type { IngestOptions } from '../../../media/media.js';
import type { InstanceRow } from '../../../store/schema.js';
import type { EnqueueRequest } from '../../../queue/send-queue.js';
import { badRequest } from '../../../domain/errors.js';

/**
 * What a build produces: the queue's request less the instance — the engine-level message,
 * the chat it goes to (a jid; status@broadcast for statuses) and its queue options. `phone`,
 * kept for the queue listing, defaults to the body's phone.
 */
export type Outgoing = Omit<EnqueueRequest, 'instanceId' | 'phone'> & Partial<Pick<EnqueueRequest, 'phone'>>;

/** A message of the instance's recent-message store (sent through the queue or received). */
export interface StoredMessage {
  id: string;
  chatJid: string;
  /** Sent by this instance. */
  fromMe: boolean;
  senderJid: string | null;
  kind: string;
  content: MessageContent | null;
  createdAt: number;
}

/** What a referenced message must be, beyond existing. */
export interface RefRules {
  /** It must be in this chat (send side; inbound always checks the contact's chat). */
  chat?: string;
  /** It must have been sent by whoever sends now (the instance, or the simulated contact). */
  own?: boolean;
  /** Sent by the other side: the instance answering a contact's message, or the contact answering the instance's. */
  theirs?: boolean;
  /** Allowed content types. */
  kinds?: ContentType[];
  /** Inbound: any chat of the instance (reply to a status lives in status@broadcast). */
  anyChat?: boolean;
}

export type MediaOptions = Omit<IngestOptions, 'instanceId'>;

export interface BuildContext {
  /** send: the instance sends (queued); inbound: a simulated contact sends to the instance (sandbox). */
  direction: 'send' | 'inbound';
  instance: InstanceRow;
  /** The instance's phone (digits), when known. */
  ownPhone: string | null;
  /** Path parameters (send-document/{extension}). */
  params: Record<string, string>;
  /** The chat a body's `phone` names: send → its jid; inbound → the simulated contact. */
  chat(phone: string, field?: string): string;
  /** Fetch or decode client media into the media store (4xx on bad input). */
  media(input: string, opts: MediaOptions): Promise<MediaRef>;
  /** A referenced message: 404 message-not-found when unknown, 400 when it breaks the rules. */
  message(id: string, field: string, rules?: RefRules): Promise<StoredMessage>;
  /**
   * The key a reaction, pin, vote or event answer carries, as its sender writes it (WhatsApp
   * keys are relative to the sender: inbound, the contact's view of the instance's chat).
   */
  key(m: StoredMessage): MessageKey;
  /** 404 when a stored file a message refers to has expired (forwarding old media). */
  mediaAlive(refs: MediaRef[], field: string): Promise<void>;
}

export interface SendKind<S extends TObject = TObject> {
  /** Route path, Fastify style (`/send-document/:extension`). */
  path: string;
  summary: string;
  /** Line of the section in zapi-reference.txt. */
  doc: number;
  body: S;
  /** Path parameters besides the instance prefix. */
  params?: TProperties;
  /** Why a simulated contact cannot send this (then there is no sandbox inbound route). */
  noInbound?: string;
  build(body: Static<S>, ctx: BuildContext): Promise<Outgoing>;
}

/** Registry entries are stored type-erased; each keeps its own body type inside build. */
export const defineKind = <S extends TObject>(k: SendKind<S>): SendKind => k as unknown as SendKind;

// ---- schema pieces shared by the entries ----

export const MB = 1024 * 1024;

export const Str = (min: number, max: number, description?: string) =>
  Type.String({ minLength: min, maxLength: max, ...(description ? { description } : {}) });

export const Phone = Str(1, 100, 'Recipient: digits with country code, <id>-group, or a jid');

/** Media input: an http(s) URL or base64 (data:<mime>;base64,…). Size is checked by the media store. */
export const MediaInput = (description: string) => Type.String({ minLength: 1, description: `${description} (http(s) URL or data:<mime>;base64,…)` });

const Delay = (what: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: what }));

/** delayMessage/delayTyping, accepted on every send (0 = not set, as Z-API treats it). */
export const Delays = {
  delayMessage: Delay('Seconds (1–15) to wait before sending this message (default: 1–3 s gap)'),
  delayTyping: Delay('Seconds (1–15) showing "typing…" ("recording…" for audio) before sending'),
};

/** Reply: the quoted message. */
export const ReplyTo = { messageId: Type.Optional(Str(1, 128, 'Reply to this message (id from a send response or a webhook)')) };

/** A string enum with a readable schema (TypeBox unions of literals). */
export function Enum<T extends string>(values: readonly T[], description?: string): TUnion<TLiteral<T>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );
}

export const delays = (b: { delayMessage?: number; delayTyping?: number }) => ({
  delayMessage: b.delayMessage || undefined,
  delayTyping: b.delayTyping || undefined,
});

/** The message a body quotes (ReplyTo's messageId), checked to exist: its id, or undefined when it quotes none. */
export async function replyTo(ctx: BuildContext, b: { messageId?: string }): Promise<string | undefined> {
  if (b.messageId) await ctx.message(b.messageId, 'messageId');
  return b.messageId;
}

/** The key of a stored message as this instance sees it. */
export function keyOf(m: StoredMessage): MessageKey {
  const key: MessageKey = { id: m.id, chatJid: m.chatJid, fromMe: m.fromMe };
  if (m.chatJid.endsWith('@g.us') && !m.fromMe && m.senderJid) key.participant = m.senderJid;
  return key;
}

/** Latitude/longitude given as strings (documented) or numbers. */
export function coordinate(value: string | number, field: string, limit: number): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (String(value).trim() === '' || !Number.isFinite(n) || Math.abs(n) > limit) {
    throw badRequest(`${field} must be a number between -${limit} and ${limit}`, 'invalid-coordinate');
  }
  return n;
}

/** An http(s) URL the recipient opens (not fetched by us). */
export function linkUrl(value: string, field: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw badRequest(`${field} is not a valid URL`, 'invalid-url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badRequest(`${field} must be an http(s) URL`, 'invalid-url');
  return value.trim();
}
