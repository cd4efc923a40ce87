// The webhook baseline (own process): read the pending outbox rows straight from the
// SQLite file and POST them with plain undici — same payloads, same headers, same
// receiver, one sequential stream per lane, same agent size — with no bookkeeping at all.
// api "request": undici's request() with the body dumped; api "dispatch": undici's dispatch
// API with the minimal handler OpenZap posts webhooks with (dist/net/post.js), so that the
// baseline is not slower than OpenZap's own HTTP path.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Agent, request } from 'undici';
import { now, serve } from './common.mjs';

const ROOT = process.env.OPENZAP_ROOT || path.resolve(import.meta.dirname, '../..');

async function postWithRequest(agent, url, headers, body) {
  const res = await request(url, { method: 'POST', dispatcher: agent, headers, body });
  await res.body.dump();
  return res.statusCode;
}

serve({
  async run({ dbFile, connections = 32, api = 'request' }) {
    const post = api === 'request' ? postWithRequest : await dispatchPoster();
    const db = new SQLite(dbFile, { readonly: true });
    const rows = db
      .prepare(
        `select o.id, o.instance_id, o.url, o.event_type, o.payload, i.token
           from webhook_outbox o join instances i on i.id = o.instance_id
          where o.status = 'pending' order by o.id`,
      )
      .all();
    db.close();
    const lanes = new Map();
    for (const r of rows) {
      const k = `${r.instance_id}\n${r.url}`;
      if (!lanes.has(k)) lanes.set(k, []);
      lanes.get(k).push(r);
    }
    const agent = new Agent({ connections, keepAliveTimeout: 30_000 });
    let failed = 0;
    const started = now();
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        for (const r of lane) {
          const headers = {
            'content-type': 'application/json',
            'z-api-token': r.token,
            'user-agent': 'OpenZap',
            'x-openzap-event-id': String(r.id),
            'x-openzap-event-type': r.event_type,
            'x-openzap-attempt': '1',
          };
          if ((await post(agent, r.url, headers, r.payload)) >= 300) failed++;
        }
      }),
    );
    const ms = now() - started;
    await agent.close();
    return { api, posted: rows.length, lanes: lanes.size, failed, ms };
  },
});

async function dispatchPoster() {
  const { postStatus } = await import(path.join(ROOT, 'dist/net/post.js'));
  return (agent, url, headers, body) => postStatus(agent, url, { headers, body, timeoutMs: 10_000 });
}
