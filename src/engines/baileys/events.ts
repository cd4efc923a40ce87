// Baileys events → port events, for one socket. Handlers run one after another on a
// single chain, so port events come out in the order Baileys emitted them even though
// each one touches the database (dedupe, monotonic statuses, LID mapping).
//   messages.upsert            → 'message' (every content type, content-in.ts; media kept first, media-in.ts)
//   messages.update            → 'messageStatus' (1:1 receipts; READ of a received message = READ_BY_ME)
//   message-receipt.update     → 'messageStatus' with participant (groups)
//   presence.update            → 'presence'
//   lid-mapping.update         → the persisted LID ↔ phone mapping
//   group system messages, channel admins, profile, labels → 'notification' (notifications.ts)
//   history, chats, contacts, groups → the local store (sync.ts)
// connection.update is the connection module's.
// Received messages are written to the raw store first thing, on their own short chain, as
// soon as Baileys hands them over: Baileys has already sent the delivery receipt by then
// (docs/capabilities.md, "Known limits"), so the window in which a crash could lose a
// receipted message is one database write, not the whole mapping queue.
import { isJidGroup, jidNormalizedUser, toNumber, WAMessageStubType, type WAMessage, type WAMessageKey, type WASocket } from 'baileys';
import type { EngineEmitter, MessageStatus, PresenceKind } from '../engine.js';
import type { BaileysLogger } from './connection.js';
import { BoundedCache } from './cache.js';
import type { MediaPart } from './content-in.js';
import { makeResolver, toIncoming, type InboundDeps, type JidResolver } from './inbound.js';
import { NotificationMapper } from './notifications.js';
import type { PresenceSubscriptions } from './presence-subs.js';
import { Status, type BaileysStore } from './store.js';
import { attachStoreSync, type LocalStores } from './sync.js';

export interface EventDeps {
  store: BaileysStore;
  events: EngineEmitter;
  logger: BaileysLogger;
  /** Digits of the connected number. */
  me: () => string | null;
  /** Ids of messages being sent through the API right now: their echo is not a received message. */
  sending: { has(id: string): boolean };
  /** Chats, contacts, groups and history (fed here; contacts also name senders). */
  local: Omit<LocalStores, 'store'>;
  /** Chats that send presence are followed again after a reconnect. */
  presenceSubs?: Pick<PresenceSubscriptions, 'remember'>;
  /** Download and keep the files of a received message (media-in.ts). */
  keepMedia?: (msg: WAMessage, parts: MediaPart[]) => Promise<void>;
  /** Decrypt poll votes and event responses (inbound.ts makeAddOnReader). */
  readAddOn?: InboundDeps['readAddOn'];
}

type Saved = { known: boolean; fromApi: boolean; echo: boolean } | null;

const PRESENCES: ReadonlySet<string> = new Set(['available', 'unavailable', 'composing', 'recording', 'paused']);

/** proto.WebMessageInfo.Status → the port's status; null for PENDING/ERROR (nothing to report). */
export function statusOf(status: number, fromMe: boolean): MessageStatus | null {
  switch (status) {
    case Status.SERVER_ACK:
      return fromMe ? 'SENT' : null;
    case Status.DELIVERY_ACK:
      return fromMe ? 'RECEIVED' : null;
    case Status.READ:
      return fromMe ? 'READ' : 'READ_BY_ME'; // our own phone read a received message
    case Status.PLAYED:
      return fromMe ? 'PLAYED' : null;
    default:
      return null;
  }
}

export class EventMapper {
  private chain: Promise<void> = Promise.resolve();
  /** Raw message writes: ahead of the mapping chain, in arrival order. */
  private persisting: Promise<unknown> = Promise.resolve();
  /** Highest status per (message, participant) for group receipts. */
  private readonly groupStatus = new BoundedCache<number>(20_000, 24 * 3_600_000);
  private resolve: JidResolver;
  private readonly notices: NotificationMapper;

  constructor(private readonly d: EventDeps) {
    this.resolve = this.resolverFor(null);
    this.notices = new NotificationMapper({
      events: d.events,
      logger: d.logger,
      resolve: (jid, alt) => this.resolve(jid, alt),
      groupName: async (jid) => (await d.local.groups.get(jid))?.subject ?? null,
      nameOf: (jid) => d.local.contacts.displayName(jid),
    });
  }

