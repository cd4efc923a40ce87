// Chats of a Baileys instance, fed by history sync (messaging-history.set chats),
// chats.upsert (full state), chats.update (partial) and chats.delete. Baileys' Chat is
// proto.IConversation: timestamps in seconds (Long or number), pin and mute as times.
import { sql, type Kysely, type Selectable } from 'kysely';
import { jidNormalizedUser, toNumber, type Chat, type ChatUpdate } from 'baileys';
import type { BaileysChatsTable, Database } from '../../store/schema.js';

export type ChatRow = Selectable<BaileysChatsTable>;

type Fields = Partial<Omit<ChatRow, 'instance_id' | 'jid' | 'updated_at'>>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v as number));

/** The columns a (partial) Chat carries; absent fields stay as they are. */
export function chatFields(c: Partial<Chat>): Fields {
  const f: Fields = {};
  if (c.name !== undefined || c.displayName !== undefined) f.name = c.name || c.displayName || null;
  if (typeof c.unreadCount === 'number') f.unread_count = c.unreadCount;
  if (c.archived !== undefined && c.archived !== null) f.archived = c.archived ? 1 : 0;
  if (c.pinned !== undefined) f.pinned = (num(c.pinned) ?? 0) * 1000;
  if (c.muteEndTime !== undefined) {
    const end = num(c.muteEndTime);
    f.mute_end = end && end > 0 ? end * 1000 : null;
  }
  const last = num(c.conversationTimestamp) ?? num(c.lastMessageRecvTimestamp);
  if (last) f.last_message_at = last * 1000;
  if (c.ephemeralExpiration !== undefined) f.ephemeral_expiration = num(c.ephemeralExpiration);
  return f;
}

export class ChatStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly instanceId: string,
    private readonly phoneJid: (jid: string) => string,
  ) {}

  private key(id: string): string {
    return this.phoneJid(jidNormalizedUser(id) || id);
  }

  private async write(id: string, f: Fields, onConflict: Fields | ((f: Fields) => Record<string, unknown>)): Promise<void> {
    const now = Date.now();
    await this.db
      .insertInto('baileys_chats')
      .values({
        instance_id: this.instanceId,
        jid: this.key(id),
        name: f.name ?? null,
        unread_count: Math.max(f.unread_count ?? 0, -1),
        archived: f.archived ?? 0,
        pinned: f.pinned ?? 0,
        mute_end: f.mute_end ?? null,
        last_message_at: f.last_message_at ?? null,
        ephemeral_expiration: f.ephemeral_expiration ?? null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['instance_id', 'jid']).doUpdateSet({ ...(typeof onConflict === 'function' ? onConflict(f) : onConflict), updated_at: now }),
      )
      .execute();
  }

  /** Full chats (history sync, chats.upsert): what they carry replaces what we had. */
  async upsert(chats: Chat[]): Promise<void> {
    for (const c of chats) {
      if (!c.id) continue;
      const f = chatFields(c);
      await this.write(c.id, f, f);
    }
  }

  /**
   * Partial updates. A positive unreadCount is an increment (Baileys emits +1 per new
   * message; the event buffer sums them), 0 means read, -1 marked unread.
   */
  async update(updates: ChatUpdate[]): Promise<void> {
    for (const u of updates) {
      if (!u.id) continue;
      const { conditional: _c, timestamp: _t, ...chat } = u;
      const f = chatFields(chat);
      const inc = typeof f.unread_count === 'number' && f.unread_count > 0 ? f.unread_count : null;
      await this.write(u.id, f, (fields) => {
        const set: Record<string, unknown> = { ...fields };
        if (inc !== null) {
          // From -1 (marked unread) a new message makes 1, not 0.
          set.unread_count = sql`(case when ${sql.ref('baileys_chats.unread_count')} < 0 then 0 else ${sql.ref('baileys_chats.unread_count')} end) + ${inc}`;
        }
        return set;
      });
    }
  }

  async delete(ids: string[]): Promise<void> {
    const jids = ids.map((id) => this.key(id));
    if (jids.length === 0) return;
    await this.db.deleteFrom('baileys_chats').where('instance_id', '=', this.instanceId).where('jid', 'in', jids).execute();
  }

  async get(jid: string): Promise<ChatRow | undefined> {
    return this.db
      .selectFrom('baileys_chats')
      .selectAll()
      .where('instance_id', '=', this.instanceId)
      .where('jid', '=', this.key(jid))
      .executeTakeFirst();
  }

  /** Most recent first. */
  async list(): Promise<ChatRow[]> {
    return this.db
      .selectFrom('baileys_chats')
      .selectAll()
      .where('instance_id', '=', this.instanceId)
      .orderBy(sql`coalesce(last_message_at, 0) desc`)
      .orderBy('jid')
      .execute();
  }
}
