// The simulated WhatsApp network. Sandbox instances register here by phone; a message
// to a registered phone is handed to that instance's engine, anything else goes to a
// simulated contact that acknowledges it. Every message is persisted in sandbox_messages
// so that state (pending deliveries, receipts still due) survives a restart. A delivery or
// receipt is marked done only after the receiving engine recorded it (its webhook is in the
// outbox): a crash in between repeats it on the next start rather than losing it.
//
// Rows: one per message (id = message id, status sent → received → read [→ played for voice
// notes and round videos]); a status post has the poster's row (to = status@broadcast,
// status 'posted') and one row per viewer (see wire.ts rowIdOf), delivered like messages.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { grouped } from '../../store/tx-batcher.js';
import type { PresenceKind } from '../engine.js';
import { SimulatedContacts } from './contacts.js';
import { STATUS_JID, isPlayable, rowIdOf, statusCopyId, type NetworkMessage } from './wire.js';

export type { NetworkMessage } from './wire.js';

export type ReceiptStatus = 'RECEIVED' | 'READ' | 'PLAYED';

/** What the network needs from a connected sandbox instance. */
export interface SandboxPeer {
  readonly phone: string;
  /** Emits at once; resolves when the instance recorded it, rejects if it could not. */
  receive(msg: NetworkMessage): Promise<void>;
  /**
   * A receipt for messages this instance sent to `fromPhone` (onStatus: for its status
   * posts, `fromPhone` being the viewer). Emits at once; resolves when recorded, rejects if it could not.
   */
  receipt(fromPhone: string, ids: string[], status: ReceiptStatus, onStatus?: boolean): Promise<void>;
  presence(fromPhone: string, presence: PresenceKind): void;
}

export class SandboxNetwork {
  private readonly peers = new Map<string, SandboxPeer>();
  /** Rows being handed over now (a resent message can race the catch-up of its recipient). */
  private readonly handing = new Set<string>();
  /** False during start-up: peers attach, and catch up together once every engine is running (resume()). */
  private open = false;
  readonly contacts: SimulatedContacts;

  constructor(
    private readonly db: Kysely<Database>,
    receiptDelayMs: number,
  ) {
    this.contacts = new SimulatedContacts(db, receiptDelayMs, async (from, to, ids, status) => {
      const sender = this.peers.get(to);
      if (!sender) return false;
      await sender.receipt(from, ids, status);
      return true;
    });
  }

  /** Phone of the paired sandbox device of another instance, if any (phones are unique on the network). */
  async phoneOwner(phone: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('sandbox_devices')
      .select('instance_id')
      .where('phone', '=', phone)
      .where('paired', '=', 1)
      .executeTakeFirst();
    return row?.instance_id ?? null;
  }

  async isSandboxPhone(phone: string): Promise<boolean> {
    return (await this.phoneOwner(phone)) !== null;
  }

  /** A peer came online: hand it what it missed while it was away. */
  async attach(peer: SandboxPeer): Promise<void> {
    this.peers.set(peer.phone, peer);
    if (this.open) await this.catchUp(peer);
  }

  /** Messages (and status posts) sent to the peer while it was away, and receipts simulated contacts still owe it. */
  private async catchUp(peer: SandboxPeer): Promise<void> {
    const pending = await this.db
      .selectFrom('sandbox_messages')
      .selectAll()
      .where('to_phone', '=', peer.phone)
      .where('delivered', '=', 0)
      .orderBy('created_at')
      .execute();
    for (const row of pending) {
      const msg = JSON.parse(row.content) as NetworkMessage;
      // One that cannot be recorded now (logged by the engine manager) stays pending for the
      // next catch-up; it must not keep the peer, or the server, from starting.
      await this.handOver(peer, msg).catch(() => undefined);
    }
    await this.contacts.resumeFor(peer.phone);
  }

  detach(peer: SandboxPeer): void {
    if (this.peers.get(peer.phone) === peer) this.peers.delete(peer.phone);
  }

  /**
   * Accept a message into the network (the server's ack). Idempotent by message id: a
   * retry of an id the network already holds (after a crash between send and
   * confirmation) reports duplicate, and whether it already reached its recipient. Call
   * route() afterwards to hand on a message that did not. A status post is fanned out here,
   * in the same transaction: one row per viewer.
   */
  async accept(msg: NetworkMessage): Promise<{ duplicate: boolean; delivered: boolean }> {
    // Look-up and insert in one (group-committed) transaction.
    return grouped(this.db).run(async (tx) => {
      const existing = await tx.selectFrom('sandbox_messages').select(['id', 'delivered']).where('id', '=', msg.id).executeTakeFirst();
      // A status post is "delivered" once every viewer's copy is: route() finds out.
      if (existing) return { duplicate: true, delivered: msg.to !== STATUS_JID && existing.delivered === 1 };
      if (msg.to === STATUS_JID) {
        const audience = await this.audienceOf(msg.from, tx);
        await this.store({ ...msg, audience }, tx, { status: 'posted', delivered: 1 });
        for (const viewer of audience) await this.store({ ...msg, to: viewer, broadcast: true }, tx);
        return { duplicate: false, delivered: false };
      }
      await this.store(msg, tx);
      return { duplicate: false, delivered: false };
    });
  }

