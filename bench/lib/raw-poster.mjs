// The webhook baseline (own process): read the pending outbox rows straight from the
// SQLite file and POST them with plain undici — same payloads, same headers, same
// receiver, one sequential stream per lane, same agent size — with no bookkeeping at all.
import SQLite from 'better-sqlite3';
import { Agent, request } from 'undici';
import { now, serve } from './common.mjs';

serve({
  async run({ dbFile, connections = 32 }) {
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
          const res = await request(r.url, {
            method: 'POST',
            dispatcher: agent,
            headers: {
              'content-type': 'application/json',
              'z-api-token': r.token,
              'user-agent': 'OpenZap',
              'x-openzap-event-id': String(r.id),
              'x-openzap-event-type': r.event_type,
              'x-openzap-attempt': '1',
            },
            body: r.payload,
          });
          await res.body.dump();
          if (res.statusCode >= 300) failed++;
        }
      }),
    );
    const ms = now() - started;
    await agent.close();
    return { posted: rows.length, lanes: lanes.size, failed, ms };
  },
});
