// Partner (integrator) API: create, subscribe, cancel and list instances with
// "Authorization: Bearer <partner token>" (zapi-reference.txt "Integrating Partner"),
// plus OpenZap's account security settings (Client-Token, IP allow-list).
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError } from '../../domain/errors.js';
import { INSTANCE_ID_RE, safeEqual } from '../../domain/ids.js';
import { assertEngineAvailable } from '../../engines/manager.js';
import type { AccountRow, InstanceRow, InstanceUpdate } from '../../store/schema.js';
import { partnerAuth } from '../auth.js';
import { Paging } from '../schemas.js';
import { webhookTarget } from './webhooks.js';
import type { FastifyRequest } from 'fastify';

const Url = Type.Optional(Type.String({ maxLength: 2048 }));

const CreateInstance = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  sessionName: Type.Optional(Type.String({ maxLength: 100 })),
  deliveryCallbackUrl: Url,
  receivedCallbackUrl: Url,
  receivedAndDeliveryCallbackUrl: Url,
  disconnectedCallbackUrl: Url,
  connectedCallbackUrl: Url,
  messageStatusCallbackUrl: Url,
  presenceChatCallbackUrl: Url,
  callRejectAuto: Type.Optional(Type.Boolean()),
  callRejectMessage: Type.Optional(Type.String({ maxLength: 1000 })),
  autoReadMessage: Type.Optional(Type.Boolean()),
  isDevice: Type.Optional(Type.Boolean({ description: 'true = mobile instance (primary device), false = web' })),
  businessDevice: Type.Optional(Type.Boolean()),
  engine: Type.Optional(Type.Union([Type.Literal('baileys'), Type.Literal('sandbox')], { description: 'OpenZap: which engine runs the instance' })),
  webhookSecret: Type.Optional(Type.String({ maxLength: 256, description: 'OpenZap: HMAC-SHA256 secret for x-openzap-signature' })),
});

const InstanceParams = Type.Object({ instanceId: Type.String({ maxLength: 64 }), token: Type.String({ maxLength: 128 }) });

function listItem(inst: InstanceRow, connected: boolean) {
  return {
    id: inst.id,
    token: inst.token,
    tenant: inst.account_id,
    name: inst.name,
    created: new Date(inst.created_at).toISOString(),
    due: inst.due_at,
    paymentStatus: inst.payment_status,
    deliveryCallbackUrl: inst.delivery_url ?? '',
    receivedCallbackUrl: inst.received_url ?? '',
    disconnectedCallbackUrl: inst.disconnected_url ?? '',
    messageStatusCallbackUrl: inst.message_status_url ?? '',
    receivedAndDeliveryCallbackUrl: inst.notify_sent_by_me === 1 ? (inst.received_url ?? '') : '',
    presenceChatCallbackUrl: inst.presence_url ?? '',
    connectedCallbackUrl: inst.connected_url ?? '',
    receivedStatusCallbackUrl: '',
    phoneConnected: connected,
    whatsappConnected: connected,
    middleware: inst.middleware,
    engine: inst.engine,
    sandbox: inst.engine === 'sandbox',
  };
}

