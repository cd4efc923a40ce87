// Group metadata of a Baileys instance, fed by groups.upsert (full), groups.update (partial)
// and group-participants.update. It serves Baileys' `cachedGroupMetadata` socket option:
// without it every group send asks WhatsApp for the metadata (rate-overlimit, 429). A group
// we know nothing about is fetched once with groupMetadata and stored; concurrent misses
// share that one query, and a failed fetch is not retried for a while.
import type { Kysely } from 'kysely';
import { areJidsSameUser, jidNormalizedUser, type GroupMetadata, type GroupParticipant, type ParticipantAction } from 'baileys';
import type { Database } from '../../store/schema.js';
import { BoundedCache } from './cache.js';

const sameMember = (a: GroupParticipant, b: GroupParticipant): boolean =>
  [a.id, a.lid, a.phoneNumber].some((x) => !!x && [b.id, b.lid, b.phoneNumber].some((y) => !!y && areJidsSameUser(x, y)));

/** The participant list after a group-participants.update action. */
export function applyParticipants(list: GroupParticipant[], action: ParticipantAction, changed: GroupParticipant[]): GroupParticipant[] {
  switch (action) {
    case 'add':
      return [...list, ...changed.filter((c) => !list.some((p) => sameMember(p, c))).map((c) => ({ ...c, admin: c.admin ?? null }))];
    case 'remove':
      return list.filter((p) => !changed.some((c) => sameMember(p, c)));
    case 'promote':
    case 'demote':
      return list.map((p) => (changed.some((c) => sameMember(p, c)) ? { ...p, admin: action === 'promote' ? 'admin' : null } : p));
    case 'modify':
      // A participant changed number: the new identity replaces the old one.
      return list.map((p) => {
        const c = changed.find((x) => sameMember(p, x));
        return c ? { ...p, ...c } : p;
      });
    default:
      return list;
  }
}

export class GroupStore {
  private readonly inflight = new Map<string, Promise<GroupMetadata | undefined>>();
  /** Groups whose fetch failed recently: not asked again for a minute (no query storm on every send). */
  private readonly failed = new BoundedCache<true>(1_000, 60_000);

  constructor(
    private readonly db: Kysely<Database>,
    private readonly instanceId: string,
  ) {}

  async get(jid: string): Promise<GroupMetadata | undefined> {
    const row = await this.db
      .selectFrom('baileys_groups')
      .select('data')
      .where('instance_id', '=', this.instanceId)
      .where('jid', '=', jidNormalizedUser(jid))
      .executeTakeFirst();
    return row ? (JSON.parse(row.data) as GroupMetadata) : undefined;
  }

  private async put(meta: GroupMetadata): Promise<void> {
    const now = Date.now();
    const data = JSON.stringify(meta);
    await this.db
      .insertInto('baileys_groups')
      .values({ instance_id: this.instanceId, jid: jidNormalizedUser(meta.id), subject: meta.subject ?? null, data, updated_at: now })
      .onConflict((oc) => oc.columns(['instance_id', 'jid']).doUpdateSet({ subject: meta.subject ?? null, data, updated_at: now }))
      .execute();
  }

  /** Full metadata (groups.upsert, a fetch). */
  async upsert(groups: GroupMetadata[]): Promise<void> {
    for (const g of groups) if (g.id) await this.put(g);
  }

  /** Partial metadata (groups.update): merged into what we have; unknown groups wait for a fetch. */
  async update(updates: Partial<GroupMetadata>[]): Promise<void> {
    for (const u of updates) {
      if (!u.id) continue;
      const current = await this.get(u.id);
      if (!current) continue;
      const defined = Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined));
      await this.put({ ...current, ...defined, id: current.id, participants: u.participants ?? current.participants });
    }
  }

  async participants(ev: { id: string; action: ParticipantAction; participants: GroupParticipant[] }): Promise<void> {
    const current = await this.get(ev.id);
    if (!current) return;
    const participants = applyParticipants(current.participants ?? [], ev.action, ev.participants);
    await this.put({ ...current, participants, size: participants.length });
  }

  /** What Baileys' cachedGroupMetadata gets: the stored metadata, else one fetch through `fetch`, stored. */
  async cached(jid: string, fetch: ((jid: string) => Promise<GroupMetadata>) | null): Promise<GroupMetadata | undefined> {
    const key = jidNormalizedUser(jid);
    const stored = await this.get(key);
    if (stored && Array.isArray(stored.participants)) return stored;
    if (!fetch || this.failed.get(key)) return undefined;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetch(key)
        .then(async (meta) => {
          await this.put(meta);
          return meta;
        })
        .catch(() => {
          this.failed.set(key, true);
          return undefined;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }
}
