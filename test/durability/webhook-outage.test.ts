// Webhook delivery when the receiver misbehaves (DESIGN.md §5): it refuses connections,
// then answers 500, then comes back on the same port. Every event must arrive, in order per
// (instance, URL) lane, never twice after a 2xx; every failed attempt is logged once; a
// failing lane does not hold up another; past the retry horizon events are kept as failed
// and POST /webhooks/replay delivers them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/http.js';
import { RecordingReceiver, backends, sleep, type Attempt } from './support.js';

const CONTACT = '5511987650003';
let phoneSeq = 0;
const nextPhone = () => `55005000${String(++phoneSeq).padStart(5, '0')}`;

interface LogRow {
  id: number;
  type: string;
  url: string;
  status: string;
  attempts: number;
  payload: any;
}

async function outboxLog(inst: TestInstance, status?: string): Promise<LogRow[]> {
  const res = await inst.call('GET', `/webhooks/deliveries?pageSize=1000${status ? `&status=${status}` : ''}`);
  expect(res.status).toBe(200);
  return (res.body.content as LogRow[]).sort((a, b) => a.id - b.id);
}

async function send(inst: TestInstance, message: string) {
  const res = await inst.call('POST', '/send-text', { phone: CONTACT, message });
  expect(res.status).toBe(200);
  return res.body as { zaapId: string; messageId: string };
}

/** Each outbox id at most once among the 2xx answers, and in increasing order (the lane order). */
function expectOnceInOrder(delivered: Attempt[]): void {
  const ids = delivered.map((a) => a.eventId);
  expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
  for (let i = 1; i < ids.length; i++) expect(ids[i], `event ${ids[i]} after ${ids[i - 1]}`).toBeGreaterThan(ids[i - 1]);
}