  /** Who sees a status: every other paired sandbox instance that has exchanged messages with the poster. */
  private async audienceOf(poster: string, db: Kysely<Database>): Promise<string[]> {
    const rows = await db
      .selectFrom('sandbox_devices as d')
      .select('d.phone')
      .where('d.paired', '=', 1)
      .where('d.phone', '!=', poster)
      .where((eb) =>
        eb.or([
          eb.exists(eb.selectFrom('sandbox_messages as m').select('m.id').where('m.from_phone', '=', poster).whereRef('m.to_phone', '=', 'd.phone')),
          eb.exists(eb.selectFrom('sandbox_messages as m').select('m.id').whereRef('m.from_phone', '=', 'd.phone').where('m.to_phone', '=', poster)),
        ]),
      )
      .orderBy('d.phone')
      .execute();
    return [...new Set(rows.map((r) => r.phone))];
  }

  /** The network's record of a message: sent, not yet handed to its recipient. */
  private async store(msg: NetworkMessage, db: Kysely<Database> = this.db, state = { status: 'sent', delivered: 0 }): Promise<void> {
    await db
      .insertInto('sandbox_messages')
      .values({
        id: rowIdOf(msg),
        from_phone: msg.from,
        to_phone: msg.to,
        content: JSON.stringify(msg),
        status: state.status,
        delivered: state.delivered,
        created_at: msg.timestamp,
      })
      .execute();
  }

  async route(msg: NetworkMessage): Promise<void> {
    if (msg.to === STATUS_JID) return this.routeStatus(msg.id);
    const peer = this.peers.get(msg.to);
    if (peer) return this.handOver(peer, msg);
    if (await this.isSandboxPhone(msg.to)) return; // a sandbox instance that is offline: delivered on attach
    this.contacts.accept(msg.id, msg.from, msg.to, isPlayable(msg.content));
  }

  /** Hand a status post to each viewer that is online and has not got it yet (the others get it on attach). */
  private async routeStatus(postId: string): Promise<void> {
    const post = await this.db.selectFrom('sandbox_messages').select('content').where('id', '=', postId).executeTakeFirst();
    const audience = post ? ((JSON.parse(post.content) as NetworkMessage).audience ?? []) : [];
    if (audience.length === 0) return;
    const copies = await this.db
      .selectFrom('sandbox_messages')
      .select(['to_phone', 'content'])
      .where(
        'id',
        'in',
        audience.map((v) => statusCopyId(postId, v)),
      )
      .where('delivered', '=', 0)
      .execute();
    await Promise.all(
      copies.map((c) => {
        const peer = this.peers.get(c.to_phone);
        return peer ? this.handOver(peer, JSON.parse(c.content) as NetworkMessage) : undefined;
      }),
    );
  }

  private async handOver(peer: SandboxPeer, msg: NetworkMessage): Promise<void> {
    const rowId = rowIdOf(msg);
    if (this.handing.has(rowId)) return;
    this.handing.add(rowId);
    try {
      const row = await this.db.selectFrom('sandbox_messages').select(['delivered', 'content']).where('id', '=', rowId).executeTakeFirst();
      if (!row || row.delivered === 1) return; // handed over meanwhile (catch-up and a resend of the same id)
      if ((JSON.parse(row.content) as NetworkMessage).revokedAt !== undefined) {
        // Deleted for everyone before it reached the recipient: it never will.
        await grouped(this.db).run((tx) => tx.updateTable('sandbox_messages').set({ delivered: 1 }).where('id', '=', rowId).execute());
        return;
      }
      // Both emitted now, the message before the sender's receipt (and before any READ the
      // recipient may send back); marked delivered only once both are recorded.
      const received = peer.receive(msg);
      const ack = this.peers.get(msg.from)?.receipt(msg.to, [msg.id], 'RECEIVED', msg.broadcast);
      await Promise.all([received, ack]);
      await grouped(this.db).run((tx) =>
        tx
          .updateTable('sandbox_messages')
          // An auto-read may already have moved it to "read": never back.
          .set({ delivered: 1, status: sql<string>`case when status = 'sent' then 'received' else status end` })
          .where('id', '=', rowId)
          .execute(),
      );
    } finally {
      this.handing.delete(rowId);
    }
  }

  /** A sandbox instance read messages of `chat` (the sender's phone, or STATUS_JID for statuses it viewed). */
  async read(readerPhone: string, chat: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    if (chat === STATUS_JID) return this.viewStatuses(readerPhone, ids);
    await this.peers.get(chat)?.receipt(readerPhone, ids, 'READ');
    await this.markRead(readerPhone, ids);
  }

  /** Statuses viewed: READ to each poster, for its posts. */
  private async viewStatuses(viewer: string, postIds: string[]): Promise<void> {
    const rowIds = postIds.map((id) => statusCopyId(id, viewer));
    const copies = inOrder(rowIds, await this.db.selectFrom('sandbox_messages').select(['id', 'from_phone', 'content']).where('id', 'in', rowIds).where('to_phone', '=', viewer).execute());
    for (const [poster, rows] of bySender(copies)) {
      await this.peers.get(poster)?.receipt(viewer, rows.map(postIdOf), 'READ', true);
    }
    await this.markRead(
      viewer,
      copies.map((c) => c.id),
    );
  }

