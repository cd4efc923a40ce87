// OpenZap under test: `node dist/main.js` as a child process on 127.0.0.1 (random port),
// its partner/instance API, sandbox pairing, its resident memory, and throwaway Postgres
// databases. BENCH_CPU_PROF=1 starts it with --cpu-prof (written on graceful stop).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import pg from 'pg';
import { LIB, ROOT, RESULTS_DIR, mapLimit, nodeFlags, now, sleep, track } from './common.mjs';

export const PARTNER_TOKEN = 'bench-partner-token-0123456789abcdef';
const MAIN = path.join(ROOT, 'dist', 'main.js');

const client = new Agent({ connections: 64, keepAliveTimeout: 30_000 });

export function benchEnv(dataDir, extra = {}) {
  return {
    OPENZAP_DATA_DIR: dataDir,
    OPENZAP_HOST: '127.0.0.1',
    OPENZAP_PORT: '0',
    OPENZAP_PARTNER_TOKEN: PARTNER_TOKEN,
    OPENZAP_ALLOW_HTTP_WEBHOOKS: 'true',
    OPENZAP_ALLOW_PRIVATE_URLS: 'true',
    OPENZAP_LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    ...extra,
  };
}

/**
 * Start OpenZap and wait for its "listening" line. `label` names the log file and, with
 * BENCH_CPU_PROF=1 (or opts.cpuProf), the directory of the CPU profile; BENCH_SQL_TIMING=1
 * adds the sql-timing.mjs preload (time per SQL statement, written at exit). `wrapper`: a
 * command and its arguments that run node (e.g. valgrind), the child's pid being node's.
 */
export async function startServer({ dataDir, env = {}, label = 'openzap', cpuProf, timeoutMs = 30_000, script = MAIN, wrapper = [] }) {
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run "npm run build" first`);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const profile = cpuProf ?? process.env.BENCH_CPU_PROF === '1';
  const profDir = path.join(RESULTS_DIR, `prof-${label}-${Date.now()}`);
  const sqlTiming = script === MAIN && process.env.BENCH_SQL_TIMING === '1' ? path.join(RESULTS_DIR, `sql-${label}-${Date.now()}.json`) : null;
  const args = [
    ...nodeFlags(),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    ...(sqlTiming ? ['--import', pathToFileURL(path.join(LIB, 'sql-timing.mjs')).href] : []),
    script,
  ];
  if (sqlTiming) env = { ...env, BENCH_SQL_TIMING_FILE: sqlTiming };
  const started = now();
  const child = track(
    spawn(wrapper[0] ?? process.execPath, [...wrapper.slice(1), ...(wrapper.length ? [process.execPath] : []), ...args], { cwd: ROOT, env: { ...process.env, ...benchEnv(dataDir, env) }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const log = fs.createWriteStream(path.join(RESULTS_DIR, `${label}.log`), { flags: 'a' });
  child.stderr.pipe(log);
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`OpenZap did not start within ${timeoutMs} ms (see ${label}.log)`)), timeoutMs);
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      if (buf === null) return;
      buf += chunk.toString();
      const m = /listening on (http:\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        buf = null;
        resolve(m[1]);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`OpenZap exited during start (code ${code}, signal ${sig}); see ${label}.log`));
    });
  });
  const readyMs = now() - started;
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return {
    url,
    pid: child.pid,
    child,
    readyMs,
    profDir: profile ? profDir : null,
    sqlTiming,
    exited,
    /** Graceful stop (SIGTERM: finishes in-flight work; writes the CPU profile). */
    async stop(timeout = 25_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const r = await Promise.race([exited, sleep(timeout).then(() => null)]);
      if (!r) {
        child.kill('SIGKILL');
        return exited;
      }
      return r;
    },
    /** kill -9. */
    async crash() {
      child.kill('SIGKILL');
      return exited;
    },
    /** Resident set size in bytes (Linux /proc). */
    rss() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
    },
  };
}

/**
 * Wait until the server's start-up work is done (its route validators compiled in idle turns,
 * metric openzap_validators_pending = 0), so a benchmark measures the steady state; bounded by
 * limitMs. Returns the ms waited and what was still pending at the end (0 = warmed up).
 */
export async function waitWarmedUp(server, limitMs = 30_000) {
  const started = now();
  let pending = NaN;
  while (now() - started < limitMs) {
    const { body } = await api('GET', `${server.url}/metrics`);
    pending = Number(/^openzap_validators_pending (\d+)/m.exec(String(body))?.[1] ?? NaN);
    if (pending === 0 || Number.isNaN(pending)) break; // NaN: a build without the gauge
    await sleep(100);
  }
  return { waitedMs: Math.round(now() - started), pending };
}

/** One JSON call: {status, body}. */
export async function api(method, url, body, headers = {}) {
  const res = await request(url, {
    method,
    dispatcher: client,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.statusCode, body: parsed };
}

export const partner = (server, method, route, body) =>
  api(method, server.url + route, body, { authorization: `Bearer ${PARTNER_TOKEN}` });

export const instanceBase = (server, inst) => `${server.url}/instances/${inst.id}/token/${inst.token}`;

async function must(what, p) {
  const r = await p;
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * Create `count` sandbox instances; optionally point every webhook at webhookUrl (a
 * function of the index gives each instance its own URL) and pair them.
 */
export async function createInstances(server, count, { webhookUrl = null, pair = true, concurrency = 16 } = {}) {
  return mapLimit(Array.from({ length: count }, (_, i) => i), concurrency, async (i) => {
    const created = await must('create instance', partner(server, 'POST', '/instances/integrator/on-demand', { name: `bench-${i}`, engine: 'sandbox' }));
    const inst = { id: created.id, token: created.token, index: i };
    const base = instanceBase(server, inst);
    const hook = typeof webhookUrl === 'function' ? webhookUrl(i) : webhookUrl;
    if (hook) await must('webhooks', api('PUT', `${base}/update-every-webhooks`, { value: hook }));
    if (pair) inst.phone = (await must('pair', api('POST', `${base}/sandbox/pair`, {}))).phone;
    return inst;
  });
}

export async function pairInstances(server, instances, concurrency = 16) {
  await mapLimit(instances, concurrency, async (inst) => {
    inst.phone = (await must('pair', api('POST', `${instanceBase(server, inst)}/sandbox/pair`, {}))).phone;
  });
}

/** A throwaway Postgres database for one run (BENCH_PG_URL names the server). */
export const PG_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export async function freshPostgres(tag) {
  const name = `openzap_bench_${tag}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function postgresAvailable() {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** The synchronous mode OpenZap sets (a per-connection pragma, so read from the code that runs). */
export function sqliteSync() {
  const src = fs.readFileSync(path.join(ROOT, 'dist', 'store', 'db.js'), 'utf8');
  const m = /synchronous\s*=\s*(\w+)/i.exec(src);
  const mode = m ? `synchronous=${m[1].toUpperCase()}` : 'synchronous=(not set: SQLite default FULL)';
  // DurableSqliteDialect: every write waits for an fsync of the WAL (off the event loop) before its caller goes on.
  return /DurableSqliteDialect/.test(src) ? `${mode} + an fsync of the WAL before every write is acknowledged (dist/store/durable-sqlite.js)` : mode;
}
