// Summarise a sampling heap profile written by alloc-prof.mjs: where the main thread
// allocates, by function (self) and, for OpenZap's own code, inclusive of what it calls.
// CLI: node bench/lib/alloc-summary.mjs <file.heapprofile> [top]
import fs from 'node:fs';
import { where } from './profile.mjs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/lib/alloc-summary.mjs <file.heapprofile> [top]');
  process.exit(2);
}
const top = Number(topArg || 40);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const sampled = new Map();
for (const s of profile.samples) sampled.set(s.nodeId, (sampled.get(s.nodeId) ?? 0) + s.size);

const label = (cf) => `${cf.functionName || '(anonymous)'}  ${where(cf.url)}:${cf.lineNumber + 1}`;
const self = new Map();
const inclusive = new Map();
let total = 0;

/** Bytes sampled at the node and below; a function counts once per stack (recursion). */
function walk(node, onStack) {
  const k = label(node.callFrame);
  const own = sampled.get(node.id) ?? 0;
  const inner = new Set(onStack).add(k);
  let size = own;
  for (const child of node.children) size += walk(child, inner);
  self.set(k, (self.get(k) ?? 0) + own);
  if (!onStack.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + size);
  total += own;
  return size;
}
walk(profile.head, new Set());

const show = (title, entries) => {
  console.log(title);
  for (const [k, v] of entries.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
};
console.log(`${(total / 1e6).toFixed(0)} MB sampled in ${file}`);
show('allocated by the function itself:', [...self]);
show("inclusive, OpenZap's own functions:", [...inclusive].filter(([k]) => k.includes('dist/')));
