// Experiment: user-space instructions executed by the server process (all its threads) per
// request, bare Fastify vs OpenZap's POST /send-text, counted by valgrind's callgrind.
// On the machines these benchmarks ran on, the same build's CPU time per request moved by
// ±30 % between consecutive runs (the hypervisor's share of the core changes); an
// instruction count does not, so a change of a few per cent in bench 1's costs can be seen.
// Limits: kernel work (socket writes, fsync, epoll) is not counted; valgrind runs one
// thread at a time ~50× slower, so batches of accepted messages are larger than at full
// speed (per-batch costs are under-counted the same way for every build). V8's optimising
// compiler runs in its own threads and is counted: both servers are warmed first (BENCH_WARM
// requests) and OpenZap's validators compiled, but TurboFan may still be at work in the window.
//   node bench/experiments/instructions-per-request.mjs [requests=3000] [rounds=1]
// Needs valgrind (Debian: apt-get install valgrind). OPENZAP_ROOT measures another build.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { LIB, tempDir } from '../lib/common.mjs';
import { createInstances, instanceBase, startServer, waitWarmedUp } from '../lib/openzap.mjs';

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
  return { total: Number(m[1]), compile: compileIr(path.join(path.dirname(outFile), dump)) };
}

/**
 * Instructions of V8's background compile jobs (TurboFan, Maglev) in a dump. Under valgrind
 * they were 27–45 % of the window even after 10,000 warm-up requests, while a real run's
 * --trace-opt showed ~20 compiles in 10 s of steady load (a few ms): a valgrind artefact.
 */
function compileIr(dumpFile) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', dumpFile], { encoding: 'utf8', maxBuffer: 256 << 20 });
  let ir = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) .*(OptimizingCompileDispatcher::CompileTask::RunInternal|MaglevConcurrentDispatcher::JobTask::Run)\(/.exec(line);
    if (m) ir += Number(m[1].replaceAll(',', ''));
  }
  return ir;
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
    if (which === 'openzap') {
      const warmed = await waitWarmedUp(server, 600_000); // start-up compiles are not part of a request
      if (warmed.pending !== 0) throw new Error(`validators still compiling after ${warmed.waitedMs} ms`);
    }
    execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore' });
    const r = await load(N);
    const ir = dumpIr(server.pid, outFile);
    if (r['2xx'] !== N) throw new Error(`${which}: ${r['2xx']} of ${N} answered 2xx`);
    return { all: ir.total / N, run: (ir.total - ir.compile) / N };
  } finally {
    await server.stop(120_000);
  }
}

const k = (x) => Math.round(x).toLocaleString('en');
for (let round = 1; round <= ROUNDS; round++) {
  const bare = await measure('bare');
  const oz = await measure('openzap');
  console.log(
    `round ${round}: instructions/request without (with) V8's background compiles: bare Fastify ${k(bare.run)} (${k(bare.all)}) | OpenZap ${k(oz.run)} (${k(oz.all)})` +
      ` | bare/OpenZap ${((bare.run / oz.run) * 100).toFixed(0)} % (bench 1's target: ≥ 50 % of the rate)`,
  );
}
process.exit(0);
