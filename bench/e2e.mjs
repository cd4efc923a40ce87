// Benchmark 2 — end-to-end throughput. 100 paired sandbox instances, send gap 0, every
// webhook pointed at a keep-alive receiver (own process) that records each
// DeliveryCallback's messageId. The load generator (own process) sends to simulated
// contacts, round robin over the instances.
//   Phase A: 1,000 messages/s for 10 s → latency accept (200 received) → DeliveryCallback received.
//   Phase B: as fast as 100 connections go for 30 s, holding back while more than 2,000
//            accepted messages are undelivered → DeliveryCallbacks/s sustained, no loss.
// Baseline (same run): a bare Fastify "relay" that answers /send-text and POSTs the
// DeliveryCallback at once with no storage: what this machine does for HTTP in → HTTP out.
// Targets: ≥ 5,000 messages/s sustained 30 s with no loss; p99 ≤ 100 ms at 1,000/s.
import path from 'node:path';
import { Helper, LIB, cpuMs, envInt, fmt, header, now, pct, saveResult, sleep, summarize, table, tempDir, timeLimit } from './lib/common.mjs';
import { api, createInstances, instanceBase, startServer } from './lib/openzap.mjs';
import { diagnostics } from './lib/profile.mjs';

const INSTANCES = envInt('BENCH_INSTANCES', 100);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 100);
const RATE = envInt('BENCH_RATE', 1000);
const LATENCY_S = envInt('BENCH_LATENCY_SECONDS', 10);
const SUSTAIN_S = envInt('BENCH_SUSTAIN_SECONDS', 30);
const BASELINE_S = envInt('BENCH_BASELINE_SECONDS', 10);
const BACKLOG = envInt('BENCH_BACKLOG', 2000);
const DRAIN_S = envInt('BENCH_DRAIN_SECONDS', 20);
const WEBHOOKS = process.env.BENCH_WEBHOOKS || 'every'; // or "delivery": only the DeliveryCallback URL

timeLimit(60 + BASELINE_S + LATENCY_S + SUSTAIN_S + 2 * DRAIN_S, 'bench:e2e');
await header(
  'Benchmark 2: end-to-end throughput (accepted → DeliveryCallback received)',
  `${INSTANCES} paired sandbox instances, send gap 0, webhooks: ${WEBHOOKS}; phase A ${RATE}/s for ${LATENCY_S} s, phase B ${CONNECTIONS} connections for ${SUSTAIN_S} s (backlog cap ${BACKLOG}).`,
);

const receiver = new Helper('receiver.mjs');
const loadgen = new Helper('loadgen.mjs');
const { url: hookUrl } = await receiver.call('start');
let deliveredNow = 0;
let progressLog = null; // [t, delivered] samples during phase B
receiver.on((m) => {
  if (m.type !== 'progress') return;
  deliveredNow = m.byType.DeliveryCallback ?? 0;
  loadgen.tell('delivered', { n: deliveredNow });
  if (progressLog) progressLog.push([now(), deliveredNow]);
});
await receiver.call('config', { recordTypes: ['DeliveryCallback'], progressMs: 50 });

const contact = (i) => `55119${String(10_000_000 + i).padStart(8, '0')}`;

async function waitDelivered(n, seconds) {
  const end = now() + seconds * 1000;
  while (deliveredNow < n && now() < end) await sleep(50);
  return deliveredNow >= n;
}

/** Match accepted ids with recorded DeliveryCallbacks. */
function reconcile(accepted, dump) {
  const arrival = new Map();
  let duplicates = 0;
  for (let i = 0; i < dump.rec.key.length; i++) {
    const k = dump.rec.key[i];
    if (arrival.has(k)) duplicates++;
    else arrival.set(k, dump.rec.t[i]);
  }
  const lat = [];
  let missing = 0;
  for (let i = 0; i < accepted.ids.length; i++) {
    const t = arrival.get(accepted.ids[i]);
    if (t === undefined) missing++;
    else lat.push(t - accepted.t[i]);
  }
  return { missing, duplicates, latency: summarize(lat) };
}

/**
 * CPU time the server takes per message from now on: call the result with the number of
 * messages (µs each: its main thread, and the whole process with its other threads). A
 * figure that moves less with the machine's noise than the saturated rate.
 */
