// Shared plumbing of the benchmarks: where things are, child processes that are always
// cleaned up, a hard time limit per script, IPC calls, statistics and the report table.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The OpenZap checkout whose dist/ is measured (OPENZAP_ROOT overrides, e.g. a clean snapshot). */
export const ROOT = path.resolve(process.env.OPENZAP_ROOT || path.join(import.meta.dirname, '..', '..'));
export const BENCH_DIR = path.resolve(import.meta.dirname, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const LIB = import.meta.dirname;

/** Monotonic wall-clock milliseconds, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- processes we started: always ended, by pid, whatever happens ----

const children = new Set();

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killChildren() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });
}

/** Every script is bounded in time (plus the wait for a quiet machine): past the limit, everything it started is killed. */
export function timeLimit(seconds, name) {
  seconds += envInt('BENCH_QUIET_WAIT', 60);
  const t = setTimeout(() => {
    console.error(`\n${name}: time limit of ${seconds} s reached; stopping everything it started.`);
    killChildren();
    process.exit(3);
  }, seconds * 1000);
  t.unref();
}

/**
 * The node flags `npm start` runs the server with (package.json's start script), so that the
 * benchmarks measure what operators run; BENCH_NODE_FLAGS overrides them ("" for none). The
 * baselines started through startServer get the same flags (same process setup).
 */
export function nodeFlags() {
  if (process.env.BENCH_NODE_FLAGS !== undefined) return process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean);
  const start = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts?.start ?? '';
  const m = /^node\s+(.*?)\s*dist\/main\.js$/.exec(start.trim());
  return m ? m[1].split(/\s+/).filter(Boolean) : [];
}

// ---- forked helpers (load generator, receiver, …) spoken to over IPC ----

export class Helper {
  constructor(script, args = [], opts = {}) {
    this.child = track(
      fork(path.join(LIB, script), args, {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: opts.execArgv ?? [],
        env: { ...process.env, ...(opts.env ?? {}) },
      }),
    );
    this.pending = new Map();
    this.seq = 0;
    this.listeners = [];
    this.child.on('message', (m) => {
      if (m && m.replyTo !== undefined) {
        const p = this.pending.get(m.replyTo);
        this.pending.delete(m.replyTo);
        if (!p) return;
        if (m.error) p.reject(new Error(`${script}: ${m.error}`));
        else p.resolve(m.result);
        return;
      }
      for (const fn of this.listeners) fn(m);
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`${script} exited (${code}) before answering`));
      this.pending.clear();
    });
  }

  call(cmd, args = {}) {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  /** Fire and forget (e.g. progress fed to the load generator). */
  tell(cmd, args = {}) {
    if (this.child.connected) this.child.send({ cmd, args });
  }

  on(fn) {
    this.listeners.push(fn);
  }

  async close() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    try {
      process.kill(this.child.pid, 'SIGTERM');
    } catch {
      return;
    }
    await Promise.race([exited, sleep(3000)]);
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid, 'SIGKILL');
  }
}

