// Summarise a V8 .cpuprofile (node --cpu-prof): top functions by self time, self time by
// package/file, and inclusive time of OpenZap's own functions.
// CLI: node bench/lib/profile.mjs <file.cpuprofile | directory> [top]
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './common.mjs';

const OWN = `file://${ROOT}/dist/`;

/** A frame's script, short: `dist/…`, `package/file`, `node:…` or `(native)`. */
export function where(url) {
  if (!url) return '(native)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 14).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return `${pkg}/${rest.slice(rest[0].startsWith('@') ? 2 : 1).join('/')}`;
  }
  if (url.startsWith(OWN)) return 'dist/' + url.slice(OWN.length);
  if (u.startsWith('node:')) return u;
  return path.basename(u);
}

function group(url) {
  if (!url) return '(native / VM)';
  const w = where(url);
  if (w.startsWith('dist/')) return w;
  if (w.startsWith('node:')) return 'node: internals';
  return w.split('/')[0].startsWith('@') ? w.split('/').slice(0, 2).join('/') : w.split('/')[0];
}

export function summarizeProfile(file, top = 25) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  let total = 0;
  for (const v of selfUs.values()) total += v;

  const fnSelf = new Map();
  const pkgSelf = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const key = `${name}  ${where(cf.url)}${cf.url ? ':' + (cf.lineNumber + 1) : ''}`;
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + us);
    const gk = cf.url ? group(cf.url) : name.startsWith('(') ? name : '(native) ' + name;
    pkgSelf.set(gk, (pkgSelf.get(gk) ?? 0) + us);
  }

  // Inclusive time of dist/ functions (counted once per sample even under recursion).
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      if (!cf.url || !cf.url.startsWith(OWN)) continue;
      const key = `${cf.functionName || '(anonymous)'}  ${where(cf.url)}:${cf.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }

  const sorted = (m, k) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => ({ name, ms: us / 1000, pct: (100 * us) / total }));
  return {
    file,
    totalMs: total / 1000,
    topSelf: sorted(fnSelf, top),
    byPackage: sorted(pkgSelf, 15),
    openzapInclusive: sorted(incl, 15),
  };
}

export function printProfile(s) {
  const line = (r) => `  ${r.pct.toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`;
  console.log(`\nCPU profile ${s.file} (${(s.totalMs / 1000).toFixed(1)} s sampled)`);
  console.log('top self time:');
  for (const r of s.topSelf) console.log(line(r));
  console.log('self time by package / file:');
  for (const r of s.byPackage) console.log(line(r));
  console.log('inclusive time of OpenZap functions (dist/; synchronous stacks only, async continuations start afresh):');
  for (const r of s.openzapInclusive) console.log(line(r));
}

/** Summarise the profile(s) a server wrote into dir; returns the summaries. */
export function summarizeDir(dir, top = 25) {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(path.join(dir, f), top));
}

export function printSqlTiming(file, top = 15) {
  if (!file || !fs.existsSync(file)) return null;
  const t = JSON.parse(fs.readFileSync(file, 'utf8'));
  const busy = t.statements.reduce((a, s) => a + s.ms + s.prepareMs, 0);
  console.log(`\nSQL on the main thread (${file}): ${(busy / 1000).toFixed(1)} s of ${(t.wallMs / 1000).toFixed(1)} s wall;` +
    ` ${t.explicitCommits} explicit commits + ${t.autocommitWrites} single-statement (autocommit) writes = ${(t.commitAndAutocommitMs / 1000).toFixed(1)} s`);
  console.log('     calls   exec ms  prepares  prep ms  statement');
  for (const s of t.statements.slice(0, top)) {
    console.log(`  ${String(s.calls).padStart(8)}  ${s.ms.toFixed(0).padStart(8)}  ${String(s.prepares).padStart(8)}  ${s.prepareMs.toFixed(0).padStart(7)}  ${s.sql}`);
  }
  return t;
}

/** Print and return whatever diagnostics a stopped server left (CPU profile, SQL timing). */
export function diagnostics(server, top = 25) {
  const out = { profiles: summarizeDir(server?.profDir, top), sql: null };
  for (const p of out.profiles) printProfile(p);
  out.sql = printSqlTiming(server?.sqlTiming);
  if (out.sql) out.sql = { ...out.sql, statements: out.sql.statements.slice(0, 30) };
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node bench/lib/profile.mjs <file.cpuprofile | directory> [top]');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const list = fs.statSync(target).isDirectory() ? summarizeDir(target, top) : [summarizeProfile(target, top)];
  for (const s of list) printProfile(s);
}
