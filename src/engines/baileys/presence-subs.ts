// Presence subscriptions. WhatsApp pushes presence (typing, online) only for chats we
// subscribed to with presenceSubscribe, and a subscription dies with the socket. We remember
// the chats we subscribed to and those that sent us presence, and subscribe again once a new
// socket is open: the most recently active ones only (at most `max`), one every `gapMs`, and
// a run stops as soon as its socket is replaced, so reconnect loops cannot turn into storms.
import { isJidGroup, isLidUser, isPnUser, jidNormalizedUser, type WASocket } from 'baileys';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { BaileysLogger } from './socket-config.js';

export interface PresenceSubsOptions {
  /** Subscriptions renewed per reconnect (the most recently active chats). */
  max?: number;
  /** Pause between two presenceSubscribe calls. */
  gapMs?: number;
  /** Chats not active for this long are not renewed (and are forgotten). */
  maxAgeMs?: number;
}

const DAY = 86_400_000;

export class PresenceSubscriptions {
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly max: number;
  private readonly gapMs: number;
  private readonly maxAgeMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly instanceId: string,
    private readonly logger: BaileysLogger,
    opts: PresenceSubsOptions = {},
  ) {
    this.max = opts.max ?? 100;
    this.gapMs = opts.gapMs ?? 250;
    this.maxAgeMs = opts.maxAgeMs ?? 30 * DAY;
  }

  /** A chat to follow (we subscribed, or it sent presence). Users and groups only. */
  async remember(jid: string): Promise<void> {
    const j = jidNormalizedUser(jid) || jid;
    if (!(isPnUser(j) || isLidUser(j) || isJidGroup(j))) return;
    const now = Date.now();
    await this.db
      .insertInto('baileys_presence_subs')
      .values({ instance_id: this.instanceId, jid: j, updated_at: now })
      .onConflict((oc) => oc.columns(['instance_id', 'jid']).doUpdateSet({ updated_at: now }))
      .execute();
  }

  /** Subscribe now and remember it for the next reconnects. */
  async subscribe(sock: WASocket, jid: string): Promise<void> {
    await sock.presenceSubscribe(jid);
    await this.remember(jid);
  }

  /** Follow a socket: when it opens, renew the subscriptions (a new socket cancels an old run). */
  attach(sock: WASocket): void {
    this.stop();
    const gen = this.generation;
    sock.ev.on('connection.update', (u) => {
      if (u.connection === 'open' && gen === this.generation) void this.renew(sock, gen);
      if (u.connection === 'close' && gen === this.generation) this.stop();
    });
  }

  /** Cancel a renewal under way. */
  stop(): void {
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async renew(sock: WASocket, gen: number): Promise<void> {
    const cutoff = Date.now() - this.maxAgeMs;
    let jids: string[];
    try {
      await this.db.deleteFrom('baileys_presence_subs').where('instance_id', '=', this.instanceId).where('updated_at', '<', cutoff).execute();
      const rows = await this.db
        .selectFrom('baileys_presence_subs')
        .select('jid')
        .where('instance_id', '=', this.instanceId)
        .orderBy('updated_at', 'desc')
        .orderBy('jid')
        .limit(this.max)
        .execute();
      jids = rows.map((r) => r.jid);
    } catch (err) {
      this.logger.warn({ err }, 'presence subscriptions could not be read');
      return;
    }
    const next = (i: number): void => {
      if (gen !== this.generation || i >= jids.length) return;
      sock.presenceSubscribe(jids[i]).catch((err: Error) => this.logger.debug?.({ err: err.message, jid: jids[i] }, 'presenceSubscribe failed'));
      this.timer = setTimeout(() => {
        this.timer = null;
        next(i + 1);
      }, this.gapMs);
      this.timer.unref?.();
    };
    next(0);
  }
}