export const partnerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const oz = app.oz;
  const tags = ['partner'];
  const connected = (id: string) => oz.engines.engine(id)?.state().status === 'connected';

  /** The instance named in the URL, owned by the partner's account, with the right token. */
  async function ownedInstance(req: FastifyRequest): Promise<InstanceRow> {
    const { instanceId, token } = req.params as { instanceId: string; token: string };
    const inst = INSTANCE_ID_RE.test(instanceId) ? await oz.instances.get(instanceId) : undefined;
    if (!inst || inst.account_id !== req.account.id || !safeEqual(inst.token, token)) {
      throw new ApiError(404, 'instance-not-found', 'No instance of this partner matches this id and token.');
    }
    return inst;
  }

  /**
   * The instance is already created or subscribed when its engine starts: an engine that
   * cannot start now is logged (and shows in /status), not turned into a failed answer
   * that would make the client retry and create or pay twice.
   */
  async function startEngine(req: FastifyRequest, inst: InstanceRow): Promise<void> {
    await oz.engines.start(inst).catch((err) => req.log.error({ err, instanceId: inst.id }, 'instance engine could not start'));
  }

  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.addHook('onRequest', partnerAuth);

    scope.post('/instances/integrator/on-demand', { schema: { tags, body: CreateInstance } }, async (req) => {
      const b = req.body;
      const engine = b.engine ?? oz.config.defaultEngine;
      assertEngineAvailable(engine);
      // `||`, not `??`: clients that send every field often send "" for the unused one.
      const received = webhookTarget(oz, b.receivedAndDeliveryCallbackUrl || b.receivedCallbackUrl, 'receivedCallbackUrl');
      const settings: InstanceUpdate = {
        delivery_url: webhookTarget(oz, b.deliveryCallbackUrl, 'deliveryCallbackUrl'),
        received_url: received,
        notify_sent_by_me: b.receivedAndDeliveryCallbackUrl?.trim() ? 1 : 0,
        disconnected_url: webhookTarget(oz, b.disconnectedCallbackUrl, 'disconnectedCallbackUrl'),
        connected_url: webhookTarget(oz, b.connectedCallbackUrl, 'connectedCallbackUrl'),
        message_status_url: webhookTarget(oz, b.messageStatusCallbackUrl, 'messageStatusCallbackUrl'),
        presence_url: webhookTarget(oz, b.presenceChatCallbackUrl, 'presenceChatCallbackUrl'),
        call_reject_auto: b.callRejectAuto ? 1 : 0,
        call_reject_message: b.callRejectMessage || null,
        auto_read_message: b.autoReadMessage ? 1 : 0,
        webhook_secret: b.webhookSecret || null,
      };
      const inst = await oz.instances.create({
        accountId: req.account.id,
        name: b.name,
        engine,
        middleware: b.isDevice ? 'mobile' : 'web',
        sessionName: b.sessionName,
        businessDevice: b.businessDevice,
        settings,
      });
      await startEngine(req, inst);
      return { id: inst.id, token: inst.token, due: inst.due_at, engine: inst.engine, sandbox: inst.engine === 'sandbox' };
    });

    scope.post(
      '/instances/:instanceId/token/:token/integrator/on-demand/subscription',
      { schema: { tags, params: InstanceParams } },
      async (req, reply) => {
        const inst = await oz.instances.subscribe((await ownedInstance(req)).id);
        await startEngine(req, inst);
        return reply.status(201).send({ value: true, id: inst.id, paymentStatus: inst.payment_status, due: inst.due_at });
      },
    );

    scope.post(
      '/instances/:instanceId/token/:token/integrator/on-demand/cancel',
      { schema: { tags, params: InstanceParams } },
      async (req, reply) => {
        const inst = await oz.instances.cancel((await ownedInstance(req)).id);
        return reply.status(201).send({ value: true, id: inst.id, paymentStatus: inst.payment_status, due: inst.due_at });
      },
    );

    scope.get(
      '/instances',
      {
        schema: {
          tags,
          querystring: Type.Object({
            ...Paging,
            query: Type.Optional(Type.String({ maxLength: 200 })),
            middleware: Type.Optional(Type.Union([Type.Literal('web'), Type.Literal('mobile')])),
          }),
        },
      },
      async (req, reply) => {
        const page = req.query.page ?? 1;
        const pageSize = req.query.pageSize ?? 100;
        const { total, rows } = await oz.instances.list({ accountId: req.account.id, page, pageSize, query: req.query.query, middleware: req.query.middleware });
        // The docs answer this GET with 201; real clients accept any 2xx, we keep the documented code.
        return reply.status(201).send({
          total,
          totalPage: Math.ceil(total / pageSize),
          pageSize,
          page,
          content: rows.map((r) => listItem(r, connected(r.id))),
        });
      },
    );

    // ---- OpenZap: the account's security settings (Z-API keeps these in its panel) ----
    const securityView = (a: AccountRow) => ({
      id: a.id,
      clientTokenEnabled: a.client_token_enabled === 1,
      clientToken: a.client_token,
      ipAllowlist: JSON.parse(a.ip_allowlist) as string[],
    });
    scope.get('/account/security', { schema: { tags } }, async (req) => securityView(req.account));

    scope.put(
      '/account/security',
      {
        schema: {
          tags,
          body: Type.Object({
            clientToken: Type.Optional(Type.Union([Type.String({ minLength: 16, maxLength: 256 }), Type.Null()])),
            clientTokenEnabled: Type.Optional(Type.Boolean()),
            ipAllowlist: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
          }),
        },
      },
      async (req) => securityView(await oz.accounts.updateSecurity(req.account.id, req.body)),
    );
  });
};
