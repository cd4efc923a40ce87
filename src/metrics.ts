// Prometheus metrics (GET /metrics). Counters are incremented where the work happens.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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

/** What the validators gauge reads: the app's lazy validators (http/lazy-validators.ts). */
let validators: { readonly pending: number } | null = null;
export function trackValidators(source: { readonly pending: number }): void {
  validators = source;
}
new Gauge({
  name: 'openzap_validators_pending',
  help: 'Route validators not compiled yet (compiled on first use or in idle turns after start-up; 0 once start-up work is done)',
  registers: [registry],
  collect() {
    this.set(validators?.pending ?? 0);
  },
});
