// A queue worker over a real SQLite store (writer thread included) and an engine whose
// sends wait until the test releases them, in order: the worker's marks, reads and
// confirmations can be looked at between sends.
import pino from 'pino';
import { openStore, type Store } from '../../src/store/db.js';
import { SendQueue, type EnqueueRequest } from '../../src/queue/send-queue.js';
import { QueueWorker } from '../../src/queue/worker.js';
import { Instances } from '../../src/domain/instances.js';
import { WebhookOutbox } from '../../src/webhooks/outbox.js';
import type { OutgoingMessage, WhatsAppEngine } from '../../src/engines/engine.js';
import { tempDir } from './server.js';

export const INSTANCE = 'F'.repeat(32);

/** An engine whose sends wait until released, in order. */
function gatedEngine() {
  const started: string[] = [];
  const gates: (() => void)[] = [];
  const engine = {
    state: () => ({ status: 'connected', phone: '5511900000000', reason: null, hasSession: true }),
    messages: {
      send: (msg: OutgoingMessage) =>
        new Promise((resolve) => {
          started.push(msg.id);
          gates.push(() => resolve({ id: msg.id, timestamp: Date.now(), duplicate: false }));
        }),
      sendPresence: async () => undefined,
    },
  } as unknown as WhatsAppEngine;
  const release = () => gates.shift()?.();
  return { engine, started, release };
}

export interface GatedQueue {
  store: Store;
  queue: SendQueue;
  worker: QueueWorker;
  /** The statuses of the instance's queued rows, oldest first. */
  statuses(): Promise<string[]>;
  /** Message ids in the order the engine was asked to send them. */
  started: string[];
  /** Let the oldest send under way complete. */
  release(): void;
  /** Stop the worker and close the store. */
  close(): Promise<void>;
}

export async function gatedQueue(gap: { min: number; max: number }): Promise<GatedQueue> {
  const store = await openStore({ dataDir: tempDir(), databaseUrl: null });
  const queue = new SendQueue(store.db, 100_000, store.dialect, store.writer);
  const gated = gatedEngine();
  const worker = new QueueWorker(
    store.db,
    queue,
    { engine: (id) => (id === INSTANCE ? gated.engine : undefined) },
    new Instances(store.db, 3),
    new WebhookOutbox(store.db, store.dialect),
    gap,
    pino({ level: 'silent' }),
    { url: () => '' },
  );
  const statuses = async () => (await queue.list(INSTANCE, 1, 100)).map((r) => r.status);
  const close = async () => {
    worker.stopped = true;
    await store.close();
  };
  return { store, queue, worker, statuses, close, ...gated };
}

export const queueRequest = (i: number, extra: Partial<EnqueueRequest> = {}): EnqueueRequest => ({
  instanceId: INSTANCE,
  phone: '5511999990000',
  jid: '5511999990000@s.whatsapp.net',
  content: { type: 'text', text: `message ${i}` },
  ...extra,
});
