// The baseline server: Fastify with OpenZap's options, started the same way (its own
// process, 127.0.0.1, random port), on the same route path as /send-text.
//   BENCH_BARE_MODE=constant  answers a constant {zaapId, messageId, id} (bench 1);
//   BENCH_BARE_MODE=relay     answers fresh ids and POSTs a DeliveryCallback for each to
//                             BENCH_RELAY_URL right away, no storage (bench 2's ceiling).
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Agent, request } from 'undici';

const mode = process.env.BENCH_BARE_MODE ?? 'constant';
const relayUrl = process.env.BENCH_RELAY_URL ?? '';
const level = process.env.OPENZAP_LOG_LEVEL ?? 'warn';

const app = Fastify({
  logger: level === 'silent' ? false : { level },
  bodyLimit: 20 * 1024 * 1024,
  requestIdHeader: 'x-request-id',
  forceCloseConnections: true,
});

const constant = { zaapId: '0123456789ABCDEF0123456789ABCDEF', messageId: '3EB00123456789ABCDEF0123', id: '3EB00123456789ABCDEF0123' };
const agent = new Agent({ connections: 32, keepAliveTimeout: 30_000 });
const hex = (n) => randomBytes(n).toString('hex').toUpperCase();

app.post('/instances/:instanceId/token/:token/send-text', async (req) => {
  if (mode !== 'relay') return constant;
  const ids = { zaapId: hex(16), messageId: '3EB0' + hex(10) };
  const payload = JSON.stringify({ phone: req.body.phone, zaapId: ids.zaapId, messageId: ids.messageId, type: 'DeliveryCallback', instanceId: req.params.instanceId });
  request(relayUrl, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'x-openzap-event-type': 'DeliveryCallback', 'x-openzap-event-id': '0' },
    body: payload,
  })
    .then((res) => res.body.dump())
    .catch(() => undefined);
  return { ...ids, id: ids.messageId };
});

await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`bare Fastify (${mode}) listening on http://127.0.0.1:${app.server.address().port}`);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => app.close().then(() => process.exit(0)));
