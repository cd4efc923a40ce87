// What the Baileys engine remembers besides its auth state, per instance:
// - raw recent messages (exact key, including LID addressing, and exact proto content):
//   Baileys asks for them through getMessage when a recipient requests a retry, and
//   replies, edits and read receipts need the original key;
// - the highest delivery status seen per message, so statuses never go back;
// - the LID ↔ phone mapping, so events carry the phone whenever it is known.
// Older messages fall back to the shared `messages` table (text rebuilt from its payload).
import type { Kysely } from 'kysely';
import { isJidGroup, isLidUser, isPnUser, jidNormalizedUser, proto, toNumber, type WAMessage, type WAMessageKey } from 'baileys';
import type { Database } from '../../store/schema.js';
import type { MessageContent } from '../engine.js';

export interface LidPair {
  lid: string;
  pn: string;
}

interface StoredMessage {
  key: WAMessageKey;
  /** base64 of proto.Message.encode: exact bytes, nothing lost to JSON. */
  message: string | null;
  messageTimestamp: number;
  participant: string | null;
  pushName: string | null;
}

const KEY_FIELDS = ['remoteJid', 'fromMe', 'id', 'participant', 'remoteJidAlt', 'participantAlt', 'addressingMode'] as const;

function plainKey(key: WAMessageKey): WAMessageKey {
  const out: Record<string, unknown> = {};
  for (const f of KEY_FIELDS) if (key[f] !== undefined && key[f] !== null) out[f] = key[f];
  return out as WAMessageKey;
}

export function serialiseMessage(msg: WAMessage): string {
  const stored: StoredMessage = {
    key: plainKey(msg.key),
    message: msg.message ? Buffer.from(proto.Message.encode(msg.message).finish()).toString('base64') : null,
    messageTimestamp: toNumber(msg.messageTimestamp ?? 0),
    participant: msg.participant ?? null,
    pushName: msg.pushName ?? null,
  };
  return JSON.stringify(stored);
}

export function deserialiseMessage(data: string): WAMessage {
  const s = JSON.parse(data) as StoredMessage;
  return {
    key: s.key,
    message: s.message ? proto.Message.decode(Buffer.from(s.message, 'base64')) : undefined,
    messageTimestamp: s.messageTimestamp,
    participant: s.participant ?? undefined,
    pushName: s.pushName ?? undefined,
  };
}

/** Status ranks (proto.WebMessageInfo.Status) for the monotonic check. */
export const Status = proto.WebMessageInfo.Status;

export class BaileysStore {
  private readonly lidToPn = new Map<string, string>();
  private readonly pnToLid = new Map<string, string>();

  constructor(
    private readonly db: Kysely<Database>,
    readonly instanceId: string,
  ) {}

  // ---- LID ↔ phone ----

  async loadLidMap(): Promise<void> {
    const rows = await this.db.selectFrom('baileys_lid_map').select(['lid', 'pn']).where('instance_id', '=', this.instanceId).execute();
    for (const r of rows) this.learn(r.lid, r.pn);
  }

  private learn(lid: string, pn: string): void {
    this.lidToPn.set(lid, pn);
    this.pnToLid.set(pn, lid);
  }

  /** Remember new pairs (in memory and in the database); pairs already known cost nothing. */
  async rememberLids(pairs: Partial<LidPair>[]): Promise<void> {
    const fresh: LidPair[] = [];
    for (const p of pairs) {
      if (!p.lid || !p.pn || !isLidUser(p.lid) || !isPnUser(p.pn)) continue;
      const lid = jidNormalizedUser(p.lid);
      const pn = jidNormalizedUser(p.pn);
      if (this.lidToPn.get(lid) === pn) continue;
      this.learn(lid, pn);
      fresh.push({ lid, pn });
    }
    if (fresh.length === 0) return;
    const now = Date.now();
    await this.db
      .insertInto('baileys_lid_map')
      .values(fresh.map((p) => ({ instance_id: this.instanceId, lid: p.lid, pn: p.pn, updated_at: now })))
      .onConflict((oc) => oc.columns(['instance_id', 'lid']).doUpdateSet((eb) => ({ pn: eb.ref('excluded.pn'), updated_at: eb.ref('excluded.updated_at') })))
      .execute();
  }

  /** The phone jid for a LID jid when known; other jids come back unchanged. */
  phoneJid(jid: string): string {
    if (!isLidUser(jid)) return jid;
    return this.lidToPn.get(jidNormalizedUser(jid)) ?? jid;
  }

  lidFor(pnJid: string): string | undefined {
    return this.pnToLid.get(jidNormalizedUser(pnJid));
  }

  // ---- raw messages ----

