// Simulated contacts: any number that is not a sandbox instance. They acknowledge each
// message like a phone would: RECEIVED after one delay, READ after another, and PLAYED after
// a third for voice notes and round videos (the contact listens to them). The due receipts
// are derived from sandbox_messages.status, so a restart re-arms them.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { grouped } from '../../store/tx-batcher.js';
import { STATUS_JID, isPlayable, type NetworkMessage } from './wire.js';

const RETRY_MS = 1000;

type Receipt = 'RECEIVED' | 'READ' | 'PLAYED';
/** The status a message reaches with each step, in order. */
type Step = 'received' | 'read' | 'played';
const RECEIPT: Record<Step, Receipt> = { received: 'RECEIVED', read: 'READ', played: 'PLAYED' };

/** Hands a receipt to the sender; resolves false when the sender is offline, rejects if it could not be recorded. */
type ReceiptSink = (fromPhone: string, toPhone: string, ids: string[], status: Receipt) => Promise<boolean>;

/** The step after a message reached `status`, if any. */
function nextStep(status: string, playable: boolean): Step | null {
  if (status === 'sent') return 'received';
  if (status === 'received') return 'read';
  if (status === 'read' && playable) return 'played';
  return null;
}

export class SimulatedContacts {
  /** One step per message at a time (waiting or running), so re-arming after a restart or retry never doubles a receipt. */
  private readonly steps = new Map<string, NodeJS.Timeout | null>();
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly delayMs: number,
    private readonly sink: ReceiptSink,
  ) {}

  /** A message reached a simulated contact: schedule its receipts. */
  accept(id: string, senderPhone: string, contactPhone: string, playable: boolean): void {
    this.arm(id, senderPhone, contactPhone, 'received', playable);
  }

  private arm(id: string, sender: string, contact: string, to: Step, playable: boolean, delayMs = this.delayMs): void {
    if (this.closed || this.steps.has(id)) return;
    const t = setTimeout(() => {
      this.steps.set(id, null); // running
      this.advance(id, sender, contact, to, playable).then(
        (next) => {
          this.steps.delete(id);
          if (next) this.arm(id, sender, contact, next, playable);
        },
        () => {
          // Not recorded (the store is failing or closing): try again calmly; close() stops this.
          this.steps.delete(id);
          this.arm(id, sender, contact, to, playable, Math.max(this.delayMs, RETRY_MS));
        },
      );
    }, delayMs);
    this.steps.set(id, t);
  }

  /** Returns the next step, if any. */
  private async advance(id: string, sender: string, contact: string, to: Step, playable: boolean): Promise<Step | null> {
    if (this.closed) return null;
    // The receipt is recorded before the state moves on: a crash in between repeats the
    // receipt on the next start instead of losing it.
    const handed = await this.sink(contact, sender, [id], RECEIPT[to]);
    if (!handed) return null; // the sender is offline: resumeFor() re-arms it when it comes back
    await grouped(this.db).run((tx) => tx.updateTable('sandbox_messages').set({ status: to, delivered: 1 }).where('id', '=', id).execute());
    return nextStep(to, playable);
  }

  /** Re-arm the receipts simulated contacts still owe a sender (it came online, or the process restarted). */
  async resumeFor(senderPhone: string): Promise<void> {
    const owed = await this.db
      .selectFrom('sandbox_messages')
      .select(['id', 'to_phone', 'status', 'content'])
      .where('from_phone', '=', senderPhone)
      .where('to_phone', '!=', STATUS_JID)
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['sent', 'received']),
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
      const playable = isPlayable(msg.content);
      const next = nextStep(m.status, playable);
      if (next) this.arm(m.id, senderPhone, m.to_phone, next, playable);
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.steps.values()) if (t) clearTimeout(t);
    this.steps.clear();
  }
}
