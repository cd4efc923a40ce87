// GET /health (liveness + database) and GET /metrics (Prometheus text format).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { registry } from '../../metrics.js';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(app.oz.store.db);
      return { status: 'ok', database: app.oz.store.dialect, uptimeSeconds: Math.round(process.uptime()) };
    } catch (err) {
      return reply.status(503).send({ status: 'error', error: 'database-unavailable', message: (err as Error).message });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};