describe.each(backends)('webhook outbox under receiver outages ($name)', (backend) => {
  const servers: TestServer[] = [];
  const receivers: RecordingReceiver[] = [];
  let env: Record<string, string> = {};
  let cleanup: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const b = await backend.setup();
    env = b.env;
    cleanup = b.cleanup;
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const r of receivers.splice(0)) await r.stop();
  });
  afterAll(() => cleanup());

  async function setup(extra: Record<string, string> = {}) {
    const s = await startTestServer({ ...env, OPENZAP_WEBHOOK_BACKOFF_MS: '50', ...extra });
    servers.push(s);
    return s;
  }
  async function receiver(): Promise<RecordingReceiver> {
    const r = await new RecordingReceiver().start();
    receivers.push(r);
    return r;
  }

  it('a live lane delivers in id order while events are written concurrently', async () => {
    const s = await setup();
    const rec = await receiver();
    const inst = await s.pairedInstance(`${rec.url}/busy`, nextPhone());
    const msgs = await Promise.all(Array.from({ length: 15 }, (_, i) => send(inst, `busy ${i}`)));
    await waitFor(() => msgs.every((m) => rec.delivered.some((a) => a.body.status === 'READ' && a.body.ids.includes(m.messageId))), 10_000, 'every READ');
    await waitFor(async () => (await outboxLog(inst, 'pending')).length === 0, 5000, 'outbox drained');
    expectOnceInOrder(rec.delivered);
    expect(rec.delivered.map((a) => a.eventId)).toEqual((await outboxLog(inst)).map((r) => r.id));
  });

  it('refused, then 500, then back on the same port: every event arrives once, in lane order, each failure logged once', async () => {
    const s = await setup();
    const rec = await receiver();
    const inst = await s.pairedInstance(`${rec.url}/lane`, nextPhone());
    await waitFor(() => rec.delivered.some((a) => a.body.type === 'ConnectedCallback'), 5000, 'ConnectedCallback');

    await rec.stop(); // connection refused
    const msgs = [await send(inst, 'm0'), await send(inst, 'm1'), await send(inst, 'm2')];
    await sleep(400);
    rec.failWith = 500;
    await rec.start(); // same port
    msgs.push(await send(inst, 'm3'), await send(inst, 'm4'));
    await waitFor(() => rec.attempts.some((a) => a.status === 500), 5000, 'a 500 answer');
    await sleep(100);
    expect(rec.delivered).toHaveLength(1); // only the ConnectedCallback from before the outage
    rec.failWith = null;

    await waitFor(() => msgs.every((m) => rec.delivered.some((a) => a.body.status === 'READ' && a.body.ids.includes(m.messageId))), 15_000, 'every READ');
    await waitFor(async () => (await outboxLog(inst, 'pending')).length === 0, 5000, 'outbox drained');
    await sleep(200); // nothing more may arrive

    const log = await outboxLog(inst);
    expect(log.every((r) => r.status === 'delivered')).toBe(true);
    // Every event arrived, once, in id order.
    expectOnceInOrder(rec.delivered);
    expect(rec.delivered.map((a) => a.eventId)).toEqual(log.map((r) => r.id));
    // Message order within the lane: DeliveryCallbacks m0…m4, and each message's statuses SENT → RECEIVED → READ.
    expect(rec.delivered.filter((a) => a.body.type === 'DeliveryCallback').map((a) => a.body.zaapId)).toEqual(msgs.map((m) => m.zaapId));
    for (const m of msgs) {
      const st = rec.delivered.filter((a) => a.body.type === 'MessageStatusCallback' && a.body.ids.includes(m.messageId)).map((a) => a.body.status);
      expect(st).toEqual(['SENT', 'RECEIVED', 'READ']);
    }

    // The attempt log: numbered 1…n, every failure recorded once, then exactly one success.
    let refusedSeen = 0;
    let http500Seen = 0;
    for (const row of log) {
      const res = await inst.call('GET', `/webhooks/deliveries/${row.id}`);
      expect(res.status).toBe(200);
      const attempts = res.body.attempts as { attempt: number; statusCode: number | null; error: string | null }[];
      expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
      expect(attempts).toHaveLength(row.attempts);
      const last = attempts[attempts.length - 1];
      expect(last).toMatchObject({ statusCode: 200, error: null });
      for (const a of attempts.slice(0, -1)) {
        if (a.statusCode === 500) {
          expect(a.error).toBe('HTTP 500');
          http500Seen++;
        } else {
          expect(a.statusCode).toBeNull();
          expect(a.error).toMatch(/\S/);
          refusedSeen++;
        }
      }
      // What the receiver saw for this event matches the log: its 500s and one 200.
      const seen = rec.attempts.filter((a) => a.eventId === row.id);
      expect(seen.filter((a) => a.status === 500)).toHaveLength(attempts.filter((a) => a.statusCode === 500).length);
      expect(seen.filter((a) => a.status === 200)).toHaveLength(1);
      expect(seen.map((a) => Number(a.headers['x-openzap-attempt']))).toEqual(attempts.filter((a) => a.statusCode !== null).map((a) => a.attempt));
    }
    expect(refusedSeen).toBeGreaterThan(0);
    expect(http500Seen).toBeGreaterThan(0);
  });

  it("a lane blocked by a failing URL does not block another URL's lane", async () => {
    const s = await setup();
    const up = await receiver();
    const down = await receiver();
    const inst = await s.pairedInstance(`${up.url}/up`, nextPhone());
    expect((await inst.call('PUT', '/update-webhook-delivery', { value: `${down.url}/down` })).status).toBe(200);
    await down.stop();
    const msgs = [await send(inst, 'l0'), await send(inst, 'l1'), await send(inst, 'l2')];
    await waitFor(() => msgs.every((m) => up.delivered.some((a) => a.body.status === 'READ' && a.body.ids.includes(m.messageId))), 5000, 'statuses on the healthy lane');
    const blocked = (await outboxLog(inst, 'pending')).filter((r) => r.type === 'DeliveryCallback');
    expect(blocked.map((r) => r.payload.zaapId)).toEqual(msgs.map((m) => m.zaapId));
    expect(blocked[0].attempts).toBeGreaterThan(0);
    expect(down.attempts).toHaveLength(0);

    await down.start();
    await waitFor(() => down.delivered.length === 3, 10_000, 'the blocked lane drains');
    expect(down.delivered.map((a) => a.body.zaapId)).toEqual(msgs.map((m) => m.zaapId));
    expectOnceInOrder(down.delivered);
    expectOnceInOrder(up.delivered);
  });

  it('past the retry horizon events are kept as failed; POST /webhooks/replay delivers them once the receiver is up', async () => {
    const s = await setup({ OPENZAP_WEBHOOK_RETRY_SECONDS: '1' });
    const rec = await receiver();
    await rec.stop();
    const inst = await s.pairedInstance(`${rec.url}/late`, nextPhone()); // its ConnectedCallback fails too
    const msgs = [await send(inst, 'f0'), await send(inst, 'f1')];
    const expected = 1 + msgs.length * 4; // Connected + (Delivery, SENT, RECEIVED, READ) per message
    const failed = await waitFor(
      async () => {
        const [f, p] = [await outboxLog(inst, 'failed'), await outboxLog(inst, 'pending')];
        return f.length === expected && p.length === 0 ? f : null;
      },
      8000,
      'every event failed',
    );
    expect(failed.every((r) => r.attempts >= 1)).toBe(true);

    await rec.start();
    await sleep(400);
    expect(rec.attempts).toHaveLength(0); // failed events are not retried on their own

    const replay = await inst.call('POST', '/webhooks/replay', {});
    expect(replay.body).toEqual({ value: true, replayed: expected });
    await waitFor(() => rec.delivered.length === expected, 5000, 'replayed events');
    await sleep(200);
    expect(rec.delivered.map((a) => a.eventId)).toEqual(failed.map((r) => r.id));
    expectOnceInOrder(rec.delivered);
    expect(await outboxLog(inst, 'failed')).toEqual([]);
    // The attempt log keeps one entry per attempt: the failures before the horizon, then the replayed success.
    const first = await inst.call('GET', `/webhooks/deliveries/${failed[0].id}`);
    const attempts = first.body.attempts as { attempt: number; statusCode: number | null }[];
    expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
    expect(attempts.slice(0, -1).every((a) => a.statusCode === null)).toBe(true);
    expect(attempts[attempts.length - 1].statusCode).toBe(200);
  });

  it('a replay while the receiver is still down gets a fresh retry window, not a single attempt', async () => {
    const s = await setup({ OPENZAP_WEBHOOK_RETRY_SECONDS: '1' });
    const rec = await receiver();
    rec.failWith = 500;
    const inst = await s.pairedInstance(`${rec.url}/still-down`, nextPhone());
    const failed = await waitFor(async () => (await outboxLog(inst, 'failed')).find((r) => r.type === 'ConnectedCallback'), 8000, 'Connected failed');
    const before = failed.attempts;
    const replay = await inst.call('POST', '/webhooks/replay', { ids: [failed.id] });
    expect(replay.body).toEqual({ value: true, replayed: 1 });
    // Within the new 1 s window, with a 50 ms backoff, it is tried several more times before failing again.
    const again = await waitFor(async () => (await outboxLog(inst, 'failed')).find((r) => r.id === failed.id), 8000, 'failed again');
    expect(again.attempts - before).toBeGreaterThan(2);
  });
});

