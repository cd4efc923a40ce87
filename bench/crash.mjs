// Benchmark 5 — the queue under a crash. 10,000 messages are accepted for 10 sandbox
// instances while they are not yet paired (1,000 each: the waiting limit), then the
// instances are paired, the queue drains (send gap 0, every webhook to a receiver), and
// the server is killed with SIGKILL once a random share of the messages was sent (seeded:
// BENCH_SEED repeats a run). It is restarted on the same database and left to drain, then
// stopped gracefully, and the database tells what happened to every accepted message:
//   lost:        accepted, and neither still queued nor handed to the network (sandbox_messages);
//   unconfirmed: handed to the network but never confirmed (no messages row);
//   duplicates:  DeliveryCallbacks written twice for one message (confirmed twice), and
//                sends repeated after the restart (a second SENT for one id, which the
//                engine recognised: the recipient still has it once);
//   events:      DeliveryCallback rows missing; webhook redeliveries seen by the receiver.
// Target: 0 lost; duplicates reported (0 when the engine confirmed the send).
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Helper, envInt, fmt, header, now, rng, saveResult, sleep, table, tempDir, timeLimit } from './lib/common.mjs';
import { createInstances, pairInstances, startServer } from './lib/openzap.mjs';
import { diagnostics } from './lib/profile.mjs';

const INSTANCES = envInt('BENCH_INSTANCES', 10);
const TOTAL = envInt('BENCH_MESSAGES', 10_000);
const ROUNDS = envInt('BENCH_ROUNDS', 1);
const SEED = envInt('BENCH_SEED', Date.now() % 1_000_000);
const DRAIN_S = envInt('BENCH_DRAIN_SECONDS', 60);

timeLimit(30 + ROUNDS * (40 + 2 * DRAIN_S), 'bench:crash');
await header('Benchmark 5: queue under kill -9', `${fmt(TOTAL)} queued messages over ${INSTANCES} instances, ${ROUNDS} round(s), seed ${SEED}.`);

const random = rng(SEED);
const receiver = new Helper('receiver.mjs');
const loadgen = new Helper('loadgen.mjs');
const { url: hookUrl } = await receiver.call('start');
await receiver.call('config', { recordTypes: ['DeliveryCallback'] });

/**
 * Messages still in the queue, read from the database file by a second connection (WAL
 * readers do not block the writer). Not over HTTP: the server may be too busy to answer.
 */
function queueReader(dbFile) {
  const db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
  const stmt = db.prepare('select count(*) n from send_queue');
  return { left: () => stmt.get().n, close: () => db.close() };
}

function queryAll(dbFile, sql) {
  const db = new SQLite(dbFile, { readonly: true });
  const rows = db.prepare(sql).pluck().all();
  db.close();
  return rows;
}

function inspect(dbFile, acceptedIds) {
  const db = new SQLite(dbFile, { readonly: true });
  const waiting = new Set(db.prepare('select message_id from send_queue').pluck().all());
  const queued = waiting.size;
  const network = new Set(db.prepare('select id from sandbox_messages').pluck().all());
  const confirmed = new Set(db.prepare('select message_id from messages where from_me = 1').pluck().all());
  const delivery = new Map();
  const sent = new Map();
  for (const row of db.prepare(`select event_type, payload from webhook_outbox where event_type in ('DeliveryCallback', 'MessageStatusCallback')`).iterate()) {
    const p = JSON.parse(row.payload);
    if (row.event_type === 'DeliveryCallback') delivery.set(p.messageId, (delivery.get(p.messageId) ?? 0) + 1);
    else if (p.status === 'SENT') for (const id of p.ids) sent.set(id, (sent.get(id) ?? 0) + 1);
  }
  const outbox = Object.fromEntries(db.prepare('select status, count(*) n from webhook_outbox group by status').all().map((r) => [r.status, r.n]));
  db.close();
  const r = { queued, lost: 0, notConfirmed: 0, deliveryMissing: 0, deliveryTwice: 0, resent: 0, sentMissing: 0, outbox };
  for (const id of acceptedIds) {
    if (waiting.has(id)) continue; // not lost: still queued (not drained within the time bound)
    if (!network.has(id)) r.lost++;
    if (!confirmed.has(id)) r.notConfirmed++;
    const d = delivery.get(id) ?? 0;
    if (d === 0 && confirmed.has(id)) r.deliveryMissing++;
    if (d > 1) r.deliveryTwice++;
    const s = sent.get(id) ?? 0;
    if (s > 1) r.resent += s - 1;
    if (s === 0 && network.has(id)) r.sentMissing++;
  }
  return r;
}

