// Queue area (zapi-reference.txt "Fila"): list, count, clear, delete one message.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError, notFound } from '../../domain/errors.js';
import type { QueueRow } from '../../store/schema.js';
import type { QueuedPayload } from '../../queue/send-queue.js';
import { Paging, withErrors } from '../schemas.js';

/** The documented item shape (capitalised keys, DelayMessage -1 when not set). */
function queueItem(row: QueueRow, trial: boolean) {
  const payload = JSON.parse(row.payload) as QueuedPayload;
  return {
    _id: row.zaap_id,
    DelayMessage: row.delay_message ?? -1,
    Message: payload.content.type === 'text' ? payload.content.text : '',
    IsTrial: trial,
    InstanceId: row.instance_id,
    Phone: row.phone,
    ZaapId: row.zaap_id,
    DelayTyping: row.delay_typing ?? 0,
    MessageId: row.message_id,
    Created: row.created_at,
    Type: row.kind,
    Status: row.status === 'sending' ? 'SENDING' : 'QUEUED',
  };
}

export const queueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queue } = app.oz;

  app.get(
    '/queue',
    { schema: { tags: ['queue'], querystring: Type.Object({ ...Paging, count: Type.Optional(Type.String({ maxLength: 10 })) }) } },
    async (req) => {
      const page = req.query.page ?? 1;
      const pageSize = req.query.pageSize ?? 100;
      const rows = await queue.list(req.instance.id, page, pageSize);
      const trial = req.instance.payment_status === 'TRIAL';
      const body: Record<string, unknown> = { messages: rows.map((r) => queueItem(r, trial)), page, pageSize };
      if (req.query.count !== undefined && req.query.count !== 'false') body.count = await queue.count(req.instance.id);
      return body;
    },
  );

  app.get('/queue/count', { schema: { tags: ['queue'], response: withErrors({ 200: Type.Object({ count: Type.Integer() }) }) } }, async (req) => ({
    count: await queue.count(req.instance.id),
  }));

  app.delete('/queue', { schema: { tags: ['queue'] } }, async (req) => {
    const deleted = await queue.clear(req.instance.id);
    return { value: true, deleted };
  });

  app.delete(
    '/queue/:zaapId',
    { schema: { tags: ['queue'], params: Type.Object({ instanceId: Type.String(), token: Type.String(), zaapId: Type.String({ minLength: 1, maxLength: 64 }) }) } },
    async (req) => {
      const outcome = await queue.remove(req.instance.id, req.params.zaapId.toUpperCase());
      if (outcome === 'missing') throw notFound(`No queued message with zaapId ${req.params.zaapId}`, 'queue-message-not-found');
      if (outcome === 'sending') throw new ApiError(409, 'already-sending', 'This message is being sent right now and can no longer be removed.');
      return { value: true };
    },
  );
};
