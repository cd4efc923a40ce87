// Contacts of a Baileys instance, fed by history sync (messaging-history.set), contacts.upsert
// and contacts.update: the address-book name, the push name (notify), the verified business
// name, the picture URL and the LID ↔ phone pair. Keyed by the phone jid whenever it is known.
import { isLidUser, isPnUser, jidNormalizedUser, type Contact } from 'baileys';
import type { BaileysContactsTable, Database } from '../../store/schema.js';
import type { Kysely, Selectable } from 'kysely';

export type ContactRow = Selectable<BaileysContactsTable>;

type Fields = Partial<Pick<ContactRow, 'lid' | 'name' | 'notify' | 'verified_name' | 'img_url'>>;

/** Where a Contact lives: its phone jid (id, phoneNumber or the known LID mapping), and its LID. */
export function contactKey(c: Partial<Contact>, phoneJid: (jid: string) => string): { jid: string; lid: string | null } | null {
  const id = c.id ? jidNormalizedUser(c.id) || c.id : undefined;
  const pn = c.phoneNumber && isPnUser(c.phoneNumber) ? jidNormalizedUser(c.phoneNumber) : undefined;
  const lid = c.lid && isLidUser(c.lid) ? jidNormalizedUser(c.lid) : id && isLidUser(id) ? id : undefined;
  const jid = id && isPnUser(id) ? id : (pn ?? (lid ? phoneJid(lid) : id));
  if (!jid) return null;
  return { jid, lid: lid ?? null };
}

/** The fields a (partial) Contact actually carries; absent ones are left alone on update. */
function fieldsOf(c: Partial<Contact>, lid: string | null): Fields {
  const f: Fields = {};
  if (lid) f.lid = lid;
  if (c.name !== undefined) f.name = c.name || null;
  if (c.notify !== undefined) f.notify = c.notify || null;
  if (c.verifiedName !== undefined) f.verified_name = c.verifiedName || null;
  // 'changed': the picture changed and its new URL is not known; null: no picture.
  if (c.imgUrl !== undefined) f.img_url = c.imgUrl && c.imgUrl !== 'changed' ? c.imgUrl : null;
  return f;
}

export class ContactStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly instanceId: string,
    private readonly phoneJid: (jid: string) => string,
  ) {}

  /** Merge contacts (full or partial): only the fields present change. Group and broadcast ids are not contacts. */
  async save(contacts: Partial<Contact>[]): Promise<void> {
    const now = Date.now();
    for (const c of contacts) {
      const key = contactKey(c, this.phoneJid);
      if (!key || !(isPnUser(key.jid) || isLidUser(key.jid))) continue;
      const f = fieldsOf(c, key.lid);
      await this.db
        .insertInto('baileys_contacts')
        .values({
          instance_id: this.instanceId,
          jid: key.jid,
          lid: f.lid ?? null,
          name: f.name ?? null,
          notify: f.notify ?? null,
          verified_name: f.verified_name ?? null,
          img_url: f.img_url ?? null,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['instance_id', 'jid']).doUpdateSet({ ...f, updated_at: now }))
        .execute();
    }
  }

  /** The contact by phone jid or LID jid (a contact first seen by its LID is found by it). */
  async get(jid: string): Promise<ContactRow | undefined> {
    const j = jidNormalizedUser(jid) || jid;
    const pj = this.phoneJid(j);
    const rows = await this.db
      .selectFrom('baileys_contacts')
      .selectAll()
      .where('instance_id', '=', this.instanceId)
      .where((eb) => (isLidUser(j) ? eb.or([eb('jid', '=', pj), eb('lid', '=', j)]) : eb('jid', '=', pj)))
      .execute();
    return rows.find((r) => r.jid === pj) ?? rows[0];
  }

  async list(): Promise<ContactRow[]> {
    return this.db.selectFrom('baileys_contacts').selectAll().where('instance_id', '=', this.instanceId).orderBy('jid').execute();
  }

  /** The name to show for a sender: their push name, else the saved name, else the verified business name. */
  async displayName(jid: string): Promise<string | null> {
    const c = await this.get(jid);
    return c ? (c.notify ?? c.name ?? c.verified_name ?? null) : null;
  }
}