  /**
   * A sandbox instance played voice notes or round videos of `chat` (a phone, or STATUS_JID):
   * PLAYED to their senders, once per message. Anything else has nothing to play and is ignored.
   */
  async played(playerPhone: string, chat: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const onStatus = chat === STATUS_JID;
    const rowIds = onStatus ? ids.map((id) => statusCopyId(id, playerPhone)) : ids;
    let q = this.db
      .selectFrom('sandbox_messages')
      .select(['id', 'from_phone', 'content'])
      .where('id', 'in', rowIds)
      .where('to_phone', '=', playerPhone)
      .where('delivered', '=', 1)
      .where('status', '!=', 'played');
    if (!onStatus) q = q.where('from_phone', '=', chat);
    const due = inOrder(rowIds, await q.execute()).filter((r) => isPlayable((JSON.parse(r.content) as NetworkMessage).content));
    for (const [sender, rows] of bySender(due)) {
      await this.peers.get(sender)?.receipt(playerPhone, rows.map(postIdOf), 'PLAYED', onStatus);
    }
    if (due.length === 0) return;
    await grouped(this.db).run((tx) =>
      tx
        .updateTable('sandbox_messages')
        .set({ status: 'played' })
        .where(
          'id',
          'in',
          due.map((r) => r.id),
        )
        .execute(),
    );
  }

  /** Receipt states only move forward: a played message stays played. */
  private async markRead(recipient: string, rowIds: string[]): Promise<void> {
    if (rowIds.length === 0) return;
    await grouped(this.db).run((tx) =>
      tx
        .updateTable('sandbox_messages')
        .set({ status: 'read' })
        .where('id', 'in', rowIds)
        .where('to_phone', '=', recipient)
        .where('status', 'in', ['sent', 'received'])
        .execute(),
    );
  }

  /**
   * The sender deletes its message for everyone (`chat`: the recipient's phone, or STATUS_JID
   * for a status post and all its viewers' copies). Recorded on the network: a copy that has
   * not reached its recipient yet never will. Idempotent. False when the network holds no
   * such message of this sender.
   *
   * Z-API reports a revoke to the recipient as a ReceivedCallback with notification "REVOKE";
   * the engine port has no event for it yet, so a recipient that already has the message is
   * not told (the network keeps revokedAt for when it does).
   */
  async revoke(senderPhone: string, chat: string, id: string): Promise<boolean> {
    return grouped(this.db).run(async (tx) => {
      const row = await tx.selectFrom('sandbox_messages').select(['from_phone', 'to_phone', 'content']).where('id', '=', id).executeTakeFirst();
      if (!row || row.from_phone !== senderPhone || row.to_phone !== chat) return false;
      const msg = JSON.parse(row.content) as NetworkMessage;
      if (msg.revokedAt !== undefined) return true;
      const revokedAt = Date.now();
      const rowIds = [id, ...(msg.audience ?? []).map((v) => statusCopyId(id, v))];
      const rows = await tx.selectFrom('sandbox_messages').select(['id', 'content']).where('id', 'in', rowIds).execute();
      for (const r of rows) {
        const content = JSON.stringify({ ...(JSON.parse(r.content) as NetworkMessage), revokedAt });
        await tx.updateTable('sandbox_messages').set({ content }).where('id', '=', r.id).execute();
      }
      return true;
    });
  }

  presence(fromPhone: string, toPhone: string, presence: PresenceKind): void {
    this.peers.get(toPhone)?.presence(fromPhone, presence);
  }

  /** A simulated contact writes to a sandbox instance. */
  async inbound(msg: NetworkMessage): Promise<void> {
    await this.store(msg);
    const peer = this.peers.get(msg.to);
    if (peer) await this.handOver(peer, msg);
  }

  /**
   * Start-up is over: every engine that runs is attached. Catching up only now means a
   * message to B is handed over while its sender A is online to get the receipt, whatever
   * order the engines started in.
   */
  async resume(): Promise<void> {
    this.open = true;
    for (const peer of [...this.peers.values()]) await this.catchUp(peer);
  }

  close(): void {
    this.contacts.close();
    this.peers.clear();
  }
}

/** The message id a row reports (a viewer's copy of a status reports the post's id). */
const postIdOf = (r: { content: string }): string => (JSON.parse(r.content) as NetworkMessage).id;

/** Rows in the order their ids were asked for (receipts list ids as the reader gave them). */
function inOrder<T extends { id: string }>(ids: string[], rows: T[]): T[] {
  const at = new Map(ids.map((id, i) => [id, i]));
  return rows.sort((x, y) => at.get(x.id)! - at.get(y.id)!);
}

function bySender<T extends { from_phone: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.from_phone);
    if (list) list.push(r);
    else out.set(r.from_phone, [r]);
  }
  return out;
}
