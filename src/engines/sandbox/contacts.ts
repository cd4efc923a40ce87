// Simulated contacts: any number that is not a sandbox instance, and the simulated members
// of groups. They acknowledge each message like a phone would: RECEIVED after one delay,
// READ after another, and PLAYED after a third for voice notes and round videos (the
// contact listens to them). A group message is acknowledged by each member separately, in
// the group, naming the member. The due receipts are derived from sandbox_messages.status
// (one row per message, or per member for a group message), so a restart re-arms them.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { grouped } from '../../store/tx-batcher.js';
import { statement, type Statement } from '../../store/compiled.js';
import type { Dialect } from '../../store/migrations.js';
import { PHONES_PER_QUERY, STATUS_JID, isPlayable, rowIdOf, type NetworkMessage } from './wire.js';

const RETRY_MS = 1000;

type Receipt = 'RECEIVED' | 'READ' | 'PLAYED';
/** The status a message reaches with each step, in order. */
type Step = 'received' | 'read' | 'played';
const RECEIPT: Record<Step, Receipt> = { received: 'RECEIVED', read: 'READ', played: 'PLAYED' };

/**
 * Hands a receipt to the sender (`chat`: the group it is given in, if any); resolves false
 * when the sender is offline, rejects if it could not be recorded.
 */
type ReceiptSink = (fromPhone: string, toPhone: string, ids: string[], status: Receipt, chat?: string) => Promise<boolean>;

/** What a contact acknowledges: one sandbox_messages row. */
interface Due {
  rowId: string;
  /** The message id the receipts name. */
  id: string;
  sender: string;
  contact: string;
  playable: boolean;
  /** The group the message was sent to, when it is a member's copy. */
  group?: string;
}

/** The step after a message reached `status`, if any. */
function nextStep(status: string, playable: boolean): Step | null {
  if (status === 'sent') return 'received';
  if (status === 'received') return 'read';
  if (status === 'read' && playable) return 'played';
  return null;
}

export class SimulatedContacts {
  /** One step per row at a time (waiting or running), so re-arming after a restart or retry never doubles a receipt. */
  private readonly steps = new Map<string, NodeJS.Timeout | null>();
  private closed = false;
  /**
   * Rows their sender deleted for everyone before the contact received them (revoking()
   * reports them once committed; resumeFor() finds them in the store): they are never
   * received. Removed once their 'received' step ran.
   */
  private readonly withdrawn = new Set<string>();
  /** Revokes being written: meanwhile the 'received' step asks the store (the rows they withdraw are not known yet). */
  private revokesUnderWay = 0;

