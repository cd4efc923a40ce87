// A received WAMessage → the port's IncomingMessage: content-in.ts maps the content,
// media-in.ts keeps the files it carries, poll votes and event responses are decrypted against
// their stored parent (secret-addons.ts), carts get their lines and payment answers their
// request's amount, and every jid is resolved to the phone when known.
import { isJidBroadcast, isJidGroup, isJidStatusBroadcast, isLidUser, isPnUser, jidNormalizedUser, toNumber, type OrderDetails, type WAMessage } from 'baileys';
import type { IncomingMessage } from '../engine.js';
import type { CartContent, MessageKey } from '../content.js';
import { mapContent, type InboundContent, type MediaPart } from './content-in.js';
import { authorForms, decryptAnswer, decryptVote, pollOptions, secretOf, type OwnJids } from './secret-addons.js';

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

export interface InboundDeps {
  resolve: JidResolver;
  /** Digits of the connected number. */
  me: () => string | null;
  /** The stored name of a sender (contacts store), for messages that carry no push name. */
  nameOf?: (jid: string) => Promise<string | null>;
  /** Download and keep the files a message carries (fills each part's ref). */
  keepMedia?: (msg: WAMessage, parts: MediaPart[]) => Promise<void>;
  /** Decrypt a poll vote or event response into the content, complete a cart or payment; false when it cannot be read. */
  readAddOn?: (msg: WAMessage, mapped: InboundContent) => Promise<boolean>;
}

/** Add-ons without which the content would be wrong (not merely incomplete): unread, the message is not reported. */
const mustRead = (a: NonNullable<InboundContent['addOn']>) => a.kind === 'pollVote' || a.kind === 'eventResponse';

/**
 * The IncomingMessage for a received (or typed-on-the-phone) message; null for what is not
 * reported (protocol messages, see content-in.ts, and votes or responses we cannot decrypt).
 */
