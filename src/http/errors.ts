// Error mapping: every failure leaves as JSON {error, message} with a fitting status.
// Client mistakes are 4xx; only real server faults are 500, and they are logged.
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { UrlRefused } from '../net/guard.js';
import { redactUrl } from './redact.js';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

const FASTIFY_CLIENT_ERRORS: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload-too-large'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'empty-body'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid-content-length'],
};

// Fastify's parser does not say which: a syntax error or a prototype-poisoning key.
const INVALID_JSON = 'The request body is not valid JSON (or carries a forbidden "__proto__" / "constructor.prototype" key).';

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).send({ error: err.error, message: err.message, ...err.extra });
    }
    if (err instanceof UrlRefused) {
      return reply.status(400).send({ error: 'invalid-url', message: err.message });
    }
    if (err.validation) {
      const where = err.validationContext ?? 'body';
      return reply.status(400).send({ error: 'validation', message: `${where}${err.message.replace(/^(body|querystring|params|headers)/, '')}` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const type = String(req.headers['content-type'] ?? 'none').slice(0, 100);
      return reply.status(415).send({ error: 'unsupported-media-type', message: `Content-Type ${type} is not accepted: send the body as JSON with "Content-Type: application/json".` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return reply.status(400).send({ error: 'invalid-json', message: INVALID_JSON });
    const mapped = err.code ? FASTIFY_CLIENT_ERRORS[err.code] : undefined;
    if (mapped) return reply.status(mapped[0]).send({ error: mapped[1], message: err.message });
    if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
      return reply.status(400).send({ error: 'invalid-json', message: INVALID_JSON });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: err.code ?? 'bad-request', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: 'internal', message: 'Internal server error' });
  });

  app.setNotFoundHandler((req, reply) => {
    const path = redactUrl(req.url.split('?')[0]);
    // The route exists with another method: 405 as the Z-API docs describe, with Allow.
    const allowed = METHODS.filter((m) => m !== req.method && app.findRoute({ method: m, url: req.url.split('?')[0] }));
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return reply.status(405).send({ error: 'method-not-allowed', message: `${req.method} is not allowed on ${path}; use ${allowed.join(' or ')}` });
    }
    return reply.status(404).send({ error: 'not-found', message: `Route ${req.method} ${path} not found` });
  });
}
