// Sandbox controls (DESIGN.md §4): pair as if the QR had been scanned, make a simulated
// contact write to the instance or show presence. Refused for non-sandbox instances.
// POST /sandbox/inbound/<send path> takes the body of the send endpoint of the same name
// (built by the same registry entry), `phone` being the contact who sends it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError, badRequest, conflict } from '../../domain/errors.js';
import { newMessageId } from '../../domain/ids.js';
import { toPhoneDigits } from '../../domain/phone.js';
import type { SandboxEngine } from '../../engines/sandbox/engine.js';
import { messageKinds } from './messages/index.js';
import { PrefixParams } from './messages/accept.js';
import { buildContext } from './messages/context.js';
import type { SendKind } from './messages/kinds.js';
import { STATUS_JID, statusKinds } from './status.js';
import { sandboxReceivedRoutes } from './sandbox-received.js';
import { sandboxNotificationRoutes } from './sandbox-notifications.js';

const Phone = Type.String({ minLength: 7, maxLength: 20, pattern: '^\\+?[0-9]+$' });

export const sandboxRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const oz = app.oz;
  const tags = ['sandbox'];

  async function sandboxOf(req: FastifyRequest): Promise<SandboxEngine> {
    if (req.instance.engine !== 'sandbox') {
      throw new ApiError(400, 'not-sandbox', 'This instance runs on a real WhatsApp engine; sandbox controls apply only to sandbox instances.');
    }
    await oz.engines.start(req.instance);
    const engine = oz.engines.sandbox(req.instance.id);
    if (!engine) throw new ApiError(409, 'engine-stopped', 'The instance engine is not running.');
    return engine;
  }

  /** A simulated contact: any number that is not this instance nor another sandbox instance. */
  async function contactPhone(engine: SandboxEngine, raw: string, field = 'from'): Promise<string> {
    const from = toPhoneDigits(raw, field);
    if (from === engine.phone) throw badRequest(`${field} is this instance's own number`, 'invalid-phone');
    if (await oz.network.isSandboxPhone(from)) {
      throw conflict(`${from} is a sandbox instance: send from it with its own /send-text instead`, 'sandbox-instance-phone');
    }
    return from;
  }

  app.post(
    '/sandbox/pair',
    { schema: { tags, description: 'Pair the sandbox instance as if its QR code had been scanned.', body: Type.Optional(Type.Object({ phone: Type.Optional(Phone) })) } },
    async (req) => {
      const engine = await sandboxOf(req);
      const phone = await engine.pair(req.body?.phone ? toPhoneDigits(req.body.phone) : null);
      return { connected: true, phone };
    },
  );

  app.post(
    '/sandbox/inbound',
    {
      schema: {
        tags,
        description: 'A simulated contact sends a text message to this instance.',
        body: Type.Object({ from: Phone, message: Type.String({ minLength: 1, maxLength: 65_536 }), senderName: Type.Optional(Type.String({ maxLength: 100 })) }),
      },
    },
    async (req) => {
      const engine = await sandboxOf(req);
      if (engine.state().status !== 'connected') throw new ApiError(409, 'not-connected', 'Pair the sandbox instance first.');
      const from = await contactPhone(engine, req.body.from);
      const id = newMessageId();
      oz.network.presence(from, engine.phone, 'available');
      await oz.network.inbound({ id, from, to: engine.phone, content: { type: 'text', text: req.body.message }, timestamp: Date.now(), senderName: req.body.senderName });
      return { messageId: id, id };
    },
  );

  /** POST /sandbox/inbound/<path>: the contact `phone` sends what POST /<path> would send. */
  function inboundRoute(kind: SendKind): void {
    const props = kind.body.properties;
    const body = Type.Object({
      ...props,
      // Status posts have no recipient; here `phone` names the contact who posts.
      phone: props.phone ?? Type.String({ minLength: 1, maxLength: 100, description: 'The simulated contact who posts the status' }),
      senderName: Type.Optional(Type.String({ maxLength: 100, description: 'Push name of the contact' })),
    });
    app.post(
      `/sandbox/inbound${kind.path}`,
      {
        schema: {
          tags,
          summary: `A simulated contact sends: ${kind.summary}`,
          description: `Same body as POST ${kind.path}; \`phone\` is the simulated contact who sends it to this instance.`,
          body,
          ...(kind.params ? { params: Type.Object({ ...PrefixParams, ...kind.params }) } : {}),
          response: { 200: Type.Object({ messageId: Type.String(), id: Type.String() }) },
        },
      },
      async (req) => {
        const engine = await sandboxOf(req);
        if (engine.state().status !== 'connected') throw new ApiError(409, 'not-connected', 'Pair the sandbox instance first.');
        const b = req.body as Record<string, unknown> & { phone: string; senderName?: string };
        const from = await contactPhone(engine, b.phone, 'phone');
        const contactJid = `${from}@s.whatsapp.net`;
        const ctx = buildContext(oz, { direction: 'inbound', instance: req.instance, ownPhone: engine.phone, params: req.params as Record<string, string>, contactJid });
        const out = await kind.build(b, ctx);
        const broadcast = out.jid === STATUS_JID;
        const id = newMessageId();
        oz.network.presence(from, engine.phone, 'available');
        await oz.network.inbound({
          id,
          from,
          to: engine.phone,
          content: out.content,
          timestamp: Date.now(),
          senderName: b.senderName,
          ...(out.quotedId ? { quotedId: out.quotedId } : {}),
          ...(out.editId ? { editId: out.editId } : {}),
          ...(out.forwarded ? { forwarded: true } : {}),
          ...(out.quotedIsStatus ? { isStatusReply: true } : {}),
          ...(broadcast ? { broadcast: true } : {}),
        });
        return { messageId: id, id };
      },
    );
  }

  for (const kind of [...messageKinds, ...statusKinds]) if (!kind.noInbound) inboundRoute(kind);
  await app.register(sandboxReceivedRoutes, { sandboxOf, contactPhone });
  await app.register(sandboxNotificationRoutes, { sandboxOf, contactPhone });

  app.post(
    '/sandbox/presence',
    {
      schema: {
        tags,
        description: 'A simulated contact shows a presence in its chat with this instance.',
        body: Type.Object({
          from: Phone,
          status: Type.Union(['available', 'unavailable', 'composing', 'recording', 'paused'].map((s) => Type.Literal(s)) as never),
        }),
      },
    },
    async (req) => {
      const engine = await sandboxOf(req);
      if (engine.state().status !== 'connected') throw new ApiError(409, 'not-connected', 'Pair the sandbox instance first.');
      const from = await contactPhone(engine, req.body.from);
      oz.network.presence(from, engine.phone, req.body.status as never);
      return { value: true };
    },
  );
};
