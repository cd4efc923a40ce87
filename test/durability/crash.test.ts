// Crash safety (DESIGN.md §5): the real process is SIGKILLed while messages wait in the
// queue or are being sent, and restarted on the same data. Every accepted message must be
// sent exactly once, in order, and every webhook of it must still arrive.
import { afterAll, describe, expect, it } from 'vitest';
import { WebhookReceiver, type Delivery } from '../helpers/receiver.js';
import { PARTNER_TOKEN, tempDir } from '../helpers/server.js';
import { call, waitFor } from '../helpers/http.js';
import { ChildServer, backends, freePort, pairedInstanceAt, sleep } from './support.js';

const CONTACT = '5511987650001';
const MESSAGES = 6;
const RANDOM_KILLS = 2;

/** Distinct outbox ids among the deliveries (a redelivery after a crash repeats the id). */
const eventIds = (ds: Delivery[]) => new Set(ds.map((d) => Number(d.headers['x-openzap-event-id'])));

describe.each(backends)('crash safety ($name)', (backend) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('SIGKILL while messages wait or are being sent: each is sent exactly once and all its webhooks arrive', { timeout: 60_000 }, async () => {
    const b = await backend.setup();
    cleanups.push(b.cleanup);
    const hooks = await new WebhookReceiver().start();
    cleanups.push(() => hooks.stop());
    const dataDir = tempDir('openzap-crash-');
    const port = await freePort();
    const start = () => ChildServer.start({ dataDir, port, env: b.env });
    let server = await start();
    cleanups.push(() => server.kill());

    const inst = await pairedInstanceAt(server.url, PARTNER_TOKEN, `${hooks.url}/hook`, '5500300000001');
    const api = (m: string, route: string, body?: unknown) => call(m, inst.path(server.url) + route, body);

    // Alternate delayMessage (waiting in the queue) and delayTyping (claimed, mid-send).
    const accepted: { zaapId: string; messageId: string; text: string }[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const text = `crash test ${i}`;
      const res = await api('POST', '/send-text', { phone: CONTACT, message: text, ...(i % 2 === 0 ? { delayMessage: 1 } : { delayTyping: 1 }) });
      expect(res.status).toBe(200);
      accepted.push({ zaapId: res.body.zaapId, messageId: res.body.messageId, text });
    }

    const deliveriesOf = (zaapId: string) => hooks.of('DeliveryCallback', (x) => x.zaapId === zaapId);
    const statusesOf = (id: string) => new Set(hooks.of('MessageStatusCallback', (x) => x.ids.includes(id)).map((d) => d.body.status));
    const sentCount = () => accepted.filter((m) => deliveriesOf(m.zaapId).length > 0).length;
    const kills: string[] = [];
    const killAndRestart = async (why: string) => {
      await server.kill();
      kills.push(`${why}: ${sentCount()}/${MESSAGES} confirmed`);
      server = await start();
    };

    // 1. While a message is claimed and "typing" (send_queue.status = sending).
    const typing = accepted[1].zaapId;
    await waitFor(async () => (await api('GET', '/queue')).body.messages?.some((m: any) => m.ZaapId === typing && m.Status === 'SENDING'), 10_000, 'message 1 typing');
    await killAndRestart('during typing');
    // 2. Right after the restart, before anything else happened.
    await sleep(50);
    await killAndRestart('right after restart');
    // 3. At random points of the rest of the sending window.
    for (let k = 0; k < RANDOM_KILLS && sentCount() < MESSAGES; k++) {
      await sleep(200 + Math.floor(Math.random() * 1300));
      await killAndRestart(`random #${k + 1}`);
    }
    console.log(`[crash ${backend.name}] kills: ${kills.join('; ')}`);
    expect(kills.length).toBeGreaterThanOrEqual(3);

    const done = (m: (typeof accepted)[0]) => deliveriesOf(m.zaapId).length > 0 && ['SENT', 'RECEIVED', 'READ'].every((s) => statusesOf(m.messageId).has(s));
    await waitFor(() => accepted.every(done), 30_000, 'every message confirmed, received and read');
    await waitFor(async () => (await api('GET', '/webhooks/deliveries?status=pending')).body.total === 0, 10_000, 'outbox drained');
    expect(await server.stop()).toBe(0);

    // The webhooks: one DeliveryCallback event per message (a redelivery repeats its event id), no error.
    for (const m of accepted) {
      const ds = deliveriesOf(m.zaapId);
      expect(eventIds(ds).size, `DeliveryCallback events for ${m.text}`).toBe(1);
      expect(ds[0].body).toEqual({ phone: CONTACT, zaapId: m.zaapId, messageId: m.messageId, type: 'DeliveryCallback', instanceId: inst.id });
    }
    // Sent in the order accepted.
    const firstArrival = accepted.map((m) => Math.min(...deliveriesOf(m.zaapId).map((d) => Number(d.headers['x-openzap-event-id']))));
    expect(firstArrival).toEqual([...firstArrival].sort((x, y) => x - y));

    // The stored state: the network holds each message once, in order; nothing left in the queue.
    const db = await b.inspect(dataDir);
    try {
      const net = await db.rows<{ id: string; content: string; status: string; created_at: number }>(
        'select id, content, status, created_at from sandbox_messages where from_phone = $1 order by created_at, id',
        [inst.phone],
      );
      expect(net.map((r) => r.id)).toEqual(accepted.map((m) => m.messageId));
      expect(net.map((r) => JSON.parse(r.content).content.text)).toEqual(accepted.map((m) => m.text));
      expect(net.every((r) => r.status === 'read')).toBe(true);
      // delayMessage holds across restarts: no burst of the messages that waited through a crash.
      const gaps = net.slice(1).map((r, i) => Number(r.created_at) - Number(net[i].created_at));
      console.log(`[crash ${backend.name}] send gaps (ms): ${gaps.join(' ')}`);
      for (let i = 2; i < MESSAGES; i += 2) expect(gaps[i - 1], `gap before delayMessage message ${i}`).toBeGreaterThanOrEqual(1000);
      expect(await db.rows('select * from send_queue')).toEqual([]);
      const outbox = await db.rows<{ event_type: string; payload: string; status: string }>(
        'select event_type, payload, status from webhook_outbox where instance_id = $1 order by id',
        [inst.id],
      );
      expect(outbox.filter((r) => r.status !== 'delivered')).toEqual([]);
      for (const m of accepted) {
        const rows = outbox.filter((r) => r.event_type === 'DeliveryCallback' && JSON.parse(r.payload).zaapId === m.zaapId);
        expect(rows, `DeliveryCallback rows for ${m.text}`).toHaveLength(1);
        const statuses = outbox.filter((r) => r.event_type === 'MessageStatusCallback' && JSON.parse(r.payload).ids.includes(m.messageId));
        expect(new Set(statuses.map((r) => JSON.parse(r.payload).status))).toEqual(new Set(['SENT', 'RECEIVED', 'READ']));
      }
    } finally {
      await db.close();
    }
  });
});