const rounds = [];
let lastServer = null;
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const dataDir = tempDir('crash');
    const env = { OPENZAP_SEND_GAP_MS: '0', OPENZAP_QUEUE_LIMIT: String(Math.ceil(TOTAL / INSTANCES)) };
    let server = await startServer({ dataDir, label: `crash-${round}`, env, cpuProf: false });
    const instances = await createInstances(server, INSTANCES, { webhookUrl: hookUrl, pair: false });
    await loadgen.call('init', {
      origin: server.url,
      instances: instances.map((inst, i) => ({ ...inst, contact: `55119${String(20_000_000 + i).padStart(8, '0')}` })),
      connections: 50,
    });
    const enq = await loadgen.call('fixed', { total: TOTAL, concurrency: 50 });
    const accepted = enq.accepted.ids;
    await loadgen.call('close');
    await receiver.call('reset');

    // Drain, and kill -9 once a random share has been sent.
    const share = 0.02 + 0.96 * random();
    const jitterMs = Math.floor(random() * 50);
    const threshold = Math.floor(share * accepted.length);
    const drainStart = now();
    // Not awaited: while a queue drains the server answers slowly, and the kill must not wait.
    const pairing = pairInstances(server, instances, INSTANCES).catch(() => undefined);
    const dbFile = path.join(dataDir, 'openzap.db');
    const q = queueReader(dbFile);
    while (now() - drainStart < DRAIN_S * 1000 && accepted.length - q.left() < threshold) await sleep(5);
    await sleep(jitterMs);
    const killedAfterMs = now() - drainStart;
    await server.crash();
    const sentAtKill = accepted.length - q.left();
    q.close();
    const hooksAtKill = (await receiver.call('stats')).byType;

    await pairing;
    // Restart on the same database; pair the instances the kill caught before their pairing.
    server = await startServer({ dataDir, label: `crash-${round}-restart`, env });
    const restartMs = server.readyMs;
    const pairedIds = new Set(queryAll(dbFile, 'select instance_id from sandbox_devices where paired = 1'));
    const unpaired = instances.filter((i) => !pairedIds.has(i.id));
    await pairInstances(server, unpaired, INSTANCES);
    const end = now() + DRAIN_S * 1000;
    const q2 = queueReader(dbFile);
    let left = q2.left();
    while (left > 0 && now() < end) {
      await sleep(50);
      left = q2.left();
    }
    q2.close();
    const drainedMs = now() - drainStart;
    await sleep(1500); // receipts (RECEIVED, READ) still due from simulated contacts
    await server.stop();
    lastServer = server;
    const dump = await receiver.call('dump');
    const seen = new Map();
    let redelivered = 0;
    for (const id of dump.rec.eventId) {
      if (seen.has(id)) redelivered++;
      seen.set(id, true);
    }
    const db = inspect(dbFile, accepted);
    rounds.push({
      round,
      accepted: accepted.length,
      refused: enq.requests - accepted.length,
      share,
      sentAtKill,
      killedAfterMs,
      hooksAtKill,
      restartMs,
      pairedAfterRestart: unpaired.length,
      queueLeft: left,
      drainedMs,
      webhookRedeliveries: redelivered,
      deliveryCallbacksReceived: dump.byType.DeliveryCallback ?? 0,
      ...db,
    });
  }
} finally {
  await loadgen.close();
  await receiver.close();
}

console.log('');
const rows = [];
for (const r of rounds) {
  const p = `round ${r.round}:`;
  rows.push([`${p} accepted (refused)`, `${fmt(r.accepted)} (${r.refused})`, '', '', `${fmt(TOTAL)}`, r.accepted === TOTAL]);
  rows.push([`${p} killed after`, `${fmt(r.sentAtKill)} sent (aimed at ${(r.share * 100).toFixed(0)} %), ${fmt(r.killedAfterMs)} ms into the drain`, '', '', '', null]);
  rows.push([`${p} restart → drained`, `ready ${fmt(r.restartMs)} ms (${r.pairedAfterRestart} paired after), queue empty ${r.queueLeft === 0 ? 'yes' : `NO (${r.queueLeft} left)`} at ${fmt(r.drainedMs / 1000, 1)} s`, '', '', `within ${DRAIN_S} s`, r.queueLeft === 0]);
  rows.push([`${p} lost (neither queued nor sent)`, String(r.lost), '', '', '0', r.lost === 0]);
  rows.push([`${p} sent but not confirmed`, String(r.notConfirmed), '', '', '0', r.notConfirmed === 0]);
  rows.push([`${p} confirmed twice (2 DeliveryCallbacks)`, String(r.deliveryTwice), '', '', '0', r.deliveryTwice === 0]);
  rows.push([`${p} re-sent after restart (engine dedup)`, String(r.resent), '', '', 'reported', null]);
  rows.push([`${p} DeliveryCallback events missing`, String(r.deliveryMissing), '', '', '0', r.deliveryMissing === 0]);
  rows.push([`${p} SENT status events missing`, String(r.sentMissing), '', '', '', null]);
  rows.push([`${p} webhook redeliveries (same event)`, String(r.webhookRedeliveries), '', '', 'at least once', null]);
  rows.push([`${p} outbox at stop`, JSON.stringify(r.outbox), '', '', '', null]);
}
table(rows);
console.log('\nbaseline: none (absolute targets). Reproduce a round with BENCH_SEED=' + SEED + '.');
const targets = {
  lost: rounds.every((r) => r.lost === 0 && r.notConfirmed === 0),
  drained: rounds.every((r) => r.queueLeft === 0),
  duplicates: rounds.every((r) => r.deliveryTwice === 0),
};
saveResult('crash', { seed: SEED, rounds, targets, diagnostics: diagnostics(lastServer) });
process.exit(0);