export async function toIncoming(msg: WAMessage, d: InboundDeps): Promise<IncomingMessage | null> {
  const mapped = mapContent(msg.message, msg.paymentInfo);
  const key = msg.key;
  if (!mapped || !key.id || !key.remoteJid) return null;
  if (mapped.addOn && !(await d.readAddOn?.(msg, mapped)) && mustRead(mapped.addOn)) return null;
  const chat = await d.resolve(key.remoteJid, key.remoteJidAlt);
  const group = isJidGroup(key.remoteJid) === true;
  const broadcast = isJidBroadcast(key.remoteJid) === true;
  let sender: ResolvedJid;
  if (key.fromMe) {
    const own = d.me();
    sender = own ? { jid: `${own}@s.whatsapp.net` } : chat;
  } else if (group || broadcast) {
    // Groups, statuses and broadcast lists: the author is the participant.
    const participant = key.participant ?? msg.participant;
    sender = participant ? await d.resolve(participant, key.participantAlt) : chat;
  } else {
    sender = chat;
  }
  await resolveKeys(mapped.keys, key.remoteJid, d.resolve);
  for (const slot of mapped.jids) slot.set((await d.resolve(slot.jid)).jid);
  if (mapped.media.length) await d.keepMedia?.(msg, mapped.media);
  const ctx = mapped.contextInfo;
  const out: IncomingMessage = {
    id: mapped.editOf ?? key.id,
    chatJid: chat.jid,
    senderJid: sender.jid,
    senderName: msg.pushName || (!key.fromMe && d.nameOf ? await d.nameOf(sender.jid).catch(() => null) : null) || null,
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
  // A reply quoting a status (story) names the status chat in its contextInfo.
  if (ctx?.remoteJid && isJidStatusBroadcast(ctx.remoteJid)) out.isStatusReply = true;
  if (broadcast) out.broadcast = true;
  if (mapped.viewOnce || key.isViewOnce) out.viewOnce = true;
  return out;
}

/** Keys inside the content name chats and authors as WhatsApp addressed them: report phones when known. */
async function resolveKeys(keys: MessageKey[], chatOfMessage: string, resolve: JidResolver): Promise<void> {
  for (const k of keys) {
    if (!k.chatJid) k.chatJid = chatOfMessage;
    k.chatJid = (await resolve(k.chatJid)).jid;
    if (k.participant) k.participant = (await resolve(k.participant)).jid;
  }
}

export interface AddOnDeps {
  /** The stored poll or event (its secret and options). */
  stored(id: string): Promise<WAMessage | undefined>;
  me(): OwnJids | null;
  /** The other form (LID ↔ phone) of a jid, when known. */
  otherForm(jid: string): string | undefined;
  logger: { warn(obj: unknown, msg?: string): void };
  /** A received cart's lines (Baileys' getOrderDetails: only the seller can read them). */
  orderDetails?: (orderId: string, token: string) => Promise<OrderDetails>;
}

/**
 * Decrypts poll votes and event responses in place. One that cannot be read (its poll or event
 * is not in the recent-message store, or no jid form decrypts it) is not reported: a vote with
 * the wrong options, or an empty one (which means "vote withdrawn"), would be a false report.
 */
export function makeAddOnReader(d: AddOnDeps): (msg: WAMessage, mapped: InboundContent) => Promise<boolean> {
  return async (msg, mapped) => {
    const addOn = mapped.addOn;
    if (addOn?.kind === 'cart') return mapped.content.type === 'cart' && (await completeCart(mapped.content, addOn, d, msg.key.id));
    if (addOn?.kind === 'paymentOf') return completePayment(mapped, addOn.requestId, d);
    const me = d.me();
    const parentKey = addOn?.kind === 'pollVote' ? addOn.update.pollCreationMessageKey : addOn?.enc.eventCreationMessageKey;
    if (!addOn || !me || !parentKey?.id) return false;
    const parent = await d.stored(parentKey.id);
    const secret = secretOf(parent);
    if (!parent || !secret) {
      d.logger.warn({ id: msg.key.id, parent: parentKey.id }, `${addOn.kind}: its parent message is not in the store; not reported`);
      return false;
    }
    const authors = [...new Set([...authorForms(parent.key, me, d.otherForm), ...authorForms({ ...parentKey, fromMe: parent.key.fromMe }, me, d.otherForm)])];
    const modifiers = authorForms(msg.key, me, d.otherForm);
    if (addOn.kind === 'pollVote' && mapped.content.type === 'pollVote') {
      const options = pollOptions(parent.message);
      const chosen = options && addOn.update.vote ? decryptVote(addOn.update.vote, { id: parentKey.id, authors, secret, options }, modifiers) : null;
      if (chosen === null) {
        d.logger.warn({ id: msg.key.id, poll: parentKey.id }, 'poll vote could not be decrypted; not reported');
        return false;
      }
      mapped.content.options = chosen;
      return true;
    }
    if (addOn.kind === 'eventResponse' && mapped.content.type === 'eventResponse') {
      const answer = decryptAnswer(addOn.enc, { id: parentKey.id, authors, secret }, modifiers);
      if (!answer) {
        d.logger.warn({ id: msg.key.id, event: parentKey.id }, 'event response could not be decrypted; not reported');
        return false;
      }
      mapped.content.response = answer;
      return true;
    }
    return false;
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * A cart's lines, from the order details only its seller can read. The order's money is in
 * thousandths like the message's totalAmount1000; a details total equal to the message's total
 * in units means units. Unreadable details leave the cart without lines (still reported).
 */
async function completeCart(cart: CartContent, a: { orderId: string; token: string; totalAmount1000?: number }, d: AddOnDeps, id?: string | null): Promise<boolean> {
  if (!d.orderDetails) return false;
  let details: OrderDetails;
  try {
    details = await d.orderDetails(a.orderId, a.token);
  } catch (err) {
    d.logger.warn({ err, id, orderId: a.orderId }, 'cart: its order details could not be read; reported without its lines');
    return false;
  }
  const total = details.price?.total;
  const scale = total && a.totalAmount1000 !== undefined && total * 1000 === a.totalAmount1000 ? 1 : 1000;
  cart.products = (details.products ?? []).map((p) => ({
    productId: p.id ?? '',
    name: p.name ?? '',
    quantity: Number.isFinite(p.quantity) ? p.quantity : 0,
    price: Number.isFinite(p.price) ? round3(p.price / scale) : 0,
    currency: p.currency || cart.currency || details.price?.currency || '',
  }));
  if (!cart.currency && details.price?.currency) cart.currency = details.price.currency;
  if (a.totalAmount1000 === undefined && Number.isFinite(total)) cart.total = round3(total / scale);
  cart.subTotal = cart.products.length ? round3(cart.products.reduce((sum, p) => sum + p.price * p.quantity, 0)) : cart.total;
  return true;
}

/** A payment or decline: the amount of the request it answers, when that request is in the store. */
async function completePayment(mapped: InboundContent, requestId: string, d: AddOnDeps): Promise<boolean> {
  const stored = await d.stored(requestId);
  const request = stored ? mapContent(stored.message, stored.paymentInfo)?.content : undefined;
  if (request?.type !== 'paymentRequest') return false;
  const c = mapped.content;
  if (c.type === 'paymentDeclined') {
    c.value = request.value;
    c.currency = request.currency;
  } else if (c.type === 'paymentSent' && !c.payment.currency) {
    c.payment.value = request.value;
    c.payment.currency = request.currency;
  }
  return true;
}