  /** Statements run once per receipt, compiled once (store/compiled.ts). */
  private readonly sql: { content: Statement; received: Statement; reached: Statement };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly delayMs: number,
    dialect: Dialect,
    private readonly sink: ReceiptSink,
  ) {
    this.sql = {
      content: statement(dialect, 'select "content" from "sandbox_messages" where "id" = ?'),
      received: statement(dialect, 'update "sandbox_messages" set "status" = ?, "delivered" = 1 where "id" = ?'),
      // Later steps leave "delivered" (1 since the receipt) alone: assigning a column, even its
      // own value, makes SQLite rewrite the index entries holding it (docs/benchmarks.md F33).
      reached: statement(dialect, 'update "sandbox_messages" set "status" = ? where "id" = ?'),
    };
  }

  /**
   * Run a revoke: `revoke` resolves, once committed, with its result and the rows it
   * withdrew from contacts that had not received them yet.
   */
  async revoking<T>(revoke: () => Promise<{ result: T; withdrawn: string[] }>): Promise<T> {
    this.revokesUnderWay++;
    try {
      const { result, withdrawn } = await revoke();
      for (const rowId of withdrawn) this.withdrawn.add(rowId);
      return result;
    } finally {
      this.revokesUnderWay--;
    }
  }

  /** A message (or a group member's copy of one) reached a simulated contact: schedule its receipts. */
  accept(msg: NetworkMessage): void {
    this.arm(dueOf(msg), 'received');
  }

  private arm(due: Due, to: Step, delayMs = this.delayMs): void {
    if (this.closed || this.steps.has(due.rowId)) return;
    const t = setTimeout(() => {
      this.steps.set(due.rowId, null); // running
      this.advance(due, to).then(
        (next) => {
          this.steps.delete(due.rowId);
          if (next) this.arm(due, next);
        },
        () => {
          // Not recorded (the store is failing or closing): try again calmly; close() stops this.
          this.steps.delete(due.rowId);
          this.arm(due, to, Math.max(this.delayMs, RETRY_MS));
        },
      );
    }, delayMs);
    this.steps.set(due.rowId, t);
  }

  /** Returns the next step, if any. */
  private async advance(due: Due, to: Step): Promise<Step | null> {
    if (this.closed) return null;
    if (to === 'received' && (await this.revokedBeforeReceipt(due.rowId))) {
      // Deleted for everyone before it reached the contact: it never does (as for an instance).
      await grouped(this.db).run((tx) => tx.updateTable('sandbox_messages').set({ delivered: 1 }).where('id', '=', due.rowId).execute());
      this.withdrawn.delete(due.rowId);
      return null;
    }
    // The receipt is recorded before the state moves on: a crash in between repeats the
    // receipt on the next start instead of losing it.
    const handed = await this.sink(due.contact, due.sender, [due.id], RECEIPT[to], due.group);
    if (!handed) return null; // the sender is offline: resumeFor() re-arms it when it comes back
    await grouped(this.db).write([(to === 'received' ? this.sql.received : this.sql.reached)([to, due.rowId])]);
    if (to === 'received') this.withdrawn.delete(due.rowId); // revoked while the receipt was on its way: too late
    return nextStep(to, due.playable);
  }

  /**
   * Known in memory, except while a revoke is being written: then the store is asked, as
   * every step did before (one read per message: docs/benchmarks.md F32).
   */
  private async revokedBeforeReceipt(rowId: string): Promise<boolean> {
    if (this.withdrawn.has(rowId)) return true;
    if (this.revokesUnderWay === 0) return false;
    const row = (await this.db.executeQuery<{ content: string }>(this.sql.content([rowId]))).rows[0];
    return row !== undefined && (JSON.parse(row.content) as NetworkMessage).revokedAt !== undefined;
  }

  /** Re-arm the receipts simulated contacts still owe these senders (they came online, or the process restarted). */
  async resumeFor(senderPhones: readonly string[]): Promise<void> {
    for (let at = 0; at < senderPhones.length; at += PHONES_PER_QUERY) await this.resumeChunk(senderPhones.slice(at, at + PHONES_PER_QUERY));
  }

  private async resumeChunk(senderPhones: string[]): Promise<void> {
    const owed = await this.db
      .selectFrom('sandbox_messages')
      .select(['id', 'to_phone', 'status', 'content'])
      .where('from_phone', 'in', senderPhones)
      .where('to_phone', '!=', STATUS_JID)
      .where((eb) =>
        eb.or([
          // Not received yet (a row that is 'sent' but delivered was deleted before it arrived).
          eb.and([eb('status', '=', 'sent'), eb('delivered', '=', 0)]),
          eb('status', '=', 'received'),
          // Read voice notes and round videos are still to be played. The JSON of a content
          // can only hold this unescaped as its own "type" member; parsed below to be sure.
          eb.and([eb('status', '=', 'read'), eb.or([eb('content', 'like', '%"type":"audio"%'), eb('content', 'like', '%"type":"ptv"%')])]),
        ]),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('sandbox_devices')
              .select('instance_id')
              .whereRef('sandbox_devices.phone', '=', 'sandbox_messages.to_phone')
              .where('sandbox_devices.paired', '=', 1),
          ),
        ),
      )
      .orderBy('created_at')
      .execute();
    for (const m of owed) {
      const msg = JSON.parse(m.content) as NetworkMessage;
      // A viewer's copy of a status is not a contact's business (its viewer was unpaired).
      if (msg.broadcast) continue;
      const due = dueOf(msg);
      const next = nextStep(m.status, due.playable);
      if (next === 'received' && msg.revokedAt !== undefined) this.withdrawn.add(due.rowId);
      if (next) this.arm(due, next);
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.steps.values()) if (t) clearTimeout(t);
    this.steps.clear();
  }
}

function dueOf(msg: NetworkMessage): Due {
  const due: Due = { rowId: rowIdOf(msg), id: msg.id, sender: msg.from, contact: msg.to, playable: isPlayable(msg.content) };
  if (msg.group) due.group = msg.group;
  return due;
}
