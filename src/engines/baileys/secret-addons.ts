// Poll votes and event responses ("message secret add-ons"): WhatsApp encrypts them with a
// key derived from the poll's or event's messageSecret, so only chat members can read them.
//   key  = HKDF-SHA256(messageSecret, salt ∅, info = parentId ‖ parentAuthor ‖ modifier ‖ useCase, 32)
//   AES-256-GCM, 12-byte iv, aad = `${parentId}\0${modifier}`, tag appended to the payload.
// Baileys decrypts (decryptPollVote, decryptEventResponse) but has no encrypter; ours mirrors
// its decrypter (round-trip tested) and WhatsApp Web as whatsmeow and whatsapp-rust send it.
// Which jid form (phone or LID) an author used is not on the wire, so decryption tries the
// forms we know; encryption uses the parent author as addressed and our own jid in the same
// namespace (our LID for a LID-addressed parent), as WhatsApp Web does.
import { createCipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { decryptEventResponse, decryptPollVote, isLidUser, jidNormalizedUser, proto, type WAMessage, type WAMessageKey } from 'baileys';

export type UseCase = 'Poll Vote' | 'Event Response';

export interface OwnJids {
  /** Our phone jid (no device). */
  pn: string;
  /** Our LID (no device), when known. */
  lid?: string;
}

export interface Encrypted {
  encPayload: Buffer;
  encIv: Buffer;
}

/** Encrypt an add-on payload the way the parent's other readers decrypt it. */
export function encryptAddon(plaintext: Uint8Array, secret: Uint8Array, useCase: UseCase, parentId: string, parentAuthor: string, modifier: string): Encrypted {
  const info = Buffer.concat([Buffer.from(parentId), Buffer.from(parentAuthor), Buffer.from(modifier), Buffer.from(useCase)]);
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${parentId}\u0000${modifier}`));
  const encPayload = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { encPayload, encIv: iv };
}

/** Poll options are voted by the SHA-256 of their names. */
export function optionHash(name: string): Buffer {
  return createHash('sha256').update(Buffer.from(name)).digest();
}

/** The secret of a poll or event creation message (messageContextInfo.messageSecret). */
export function secretOf(parent: WAMessage | undefined): Uint8Array | null {
  const s = parent?.message?.messageContextInfo?.messageSecret;
  return s && s.length > 0 ? s : null;
}

const bare = (jid: string | null | undefined) => (jid ? jidNormalizedUser(jid) || jid : undefined);

/** The author of a message as addressed on its key (our own jid, in the chat's namespace, for ours). */
export function authorOf(key: WAMessageKey, me: OwnJids): string {
  if (key.fromMe) {
    const lidChat = isLidUser(key.remoteJid ?? undefined) || key.addressingMode === 'lid' || isLidUser(key.participant ?? undefined);
    return lidChat && me.lid ? me.lid : me.pn;
  }
  return bare(key.participant) ?? bare(key.remoteJid) ?? '';
}

/** Our jid in the namespace of a parent author (WhatsApp Web: own LID for a LID-addressed parent). */
export function modifierFor(parentAuthor: string, me: OwnJids): string {
  return isLidUser(parentAuthor) && me.lid ? me.lid : me.pn;
}

/**
 * Every form a key's author may have used: the key's jid, its alternative, and what the
 * LID ↔ phone mapping knows. Ours are both of our jids.
 */
export function authorForms(key: WAMessageKey, me: OwnJids, other: (jid: string) => string | undefined): string[] {
  const found = key.fromMe
    ? [me.pn, me.lid]
    : [bare(key.participant), bare(key.participantAlt), bare(key.remoteJid), bare(key.remoteJidAlt)].filter((j) => !j?.endsWith('@g.us') && !j?.endsWith('@broadcast'));
  const out = new Set<string>();
  for (const j of found) {
    if (!j) continue;
    out.add(j);
    const alt = other(j);
    if (alt) out.add(alt);
  }
  return [...out];
}

/** Try each (author, modifier) pair until the GCM tag checks: the pair the sender used. */
function tryPairs<T>(authors: string[], modifiers: string[], attempt: (author: string, modifier: string) => T): T | null {
  for (const a of authors) {
    for (const m of modifiers) {
      try {
        return attempt(a, m);
      } catch {
        // wrong pair (tag mismatch): next one
      }
    }
  }
  return null;
}

/** The option names a vote selected, or null when it cannot be decrypted. Unknown hashes are dropped. */
export function decryptVote(
  vote: proto.Message.IPollEncValue,
  poll: { id: string; authors: string[]; secret: Uint8Array; options: string[] },
  voters: string[],
): string[] | null {
  if (!vote.encPayload || !vote.encIv) return null;
  const decrypted = tryPairs(poll.authors, voters, (pollCreatorJid, voterJid) =>
    decryptPollVote(vote, { pollCreatorJid, pollMsgId: poll.id, pollEncKey: poll.secret, voterJid }),
  );
  if (!decrypted) return null;
  const byHash = new Map(poll.options.map((name) => [optionHash(name).toString('hex'), name]));
  return (decrypted.selectedOptions ?? []).map((h) => byHash.get(Buffer.from(h).toString('hex'))).filter((n): n is string => n !== undefined);
}

export type EventAnswer = 'GOING' | 'NOT_GOING' | 'MAYBE';

const ANSWER_CODES: Record<EventAnswer, proto.Message.EventResponseMessage.EventResponseType> = {
  GOING: proto.Message.EventResponseMessage.EventResponseType.GOING,
  NOT_GOING: proto.Message.EventResponseMessage.EventResponseType.NOT_GOING,
  MAYBE: proto.Message.EventResponseMessage.EventResponseType.MAYBE,
};

/** An event response's answer, or null when it cannot be decrypted (or is UNKNOWN). */
export function decryptAnswer(
  enc: proto.Message.IEncEventResponseMessage,
  event: { id: string; authors: string[]; secret: Uint8Array },
  responders: string[],
): EventAnswer | null {
  if (!enc.encPayload || !enc.encIv) return null;
  const msg = tryPairs(event.authors, responders, (eventCreatorJid, responderJid) =>
    decryptEventResponse({ encPayload: enc.encPayload, encIv: enc.encIv }, { eventCreatorJid, eventMsgId: event.id, eventEncKey: event.secret, responderJid }),
  );
  const found = (Object.keys(ANSWER_CODES) as EventAnswer[]).find((k) => ANSWER_CODES[k] === msg?.response);
  return found ?? null;
}

/** The key an add-on names its parent by (participant only in groups, as WhatsApp Web sends it). */
function parentKey(parent: WAMessageKey): proto.IMessageKey {
  const k: proto.IMessageKey = { remoteJid: parent.remoteJid, fromMe: parent.fromMe === true, id: parent.id };
  if (parent.remoteJid?.endsWith('@g.us') && parent.participant) k.participant = parent.participant;
  return k;
}

/** A pollUpdateMessage voting `options` on the stored poll. */
export function buildVote(poll: WAMessage, secret: Uint8Array, options: string[], me: OwnJids): proto.IMessage {
  const author = authorOf(poll.key, me);
  const plaintext = proto.Message.PollVoteMessage.encode({ selectedOptions: options.map(optionHash) }).finish();
  const enc = encryptAddon(plaintext, secret, 'Poll Vote', poll.key.id!, author, modifierFor(author, me));
  return {
    pollUpdateMessage: {
      pollCreationMessageKey: parentKey(poll.key),
      vote: { encPayload: enc.encPayload, encIv: enc.encIv },
      senderTimestampMs: Date.now(),
    },
  };
}

/** An encEventResponseMessage answering the stored event. */
export function buildEventResponse(event: WAMessage, secret: Uint8Array, answer: EventAnswer, me: OwnJids): proto.IMessage {
  const author = authorOf(event.key, me);
  const plaintext = proto.Message.EventResponseMessage.encode({ response: ANSWER_CODES[answer], timestampMs: Date.now() }).finish();
  const enc = encryptAddon(plaintext, secret, 'Event Response', event.key.id!, author, modifierFor(author, me));
  return { encEventResponseMessage: { eventCreationMessageKey: parentKey(event.key), encPayload: enc.encPayload, encIv: enc.encIv } };
}

/** Poll option names of a creation message (any version). */
export function pollOptions(m: proto.IMessage | null | undefined): string[] | null {
  const p = m?.pollCreationMessage ?? m?.pollCreationMessageV2 ?? m?.pollCreationMessageV3 ?? m?.pollCreationMessageV5;
  return p ? (p.options ?? []).map((o) => o.optionName ?? '') : null;
}
