// Keeps the database from growing without bound (DESIGN.md §5): recent messages are kept
// for the retention window, delivered webhooks for the same window (the delivery log),
// failed ones for 30 days (replayable meanwhile). Runs in small batches off the hot path.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

const DAY = 86_400_000;
const BATCH = 5_000;

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
  // Simulated-network history no engine is waiting on (everything delivered and read).
  removed.sandboxMessages = await batched(() =>
    db.deleteFrom('sandbox_messages').where('id', 'in', (eb) =>
      eb.selectFrom('sandbox_messages').select('id').where('created_at', '<', cutoff).where('delivered', '=', 1).where('status', '=', 'read').limit(BATCH),
    ).executeTakeFirst(),
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
