// POST /<path> for a registry entry: validate (schema), build the content (media fetched,
// references resolved), ask the engine whether it can send it (501 otherwise), then queue
// it and answer {zaapId, messageId, id} at once. Nothing is queued on any error.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../context.js';
import type { InstanceRow } from '../../../store/schema.js';
import type { WhatsAppEngine } from '../../../engines/engine.js';
import { ApiError, Unsupported } from '../../../domain/errors.js';
import { withErrors } from '../../schemas.js';
import { buildContext } from './context.js';
import type { SendKind } from './kinds.js';

export const Accepted = Type.Object({
  zaapId: Type.String({ description: 'OpenZap queue id' }),
  messageId: Type.String({ description: 'WhatsApp message id' }),
  id: Type.String({ description: 'Same as messageId (Zapier compatibility)' }),
});

export const PrefixParams = { instanceId: Type.String(), token: Type.String() };

/** The instance's engine, started on demand (an instance whose engine stopped gets it back). */
export async function engineFor(oz: AppContext, inst: InstanceRow): Promise<WhatsAppEngine> {
  const engine = oz.engines.engine(inst.id) ?? (await oz.engines.start(inst));
  if (!engine) throw new ApiError(409, 'engine-stopped', 'The instance engine is not running.');
  return engine;
}

export function sendRoute(app: FastifyInstance, kind: SendKind, tags: string[]): void {
  const oz = app.oz;
  app.post(
    kind.path,
    {
      schema: {
        tags,
        summary: kind.summary,
        description: `${kind.summary} (zapi-reference.txt line ${kind.doc}). Queued; answers at once.`,
        body: kind.body,
        ...(kind.params ? { params: Type.Object({ ...PrefixParams, ...kind.params }) } : {}),
        response: withErrors({ 200: Accepted, 501: Type.Object({ error: Type.String(), message: Type.String() }) }),
      },
    },
    async (req) => {
      const inst = req.instance;
      const engine = oz.engines.engine(inst.id) ?? (await engineFor(oz, inst)); // running: no await
      const ctx = buildContext(oz, { direction: 'send', instance: inst, ownPhone: engine.state().phone, params: req.params as Record<string, string> });
      const body = req.body as Record<string, unknown>;
      const out = await kind.build(body, ctx);
      const why = engine.messages.unsupportedReason(out.content, out.jid);
      if (why) throw new Unsupported(why);
      return oz.queue.enqueue({ ...out, instanceId: inst.id, phone: out.phone ?? String(body.phone) }, engine.state().status === 'connected');
    },
  );
}
