// The simulated WhatsApp network. Sandbox instances register here by phone; a message
// to a registered phone is handed to that instance's engine, anything else goes to a
// simulated contact that acknowledges it. Every message is persisted in sandbox_messages
// so that state (pending deliveries, receipts still due) survives a restart. A delivery or
// receipt is marked done only after the receiving engine recorded it (its webhook is in the
// outbox): a crash in between repeats it on the next start rather than losing it.
//
// Rows: one per message (id = message id, status sent → received → read [→ played for voice
// notes and round videos]); a status post has the poster's row (to = status@broadcast,
// status 'posted') and one row per viewer (see wire.ts rowIdOf), delivered like messages; a
// group message likewise has the sender's row (to = the group jid, status 'posted') and one
// row per simulated member, acknowledged by that member (see wire.ts "Simulated groups").
//
// Deleting for everyone sets revokedAt on the message's rows. A copy not handed over yet
// never will be; a copy a sandbox instance already has is marked revokeDue and undelivered
// again, so that the revoke is handed over like a message: emitted by the recipient, marked
// delivered once recorded, and handed over again on the next catch-up if it was not.
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database, SandboxDeviceRow } from '../../store/schema.js';
import { grouped } from '../../store/tx-batcher.js';
import { MultiRowInsert, insertStatement, statement, type Statement } from '../../store/compiled.js';
import type { Dialect } from '../../store/migrations.js';
import type { PresenceKind } from '../engine.js';
import { SimulatedContacts } from './contacts.js';
import { PHONES_PER_QUERY, STATUS_JID, copyId, isPlayable, isSimulatedGroup, rowIdOf, sharedChatOf, simulatedGroupMembers, type NetworkMessage } from './wire.js';

export type { NetworkMessage } from './wire.js';

export type ReceiptStatus = 'RECEIVED' | 'READ' | 'PLAYED';

/** What the network needs from a connected sandbox instance. */
export interface SandboxPeer {
  readonly phone: string;
  /** Emits at once; resolves when the instance recorded it, rejects if it could not. */
  receive(msg: NetworkMessage): Promise<void>;
  /**
   * A receipt for messages this instance sent to `fromPhone`; `chat`: the chat they were
   * sent in when it is not the one-to-one chat (STATUS_JID for status posts, a group jid),
   * `fromPhone` being the viewer or member. Emits at once; resolves when recorded, rejects if it could not.
   */
  receipt(fromPhone: string, ids: string[], status: ReceiptStatus, chat?: string): Promise<void>;
  /** A message it received was deleted for everyone by its sender. Emits at once; resolves when recorded, rejects if it could not. */
  revoked(msg: NetworkMessage): Promise<void>;
  presence(fromPhone: string, presence: PresenceKind): void;
}

const STORED_COLUMNS = ['id', 'from_phone', 'to_phone', 'content', 'status', 'delivered', 'created_at'];

export class SandboxNetwork {
  private readonly peers = new Map<string, SandboxPeer>();
  /**
   * Rows being handed over now, one hand-over at a time per row (a resent message can race
   * the catch-up of its recipient, a revoke the hand-over of its message): the next one
   * starts after, and finds the row delivered or what is still due.
   */
  private readonly handing = new Map<string, Promise<void>>();
  /** False during start-up: peers attach, and catch up together once every engine is running (resume()). */
  private open = false;
  readonly contacts: SimulatedContacts;

  /** Statements run once per message, compiled once (store/compiled.ts). */
  private readonly sql: { existing: Statement; store: Statement; storeNew: Statement };

  constructor(
    private readonly db: Kysely<Database>,
    receiptDelayMs: number,
    dialect: Dialect,
  ) {
    this.sql = {
      existing: statement(dialect, 'select "id", "delivered" from "sandbox_messages" where "id" = ?'),
      store: insertStatement(dialect, 'sandbox_messages', STORED_COLUMNS),
      storeNew: new MultiRowInsert(dialect, 'sandbox_messages', STORED_COLUMNS, {}, 'on conflict ("id") do nothing').rows(1),
    };
    this.contacts = new SimulatedContacts(db, receiptDelayMs, dialect, async (from, to, ids, status, chat) => {
      const sender = this.peers.get(to);
      if (!sender) return false;
      await sender.receipt(from, ids, status, chat);
      return true;
    });
  }

