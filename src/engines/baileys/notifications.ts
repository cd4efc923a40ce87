// Baileys → the port's 'notification' event (engine.ts EngineNotification).
//   system messages (messageStubType) in messages.upsert  → group join requests and membership, chat notices
//   newsletter-participants.update    → NEWSLETTER_ADMIN_PROMOTE / NEWSLETTER_ADMIN_DEMOTE
//   creds.update me.name              → PROFILE_NAME_UPDATED
//   contacts.update of our own jid    → PROFILE_PICTURE_UPDATED
//   labels.association (chats)        → CHAT_LABEL_ASSOCIATION
// Group notifications are read from the system messages (messageStubType) Baileys makes of WhatsApp's w:gp2
// notifications (messages-recv handleGroupNotification), not from the group.join-request and
// group-participants.update events it derives from the same system messages (process-message): the system message
// has WhatsApp's id and time, is deduplicated with the messages (raw store), and keeps
// INVITE and LEAVE apart where group-participants.update folds them into add and remove.
// Profile name and label changes come from app-state sync, which on a first connection replays
// the whole account: they are reported only once that initial sync is over
// (creds.accountSyncCounter > 0), so pairing does not send one webhook per label ever set.
import { areJidsSameUser, jidNormalizedUser, toNumber, WAMessageStubType, type WAMessage, type WASocket } from 'baileys';
import { newMessageId } from '../../domain/ids.js';
import type { ChatNotice, EngineEmitter, EngineNotification, GroupParticipantNotice } from '../engine.js';
import { BoundedCache } from './cache.js';
import type { BaileysLogger } from './socket-config.js';
import type { JidResolver, ResolvedJid } from './inbound.js';
import type { Run } from './sync.js';

export interface NotificationDeps {
  events: EngineEmitter;
  logger: BaileysLogger;
  /** The current socket's resolver (LID → phone). */
  resolve: JidResolver;
  /** A group's subject from the local store, when known. */
  groupName: (jid: string) => Promise<string | null>;
  /** A person's name from the local store, when known. */
  nameOf: (jid: string) => Promise<string | null>;
}

const PARTICIPANT_TYPES = new Map<number, GroupParticipantNotice>([
  [WAMessageStubType.GROUP_PARTICIPANT_ADD, 'GROUP_PARTICIPANT_ADD'],
  [WAMessageStubType.GROUP_PARTICIPANT_INVITE, 'GROUP_PARTICIPANT_INVITE'],
  [WAMessageStubType.GROUP_PARTICIPANT_REMOVE, 'GROUP_PARTICIPANT_REMOVE'],
  [WAMessageStubType.GROUP_PARTICIPANT_LEAVE, 'GROUP_PARTICIPANT_LEAVE'],
]);

// WhatsApp clients write these themselves; Baileys does not make them of live notifications
// today, but a system message that arrives as a message is reported.
const CHAT_NOTICE_TYPES = new Map<number, ChatNotice>([
  [WAMessageStubType.E2E_ENCRYPTED, 'E2E_ENCRYPTED'],
  [WAMessageStubType.BLUE_MSG_SELF_PREMISE_UNVERIFIED, 'BLUE_MSG_SELF_PREMISE_UNVERIFIED'],
  [WAMessageStubType.BLUE_MSG_SELF_PREMISE_VERIFIED, 'BLUE_MSG_SELF_PREMISE_VERIFIED'],
  [WAMessageStubType.BIZ_MOVE_TO_CONSUMER_APP, 'BIZ_MOVE_TO_CONSUMER_APP'],
]);

