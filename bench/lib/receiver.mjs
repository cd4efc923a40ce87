// Webhook receiver (own process, keep-alive HTTP on 127.0.0.1). Counts every delivery by
// event type, records the ids of chosen types with their arrival time, keeps per-path
// (lane) order, and can fail a share of requests with HTTP 500.
import http from 'node:http';
import { now, rng, serve } from './common.mjs';

let cfg = { failRate: 0, seed: 1, recordTypes: [], lanes: false, progressMs: 0 };
let rand = rng(1);
let st;

function reset() {
  st = {
    total: 0, // successful deliveries
    attempts: 0,
    failed: 0,
    byType: {},
    first: null,
    last: null,
    // column store of recorded deliveries
    rec: { type: [], eventId: [], key: [], t: [] },
    lanes: new Map(), // path -> {ok: eventId[], tries: [eventId, ok][]}
  };
}
reset();

function lane(path) {
  let l = st.lanes.get(path);
  if (!l) st.lanes.set(path, (l = { ok: [], tries: [] }));
  return l;
}

function keyOf(type, raw) {
  const body = JSON.parse(raw);
  if (type === 'MessageStatusCallback') return `${body.status}:${body.ids.join(',')}`;
  return body.messageId ?? body.id ?? '';
}

const server = http.createServer((req, res) => {
  const type = req.headers['x-openzap-event-type'] ?? 'unknown';
  const eventId = Number(req.headers['x-openzap-event-id'] ?? -1);
  const record = cfg.recordTypes.includes(type);
  const chunks = [];
  if (record) req.on('data', (c) => chunks.push(c));
  else req.resume();
  req.on('end', () => {
    const t = now();
    st.attempts++;
    const fail = cfg.failRate > 0 && rand() < cfg.failRate;
    if (cfg.lanes) lane(req.url).tries.push([eventId, !fail]);
    if (fail) {
      st.failed++;
      res.statusCode = 500;
      res.end('fail');
      return;
    }
    res.end('ok');
    st.total++;
    st.byType[type] = (st.byType[type] ?? 0) + 1;
    st.first ??= t;
    st.last = t;
    if (cfg.lanes) lane(req.url).ok.push(eventId);
    if (record) {
      let key = '';
      try {
        key = keyOf(type, Buffer.concat(chunks).toString('utf8'));
      } catch {
        key = '(unparseable)';
      }
      st.rec.type.push(type);
      st.rec.eventId.push(eventId);
      st.rec.key.push(key);
      st.rec.t.push(t);
    }
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;

let progressTimer = null;

const counts = () => ({ total: st.total, attempts: st.attempts, failed: st.failed, byType: st.byType, first: st.first, last: st.last });

serve({
  async start() {
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${server.address().port}` };
  },
  config(args) {
    cfg = { ...cfg, ...args };
    rand = rng(cfg.seed);
    if (progressTimer) clearInterval(progressTimer);
    progressTimer = cfg.progressMs > 0 ? setInterval(() => process.send({ type: 'progress', ...counts() }), cfg.progressMs) : null;
    return true;
  },
  reset() {
    reset();
    return true;
  },
  stats: counts,
  dump() {
    return {
      ...counts(),
      rec: st.rec,
      lanes: cfg.lanes ? Object.fromEntries([...st.lanes.entries()]) : {},
    };
  },
});
