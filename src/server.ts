// Composition: config → store → services → engines → http → workers, and graceful shutdown.
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { openStore } from './store/db.js';
import { defaultRetention, pruneOnce } from './store/retention.js';
import { Accounts } from './domain/accounts.js';
import { Instances } from './domain/instances.js';
import { SendQueue } from './queue/send-queue.js';
import { QueueWorker } from './queue/worker.js';
import { WebhookOutbox } from './webhooks/outbox.js';
import { WebhookDelivery } from './webhooks/delivery.js';
import { EngineEventSink } from './webhooks/event-sink.js';
import { EngineManager } from './engines/manager.js';
import { SandboxNetwork } from './engines/sandbox/network.js';
import { buildApp } from './http/app.js';
import { MediaStore } from './media/store.js';
import { guardedAgent } from './net/guard.js';
import path from 'node:path';
import type { AppContext } from './http/context.js';

export interface OpenZap {
  app: FastifyInstance;
  ctx: AppContext;
  /** Base URL the server listens on (http://host:port). */
  url: string;
  /** Printed once when a partner token was generated on this start. */
  generatedPartnerToken: string | null;
  close(): Promise<void>;
}

export async function startOpenZap(config: Config, opts: { listen?: boolean } = {}): Promise<OpenZap> {
  const log: Logger = pino({ level: config.logLevel === 'silent' ? 'silent' : config.logLevel });
  const store = await openStore({
    ...config,
    onPoolError: (err) => log.warn({ err: err.message }, 'a Postgres connection was lost; the pool reconnects'),
    onCheckpointError: (message) => log.warn({ err: message }, 'WAL checkpoint failed; it is retried, and SQLite checkpoints by itself past 80 MB'),
  });
  const accounts = new Accounts(store.db);
  const boot = await accounts.bootstrap({ partnerToken: config.partnerToken, clientToken: config.clientToken });
  const instances = new Instances(store.db, config.trialDays);
  const rows = await instances.loadAll();

  const outbox = new WebhookOutbox(store.db, store.dialect);
  const delivery = new WebhookDelivery(
    store.db,
    instances,
    {
      allowHttp: config.allowHttpWebhooks,
      allowPrivate: config.allowPrivateUrls,
      retryHorizonMs: config.webhookRetryHorizonMs,
      backoffBaseMs: config.webhookBackoffBaseMs,
      timeoutMs: config.webhookTimeoutMs,
      concurrency: config.webhookConcurrency,
      dialect: store.dialect,
    },
    log.child({ part: 'webhooks' }),
  );
  outbox.onAdded((lanes) => delivery.lanes(lanes));

  let url = '';
  const mediaAgent = guardedAgent({ allowHttp: true, allowPrivate: config.allowPrivateUrls, timeoutMs: config.mediaFetchTimeoutMs, connections: 16 });
  const media = new MediaStore(store.db, {
    dir: path.join(config.dataDir, 'media'),
    publicBase: () => (config.publicUrl ?? url).replace(/\/+$/, ''),
    maxBytes: config.mediaMaxBytes,
    retentionMs: config.mediaRetentionDays * 86_400_000,
    allowPrivate: config.allowPrivateUrls,
    dispatcher: mediaAgent,
    fetchTimeoutMs: config.mediaFetchTimeoutMs,
  });
  const network = new SandboxNetwork(store.db, config.sandboxReceiptDelayMs, store.dialect);
  const queue = new SendQueue(store.db, config.queueLimitDisconnected, store.dialect, store.writer);
  let worker!: QueueWorker;
  const engines = new EngineManager({
    db: store.db,
    instances,
    network,
    media,
    sink: new EngineEventSink(outbox, media),
    log: log.child({ part: 'engines' }),
    onConnected: (id) => worker.kick(id),
    baileys: { secretKey: config.secretKey, waWebVersion: config.waWebVersion, messageRetentionDays: config.messageRetentionDays },
  });
  worker = new QueueWorker(store.db, queue, engines, instances, outbox, config.sendGapMs, log.child({ part: 'queue' }), media);

  const ctx: AppContext = { config, store, accounts, instances, queue, worker, outbox, engines, network, media };
  const app = await buildApp(ctx);

  delivery.start();
  await engines.startAll(rows);
  await network.resume(); // every engine is up: the sandbox network hands over what waited
  const expiry = setInterval(() => void engines.stopExpired().catch((err) => log.error({ err }, 'expiry check failed')), 30_000);
  expiry.unref();
  const retention = defaultRetention(config.messageRetentionDays);
  const prune = () => {
    void pruneOnce(store.db, retention).catch((err) => log.error({ err }, 'retention pruning failed'));
    void media.prune().catch((err) => log.error({ err }, 'media pruning failed'));
  };
  const pruning = setInterval(prune, 3_600_000);
  pruning.unref();
  setTimeout(prune, 60_000).unref();

  if (opts.listen !== false) {
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  // Queues drain once the server answers: a backlog must not delay start-up or starve requests.
  await worker.release();
  if (!config.publicUrl && url) {
    log.warn(`OPENZAP_PUBLIC_URL is not set: media links in webhooks start with ${url}, which only this machine can reach. Set it to the address your webhook receivers use.`);
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(expiry);
      clearInterval(pruning);
      await app.close(); // stop accepting requests
      await worker.stop(); // finish the send under way
      await engines.closeAll();
      network.close();
      await delivery.stop(); // finish the webhook requests under way
      await mediaAgent.close();
      await store.close();
    })());

  return { app, ctx, url, generatedPartnerToken: boot.generatedPartnerToken, close };
}