function cpuSince(pid) {
  const main0 = cpuMs(pid, pid);
  const all0 = cpuMs(pid);
  // The load generator and the receiver share the machine: what they take is not the server's to use.
  const helpers = () => cpuMs(loadgen.child.pid) + cpuMs(receiver.child.pid);
  const helpers0 = helpers();
  return (n) => ({ main: ((cpuMs(pid, pid) - main0) * 1000) / n, all: ((cpuMs(pid) - all0) * 1000) / n, helpers: ((helpers() - helpers0) * 1000) / n });
}

/** Phase A (fixed rate: latency) then phase B (closed loop: sustained rate), against one server. */
async function phases(sustainS, pid) {
  // Phase A: fixed rate, latency.
  await receiver.call('reset');
  deliveredNow = 0;
  const aCpu = cpuSince(pid);
  const a = await loadgen.call('open', { rate: RATE, durationMs: LATENCY_S * 1000, maxInflight: 2000 });
  const aDrained = await waitDelivered(a.accepted.ids.length, DRAIN_S);
  const aCpuUs = aCpu(a.accepted.ids.length);
  const ad = await receiver.call('dump');
  const A = {
    offeredRate: RATE,
    accepted: a.accepted.ids.length,
    acceptRate: a.accepted.ids.length / (a.durationMs / 1000),
    skipped: a.skipped,
    statuses: a.statuses,
    errors: a.errors,
    http: a.http,
    drained: aDrained,
    cpuUs: aCpuUs,
    webhooksByType: ad.byType,
    ...reconcile(a.accepted, ad),
  };

  // Phase B: sustained throughput.
  await receiver.call('reset');
  deliveredNow = 0;
  progressLog = [];
  const bStart = now();
  const bCpu = cpuSince(pid);
  const s = await loadgen.call('closed', { connections: CONNECTIONS, durationMs: sustainS * 1000, backlogCap: BACKLOG });
  const bEnd = now();
  const samples = progressLog;
  progressLog = null;
  const at = (t) => samples.filter(([x]) => x <= t).at(-1)?.[1] ?? 0;
  const inWindow = at(bEnd);
  const bCpuUs = bCpu(inWindow);
  const perSecond = [];
  for (let k = 1; k <= sustainS; k++) perSecond.push(at(bStart + k * 1000) - at(bStart + (k - 1) * 1000));
  const drainStart = now();
  const bDrained = await waitDelivered(s.accepted.ids.length, DRAIN_S);
  const sd = await receiver.call('dump');
  const B = {
    seconds: sustainS,
    accepted: s.accepted.ids.length,
    acceptRate: s.accepted.ids.length / (s.durationMs / 1000),
    deliveredInWindow: inWindow,
    deliveredRate: inWindow / ((bEnd - bStart) / 1000),
    perSecond,
    minSecond: Math.min(...perSecond.slice(2)),
    statuses: s.statuses,
    errors: s.errors,
    http: s.http,
    drained: bDrained,
    cpuUs: bCpuUs,
    drainMs: now() - drainStart,
    webhooksByType: sd.byType,
    ...reconcile(s.accepted, sd),
  };
  return { A, B };
}

const results = { config: { INSTANCES, CONNECTIONS, RATE, LATENCY_S, SUSTAIN_S, BASELINE_S, BACKLOG, WEBHOOKS } };
let server;
try {
  // ---- baseline: bare relay, same load generator, same receiver, same phases ----
  const relay = await startServer({
    dataDir: tempDir('e2e-relay'),
    label: 'e2e-relay',
    script: path.join(LIB, 'bare-fastify.mjs'),
    env: { BENCH_BARE_MODE: 'relay', BENCH_RELAY_URL: `${hookUrl}/relay` },
    cpuProf: false,
  });
  const fake = Array.from({ length: INSTANCES }, (_, i) => ({ id: String(i).padStart(32, '0'), token: '0'.repeat(32), contact: contact(i) }));
  await loadgen.call('init', { origin: relay.url, instances: fake, connections: CONNECTIONS });
  results.baseline = await phases(BASELINE_S, relay.pid);
  await loadgen.call('close');
  await relay.stop();

  // ---- OpenZap ----
  const dataDir = tempDir('e2e');
  server = await startServer({ dataDir, label: 'e2e', env: { OPENZAP_SEND_GAP_MS: '0' } });
  const t0 = now();
  const instances = await createInstances(server, INSTANCES, { webhookUrl: WEBHOOKS === 'every' ? hookUrl : null, pair: true });
  if (WEBHOOKS !== 'every') {
    for (const inst of instances) await api('PUT', `${instanceBase(server, inst)}/update-webhook-delivery`, { value: hookUrl });
  }
  results.setupMs = now() - t0;
  await sleep(1000); // let the ConnectedCallbacks go out
  await loadgen.call('init', { origin: server.url, instances: instances.map((inst, i) => ({ ...inst, contact: contact(i) })), connections: CONNECTIONS });
  const oz = await phases(SUSTAIN_S, server.pid);
  results.latencyPhase = oz.A;
  results.sustainedPhase = oz.B;
} finally {
  await loadgen.close();
  if (server) await server.stop();
  await receiver.close();
}

