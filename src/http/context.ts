// What route plugins get: the services of one running OpenZap.
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { Accounts } from '../domain/accounts.js';
import type { Instances } from '../domain/instances.js';
import type { SendQueue } from '../queue/send-queue.js';
import type { QueueWorker } from '../queue/worker.js';
import type { WebhookOutbox } from '../webhooks/outbox.js';
import type { EngineManager } from '../engines/manager.js';
import type { SandboxNetwork } from '../engines/sandbox/network.js';
import type { MediaStore } from '../media/store.js';
import type { AccountRow, InstanceRow } from '../store/schema.js';

export interface AppContext {
  config: Config;
  store: Store;
  accounts: Accounts;
  instances: Instances;
  queue: SendQueue;
  worker: QueueWorker;
  outbox: WebhookOutbox;
  engines: EngineManager;
  network: SandboxNetwork;
  /** The media store (implements MediaPort; the media route also streams its files). */
  media: MediaStore;
}

declare module 'fastify' {
  interface FastifyInstance {
    oz: AppContext;
  }
  interface FastifyRequest {
    /** Set by the instance auth hook on /instances/:instanceId/token/:token/… routes. */
    instance: InstanceRow;
    /** Set by the partner auth hook (Authorization: Bearer). */
    account: AccountRow;
  }
}