  /**
   * The instance each paired phone belongs to: read once, then kept by pairDevice() and
   * unpairDevice() (the sandbox network lives in one process, as its peers do). Routing a
   * message asks it for every message (docs/benchmarks.md F32).
   */
  private owners: Promise<Map<string, string>> | null = null;

  private ownerMap(): Promise<Map<string, string>> {
    this.owners ??= this.db
      .selectFrom('sandbox_devices')
      .select(['phone', 'instance_id'])
      .where('paired', '=', 1)
      .execute()
      .then(
        (rows) => new Map(rows.map((r) => [r.phone, r.instance_id])),
        (err: unknown) => {
          this.owners = null; // the next call reads again
          throw err;
        },
      );
    return this.owners;
  }

  /** A sandbox instance's device is paired with this phone (phones are unique on the network). */
  async isSandboxPhone(phone: string): Promise<boolean> {
    return (await this.ownerMap()).has(phone);
  }

  /**
   * The sandbox's QR scan: pair the instance's device with this phone. Resolves false, and
   * writes nothing, when another instance holds the phone; the phone is claimed before the
   * write, so two instances pairing it at once cannot both have it.
   */
  async pairDevice(instanceId: string, phone: string): Promise<boolean> {
    const owners = await this.ownerMap();
    const owner = owners.get(phone);
    if (owner !== undefined && owner !== instanceId) return false;
    const before = [...owners].filter(([, id]) => id === instanceId);
    for (const [p] of before) owners.delete(p);
    owners.set(phone, instanceId);
    const now = Date.now();
    try {
      await this.db
        .insertInto('sandbox_devices')
        .values({ instance_id: instanceId, phone, paired: 1, updated_at: now })
        .onConflict((oc) => oc.column('instance_id').doUpdateSet({ phone, paired: 1, updated_at: now }))
        .execute();
    } catch (err) {
      owners.delete(phone);
      for (const [p, id] of before) owners.set(p, id);
      throw err;
    }
    return true;
  }

  /** The instance logged out: its device is no longer paired (its phone is free). */
  async unpairDevice(instanceId: string): Promise<void> {
    await this.db.updateTable('sandbox_devices').set({ paired: 0, updated_at: Date.now() }).where('instance_id', '=', instanceId).execute();
    const owners = await this.ownerMap();
    for (const [p, id] of [...owners]) if (id === instanceId) owners.delete(p);
  }

  /** Every device by instance id, in one read (start-up: one query instead of one per engine). */
  async devices(): Promise<Map<string, SandboxDeviceRow>> {
    const rows = await this.db.selectFrom('sandbox_devices').selectAll().execute();
    this.owners ??= Promise.resolve(new Map(rows.filter((r) => r.paired === 1).map((r) => [r.phone, r.instance_id])));
    return new Map(rows.map((r) => [r.instance_id, r]));
  }

  /** A peer came online: hand it what it missed while it was away. */
  async attach(peer: SandboxPeer): Promise<void> {
    this.peers.set(peer.phone, peer);
    if (this.open) await this.catchUp([peer]);
  }

  /**
   * Messages (and status posts, and revokes) sent to the peers while they were away, and
   * receipts simulated contacts still owe them. Several peers at once (start-up: one query
   * per PHONES_PER_QUERY peers, not one per peer); each peer's in the order they were sent.
   */
  private async catchUp(peers: SandboxPeer[]): Promise<void> {
    const byPhone = new Map(peers.map((p) => [p.phone, p]));
    const phones = [...byPhone.keys()];
    for (let at = 0; at < phones.length; at += PHONES_PER_QUERY) {
      const pending = await this.db
        .selectFrom('sandbox_messages')
        .selectAll()
        .where('to_phone', 'in', phones.slice(at, at + PHONES_PER_QUERY))
        // A literal, so that the planner may use the partial index of undelivered rows.
        .where(sql<SqlBool>`${sql.ref('delivered')} = 0`)
        .orderBy('created_at')
        .execute();
      for (const row of pending) {
        const msg = JSON.parse(row.content) as NetworkMessage;
        // One that cannot be recorded now (logged by the engine manager) stays pending for the
        // next catch-up; it must not keep the peer, or the server, from starting.
        await this.handOver(byPhone.get(row.to_phone)!, msg).catch(() => undefined);
      }
    }
    await this.contacts.resumeFor(phones);
  }

  detach(peer: SandboxPeer): void {
    if (this.peers.get(peer.phone) === peer) this.peers.delete(peer.phone);
  }