/** A system-message parameter Baileys wrote as JSON (participants, the join requester). */
function parsed<T>(raw: string | null | undefined): T | null {
  try {
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export class NotificationMapper {
  /** The account's profile name as last seen, to tell a change from a repeat. */
  private knownName: string | undefined;
  /** Label associations of one app-state patch, reported together (the docs' example lists several). */
  private labels: { chatId: string; labelId: string; assigned: boolean }[] = [];
  /**
   * System messages already reported. The raw store cannot tell: it counts a system message as content-less, so that
   * a placeholder never hides the real message that follows under its id (store.ts saveMessage).
   */
  private readonly reported = new BoundedCache<true>(5_000, 24 * 3_600_000);

  constructor(private readonly d: NotificationDeps) {}

  /**
   * The notification a system message stands for, emitted; false when the system message is not one we
   * report (missed calls come from the call events, REVOKE from messages.update).
   */
  async fromSystemMessage(msg: WAMessage, me: string | null): Promise<boolean> {
    const { id, remoteJid } = msg.key;
    const type = msg.messageStubType;
    if (!type || !id || !remoteJid) return false;
    const seen = `${remoteJid}|${id}|${type}`;
    if (this.reported.get(seen)) return true; // delivered again (offline replay): reported the first time
    const reported = await this.systemNotice(msg, type, id, remoteJid, me);
    if (reported) this.reported.set(seen, true);
    return reported;
  }

  private async systemNotice(msg: WAMessage, type: number, id: string, remoteJid: string, me: string | null): Promise<boolean> {
    const key = msg.key;
    const params: string[] = (msg.messageStubParameters ?? []).map(String);
    const base = {
      id,
      fromMe: key.fromMe === true,
      timestamp: toNumber(msg.messageTimestamp ?? 0) * 1000 || Date.now(),
    };
    const participantKind = PARTICIPANT_TYPES.get(type);
    if (participantKind) {
      const list = params.map((p) => parsed<{ id?: string; phoneNumber?: string; lid?: string }>(p)).filter((p) => p?.id);
      const participantJids: string[] = [];
      for (const p of list) participantJids.push((await this.d.resolve(p!.id!, p!.phoneNumber ?? p!.lid)).jid);
      return this.emit({ ...base, ...(await this.group(msg, me)), kind: participantKind, participantJids });
    }
    if (type === WAMessageStubType.GROUP_CREATE) {
      const subject = params[0] ?? '';
      return this.emit({ ...base, ...(await this.group(msg, me)), chatName: subject || null, kind: 'GROUP_CREATE', subject });
    }
    if (type === WAMessageStubType.GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_NON_ADMIN_ADD) {
      // [{lid, pn} of the requester, created | revoked | rejected, request method] (messages-recv handleGroupNotification).
      const who = parsed<{ lid?: string; pn?: string }>(params[0]);
      const action = params[1];
      const whoJid = who?.lid ?? who?.pn;
      if (!whoJid) return false;
      const requester = await this.d.resolve(whoJid, who?.pn ?? who?.lid);
      const group = await this.group(msg, me);
      if (action === 'created') {
        return this.emit({ ...base, ...group, kind: 'MEMBERSHIP_APPROVAL_REQUEST', requesterJid: requester.jid, requestMethod: params[2] || 'invite_link' });
      }
      // Withdrawn by the requester (revoked) or turned down by an admin (rejected): one notification, the actor tells which.
      if (action === 'revoked' || action === 'rejected') return this.emit({ ...base, ...group, kind: 'REVOKED_MEMBERSHIP_REQUESTS', requesterJid: requester.jid });
      return false;
    }
    const notice = CHAT_NOTICE_TYPES.get(type);
    if (notice) {
      const chat = await this.d.resolve(remoteJid, key.remoteJidAlt);
      const actor = key.participant ? await this.d.resolve(key.participant, key.participantAlt) : undefined;
      return this.emit({ ...base, kind: notice, chatJid: chat.jid, ...(actor ? { actorJid: actor.jid, ...(actor.lid ? { actorLid: actor.lid } : {}) } : {}) });
    }
    return false;
  }

  /** Subscribe to a new socket's account and channel events; `run` keeps them in order with the rest. */
  attach(sock: WASocket, run: Run): void {
    const creds = sock.authState.creds;
    this.knownName = creds.me?.name;
    const synced = () => (creds.accountSyncCounter ?? 0) > 0;
    const ownJid = () => (creds.me?.id ? jidNormalizedUser(creds.me.id) : null);

    sock.ev.on('newsletter-participants.update', (u) => run('newsletter-participants.update', () => this.newsletterAdmin(u, ownJid())));

    sock.ev.on('creds.update', (update) => {
      const name = update.me?.name;
      if (typeof name !== 'string' || name === this.knownName) return;
      const before = this.knownName;
      this.knownName = name;
      // Pairing and the first sync tell us the name; only a later change is news.
      if (before === undefined || !synced()) return;
      const own = ownJid();
      if (!own) return;
      const timestamp = Date.now();
      run('creds.update', async () => {
        this.emit({ id: newMessageId(), kind: 'PROFILE_NAME_UPDATED', chatJid: own, fromMe: true, timestamp, name });
      });
    });

    sock.ev.on('contacts.update', (updates) => {
      const me = creds.me;
      if (!me?.id) return;
      for (const u of updates) {
        if (!u.id || typeof u.imgUrl !== 'string') continue;
        if (!areJidsSameUser(u.id, me.id) && !(me.lid && areJidsSameUser(u.id, me.lid))) continue;
        const own = jidNormalizedUser(me.id);
        const imgUrl = u.imgUrl;
        const timestamp = Date.now();
        run('contacts.update', async () => {
          // Baileys says 'changed' or 'removed' (a picture notification); the new URL has to be asked for.
          const pictureUrl = imgUrl === 'removed' ? null : imgUrl === 'changed' ? await this.pictureOf(sock, own) : imgUrl;
          this.emit({ id: newMessageId(), kind: 'PROFILE_PICTURE_UPDATED', chatJid: own, actorName: me.name ?? null, fromMe: true, timestamp, pictureUrl });
        });
      }
    });

    sock.ev.on('labels.association', ({ association, type }) => {
      // Message labels have no Z-API notification; chat labels do.
      if (association.type !== 'label_jid' || !synced()) return;
      const pending = this.labels.push({ chatId: association.chatId, labelId: association.labelId, assigned: type === 'add' });
      if (pending > 1) return; // joins the report already queued
      const timestamp = Date.now();
      run('labels.association', () => this.reportLabels(ownJid(), creds.me?.name ?? null, timestamp));
    });
  }

  private async reportLabels(own: string | null, ownName: string | null, timestamp: number): Promise<void> {
    const batch = this.labels;
    this.labels = [];
    if (!own) return;
    const labels = [];
    for (const l of batch) labels.push({ chatJid: (await this.d.resolve(l.chatId)).jid, labelId: l.labelId, assigned: l.assigned });
    this.emit({ id: newMessageId(), kind: 'CHAT_LABEL_ASSOCIATION', chatJid: own, actorName: ownName, fromMe: true, timestamp, labels });
  }

  private async newsletterAdmin(u: { id: string; author?: string; user: string; new_role?: string; action?: string }, own: string | null): Promise<void> {
    const role = (u.new_role ?? '').toUpperCase();
    const kind =
      u.action === 'promote' || (!u.action && role === 'ADMIN')
        ? 'NEWSLETTER_ADMIN_PROMOTE'
        : u.action === 'demote' || (!u.action && role === 'SUBSCRIBER')
          ? 'NEWSLETTER_ADMIN_DEMOTE'
          : null;
    if (!kind || !u.user) {
      this.d.logger.debug?.({ update: u }, 'channel participant update without a Z-API notification');
      return;
    }
    const user = await this.d.resolve(u.user);
    const fromMe = !!own && !!u.author && areJidsSameUser(u.author, own);
    this.emit({
      id: newMessageId(),
      kind,
      chatJid: u.id,
      fromMe,
      timestamp: Date.now(),
      userJid: user.jid,
      ...(user.lid ? { userLid: user.lid } : {}),
      role: role || (kind === 'NEWSLETTER_ADMIN_PROMOTE' ? 'ADMIN' : 'SUBSCRIBER'),
    });
  }

  /** The group, its name, and who did it (the system message's participant; this account when it did it). */
  private async group(msg: WAMessage, me: string | null) {
    const key = msg.key;
    const chatJid = jidNormalizedUser(key.remoteJid!);
    let actor: ResolvedJid | undefined;
    const participant = key.participant ?? msg.participant;
    if (participant) actor = await this.d.resolve(participant, key.participantAlt);
    else if (key.fromMe && me) actor = { jid: `${me}@s.whatsapp.net` };
    const chatName = await this.d.groupName(chatJid).catch(() => null);
    const actorName = actor ? await this.d.nameOf(actor.jid).catch(() => null) : null;
    return {
      chatJid,
      chatName,
      ...(actor ? { actorJid: actor.jid, actorName, ...(actor.lid ? { actorLid: actor.lid } : {}) } : {}),
    };
  }

  private async pictureOf(sock: WASocket, jid: string): Promise<string | null> {
    try {
      return (await sock.profilePictureUrl(jid, 'image', 5_000)) ?? null;
    } catch (err) {
      this.d.logger.warn({ err }, 'new profile picture URL could not be fetched');
      return null;
    }
  }

  private emit(n: EngineNotification): true {
    this.d.events.emit('notification', n);
    return true;
  }
}
