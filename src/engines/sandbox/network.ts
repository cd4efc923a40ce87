// The simulated WhatsApp network. Sandbox instances register here by phone; a message
// to a registered phone is handed to that instance's engine, anything else goes to a
// simulated contact that acknowledges it. Every message is persisted in sandbox_messages
// so that state (pending deliveries, receipts still due) survives a restart. A delivery or
// receipt is marked done only after the receiving engine recorded it (its webhook is in the
// outbox): a crash in between repeats it on the next start rather than losing it.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { grouped } from '../../store/tx-batcher.js';
import type { MessageContent, PresenceKind } from '../engine.js';
import { SimulatedContacts } from './contacts.js';

/** What the network needs from a connected sandbox instance. */
export interface SandboxPeer {
  readonly phone: string;
  /** Emits at once; resolves when the instance recorded it, rejects if it could not. */
  receive(msg: NetworkMessage): Promise<void>;
  /** Emits at once; resolves when the instance recorded it, rejects if it could not. */
  receipt(fromPhone: string, ids: string[], status: 'RECEIVED' | 'READ'): Promise<void>;
  presence(fromPhone: string, presence: PresenceKind): void;
}

export interface NetworkMessage {
  id: string;
  from: string;
  to: string;
  content: MessageContent;
  timestamp: number;
  quotedId?: string;
  editId?: string;
  /** Push name of a simulated contact. */
  senderName?: string;
}

export class SandboxNetwork {
  private readonly peers = new Map<string, SandboxPeer>();
  /** Message ids being handed over now (a resent message can race the catch-up of its recipient). */
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

  /** Messages sent to the peer while it was away, and receipts simulated contacts still owe it. */
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
   * route() afterwards to hand on a message that did not.
   */
  async accept(msg: NetworkMessage): Promise<{ duplicate: boolean; delivered: boolean }> {
    // Look-up and insert in one (group-committed) transaction.
    return grouped(this.db).run(async (tx) => {
      const existing = await tx.selectFrom('sandbox_messages').select(['id', 'delivered']).where('id', '=', msg.id).executeTakeFirst();
      if (existing) return { duplicate: true, delivered: existing.delivered === 1 };
      await this.store(msg, tx);
      return { duplicate: false, delivered: false };
    });
  }

  /** The network's record of a message: sent, not yet handed to its recipient. */
  private async store(msg: NetworkMessage, db: Kysely<Database> = this.db): Promise<void> {
    await db
      .insertInto('sandbox_messages')
      .values({
        id: msg.id,
        from_phone: msg.from,
        to_phone: msg.to,
        content: JSON.stringify(msg),
        status: 'sent',
        delivered: 0,
        created_at: msg.timestamp,
      })
      .execute();
  }

  async route(msg: NetworkMessage): Promise<void> {
    const peer = this.peers.get(msg.to);
    if (peer) return this.handOver(peer, msg);
    if (await this.isSandboxPhone(msg.to)) return; // a sandbox instance that is offline: delivered on attach
    this.contacts.accept(msg.id, msg.from, msg.to);
  }

  private async handOver(peer: SandboxPeer, msg: NetworkMessage): Promise<void> {
    if (this.handing.has(msg.id)) return;
    this.handing.add(msg.id);
    try {
      const row = await this.db.selectFrom('sandbox_messages').select('delivered').where('id', '=', msg.id).executeTakeFirst();
      if (row?.delivered === 1) return; // handed over meanwhile (catch-up and a resend of the same id)
      // Both emitted now, the message before the sender's receipt (and before any READ the
      // recipient may send back); marked delivered only once both are recorded.
      const received = peer.receive(msg);
      const ack = this.peers.get(msg.from)?.receipt(msg.to, [msg.id], 'RECEIVED');
      await Promise.all([received, ack]);
      await grouped(this.db).run((tx) =>
        tx
          .updateTable('sandbox_messages')
          // An auto-read may already have moved it to "read": never back.
          .set({ delivered: 1, status: sql<string>`case when status = 'sent' then 'received' else status end` })
          .where('id', '=', msg.id)
          .execute(),
      );
    } finally {
      this.handing.delete(msg.id);
    }
  }

  /** A sandbox instance read messages sent to it by `toPhone` (the original sender). */
  async read(readerPhone: string, senderPhone: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.peers.get(senderPhone)?.receipt(readerPhone, ids, 'READ');
    await grouped(this.db).run((tx) =>
      tx.updateTable('sandbox_messages').set({ status: 'read' }).where('id', 'in', ids).where('to_phone', '=', readerPhone).execute(),
    );
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