  private resolverFor(sock: WASocket | null): JidResolver {
    const lidMapping = sock?.signalRepository?.lidMapping;
    return makeResolver({
      phoneJid: (jid) => this.d.store.phoneJid(jid),
      remember: (pairs) => this.d.store.rememberLids(pairs),
      signalLookup: lidMapping ? (lid) => lidMapping.getPNForLID(lid) : undefined,
    });
  }

  /** Subscribe to a new socket's events. */
  attach(sock: WASocket): void {
    this.resolve = this.resolverFor(sock);
    const ev = sock.ev;
    ev.on('messages.upsert', ({ messages, type }) => {
      const saved = this.persist(messages);
      this.run('messages.upsert', async () => {
        const results = await saved;
        for (let i = 0; i < messages.length; i++) await this.upsert(messages[i], type, results[i]);
      });
    });
    ev.on('messages.update', (updates) => this.run('messages.update', async () => {
      for (const { key, update } of updates) {
        if (typeof update.status === 'number') await this.status(key, update.status, toNumber(update.messageTimestamp ?? 0));
        // A REVOKE protocol message ("deleted for everyone"): Baileys reports it as this update of the deleted message.
        if (update.messageStubType === WAMessageStubType.REVOKE && update.message === null) await this.revoked(key);
      }
    }));
    ev.on('message-receipt.update', (receipts) => this.run('message-receipt.update', async () => {
      for (const { key, receipt } of receipts) await this.groupReceipt(key, receipt);
    }));
    ev.on('presence.update', (p) => this.run('presence.update', () => this.presence(p.id, p.presences)));
    ev.on('lid-mapping.update', (pair) => this.run('lid-mapping.update', () => this.d.store.rememberLids([pair])));
    attachStoreSync(ev, (what, work) => this.run(what, work), { store: this.d.store, ...this.d.local });
    this.notices.attach(sock, (what, work) => this.run(what, work));
  }

  /** The resolver for the current socket (calls use it too). */
  get resolver(): JidResolver {
    return this.resolve;
  }

  /** Resolves when every event received so far has been handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Write received messages to the raw store now, before any mapping (see the header). */
  private persist(messages: WAMessage[]): Promise<Saved[]> {
    const work = this.persisting.then(async () => {
      const out: Saved[] = [];
      for (const m of messages) out.push(await this.save(m));
      return out;
    });
    this.persisting = work.catch(() => undefined);
    return work;
  }

  private async save(msg: WAMessage): Promise<Saved> {
    const key = msg.key;
    // Statuses (stories) are kept too: replies to a status quote them.
    if (!key?.id || !key.remoteJid) return null;
    const echo = key.fromMe === true && this.d.sending.has(key.id);
    // The echo of our own send proves the relay went out: recorded as SENT, so a retry is not sent twice.
    const saved = await this.d.store.saveMessage(msg, echo, echo ? Status.SERVER_ACK : undefined);
    return { ...saved, echo };
  }

