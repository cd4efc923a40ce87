// Webhooks area (zapi-reference.txt "Webhooks"): where each event type is posted, plus
// OpenZap's own delivery log, replay of failed deliveries and the signing secret.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { notFound } from '../../domain/errors.js';
import { checkUrl } from '../../net/guard.js';
import type { InstanceUpdate } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import { Paging, ValueTrue, withErrors } from '../schemas.js';

/** "" or null clears a webhook; anything else must be an acceptable URL. */
export function webhookTarget(oz: AppContext, value: string | null | undefined, field = 'value'): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  return checkUrl(value.trim(), { allowHttp: oz.config.allowHttpWebhooks, allowPrivate: oz.config.allowPrivateUrls }, field).toString();
}

const UrlValue = Type.Object(
  { value: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()], { description: 'Webhook URL ("" clears it)' }) },
  { additionalProperties: true },
);

/** Outbox ids are bigint columns: an id beyond a safe integer would reach Postgres as out of range (a 500). */
const DeliveryId = (description?: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

const SINGLE: [string, keyof InstanceUpdate][] = [
  ['/update-webhook-delivery', 'delivery_url'],
  ['/update-webhook-received', 'received_url'],
  ['/update-webhook-disconnected', 'disconnected_url'],
  ['/update-webhook-message-status', 'message_status_url'],
  ['/update-webhook-chat-presence', 'presence_url'],
  ['/update-webhook-connected', 'connected_url'],
];

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const oz = app.oz;
  const tags = ['webhooks'];
  const reply200 = withErrors({ 200: ValueTrue });

  for (const [path, column] of SINGLE) {
    app.put(path, { schema: { tags, body: UrlValue, response: reply200 } }, async (req) => {
      await oz.instances.update(req.instance.id, { [column]: webhookTarget(oz, req.body.value) });
      return { value: true };
    });
  }

  // The docs' heading names this route /update-webhook-status; its URL line says -message-status. Accept both.
  app.put('/update-webhook-status', { schema: { tags, body: UrlValue, response: reply200, hide: true } }, async (req) => {
    await oz.instances.update(req.instance.id, { message_status_url: webhookTarget(oz, req.body.value) });
    return { value: true };
  });

  app.put('/update-webhook-received-delivery', { schema: { tags, body: UrlValue, response: reply200 } }, async (req) => {
    const url = webhookTarget(oz, req.body.value);
    await oz.instances.update(req.instance.id, { received_url: url, notify_sent_by_me: url ? 1 : 0 });
    return { value: true };
  });

  app.put(
    '/update-every-webhooks',
    {
      schema: {
        tags,
        body: Type.Object({
          value: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]),
          notifySentByMe: Type.Optional(Type.Boolean()),
        }),
        response: reply200,
      },
    },
    async (req) => {
      const url = webhookTarget(oz, req.body.value);
      const patch: InstanceUpdate = {
        delivery_url: url,
        received_url: url,
        disconnected_url: url,
        connected_url: url,
        message_status_url: url,
        presence_url: url,
      };
      if (req.body.notifySentByMe !== undefined) patch.notify_sent_by_me = req.body.notifySentByMe ? 1 : 0;
      await oz.instances.update(req.instance.id, patch);
      return { value: true };
    },
  );

  app.put(
    '/update-notify-sent-by-me',
    { schema: { tags, body: Type.Object({ notifySentByMe: Type.Boolean() }), response: reply200 } },
    async (req) => {
      await oz.instances.update(req.instance.id, { notify_sent_by_me: req.body.notifySentByMe ? 1 : 0 });
      return { value: true };
    },
  );

  // ---- OpenZap extensions ----

  app.put(
    '/update-webhook-secret',
    {
      schema: {
        tags,
        description: 'HMAC-SHA256 secret: deliveries then carry x-openzap-signature: sha256=<hex of the raw body>. null or "" removes it.',
        body: Type.Object({ value: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]) }),
        response: reply200,
      },
    },
    async (req) => {
      const v = req.body.value;
      await oz.instances.update(req.instance.id, { webhook_secret: v === null || v === '' ? null : v });
      return { value: true };
    },
  );

  app.get(
    '/webhooks/deliveries',
    {
      schema: {
        tags,
        querystring: Type.Object({ ...Paging, status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])) }),
      },
    },
    async (req) => {
      const page = req.query.page ?? 1;
      const pageSize = req.query.pageSize ?? 100;
      const { total, rows } = await oz.outbox.list({ instanceId: req.instance.id, status: req.query.status, page, pageSize });
      return {
        total,
        page,
        pageSize,
        content: rows.map((r) => ({
          id: r.id,
          type: r.event_type,
          url: r.url,
          status: r.status,
          attempts: r.attempts,
          createdAt: r.created_at,
          nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
          deliveredAt: r.delivered_at,
          lastStatus: r.last_status,
          lastError: r.last_error,
          payload: JSON.parse(r.payload),
        })),
      };
    },
  );

  app.get(
    '/webhooks/deliveries/:deliveryId',
    { schema: { tags, params: Type.Object({ instanceId: Type.String(), token: Type.String(), deliveryId: DeliveryId() }) } },
    async (req) => {
      const r = await oz.outbox.get(req.instance.id, req.params.deliveryId);
      if (!r) throw notFound(`No webhook delivery ${req.params.deliveryId} for this instance`);
      const attempts = await oz.outbox.attempts(r);
      return {
        id: r.id,
        type: r.event_type,
        url: r.url,
        status: r.status,
        payload: JSON.parse(r.payload),
        attempts: attempts.map((a) => ({ attempt: a.attempt, at: a.at, statusCode: a.status_code, error: a.error, durationMs: a.duration_ms })),
      };
    },
  );

  app.post(
    '/webhooks/replay',
    {
      schema: {
        tags,
        description: 'Put failed deliveries back in line: all of them, or the given ids.',
        body: Type.Optional(Type.Object({ ids: Type.Optional(Type.Array(DeliveryId(), { maxItems: 10_000 })) })),
      },
    },
    async (req) => ({ value: true, replayed: await oz.outbox.replay(req.instance.id, req.body?.ids) }),
  );
};
