// The Fastify application: logging without secrets, JSON parsing that tolerates the empty
// bodies Z-API clients send, TypeBox validation, OpenAPI at /docs, one plugin per area.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AppContext } from './context.js';
import { registerErrorHandling } from './errors.js';
import { instanceAuth } from './auth.js';
import { healthRoutes } from './routes/health.js';
import { partnerRoutes } from './routes/partner.js';
import { instanceRoutes } from './routes/instance.js';
import { webhookRoutes } from './routes/webhooks.js';
import { messageRoutes } from './routes/messages/index.js';
import { statusRoutes } from './routes/status.js';
import { queueRoutes } from './routes/queue.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { mediaRoutes } from './routes/media.js';
import { redactUrl } from './redact.js';
import { findNul } from './text-guard.js';
import { LazyValidators } from './lazy-validators.js';
import { badRequest } from '../domain/errors.js';
import { trackValidators } from '../metrics.js';

export { redactUrl };

/** Requests whose JSON text has a \u0000 escape (only their bodies are searched for NUL). */
const bodyMayHoldNul = new WeakSet<object>();

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const validators = new LazyValidators();
  trackValidators(validators);
  const app = Fastify({
    logger:
      ctx.config.logLevel === 'silent'
        ? false
        : {
            level: ctx.config.logLevel,
            serializers: {
              req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
            },
          },
    bodyLimit: ctx.config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
    forceCloseConnections: true,
    schemaController: { compilersFactory: { buildValidator: validators.buildValidator } },
    // A hop count becomes "trust the n nearest proxies".
    trustProxy: typeof ctx.config.trustProxy === 'number' ? ((n: number) => (_addr: string, hop: number) => hop < n)(ctx.config.trustProxy) : ctx.config.trustProxy,
    // Router-level errors (bad percent-encoding, an over-long segment) bypass the error
    // handler, and Fastify's own answer echoes the whole path, instance token included.
    frameworkErrors: (err, _req, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const body = tooLong ? { error: 'uri-too-long', message: 'A path segment is too long.' } : { error: 'bad-url', message: 'The URL is not validly percent-encoded.' };
      void (reply as FastifyReply).status(tooLong ? 414 : 400).send(body);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('oz', ctx);
  // Once listening, the validators not used yet are compiled in idle turns.
  app.addHook('onListen', (done) => {
    void validators.warm((err) => app.log.error({ err }, 'a route schema failed to compile'));
    done();
  });
  app.decorateRequest('instance', null as never);
  app.decorateRequest('account', null as never);

  // JSON only: Fastify's built-in text/plain parser would hand a string to routes that
  // expect an object (a misleading 400); Z-API documents 415 for a wrong Content-Type.
  app.removeAllContentTypeParsers();
  // Fastify's own parser refuses __proto__/constructor.prototype keys (prototype poisoning).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Z-API clients send "Content-Type: application/json" with no body on POSTs like /subscription.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    // JSON text cannot hold a raw NUL (control characters must be escaped): a body without
    // the escape "\u0000" cannot contain one, and the NUL walk below skips it.
    if (text.includes('\\u0000')) bodyMayHoldNul.add(req);
    parseJson(req, text, done);
  });

  registerErrorHandling(app);
  // A POST/PUT without a body validates as {}: optional bodies work and missing fields are named.
  // A callback hook, not an async one: it runs on every request.
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH')) req.body = {};
    const parts = [['querystring', req.query], ['params', req.params]] as [string, unknown][];
    if (bodyMayHoldNul.has(req)) parts.unshift(['body', req.body]);
    for (const [part, value] of parts) {
      const at = findNul(value);
      if (at !== null) return done(badRequest(`${part}${at === '/' ? '' : at} contains a NUL character (\\u0000)`, 'invalid-text'));
    }
    done();
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'OpenZap',
        version: '0.1.0',
        description: 'Self-hosted WhatsApp HTTP API gateway speaking the Z-API contract.',
      },
      components: {
        securitySchemes: {
          clientToken: { type: 'apiKey', in: 'header', name: 'Client-Token' },
          partner: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes);
  await app.register(partnerRoutes);
  await app.register(mediaRoutes);
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', instanceAuth);
      await scope.register(instanceRoutes);
      await scope.register(webhookRoutes);
      await scope.register(messageRoutes);
      await scope.register(statusRoutes);
      await scope.register(queueRoutes);
      await scope.register(sandboxRoutes);
    },
    { prefix: '/instances/:instanceId/token/:token' },
  );
  return app;
}
