// Benchmark 1 — API accept rate. autocannon (own process, 50 connections) POSTs
// /send-text to one paired sandbox instance: token check, schema validation, durable
// enqueue (SQLite WAL, synchronous=FULL; then Postgres), response with ids. Baseline: a
// bare Fastify route answering a constant JSON, started the same way, in the same run.
// Targets: ≥ 50 % of the baseline's requests/s; p99 ≤ 3 × the baseline's p99.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Helper, LIB, envInt, fmt, header, pct, saveResult, sleep, table, tempDir, timeLimit } from './lib/common.mjs';
import { createInstances, freshPostgres, instanceBase, postgresAvailable, sqliteSync, startServer, waitWarmedUp } from './lib/openzap.mjs';
import { diagnostics } from './lib/profile.mjs';

const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50);
const DURATION = envInt('BENCH_DURATION', 10);
const WARMUP = envInt('BENCH_WARMUP', 2);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const BODY = JSON.stringify({ phone: '5511999990000', message: 'OpenZap benchmark: hello from autocannon' });

timeLimit(60 + 4 * ROUNDS * (DURATION + WARMUP + 5), 'bench:accept');
await header(
  'Benchmark 1: API accept rate (POST /send-text)',
  `${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured per target, baseline and target alternated ${ROUNDS} times (median round); default send gap (1–3 s) so the worker stays in the background.`,
);

const cannon = new Helper('cannon.mjs');

async function measure(url) {
  if (WARMUP > 0) await cannon.call('run', { url, connections: CONNECTIONS, durationS: WARMUP, body: BODY });
  return cannon.call('run', { url, connections: CONNECTIONS, durationS: DURATION, body: BODY });
}

/** Every 200 must be in the database: waiting in the queue or already sent. */
async function storedSqlite(dataDir) {
  const db = new SQLite(path.join(dataDir, 'openzap.db'), { readonly: true });
  const q = db.prepare('select count(*) n from send_queue').get().n;
  const m = db.prepare('select count(*) n from messages where from_me = 1').get().n;
  const journal = db.pragma('journal_mode', { simple: true });
  db.close();
  return { stored: q + m, journal };
}
async function storedPostgres(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const q = (await c.query('select count(*)::int n from send_queue')).rows[0].n;
  const m = (await c.query('select count(*)::int n from messages where from_me = 1')).rows[0].n;
  await c.end();
  return { stored: q + m };
}

/** Starts a server for one target; `run()` measures it once (warm-up + measured), `finish()` stops it and checks storage. */
async function openzapTarget(label, env, stored) {
  const dataDir = tempDir(`accept-${label}`);
  const server = await startServer({ dataDir, env, label: `accept-${label}` });
  const [inst] = await createInstances(server, 1, { pair: true });
  const warmed = await waitWarmedUp(server);
  console.log(`${label}: start-up work done ${warmed.waitedMs} ms after pairing (validators pending: ${warmed.pending})`);
  const url = `${instanceBase(server, inst)}/send-text`;
  let accepted2xx = 0;
  return {
    async run() {
      const warm = WARMUP > 0 ? await cannon.call('run', { url, connections: CONNECTIONS, durationS: WARMUP, body: BODY }) : { ok2xx: 0 };
      const r = await cannon.call('run', { url, connections: CONNECTIONS, durationS: DURATION, body: BODY });
      accepted2xx += warm.ok2xx + r.ok2xx;
      return r;
    },
    async finish() {
      await server.stop();
      return { accepted2xx, ...(await stored(dataDir)), server: { profDir: server.profDir, sqlTiming: server.sqlTiming } };
    },
  };
}

