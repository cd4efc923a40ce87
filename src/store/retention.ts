// Keeps the database from growing without bound (DESIGN.md §5): recent messages are kept
// for the retention window, delivered webhooks for the same window (the delivery log),
// failed ones for 30 days (replayable meanwhile). Runs in small batches off the hot path.
// The sandbox network's history goes with the recent messages: a row is kept while it is
// recent or still has work coming (see sandboxRowDone), and at most SANDBOX_MAX_MS.
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from './schema.js';

const DAY = 86_400_000;
const BATCH = 5_000;
/**
 * WhatsApp's servers keep a message for an offline phone 30 days, then drop it; the sandbox
 * network does the same with anything still pending (a message for an instance that never
 * came back, receipts owed to a deleted one).
 */
export const SANDBOX_MAX_MS = 30 * DAY;

type SandboxRows = ExpressionBuilder<Database, 'sandbox_messages'>;

/**
 * A sandbox_messages row nothing more can come of: handed over (delivered), and no receipt
 * still owed by a simulated contact or group member. Terminal statuses: 'played', 'posted'
 * (the sender's record of a status post or group message), 'read' unless it is a voice note
 * or round video (played later: the LIKEs only match the content's own "type" and "ptt"
 * members, JSON escapes quotes in text), 'sent' when delivered (deleted before it got there).
 * A row for a sandbox instance owes nothing automatically: its receipts come when it acts.
 */
function sandboxRowDone(eb: SandboxRows) {
  const playable = eb.or([eb('content', 'like', '%"type":"ptv"%'), eb.and([eb('content', 'like', '%"type":"audio"%'), eb('content', 'like', '%"ptt":true%')])]);
  return eb.and([
    eb('delivered', '=', 1),
    eb.or([
      eb('status', 'not in', ['received', 'read']),
      eb.and([eb('status', '=', 'read'), eb.not(playable)]),
      eb.exists(eb.selectFrom('sandbox_devices as d').select('d.instance_id').whereRef('d.phone', '=', 'sandbox_messages.to_phone').where('d.paired', '=', 1)),
    ]),
  ]);
}

export interface RetentionOptions {
  messagesMs: number;
  failedWebhooksMs: number;
}

export async function pruneOnce(db: Kysely<Database>, opts: RetentionOptions, now = Date.now()): Promise<Record<string, number>> {
  const cutoff = now - opts.messagesMs;
  const failedCutoff = now - opts.failedWebhooksMs;
  const removed: Record<string, number> = {};

  removed.messages = await batched(() =>
    db
      .deleteFrom('messages')
      .where('created_at', '<', cutoff) // ids repeat across instances: both conditions, so only old rows go
      .where('message_id', 'in', (eb) => eb.selectFrom('messages').select('message_id').where('created_at', '<', cutoff).limit(BATCH))
      .executeTakeFirst(),
  );
  // Simulated-network history nothing is waiting on, whatever status it ended in; and anything past SANDBOX_MAX_MS.
  const sandboxCutoff = now - SANDBOX_MAX_MS;
  removed.sandboxMessages = await batched(() =>
    db
      .deleteFrom('sandbox_messages')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('sandbox_messages')
          .select('id')
          .where((w) => w.or([w('created_at', '<', sandboxCutoff), w.and([w('created_at', '<', cutoff), sandboxRowDone(w)])]))
          .limit(BATCH),
      )
      .executeTakeFirst(),
  );
  const oldWebhooks = (eb: any) =>
    eb
      .selectFrom('webhook_outbox')
      .select('id')
      .where((w: any) =>
        w.or([w.and([w('status', '=', 'delivered'), w('created_at', '<', cutoff)]), w.and([w('status', '=', 'failed'), w('created_at', '<', failedCutoff)])]),
      )
      .limit(BATCH);
  removed.webhooks = await batched(async () => {
    const ids = (await oldWebhooks(db).execute()).map((r: { id: number }) => r.id);
    if (ids.length === 0) return { numDeletedRows: 0n };
    return db.transaction().execute(async (tx) => {
      await tx.deleteFrom('webhook_attempts').where('outbox_id', 'in', ids).execute();
      return tx.deleteFrom('webhook_outbox').where('id', 'in', ids).executeTakeFirst();
    });
  });
  return removed;
}

async function batched(step: () => Promise<{ numDeletedRows: bigint }>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = Number((await step()).numDeletedRows);
    total += n;
    if (n < BATCH) return total;
    await new Promise((r) => setImmediate(r));
  }
}

export const defaultRetention = (messageDays: number): RetentionOptions => ({ messagesMs: messageDays * DAY, failedWebhooksMs: Math.max(30, messageDays) * DAY });