const { A: bA, B: bB } = results.baseline;
const A = results.latencyPhase;
const B = results.sustainedPhase;
results.targets = {
  sustained: B.deliveredRate >= 5000 && B.missing === 0,
  noLoss: A.missing === 0 && B.missing === 0,
  p99: A.latency.p99 <= 100 && A.missing === 0,
};
const lost = (X) => `${X.missing} of ${fmt(X.accepted)}${X.drained ? '' : ` (not drained ${DRAIN_S} s after)`}`;
console.log('');
table([
  [`phase B: DeliveryCallbacks/s over ${B.seconds} s`, fmt(B.deliveredRate), fmt(bB.deliveredRate), pct(B.deliveredRate / bB.deliveredRate), '≥ 5,000/s', B.deliveredRate >= 5000],
  ['phase B: slowest second (after 2 s)', fmt(B.minSecond), fmt(bB.minSecond), '', '', null],
  ['phase B: accepted/s', fmt(B.acceptRate), fmt(bB.acceptRate), pct(B.acceptRate / bB.acceptRate), '', null],
  ['phase B: lost (accepted, no callback)', lost(B), lost(bB), '', '0', B.missing === 0],
  ['phase B: duplicate DeliveryCallbacks', String(B.duplicates), String(bB.duplicates), '', '', null],
  [`phase A: accepted/s (offered ${RATE}/s)`, fmt(A.acceptRate), fmt(bA.acceptRate), '', '', null],
  ['phase A: accept → DeliveryCallback p50', `${fmt(A.latency.p50, 1)} ms`, `${fmt(bA.latency.p50, 1)} ms`, '', '', null],
  ['phase A: accept → DeliveryCallback p99', `${fmt(A.latency.p99, 1)} ms`, `${fmt(bA.latency.p99, 1)} ms`, `${(A.latency.p99 / bA.latency.p99).toFixed(1)} ×`, '≤ 100 ms', results.targets.p99],
  ['phase A: /send-text p99 (HTTP)', `${fmt(A.http.p99, 1)} ms`, `${fmt(bA.http.p99, 1)} ms`, '', '', null],
  ['phase A: lost', lost(A), lost(bA), '', '0', A.missing === 0],
  ['phase A: server CPU µs/message, main thread', fmt(A.cpuUs.main), fmt(bA.cpuUs.main), `${(A.cpuUs.main / bA.cpuUs.main).toFixed(1)} ×`, '', null],
  ['phase A: same, whole process', fmt(A.cpuUs.all), fmt(bA.cpuUs.all), `${(A.cpuUs.all / bA.cpuUs.all).toFixed(1)} ×`, '', null],
  ['phase B: server CPU µs/message, main thread', fmt(B.cpuUs.main), fmt(bB.cpuUs.main), `${(B.cpuUs.main / bB.cpuUs.main).toFixed(1)} ×`, '', null],
  ['phase B: same, whole process', fmt(B.cpuUs.all), fmt(bB.cpuUs.all), `${(B.cpuUs.all / bB.cpuUs.all).toFixed(1)} ×`, '', null],
  ['phase B: load generator + receiver CPU µs/message', fmt(B.cpuUs.helpers), fmt(bB.cpuUs.helpers), '', '', null],
]);
console.log(`\nbaseline = bare Fastify relay (answers, then POSTs the DeliveryCallback with no storage), same phases; its phase B ran ${bB.seconds} s.`);
console.log(`\nwebhooks received in phase B by type: ${JSON.stringify(B.webhooksByType)}`);
console.log(`phase B DeliveryCallbacks per second: ${B.perSecond.join(' ')}`);
saveResult('e2e', { results, diagnostics: diagnostics(server) });
process.exit(0);