  /**
   * Accept a message into the network (the server's ack). Idempotent by message id: a
   * retry of an id the network already holds (after a crash between send and
   * confirmation) reports duplicate, and whether it already reached its recipient. Call
   * route() afterwards to hand on a message that did not. A status post or group message is
   * fanned out here, in the same transaction: one row per viewer or member.
   */
  async accept(msg: NetworkMessage): Promise<{ duplicate: boolean; delivered: boolean }> {
    if (!fannedOut(msg)) {
      // Insert unless the id is known, then read what the network holds: one statement list
      // (the writer thread's, on SQLite), no decision in between. Answered once committed:
      // what follows from it (the sender's confirmation, receipts, webhooks) is written after
      // it, and their fsync covers it.
      const [inserted, held] = await grouped(this.db).write([this.sql.storeNew(this.storedParams(msg)), this.sql.existing([msg.id])], { committed: true });
      if (Number(inserted!.numAffectedRows ?? 0) > 0) return { duplicate: false, delivered: false };
      return { duplicate: true, delivered: (held!.rows[0] as { delivered: number } | undefined)?.delivered === 1 };
    }
    // A status post or group message: look-up and fan-out in one (group-committed) transaction.
    return grouped(this.db).run(async (tx) => {
      const existing = (await tx.executeQuery<{ id: string; delivered: number }>(this.sql.existing([msg.id]))).rows[0];
      // A status post or group message is "delivered" once every copy is: route() finds out.
      if (existing) return { duplicate: true, delivered: !fannedOut(msg) && existing.delivered === 1 };
      if (msg.to === STATUS_JID) {
        const audience = await this.audienceOf(msg.from, tx);
        await this.store({ ...msg, audience }, tx, { status: 'posted', delivered: 1 });
        for (const viewer of audience) await this.store({ ...msg, to: viewer, broadcast: true }, tx);
        return { duplicate: false, delivered: false };
      }
      if (isSimulatedGroup(msg.to)) {
        const members = simulatedGroupMembers(msg.to);
        await this.store({ ...msg, audience: members }, tx, { status: 'posted', delivered: 1 });
        for (const member of members) await this.store({ ...msg, to: member, group: msg.to }, tx);
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
    await db.executeQuery(this.sql.store(this.storedParams(msg, state)));
  }

  private storedParams(msg: NetworkMessage, state = { status: 'sent', delivered: 0 }): unknown[] {
    return [rowIdOf(msg), msg.from, msg.to, JSON.stringify(msg), state.status, state.delivered, msg.timestamp];
  }

  async route(msg: NetworkMessage): Promise<void> {
    if (fannedOut(msg)) return this.routeCopies(msg.id);
    const peer = this.peers.get(msg.to);
    if (peer) return this.handOver(peer, msg);
    if (await this.isSandboxPhone(msg.to)) return; // a sandbox instance that is offline: delivered on attach
    this.contacts.accept(msg);
  }

  /**
   * Hand a status post to each viewer that is online and has not got it yet (the others get
   * it on attach); a group message to each simulated member, who acknowledges it.
   */
  private async routeCopies(messageId: string): Promise<void> {
    const record = await this.db.selectFrom('sandbox_messages').select('content').where('id', '=', messageId).executeTakeFirst();
    const audience = record ? ((JSON.parse(record.content) as NetworkMessage).audience ?? []) : [];
    if (audience.length === 0) return;
    const copies = await this.db
      .selectFrom('sandbox_messages')
      .select(['to_phone', 'content'])
      .where(
        'id',
        'in',
        audience.map((v) => copyId(messageId, v)),
      )
      .where('delivered', '=', 0)
      .execute();
    await Promise.all(
      copies.map((c) => {
        const copy = JSON.parse(c.content) as NetworkMessage;
        // Group members are simulated (instances as members are a later groups issue).
        if (copy.group) return this.contacts.accept(copy);
        const peer = this.peers.get(c.to_phone);
        return peer ? this.handOver(peer, copy) : undefined;
      }),
    );
  }

  /**
   * Hand a row to its recipient, an online sandbox instance: the message, or the revoke of a
   * message it already had (revokeDue), or nothing for a message deleted before it got there.
   * Marked delivered once the recipient (and the sender, for its RECEIVED) recorded it.
   */
  private async handOver(peer: SandboxPeer, msg: NetworkMessage): Promise<void> {
    const rowId = rowIdOf(msg);
    const run = (this.handing.get(rowId) ?? Promise.resolve()).catch(() => undefined).then(() => this.handOverNow(peer, msg, rowId));
    this.handing.set(rowId, run);
    try {
      await run;
    } finally {
      if (this.handing.get(rowId) === run) this.handing.delete(rowId);
    }
  }

  private async handOverNow(peer: SandboxPeer, msg: NetworkMessage, rowId: string): Promise<void> {
    for (;;) {
      const row = await this.db.selectFrom('sandbox_messages').select(['delivered', 'content']).where('id', '=', rowId).executeTakeFirst();
      if (!row || row.delivered === 1) return; // handed over meanwhile (catch-up and a resend of the same id)
      const now = JSON.parse(row.content) as NetworkMessage;
      if (now.revokedAt !== undefined) {
        // Deleted for everyone: the recipient had it and is told, or it never gets it.
        if (now.revokeDue) await peer.revoked(now);
        await grouped(this.db).run((tx) => tx.updateTable('sandbox_messages').set({ delivered: 1 }).where('id', '=', rowId).execute());
        return;
      }
      // Both emitted now, the message before the sender's receipt (and before any READ the
      // recipient may send back); marked delivered only once both are recorded.
      const received = peer.receive(msg);
      const ack = this.peers.get(msg.from)?.receipt(msg.to, [msg.id], 'RECEIVED', sharedChatOf(msg));
      await Promise.all([received, ack]);
      const handed = await grouped(this.db).run(async (tx) => {
        const done = await tx
          .updateTable('sandbox_messages')
          // An auto-read may already have moved it to "read": never back.
          .set({ delivered: 1, status: sql<string>`case when status = 'sent' then 'received' else status end` })
          .where('id', '=', rowId)
          .where('delivered', '=', 0)
          // Conditional, so that a revoke committed meanwhile (even by a concurrent transaction) is seen.
          .where('content', 'not like', '%"revokedAt":%')
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) > 0) return true;
        // Deleted for everyone while it was being handed over: the recipient has it, so it is owed the revoke.
        const r = await tx.selectFrom('sandbox_messages').select(['delivered', 'content']).where('id', '=', rowId).executeTakeFirst();
        if (!r || r.delivered === 1) return true;
        const content = JSON.stringify({ ...(JSON.parse(r.content) as NetworkMessage), revokeDue: true });
        await tx.updateTable('sandbox_messages').set({ content }).where('id', '=', rowId).execute();
        return false;
      });
      if (handed) return;
    }
  }

  /**
   * A sandbox instance read messages of `chat` (the sender's phone, STATUS_JID for statuses it
   * viewed, or a group). Nobody writes to an instance in a group yet (simulated members do not
   * write, instances are not members of each other's groups), so a group has nothing to read.
   */
  async read(readerPhone: string, chat: string, ids: string[]): Promise<void> {
    if (ids.length === 0 || isSimulatedGroup(chat)) return;
    if (chat === STATUS_JID) return this.viewStatuses(readerPhone, ids);
    await this.peers.get(chat)?.receipt(readerPhone, ids, 'READ');
    await this.markRead(readerPhone, ids);
  }

  /** Statuses viewed: READ to each poster, for its posts. */
  private async viewStatuses(viewer: string, postIds: string[]): Promise<void> {
    const rowIds = postIds.map((id) => copyId(id, viewer));
    const copies = inOrder(rowIds, await this.db.selectFrom('sandbox_messages').select(['id', 'from_phone', 'content']).where('id', 'in', rowIds).where('to_phone', '=', viewer).execute());
    for (const [poster, rows] of bySender(copies)) {
      await this.peers.get(poster)?.receipt(viewer, rows.map(postIdOf), 'READ', STATUS_JID);
    }
    await this.markRead(
      viewer,
      copies.map((c) => c.id),
    );
  }

  /**
   * A sandbox instance played voice notes or round videos of `chat` (a phone, or STATUS_JID):
   * PLAYED to their senders, once per message. Anything else has nothing to play and is
   * ignored, as is a group (nothing is received in one yet: see read()).
   */
  async played(playerPhone: string, chat: string, ids: string[]): Promise<void> {
    if (ids.length === 0 || isSimulatedGroup(chat)) return;
    const onStatus = chat === STATUS_JID;
    const rowIds = onStatus ? ids.map((id) => copyId(id, playerPhone)) : ids;
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
      await this.peers.get(sender)?.receipt(playerPhone, rows.map(postIdOf), 'PLAYED', onStatus ? STATUS_JID : undefined);
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
   * The sender deletes its message for everyone (`chat`: the recipient's phone, STATUS_JID for
   * a status post and all its viewers' copies, or the group for a group message and all its
   * members' copies). Recorded on the network: a copy that has not reached its recipient yet
   * never will; a sandbox instance that has it is told (messageRevoked, a "REVOKE"
   * ReceivedCallback), now when it is online, otherwise when it comes back. A simulated
   * contact or member that had not received it yet never does (no receipts); one that had it
   * goes on reading it, as a phone showing "This message was deleted" would. Idempotent: a
   * repeated delete hands over what is still due. False when the network holds no such
   * message of this sender.
   */
  async revoke(senderPhone: string, chat: string, id: string): Promise<boolean> {
    // Simulated contacts learn which of their rows were withdrawn before they received them.
    const rowIds = await this.contacts.revoking(() =>
      grouped(this.db).run(async (tx) => {
        const row = await tx.selectFrom('sandbox_messages').select(['from_phone', 'to_phone', 'content']).where('id', '=', id).executeTakeFirst();
        if (!row || row.from_phone !== senderPhone || row.to_phone !== chat) return { result: null, withdrawn: [] };
        const msg = JSON.parse(row.content) as NetworkMessage;
        const ids = [id, ...(msg.audience ?? []).map((v) => copyId(id, v))];
        if (msg.revokedAt !== undefined) return { result: ids, withdrawn: [] };
        const revokedAt = Date.now();
        const withdrawn: string[] = [];
        for (const rowId of ids) if (await this.markRevoked(tx, rowId, revokedAt)) withdrawn.push(rowId);
        return { result: ids, withdrawn };
      }),
    );
    if (!rowIds) return false;
    // Tell the recipients that are online (a failure leaves the revoke due: the next catch-up, or a repeated delete, hands it over).
    const due = await this.db.selectFrom('sandbox_messages').select(['to_phone', 'content']).where('id', 'in', rowIds).where('delivered', '=', 0).execute();
    await Promise.all(
      due.map((r) => {
        const peer = this.peers.get(r.to_phone);
        return peer ? this.handOver(peer, JSON.parse(r.content) as NetworkMessage) : undefined;
      }),
    );
    return true;
  }

  /**
   * Set revokedAt on one row; a copy a sandbox instance already has becomes revokeDue and
   * undelivered. The updates are conditional on `delivered`, so that a hand-over committing
   * concurrently (Postgres) is never missed: either it sees the revoke (handOver's own
   * conditional update fails and it marks revokeDue), or the revoke sees it delivered.
   */
  private async markRevoked(tx: Kysely<Database>, rowId: string, revokedAt: number): Promise<boolean> {
    for (;;) {
      const r = await tx.selectFrom('sandbox_messages').select(['to_phone', 'content', 'status']).where('id', '=', rowId).executeTakeFirst();
      if (!r) return false;
      const msg = JSON.parse(r.content) as NetworkMessage;
      const revoked = JSON.stringify({ ...msg, revokedAt });
      // Simulated contacts and members, and the sender's record: nothing to hand over.
      const instance = await tx.selectFrom('sandbox_devices').select('instance_id').where('phone', '=', r.to_phone).where('paired', '=', 1).executeTakeFirst();
      if (!instance) {
        await tx.updateTable('sandbox_messages').set({ content: revoked }).where('id', '=', rowId).execute();
        return r.status === 'sent'; // a contact's row it has not received yet (the sender's record of a post is 'posted')
      }
      const had = await tx
        .updateTable('sandbox_messages')
        .set({ content: JSON.stringify({ ...msg, revokedAt, revokeDue: true }), delivered: 0 })
        .where('id', '=', rowId)
        .where('delivered', '=', 1)
        .executeTakeFirst();
      if (Number(had.numUpdatedRows) > 0) return false;
      const notYet = await tx.updateTable('sandbox_messages').set({ content: revoked }).where('id', '=', rowId).where('delivered', '=', 0).executeTakeFirst();
      if (Number(notYet.numUpdatedRows) > 0) return false;
      // Delivered in between (another connection): look again.
    }
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
    await this.catchUp([...this.peers.values()]);
  }

  close(): void {
    this.contacts.close();
    this.peers.clear();
  }
}

/** A status post or group message: one row for the sender, one per viewer or member. */
const fannedOut = (msg: Pick<NetworkMessage, 'to'>): boolean => msg.to === STATUS_JID || isSimulatedGroup(msg.to);

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
