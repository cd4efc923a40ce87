// Prometheus metrics (GET /metrics). Counters are incremented where the work happens.
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const messagesAccepted = new Counter({ name: 'openzap_messages_accepted_total', help: 'Messages accepted into the send queue', registers: [registry] });
export const messagesSent = new Counter({ name: 'openzap_messages_sent_total', help: 'Messages confirmed sent by an engine', registers: [registry] });
export const webhookAttempts = new Counter({
  name: 'openzap_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