  /**
   * Store a message Baileys handed us (received, or sent by us). Returns whether a message
   * with this id and real content was already stored (a re-delivery), and whether we sent it.
   */
  async saveMessage(msg: WAMessage, fromApi: boolean, status?: number): Promise<{ known: boolean; fromApi: boolean }> {
    const id = msg.key.id;
    if (!id || !msg.key.remoteJid) return { known: false, fromApi };
    const existing = await this.db
      .selectFrom('baileys_messages')
      .select(['data', 'from_api', 'status'])
      .where('instance_id', '=', this.instanceId)
      .where('message_id', '=', id)
      .executeTakeFirst();
    const hadContent = !!existing?.data && !!deserialiseMessage(existing.data).message;
    const wasFromApi = fromApi || existing?.from_api === 1;
    if (hadContent && !msg.message) return { known: true, fromApi: wasFromApi };
    const data = serialiseMessage(msg);
    const st = Math.max(existing?.status ?? 0, status ?? 0);
    const created = toNumber(msg.messageTimestamp ?? 0) * 1000 || Date.now();
    if (existing) {
      await this.db
        .updateTable('baileys_messages')
        .set({ data, from_api: wasFromApi ? 1 : 0, status: st })
        .where('instance_id', '=', this.instanceId)
        .where('message_id', '=', id)
        .execute();
    } else {
      await this.db
        .insertInto('baileys_messages')
        .values({
          instance_id: this.instanceId,
          message_id: id,
          remote_jid: msg.key.remoteJid,
          from_me: msg.key.fromMe ? 1 : 0,
          from_api: fromApi ? 1 : 0,
          status: st,
          data,
          created_at: created,
        })
        .onConflict((oc) => oc.columns(['instance_id', 'message_id']).doNothing())
        .execute();
    }
    return { known: hadContent, fromApi: wasFromApi };
  }

  async sentThroughApi(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('baileys_messages')
      .select(['from_api', 'status'])
      .where('instance_id', '=', this.instanceId)
      .where('message_id', '=', id)
      .executeTakeFirst();
    return row?.from_api === 1 && row.status >= Status.SERVER_ACK;
  }

  /** The message as Baileys handed it (exact key and content), or rebuilt from the shared messages table. */
  async message(id: string): Promise<WAMessage | undefined> {
    const raw = await this.db
      .selectFrom('baileys_messages')
      .select('data')
      .where('instance_id', '=', this.instanceId)
      .where('message_id', '=', id)
      .executeTakeFirst();
    if (raw?.data) {
      const m = deserialiseMessage(raw.data);
      if (m.message) return m;
    }
    const row = await this.db
      .selectFrom('messages')
      .select(['chat_jid', 'from_me', 'sender_jid', 'payload', 'created_at'])
      .where('instance_id', '=', this.instanceId)
      .where('message_id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const content = (JSON.parse(row.payload) as { content?: MessageContent }).content;
    if (content?.type !== 'text') return undefined;
    const fromMe = row.from_me === 1;
    return {
      key: {
        remoteJid: row.chat_jid,
        fromMe,
        id,
        participant: !fromMe && isJidGroup(row.chat_jid) && row.sender_jid ? row.sender_jid : undefined,
      },
      // What Baileys sends for text is an extendedTextMessage; what phones send is usually a conversation.
      message: fromMe ? { extendedTextMessage: { text: content.text } } : { conversation: content.text },
      messageTimestamp: Math.floor(row.created_at / 1000),
    };
  }

  /**
   * Raise the stored status of a message; false when it already had this status or a
   * higher one (statuses never go back: the event buffer coalesces and reorders them).
   */
  async advanceStatus(key: WAMessageKey, status: number): Promise<boolean> {
    if (!key.id) return false;
    const res = await this.db
      .updateTable('baileys_messages')
      .set({ status })
      .where('instance_id', '=', this.instanceId)
      .where('message_id', '=', key.id)
      .where('status', '<', status)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) return true;
    const exists = await this.db
      .selectFrom('baileys_messages')
      .select('status')
      .where('instance_id', '=', this.instanceId)
      .where('message_id', '=', key.id)
      .executeTakeFirst();
    if (exists) return false;
    // A receipt for a message we never stored (sent before this store existed): remember its status.
    await this.db
      .insertInto('baileys_messages')
      .values({
        instance_id: this.instanceId,
        message_id: key.id,
        remote_jid: key.remoteJid ?? '',
        from_me: key.fromMe ? 1 : 0,
        from_api: 0,
        status,
        data: null,
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.columns(['instance_id', 'message_id']).doNothing())
      .execute();
    return true;
  }

  /** Drop this instance's raw messages older than the cutoff (epoch ms). */
  async prune(cutoff: number): Promise<number> {
    const res = await this.db
      .deleteFrom('baileys_messages')
      .where('instance_id', '=', this.instanceId)
      .where('created_at', '<', cutoff)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
