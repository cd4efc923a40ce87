// Load generator (own process): POST /send-text over undici to many instances, round
// robin. Modes: "closed" (N connections as fast as possible, optionally holding back
// while more than backlogCap accepted messages are not yet delivered), "open" (a fixed
// rate), "fixed" (exactly `total` requests). Every accepted messageId is kept with the
// time its 200 arrived.
import { Pool } from 'undici';
import { now, serve, sleep, summarize } from './common.mjs';

let pool;
let targets = [];
let delivered = 0;
let rr = 0;

function bodyFor(inst) {
  return JSON.stringify({ phone: inst.contact, message: `OpenZap benchmark message to ${inst.contact}` });
}

function newRun() {
  return { ids: [], t: [], http: [], statuses: {}, errors: {}, requests: 0, inflight: 0, skipped: 0 };
}

async function one(run) {
  const inst = targets[rr++ % targets.length];
  run.requests++;
  run.inflight++;
  const t0 = now();
  try {
    const res = await pool.request({ method: 'POST', path: inst.path, headers: { 'content-type': 'application/json' }, body: inst.body });
    const text = await res.body.text();
    const t1 = now();
    run.statuses[res.statusCode] = (run.statuses[res.statusCode] ?? 0) + 1;
    if (res.statusCode === 200) {
      run.ids.push(JSON.parse(text).messageId);
      run.t.push(t1);
      run.http.push(t1 - t0);
    }
  } catch (err) {
    const code = err.code ?? err.name ?? 'error';
    run.errors[code] = (run.errors[code] ?? 0) + 1;
    if (run.stopOnError) run.stop = true;
  } finally {
    run.inflight--;
  }
}

function result(run, started) {
  return {
    accepted: { ids: run.ids, t: Float64Array.from(run.t) },
    requests: run.requests,
    statuses: run.statuses,
    errors: run.errors,
    skipped: run.skipped,
    http: summarize(run.http),
    durationMs: now() - started,
  };
}

serve({
  init({ origin, instances, connections = 100 }) {
    pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    targets = instances.map((i) => ({ ...i, path: `/instances/${i.id}/token/${i.token}/send-text`, body: bodyFor(i) }));
    rr = 0;
    return true;
  },
  delivered({ n }) {
    delivered = n;
  },
  /** As fast as `connections` allow, for durationMs; holds back above backlogCap undelivered. */
  async closed({ connections, durationMs, backlogCap = 0, deliveredBase = 0 }) {
    const run = newRun();
    const started = now();
    const end = started + durationMs;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (now() < end) {
          if (backlogCap > 0 && run.ids.length - (delivered - deliveredBase) > backlogCap) {
            await sleep(2);
            continue;
          }
          await one(run);
        }
      }),
    );
    return result(run, started);
  },
  /** A steady `rate` per second for durationMs (open loop; skipped when maxInflight is reached). */
  async open({ rate, durationMs, maxInflight = 1000 }) {
    const run = newRun();
    const started = now();
    const pending = new Set();
    let issued = 0;
    while (now() - started < durationMs) {
      const due = Math.floor(((now() - started) * rate) / 1000);
      while (issued < due) {
        issued++;
        if (run.inflight >= maxInflight) {
          run.skipped++;
          continue;
        }
        const p = one(run).finally(() => pending.delete(p));
        pending.add(p);
      }
      await sleep(1);
    }
    await Promise.all(pending);
    return result(run, started);
  },
  /** Exactly `total` requests with `concurrency` in flight; stops at the first network error if asked. */
  async fixed({ total, concurrency, stopOnError = false }) {
    const run = newRun();
    run.stopOnError = stopOnError;
    const started = now();
    let left = total;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left > 0 && !run.stop) {
          left--;
          await one(run);
        }
      }),
    );
    return result(run, started);
  },
  async close() {
    await pool?.close();
    return true;
  },
});