async function bareTarget() {
  const server = await startServer({ dataDir: tempDir('accept-bare'), label: 'accept-bare', script: path.join(LIB, 'bare-fastify.mjs'), env: { BENCH_BARE_MODE: 'constant' }, cpuProf: false });
  const url = `${server.url}/instances/00000000000000000000000000000000/token/00000000000000000000000000000000/send-text`;
  return { run: () => measure(url), finish: () => server.stop() };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * The baseline and one OpenZap target measured in alternation, ROUNDS times each (both
 * servers stay up; the one not measured is idle). On a machine whose speed drifts within
 * minutes a single baseline-then-target pair swung the ratio by ±10 points; each round's
 * ratio is printed and the median round (by ratio) is the result.
 */
async function compare(label, env, stored) {
  const bare = await bareTarget();
  const target = await openzapTarget(label, env, stored);
  const rounds = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const baseline = await bare.run();
      const r = await target.run();
      rounds.push({ baseline, target: r, rpsRatio: r.rps / baseline.rps, p99Ratio: r.latency.p99 / baseline.latency.p99 });
    }
  } finally {
    await bare.finish();
  }
  const check = await target.finish();
  const mid = median(rounds.map((x) => x.rpsRatio));
  const chosen = rounds.find((x) => x.rpsRatio === mid);
  return {
    ...chosen.target,
    baseline: chosen.baseline,
    rounds: rounds.map((x) => ({ baselineRps: x.baseline.rps, rps: x.target.rps, rpsRatio: x.rpsRatio, baselineP99: x.baseline.latency.p99, p99: x.target.latency.p99, p99Ratio: x.p99Ratio })),
    medianP99Ratio: median(rounds.map((x) => x.p99Ratio)),
    ...check,
    non2xx: rounds.reduce((n, x) => n + x.target.non2xx, 0),
    errors: rounds.reduce((n, x) => n + x.target.errors, 0),
  };
}

const results = {};
try {
  results.sqlite = await compare('sqlite', {}, storedSqlite);

  if (await postgresAvailable()) {
    const db = await freshPostgres('accept');
    try {
      results.postgres = await compare('postgres', { OPENZAP_DATABASE_URL: db.url }, () => storedPostgres(db.url));
    } finally {
      await db.drop();
    }
  } else {
    console.log('Postgres not reachable: the Postgres row is skipped.');
  }
} finally {
  await cannon.close();
}

const rows = [];
for (const name of ['sqlite', 'postgres']) {
  const r = results[name];
  if (!r) continue;
  const b = r.baseline;
  for (const [i, x] of r.rounds.entries()) {
    rows.push([`round ${i + 1}: ${name} vs bare req/s, p99`, `${fmt(x.rps)} vs ${fmt(x.baselineRps)}, ${x.p99} vs ${x.baselineP99} ms`, '', pct(x.rpsRatio), '', null]);
  }
  const rpsRatio = r.rps / b.rps;
  const p99Ratio = r.medianP99Ratio;
  r.rpsRatio = rpsRatio;
  r.p99Ratio = p99Ratio;
  r.targets = { rps: rpsRatio >= 0.5, p99: p99Ratio <= 3, durable: r.stored >= r.accepted2xx && r.non2xx === 0 && r.errors === 0 };
  rows.push([`baseline (bare Fastify) req/s, median round`, fmt(b.rps), '', '', '', null]);
  rows.push([`OpenZap ${name} req/s, median round`, fmt(r.rps), fmt(b.rps), pct(rpsRatio), '≥ 50 %', r.targets.rps]);
  rows.push([`OpenZap ${name} p99 latency, median ratio`, `${r.latency.p99} ms (p50 ${r.latency.p50})`, `${b.latency.p99} ms`, `${p99Ratio.toFixed(1)} ×`, '≤ 3 ×', r.targets.p99]);
  rows.push([
    `OpenZap ${name} 200s stored / non-2xx / errors`,
    `${fmt(r.stored)} of ${fmt(r.accepted2xx)} / ${r.non2xx} / ${r.errors}`,
    '',
    '',
    'all stored, 0, 0',
    r.targets.durable,
  ]);
}
console.log('');
table(rows);
if (results.sqlite) console.log(`\nSQLite: journal_mode=${results.sqlite.journal}, ${sqliteSync()} (set per connection in dist/store/db.js).`);

const diag = {};
for (const name of ['sqlite', 'postgres']) if (results[name]) diag[name] = diagnostics(results[name].server);
saveResult('accept', { results, diagnostics: diag });
await sleep(10);
process.exit(0);
