// Experiment: CPU time of the server process (all its threads) per request, for a fixed
// number of requests, bare Fastify vs OpenZap's POST /send-text — bench 1's comparison in
// a unit that moves less with the machine's noise than requests/s (measured ±10 µs here,
// against bench 1's ±10 % ratio swings). autocannon runs in this process, 50 connections.
//   node bench/experiments/cpu-per-request.mjs [requests=60000] [rounds=2]
// OPENZAP_ROOT measures another build, as for the benchmarks.
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { LIB, cpuMs, tempDir, threadsMs } from '../lib/common.mjs';
import { createInstances, instanceBase, startServer } from '../lib/openzap.mjs';

const N = Number(process.argv[2] ?? 60_000);
const ROUNDS = Number(process.argv[3] ?? 2);
const WARM = 20_000;
const BODY = JSON.stringify({ phone: '5511999990000', message: 'OpenZap benchmark: hello from autocannon' });
async function start(which) {
  if (which === 'bare') {
    const server = await startServer({ dataDir: tempDir('cpr-bare'), label: 'cpr-bare', script: path.join(LIB, 'bare-fastify.mjs'), env: { BENCH_BARE_MODE: 'constant' }, cpuProf: false });
    return { server, url: `${server.url}/instances/00000000000000000000000000000000/token/00000000000000000000000000000000/send-text` };
  }
  const server = await startServer({ dataDir: tempDir('cpr-openzap'), label: 'cpr-openzap', cpuProf: false });
  const [inst] = await createInstances(server, 1, { pair: true });
  return { server, url: `${instanceBase(server, inst)}/send-text` };
}

async function measure(which) {
  const { server, url } = await start(which);
  const load = (amount) => autocannon({ url, connections: 50, amount, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
  try {
    await load(WARM);
    const before = cpuMs(server.pid);
    const threadsBefore = threadsMs(server.pid);
    const r = await load(N);
    const cpu = cpuMs(server.pid) - before;
    const threadsAfter = threadsMs(server.pid);
    if (r['2xx'] !== N) throw new Error(`${which}: ${r['2xx']} of ${N} answered 2xx`);
    const perThread = Object.entries(threadsAfter)
      .map(([name, ms]) => [name, ((ms - (threadsBefore[name] ?? 0)) * 1000) / N])
      .filter(([, us]) => us > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => `${name} ${us.toFixed(1)}`)
      .join(', ');
    return { usPerRequest: (cpu * 1000) / N, rps: r.requests.average, perThread };
  } finally {
    await server.stop();
  }
}

for (let round = 1; round <= ROUNDS; round++) {
  const bare = await measure('bare');
  const oz = await measure('openzap');
  console.log(
    `round ${round}: bare Fastify ${bare.usPerRequest.toFixed(1)} µs CPU/request | OpenZap ${oz.usPerRequest.toFixed(1)} µs CPU/request` +
      ` | bare/OpenZap ${((bare.usPerRequest / oz.usPerRequest) * 100).toFixed(0)} % (bench 1's target: ≥ 50 % of the rate)`,
  );
  console.log(`  µs per request by thread — bare: ${bare.perThread}\n  OpenZap: ${oz.perThread}`);
}
process.exit(0);