  private run(what: string, work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err) => this.d.logger.error({ err, event: what }, 'Baileys event handling failed'));
  }

  private async upsert(msg: WAMessage, type: string, saved: Saved): Promise<void> {
    const key = msg.key;
    if (!saved || !key.id || !key.remoteJid) return;
    await this.learnFromKey(key);
    const echo = saved.echo;
    // Receipts the event buffer folded into the message itself (it does that while buffering).
    if (key.fromMe && typeof msg.status === 'number' && msg.status >= Status.DELIVERY_ACK) {
      await this.status(key, msg.status, 0);
    }
    if (echo || saved.fromApi) return; // our own API send: the queue already reported it
    if (saved.known) return; // delivered again (offline replay, retry): reported the first time
    // Group membership and join requests, chat notices: WhatsApp's notifications as system messages (messageStubType).
    if (msg.messageStubType && (await this.notices.fromSystemMessage(msg, this.d.me()))) return;
    const incoming = await toIncoming(msg, {
      resolve: this.resolve,
      me: this.d.me,
      nameOf: (jid) => this.d.local.contacts.displayName(jid),
      keepMedia: this.d.keepMedia,
      readAddOn: this.d.readAddOn,
    });
    if (!incoming) {
      this.d.logger.debug?.({ id: key.id, type }, 'not a reported message (protocol message, or an add-on that cannot be read); no event');
      return;
    }
    this.d.events.emit('message', incoming);
  }

  private async learnFromKey(key: WAMessageKey): Promise<void> {
    const pairs = [
      { a: key.remoteJid, b: key.remoteJidAlt },
      { a: key.participant, b: key.participantAlt },
    ];
    const found: { lid: string; pn: string }[] = [];
    for (const { a, b } of pairs) {
      if (!a || !b) continue;
      if (a.endsWith('@lid') && b.endsWith('@s.whatsapp.net')) found.push({ lid: a, pn: b });
      if (b.endsWith('@lid') && a.endsWith('@s.whatsapp.net')) found.push({ lid: b, pn: a });
    }
    if (found.length) await this.d.store.rememberLids(found);
  }

  private async status(key: WAMessageKey, status: number, tsSeconds: number): Promise<void> {
    if (!key.id || !key.remoteJid) return;
    const mapped = statusOf(status, key.fromMe === true);
    if (!mapped) return;
    if (!(await this.d.store.advanceStatus(key, status))) return;
    const chat = await this.resolve(key.remoteJid, key.remoteJidAlt);
    this.d.events.emit('messageStatus', {
      ids: [key.id],
      chatJid: chat.jid,
      status: mapped,
      timestamp: tsSeconds > 0 ? tsSeconds * 1000 : Date.now(),
      device: 0,
    });
  }

  /** The deleted message's key: chat, id, who sent it (fromMe, participant in groups). */
  private async revoked(key: WAMessageKey): Promise<void> {
    if (!key.id || !key.remoteJid) return;
    const chat = await this.resolve(key.remoteJid, key.remoteJidAlt);
    const me = this.d.me();
    const sender = key.fromMe
      ? (me ? `${me}@s.whatsapp.net` : chat.jid)
      : key.participant
        ? (await this.resolve(key.participant, key.participantAlt)).jid
        : chat.jid;
    this.d.events.emit('messageRevoked', { id: key.id, chatJid: chat.jid, senderJid: sender, fromMe: key.fromMe === true, timestamp: Date.now() });
  }

  private async groupReceipt(
    key: WAMessageKey,
    receipt: { userJid?: string | null; receiptTimestamp?: unknown; readTimestamp?: unknown; playedTimestamp?: unknown },
  ): Promise<void> {
    if (!key.id || !key.remoteJid || !receipt.userJid) return;
    // WhatsApp folds "played" into readTimestamp for groups; playedTimestamp shows up only from other sources.
    const [status, ts] =
      receipt.playedTimestamp != null
        ? [Status.PLAYED, receipt.playedTimestamp]
        : receipt.readTimestamp != null
          ? [Status.READ, receipt.readTimestamp]
          : receipt.receiptTimestamp != null
            ? [Status.DELIVERY_ACK, receipt.receiptTimestamp]
            : [null, null];
    if (status === null) return;
    const mapped = statusOf(status, true);
    if (!mapped) return;
    const participant = await this.resolve(receipt.userJid);
    const cacheKey = `${key.id}|${participant.jid}`;
    if ((this.groupStatus.get(cacheKey) ?? 0) >= status) return;
    this.groupStatus.set(cacheKey, status);
    const seconds = toNumber(ts as number);
    this.d.events.emit('messageStatus', {
      ids: [key.id],
      chatJid: jidNormalizedUser(key.remoteJid),
      status: mapped,
      participant: participant.jid,
      timestamp: seconds > 0 ? seconds * 1000 : Date.now(),
      device: 0,
    });
  }

  private async presence(chatId: string, presences: Record<string, { lastKnownPresence: string; lastSeen?: number }>): Promise<void> {
    const group = isJidGroup(chatId) === true;
    for (const [participant, data] of Object.entries(presences)) {
      if (!PRESENCES.has(data.lastKnownPresence)) continue;
      // One-to-one: the contact; groups: the group (Z-API's presence webhook is per chat).
      const chat = group ? { jid: chatId } : await this.resolve(participant || chatId);
      await this.d.presenceSubs?.remember(chat.jid);
      this.d.events.emit('presence', {
        chatJid: chat.jid,
        presence: data.lastKnownPresence as PresenceKind,
        lastSeen: typeof data.lastSeen === 'number' ? data.lastSeen * 1000 : null,
      });
    }
  }
}
