// Diagnostic preload (node --import …/sql-timing.mjs dist/main.js; BENCH_SQL_TIMING=1 in
// the benchmarks): times every better-sqlite3 prepare/run/get/all/iterate by SQL text on
// the main thread, and how many statements ran outside an explicit transaction (each one
// an implicit commit: with synchronous=FULL, one fsync of the WAL). Written at exit to
// $BENCH_SQL_TIMING_FILE as JSON. Changes nothing in what the server does.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const stats = new Map();
let autocommits = 0;
let commits = 0;
let commitMs = 0;

function stat(sql) {
  const key = sql.replace(/\s+/g, ' ').replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(?…)').slice(0, 160);
  let s = stats.get(key);
  if (!s) stats.set(key, (s = { sql: key, calls: 0, ms: 0, prepares: 0, prepareMs: 0 }));
  return s;
}

const origPrepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql) {
  const t = performance.now();
  const stmt = origPrepare.call(this, sql);
  const s = stat(sql);
  s.prepares++;
  s.prepareMs += performance.now() - t;
  return stmt;
};

const probe = new Database(':memory:');
const proto = Object.getPrototypeOf(probe.prepare('select 1'));
probe.close();
for (const m of ['run', 'get', 'all', 'iterate']) {
  const orig = proto[m];
  proto[m] = function (...args) {
    const inTx = this.database.inTransaction;
    const t = performance.now();
    const r = orig.apply(this, args);
    const dt = performance.now() - t;
    const s = stat(this.source);
    s.calls++;
    s.ms += dt;
    if (/^\s*commit/i.test(this.source)) {
      commits++;
      commitMs += dt;
    } else if (!inTx && !this.reader) {
      autocommits++;
      commitMs += dt;
    }
    return r;
  };
}

const started = performance.now();
process.on('exit', () => {
  const file = process.env.BENCH_SQL_TIMING_FILE;
  if (!file) return;
  const list = [...stats.values()].sort((a, b) => b.ms + b.prepareMs - (a.ms + a.prepareMs));
  fs.writeFileSync(
    file,
    JSON.stringify({ wallMs: performance.now() - started, explicitCommits: commits, autocommitWrites: autocommits, commitAndAutocommitMs: commitMs, statements: list }, null, 1),
  );
});
