// Benchmark 4 — instance density. 1,000 sandbox instances are created and paired in one
// OpenZap process; it is stopped and started again with the 1,000 in the database:
//   start-up: spawn → "listening" (engines are started before the server listens);
//   reconnect: every instance answers GET /status connected=true after the restart;
//   memory: resident set (and V8 heap) after the restart and 3 s idle, compared with the
//           same server holding 1 instance, given the same warm-up (baseline, same run).
// Targets: added RSS per idle instance ≤ 1 MB; start-up with 1,000 instances ≤ 2 s; all reconnect.
import { envInt, fmt, header, mapLimit, saveResult, sleep, table, tempDir, timeLimit } from './lib/common.mjs';
import { api, createInstances, instanceBase, startServer } from './lib/openzap.mjs';
import { diagnostics } from './lib/profile.mjs';

const COUNT = envInt('BENCH_INSTANCES', 1000);
const IDLE_MS = envInt('BENCH_IDLE_MS', 3000);
const MB = 1024 * 1024;

timeLimit(150, 'bench:density');
await header('Benchmark 4: instance density', `${fmt(COUNT)} paired sandbox instances in one process vs the same server with 1 instance.`);

async function heapUsed(server) {
  const r = await api('GET', `${server.url}/metrics`);
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(r.body);
  return m ? Number(m[1]) : NaN;
}

/** Same warm-up for both: /status of every instance (the baseline asks its one instance as often). */
async function statusAll(server, instances, times) {
  const list = Array.from({ length: times }, (_, i) => instances[i % instances.length]);
  const res = await mapLimit(list, 32, async (inst) => (await api('GET', `${instanceBase(server, inst)}/status`)).body);
  return res.filter((b) => b && b.connected === true).length;
}

async function measured(dataDir, instances, label) {
  const server = await startServer({ dataDir, label });
  const readyMs = server.readyMs;
  const connected = await statusAll(server, instances, COUNT);
  await sleep(IDLE_MS);
  const rss = server.rss();
  const heap = await heapUsed(server);
  await server.stop();
  return { readyMs, connected, rss, heap, server: { profDir: server.profDir, sqlTiming: server.sqlTiming } };
}

const results = { count: COUNT };

// Baseline: one paired instance.
{
  const dataDir = tempDir('density-1');
  const s = await startServer({ dataDir, label: 'density-1-setup', cpuProf: false });
  const one = await createInstances(s, 1, { pair: true });
  await s.stop();
  results.baseline = await measured(dataDir, one, 'density-1');
}

// 1,000 instances.
{
  const dataDir = tempDir('density-n');
  const s = await startServer({ dataDir, label: 'density-n-setup', cpuProf: false });
  const rssEmpty = s.rss();
  const t0 = performance.now();
  const many = await createInstances(s, COUNT, { pair: true, concurrency: 16 });
  results.createSeconds = (performance.now() - t0) / 1000;
  await sleep(IDLE_MS);
  results.firstLife = { rssEmpty, rssAfterCreate: s.rss(), heapAfterCreate: await heapUsed(s) };
  await s.stop();
  results.many = await measured(dataDir, many, 'density-n');
}

const b = results.baseline;
const m = results.many;
const perInstRss = (m.rss - b.rss) / (COUNT - 1);
const perInstHeap = (m.heap - b.heap) / (COUNT - 1);
results.perInstance = { rss: perInstRss, heap: perInstHeap };
results.targets = { memory: perInstRss <= MB, startup: m.readyMs <= 2000, reconnect: m.connected === COUNT };
console.log('');
table([
  ['start-up to ready (spawn → listening)', `${fmt(m.readyMs)} ms`, `${fmt(b.readyMs)} ms`, `${(m.readyMs / b.readyMs).toFixed(1)} ×`, '≤ 2,000 ms', results.targets.startup],
  ['connected after restart', `${fmt(m.connected)} of ${fmt(COUNT)}`, `${b.connected} of ${COUNT} (1 asked ${COUNT}×)`, '', 'all', results.targets.reconnect],
  ['resident memory after restart + idle', `${fmt(m.rss / MB, 1)} MB`, `${fmt(b.rss / MB, 1)} MB`, '', '', null],
  ['added RSS per idle instance', `${fmt(perInstRss / 1024, 1)} KB`, '', '', '≤ 1,024 KB', results.targets.memory],
  ['added V8 heap per idle instance', `${fmt(perInstHeap / 1024, 1)} KB`, '', '', '', null],
  ['create + pair 1,000 over the API', `${fmt(results.createSeconds, 1)} s`, '', '', '', null],
  ['RSS in the first life (empty → 1,000 created)', `${fmt(results.firstLife.rssEmpty / MB, 1)} → ${fmt(results.firstLife.rssAfterCreate / MB, 1)} MB`, '', '', '', null],
]);
saveResult('density', { results, diagnostics: diagnostics(m.server) });
process.exit(0);
