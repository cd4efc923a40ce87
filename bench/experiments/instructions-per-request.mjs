// Experiment: user-space instructions executed by the server process (all its threads) per
// request, bare Fastify vs OpenZap's POST /send-text, counted by valgrind's callgrind.
// On the machines these benchmarks ran on, the same build's CPU time per request moved by
// ±30 % between consecutive runs (the hypervisor's share of the core changes); an
// instruction count does not, so a change of a few per cent in bench 1's costs can be seen.
// Limits: kernel work (socket writes, fsync, epoll) is not counted; valgrind runs one
// thread at a time ~50× slower, so batches of accepted messages are larger than at full
// speed (per-batch costs are under-counted the same way for every build).
//   node bench/experiments/instructions-per-request.mjs [requests=3000] [rounds=1]
// Needs valgrind (Debian: apt-get install valgrind). OPENZAP_ROOT measures another build.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { LIB, tempDir } from '../lib/common.mjs';
import { createInstances, instanceBase, startServer } from '../lib/openzap.mjs';

const N = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 1);
const WARM = Number(process.env.BENCH_WARM ?? 10_000);
const BODY = JSON.stringify({ phone: '5511999990000', message: 'OpenZap benchmark: hello from autocannon' });

function callgrindOptions(outFile) {
  return ['valgrind', '--tool=callgrind', `--callgrind-out-file=${outFile}`, '--dump-instr=no', '--collect-jumps=no', '--quiet'];
}

/** Instructions counted since the last zeroing, read from a fresh dump. */
function dumpIr(pid, outFile) {
  const before = new Set(fs.readdirSync(path.dirname(outFile)));
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  const dump = fs
    .readdirSync(path.dirname(outFile))
    .filter((f) => !before.has(f) && f.startsWith(path.basename(outFile)))
    .sort()
    .pop();
  if (!dump) throw new Error('callgrind wrote no dump');
  const text = fs.readFileSync(path.join(path.dirname(outFile), dump), 'utf8');
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  if (!m) throw new Error(`no instruction total in ${dump}`);
  return Number(m[1]);
}

async function start(which, outFile) {
  const wrapper = callgrindOptions(outFile);
  if (which === 'bare') {
    const server = await startServer({ dataDir: tempDir('ipr-bare'), label: 'ipr-bare', script: path.join(LIB, 'bare-fastify.mjs'), env: { BENCH_BARE_MODE: 'constant' }, cpuProf: false, wrapper, timeoutMs: 300_000 });
    return { server, url: `${server.url}/instances/00000000000000000000000000000000/token/00000000000000000000000000000000/send-text` };
  }
  const server = await startServer({ dataDir: tempDir('ipr-openzap'), label: 'ipr-openzap', cpuProf: false, wrapper, timeoutMs: 300_000 });
  const [inst] = await createInstances(server, 1, { pair: true });
  return { server, url: `${instanceBase(server, inst)}/send-text` };
}

async function measure(which) {
  const dir = tempDir(`ipr-cg-${which}`);
  const outFile = path.join(dir, 'callgrind.out');
  const { server, url } = await start(which, outFile);
  const load = (amount) => autocannon({ url, connections: 50, amount, timeout: 120, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
  try {
    await load(WARM);
    execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore' });
    const r = await load(N);
    const ir = dumpIr(server.pid, outFile);
    if (r['2xx'] !== N) throw new Error(`${which}: ${r['2xx']} of ${N} answered 2xx`);
    return ir / N;
  } finally {
    await server.stop(120_000);
  }
}

for (let round = 1; round <= ROUNDS; round++) {
  const bare = await measure('bare');
  const oz = await measure('openzap');
  console.log(
    `round ${round}: bare Fastify ${Math.round(bare).toLocaleString('en')} instructions/request | OpenZap ${Math.round(oz).toLocaleString('en')}` +
      ` | bare/OpenZap ${((bare / oz) * 100).toFixed(0)} % (bench 1's target: ≥ 50 % of the rate)`,
  );
}
process.exit(0);