/** The helper side: answer {id, cmd, args} messages with handlers[cmd](args). */
export function serve(handlers) {
  process.on('message', async (m) => {
    const h = handlers[m.cmd];
    if (!h) return;
    if (m.id === undefined) return void h(m.args);
    try {
      process.send({ replyTo: m.id, result: await h(m.args) });
    } catch (err) {
      process.send({ replyTo: m.id, error: err?.stack ?? String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---- statistics ----

/** p in [0, 100] of an ascending array (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values) {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n: s.length,
    mean: s.length ? sum / s.length : NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

// ---- machine, temp dirs, formatting, report ----

export function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

export function tempDir(prefix) {
  const parent = process.env.BENCH_TMP || os.tmpdir();
  return fs.mkdtempSync(path.join(parent, `openzap-bench-${prefix}-`));
}

export const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);

export const pct = (ratio) => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)} %` : 'n/a');

/** Share of all cores busy over `ms` (Linux /proc/stat), 0–1. */
export async function cpuBusy(ms = 1000) {
  const read = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    await sleep(ms);
    const b = read();
    return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
  } catch {
    return NaN;
  }
}

/**
 * Benchmarks on a shared machine lie: wait (bounded, BENCH_QUIET_WAIT seconds, default 60)
 * until the cores are < 15 % busy for 3 s in a row, and say how busy they were.
 */
export async function waitQuiet() {
  const limit = envInt('BENCH_QUIET_WAIT', 60);
  const end = Date.now() + limit * 1000;
  let calm = 0;
  let busy = NaN;
  while (Date.now() < end && calm < 3) {
    busy = await cpuBusy(1000);
    calm = busy < 0.15 ? calm + 1 : 0;
  }
  const quiet = calm >= 3 || limit === 0;
  if (!quiet) console.log(`WARNING: the machine is busy (${(busy * 100).toFixed(0)} % of all cores used by other processes); figures will be low.`);
  return { quiet, busy, loadavg: os.loadavg() };
}

export let runConditions = null;

/** CPU jiffies: the whole machine (busy) and this process with its reaped children. */
function cpuTicks() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = f.reduce((a, b) => a + b, 0) - f[3] - (f[4] ?? 0);
    const st = fs.readFileSync('/proc/self/stat', 'utf8');
    const p = st.slice(st.lastIndexOf(')') + 2).split(' ').map(Number); // fields from #3 on
    const own = p[11] + p[12] + p[13] + p[14]; // utime stime cutime cstime
    return { busy, own, at: Date.now() };
  } catch {
    return null;
  }
}

/**
 * How much CPU other processes took while this benchmark ran (everything it started has
 * exited by then, so its children are in cutime/cstime).
 */
export function interference() {
  const a = runConditions?.ticks;
  const b = cpuTicks();
  if (!a || !b) return null;
  const hz = 100;
  const seconds = (b.at - a.at) / 1000;
  const othersCoreSeconds = Math.max(0, (b.busy - a.busy - (b.own - a.own)) / hz);
  return { seconds, othersCoreSeconds, othersShare: othersCoreSeconds / (seconds * os.cpus().length) };
}

export async function header(title, what) {
  const m = machine();
  console.log(`\n=== ${title} ===`);
  console.log(what);
  const q = await waitQuiet();
  runConditions = { start: q, ticks: cpuTicks() };
  console.log(`machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; OpenZap at ${ROOT}, node flags: ${nodeFlags().join(' ') || 'none'}`);
  console.log(`other load before the run: ${Number.isFinite(q.busy) ? `${(q.busy * 100).toFixed(0)} % busy` : 'not checked'}, load average ${q.loadavg.map((x) => x.toFixed(2)).join(' ')}\n`);
}

/** Rows of [label, value, baseline, ratio, target, ok(boolean|null)] printed as a table. */
export function table(rows) {
  const head = ['figure', 'value', 'baseline', 'ratio', 'target', 'holds'];
  const cells = rows.map((r) => [r[0], r[1], r[2] ?? '', r[3] ?? '', r[4] ?? '', r[5] === undefined || r[5] === null ? '' : r[5] ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((x, i) => String(x).padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

export function saveResult(name, data) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const inter = interference();
  const conditions = { ...runConditions, ticks: undefined, endLoadavg: os.loadavg(), interference: inter };
  if (inter) {
    const msg = `other processes used ${(inter.othersShare * 100).toFixed(0)} % of the machine during this run (${inter.othersCoreSeconds.toFixed(0)} core-seconds in ${inter.seconds.toFixed(0)} s)`;
    console.log(inter.othersShare > 0.1 ? `\nWARNING: ${msg}: the figures are disturbed; run again on a quiet machine.` : `\n${msg}.`);
  }
  fs.writeFileSync(file, JSON.stringify({ name, date: new Date().toISOString(), machine: machine(), root: ROOT, nodeFlags: nodeFlags(), conditions, ...data }, null, 2));
  console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
  return file;
}

/** Small seeded PRNG (mulberry32) so a "random" run can be repeated with BENCH_SEED. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Run fn over items with at most `limit` in flight. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

export const envInt = (name, def) => {
  const v = process.env[name];
  return v === undefined || v === '' ? def : Number(v);
};

const TICK_MS = 10; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** utime + stime of a process or thread, in ms. */
export function cpuMs(pid, tid) {
  const file = tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`;
  const fields = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU ms of each thread of a process, summed by thread name (main thread: "main"). */
export function threadsMs(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let name;
    try {
      name = Number(tid) === pid ? 'main' : `${fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()}#${Number(tid) - pid}`;
      out[name] = (out[name] ?? 0) + cpuMs(pid, tid);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}