// SQLite only: PRAGMA query_only makes every write fail while reads work, like a full disk.
describe('webhook delivery when its outcome cannot be written (sqlite)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('a delivery whose outcome cannot be recorded is retried calmly, not in a hot loop', async () => {
    const s = await startTestServer({ OPENZAP_WEBHOOK_BACKOFF_MS: '50' });
    const rec = await new RecordingReceiver().start();
    cleanups.push(() => s.close(), () => rec.stop());
    const inst = await s.pairedInstance(`${rec.url}/unrecorded`, nextPhone());
    await waitFor(() => rec.delivered.length === 1, 5000, 'ConnectedCallback');
    const db = s.oz.ctx.store.db;
    // Reads work, writes fail (like a full disk): the 2xx of the next event cannot be recorded.
    await rec.stop();
    const m = await send(inst, 'unrecorded');
    await waitFor(async () => (await outboxLog(inst, 'pending')).some((r) => r.attempts > 0), 5000, 'a failed attempt');
    await sql`PRAGMA query_only = 1`.execute(db);
    try {
      await rec.start();
      await waitFor(() => rec.delivered.length > 1, 5000, 'the unrecorded delivery');
      await sleep(1000);
      const repeats = rec.delivered.filter((a) => a.eventId === rec.delivered[1].eventId).length;
      console.log(`[outage] deliveries of one unrecordable event in ~1 s: ${repeats}`);
      expect(repeats).toBeLessThanOrEqual(3);
    } finally {
      await sql`PRAGMA query_only = 0`.execute(db);
    }
    await waitFor(() => rec.delivered.some((a) => a.body.type === 'DeliveryCallback' && a.body.zaapId === m.zaapId), 10_000, 'DeliveryCallback');
    await waitFor(async () => (await outboxLog(inst, 'pending')).length === 0, 10_000, 'outbox drained once writes work again');
  });
});
