// The send queue as a client sees it (DESIGN.md §5): FIFO per instance, delayMessage,
// delayTyping and the default gap honoured, messages waiting while disconnected and
// draining on reconnect, the cap for disconnected instances, DELETE /queue, and a graceful
// shutdown that finishes the send under way. Timings are lower bounds only.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import path from 'node:path';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { backends, sleep } from './support.js';

const CONTACT = '5511987650002';
/**
 * Slack for comparing the arrival times of two webhooks: each waits in its lane and crosses
 * a socket, which under a loaded test run can take a while. The exact bounds are asserted on
 * the engine's send timestamps (SENT momment); arrivals get this allowance.
 */
const JITTER_MS = 150;

let hooks: WebhookReceiver;
let phoneSeq = 0;
const nextPhone = () => `55004000${String(++phoneSeq).padStart(5, '0')}`;
const servers: TestServer[] = [];
async function server(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const s = await startTestServer(env, dataDir);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  hooks = await new WebhookReceiver().start();
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => hooks?.stop());

/** Route this instance's deliveries and statuses to lanes of their own, under a unique prefix. */
async function hooked(inst: TestInstance, prefix: string): Promise<void> {
  expect((await inst.call('PUT', '/update-every-webhooks', { value: `${hooks.url}/${prefix}/other` })).status).toBe(200);
  expect((await inst.call('PUT', '/update-webhook-delivery', { value: `${hooks.url}/${prefix}/delivery` })).status).toBe(200);
  expect((await inst.call('PUT', '/update-webhook-message-status', { value: `${hooks.url}/${prefix}/status` })).status).toBe(200);
}
async function paired(s: TestServer, prefix: string): Promise<TestInstance & { phone: string }> {
  const inst = await s.createInstance();
  await hooked(inst, prefix);
  const p = await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
  expect(p.status).toBe(200);
  return { ...inst, phone: p.body.phone };
}
const deliveries = (prefix: string) => hooks.deliveries.filter((d) => d.path === `/${prefix}/delivery`);
const deliveredZaapIds = (prefix: string) => deliveries(prefix).map((d) => d.body.zaapId as string);
/** Engine-side send time of a message: the SENT status's momment. */
const sentAt = (prefix: string, id: string) =>
  hooks.deliveries.find((d) => d.path === `/${prefix}/status` && d.body.status === 'SENT' && d.body.ids.includes(id))?.body.momment as number;
const arrivalOf = (prefix: string, zaapId: string) => deliveries(prefix).find((d) => d.body.zaapId === zaapId)!.at;

/** requestedAt: taken before the request, so the message's acceptance (created_at) is not earlier. */
async function send(inst: TestInstance, message: string, extra: Record<string, unknown> = {}, phone = CONTACT) {
  const requestedAt = Date.now();
  const res = await inst.call('POST', '/send-text', { phone, message, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...(res.body as { zaapId: string; messageId: string }), requestedAt };
}
async function waitDelivered(prefix: string, zaapIds: string[], timeout = 10_000) {
  await waitFor(() => zaapIds.every((z) => deliveredZaapIds(prefix).includes(z)), timeout, `DeliveryCallbacks on /${prefix}`);
}
const inNetwork = (s: TestServer, id: string) => s.oz.ctx.store.db.selectFrom('sandbox_messages').select('id').where('id', '=', id).executeTakeFirst();

describe('send queue: order and timing', () => {
  it.each(backends)('sends a burst with no gap in order ($name): the next message goes while the previous one is confirmed, callbacks keep the order', async (backend) => {
    const b = await backend.setup();
    const s = await server({ OPENZAP_SEND_GAP_MS: '0', ...b.env });
    const prefix = `burst-${backend.name}`;
    const a = await paired(s, prefix);
    // Accepted concurrently, in the order the server gave them seqs.
    const sent = await Promise.all(Array.from({ length: 60 }, (_, i) => send(a, `burst ${i}`)));
    const queued = await s.oz.ctx.store.db.selectFrom('send_queue').select('zaap_id').where('instance_id', '=', a.id).orderBy('seq').execute();
    const inSeq = queued.map((r) => r.zaap_id);
    await waitDelivered(prefix, sent.map((m) => m.zaapId), 20_000);
    const delivered = deliveredZaapIds(prefix);
    expect(new Set(delivered).size).toBe(60); // each once
    // In queue order (the rows not yet sent when listed were sent in seq order too).
    expect(delivered.filter((z) => inSeq.includes(z))).toEqual(inSeq);
    await waitFor(() => sent.every((m) => sentAt(prefix, m.messageId) !== undefined), 10_000, 'SENT statuses');
    const sentTimes = sent.map((m) => sentAt(prefix, m.messageId));
    const bySeq = [...delivered].map((z) => sentTimes[sent.findIndex((m) => m.zaapId === z)]!);
    expect(bySeq).toEqual([...bySeq].sort((x, y) => x - y)); // the engine sent them in that order
    await waitFor(async () => (await s.oz.ctx.store.db.selectFrom('send_queue').select('seq').where('instance_id', '=', a.id).execute()).length === 0, 5000, 'queue empty');
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    await b.cleanup();
  });

  it('is FIFO per instance: a delayed head holds back the messages behind it, not other instances', async () => {
    const s = await server();
    const a = await paired(s, 'fifo-a');
    const b = await paired(s, 'fifo-b');
    const head = await send(a, 'a0', { delayMessage: 1 });
    const rest: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 1; i < 8; i++) rest.push(await send(a, `a${i}`));
    const other = [await send(b, 'b0'), await send(b, 'b1')];
    await waitDelivered('fifo-b', other.map((m) => m.zaapId), 5000);
    // B's queue did not wait for A's delayed head.
    expect(deliveredZaapIds('fifo-a')).toEqual([]);
    const all = [head, ...rest];
    await waitDelivered('fifo-a', all.map((m) => m.zaapId));
    expect(deliveredZaapIds('fifo-a')).toEqual(all.map((m) => m.zaapId));
    expect(deliveredZaapIds('fifo-b')).toEqual(other.map((m) => m.zaapId));
    // Nothing overtook the head: the first undelayed message went out a second after the head was accepted.
    await waitFor(() => sentAt('fifo-a', rest[0].messageId), 3000, 'SENT');
    expect(sentAt('fifo-a', rest[0].messageId)).toBeGreaterThanOrEqual(head.requestedAt + 1000);
  });

  it('honours delayMessage: consecutive messages are at least the delay apart', async () => {
    const s = await server();
    const inst = await paired(s, 'delay');
    const msgs = [await send(inst, 'd0', { delayMessage: 1 }), await send(inst, 'd1', { delayMessage: 2 })];
    await waitDelivered('delay', msgs.map((m) => m.zaapId), 10_000);
    const delays = [1000, 2000];
    await waitFor(() => msgs.every((m) => sentAt('delay', m.messageId)), 3000, 'SENT statuses');
    // The first waits its delay from acceptance.
    expect(sentAt('delay', msgs[0].messageId) - msgs[0].requestedAt).toBeGreaterThanOrEqual(delays[0]);
    expect(arrivalOf('delay', msgs[0].zaapId) - msgs[0].requestedAt).toBeGreaterThanOrEqual(delays[0]);
    for (let i = 1; i < msgs.length; i++) {
      expect(sentAt('delay', msgs[i].messageId) - sentAt('delay', msgs[i - 1].messageId)).toBeGreaterThanOrEqual(delays[i]);
      expect(arrivalOf('delay', msgs[i].zaapId) - arrivalOf('delay', msgs[i - 1].zaapId)).toBeGreaterThanOrEqual(delays[i] - JITTER_MS);
    }
  });

  it('keeps the delayMessage pace across a restart (no burst of the messages that waited)', async () => {
    const first = await startTestServer();
    const inst = await paired(first, 'pace');
    const m0 = await send(inst, 'p0', { delayMessage: 1 });
    const m1 = await send(inst, 'p1', { delayMessage: 1 });
    await waitFor(() => sentAt('pace', m0.messageId), 5000, 'm0 SENT');
    await first.close();
    await server({}, first.dataDir); // m1 was due a second after m0, whatever the restart took
    await waitFor(() => sentAt('pace', m1.messageId), 5000, 'm1 SENT');
    expect(sentAt('pace', m1.messageId) - sentAt('pace', m0.messageId)).toBeGreaterThanOrEqual(1000);
  });

  it('shows "typing…" (COMPOSING) on the receiving sandbox instance for delayTyping, then the message', async () => {
    const s = await server();
    const a = await paired(s, 'typing-a');
    const b = await paired(s, 'typing-b');
    const m = await send(a, 'typed', { delayTyping: 1 }, b.phone);
    await waitDelivered('typing-a', [m.zaapId], 6000);
    const bHooks = () => hooks.deliveries.filter((d) => d.path === '/typing-b/other');
    const received = await waitFor(() => bHooks().find((d) => d.body.type === 'ReceivedCallback' && d.body.messageId === m.messageId), 3000, 'B receives');
    const presence = bHooks().filter((d) => d.body.type === 'PresenceChatCallback' && d.body.phone === a.phone);
    const composing = presence.find((d) => d.body.status === 'COMPOSING');
    expect(composing, 'COMPOSING presence on B').toBeDefined();
    // Same lane on B: the presence event was written before the message.
    expect(Number(composing!.headers['x-openzap-event-id'])).toBeLessThan(Number(received.headers['x-openzap-event-id']));
    expect(received.at - composing!.at).toBeGreaterThanOrEqual(1000 - JITTER_MS);
    expect(received.body.momment - m.requestedAt).toBeGreaterThanOrEqual(1000);
    // Typing stops once the message is out.
    await waitFor(() => bHooks().some((d) => d.body.type === 'PresenceChatCallback' && d.body.status === 'PAUSED'), 3000, 'PAUSED');
  });

  it('spaces messages by OPENZAP_SEND_GAP_MS ("200-300")', async () => {
    const s = await server({ OPENZAP_SEND_GAP_MS: '200-300' });
    const inst = await paired(s, 'gap');
    const msgs: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 5; i++) msgs.push(await send(inst, `g${i}`));
    await waitDelivered('gap', msgs.map((m) => m.zaapId), 8000);
    await waitFor(() => msgs.every((m) => sentAt('gap', m.messageId)), 3000, 'SENT statuses');
    expect(deliveredZaapIds('gap')).toEqual(msgs.map((m) => m.zaapId));
    for (let i = 1; i < msgs.length; i++) {
      expect(sentAt('gap', msgs[i].messageId) - sentAt('gap', msgs[i - 1].messageId)).toBeGreaterThanOrEqual(200);
      expect(arrivalOf('gap', msgs[i].zaapId) - arrivalOf('gap', msgs[i - 1].zaapId)).toBeGreaterThanOrEqual(200 - JITTER_MS);
    }
  });
});

describe('send queue: disconnected instances', () => {
  it('keeps the messages of a never-paired instance and drains them in order once paired', async () => {
    const s = await server();
    const inst = await s.createInstance();
    await hooked(inst, 'unpaired');
    const msgs: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 5; i++) msgs.push(await send(inst, `u${i}`));
    expect((await inst.call('GET', '/queue/count')).body).toEqual({ count: 5 });
    const listed = await inst.call('GET', '/queue');
    expect(listed.body.messages.map((m: any) => [m.ZaapId, m.Status])).toEqual(msgs.map((m) => [m.zaapId, 'QUEUED']));
    await sleep(300);
    expect(deliveredZaapIds('unpaired')).toEqual([]);
    expect((await inst.call('POST', '/sandbox/pair', { phone: nextPhone() })).status).toBe(200);
    await waitDelivered('unpaired', msgs.map((m) => m.zaapId));
    expect(deliveredZaapIds('unpaired')).toEqual(msgs.map((m) => m.zaapId));
    expect((await inst.call('GET', '/queue/count')).body).toEqual({ count: 0 });
  });

  it('a message deleted after the worker read it ahead (behind a message being typed) is never sent', async () => {
    const s = await server({ OPENZAP_SEND_GAP_MS: '0' });
    const inst = await s.createInstance();
    await hooked(inst, 'ahead');
    // Queued while unpaired, so that the worker reads all of them at once when it starts.
    const first = await send(inst, 'typed first', { delayTyping: 1 });
    const rest = [await send(inst, 'a1'), await send(inst, 'a2 (deleted)'), await send(inst, 'a3')];
    expect((await inst.call('POST', '/sandbox/pair', { phone: nextPhone() })).status).toBe(200);
    await waitFor(async () => (await inst.call('GET', '/queue')).body.messages[0]?.Status === 'SENDING', 3000, 'SENDING');
    expect((await inst.call('DELETE', `/queue/${rest[1]!.zaapId}`)).body).toEqual({ value: true });
    await waitDelivered('ahead', [first.zaapId, rest[0]!.zaapId, rest[2]!.zaapId]);
    await sleep(200);
    expect(deliveredZaapIds('ahead')).toEqual([first.zaapId, rest[0]!.zaapId, rest[2]!.zaapId]);
    expect(await inNetwork(s, rest[1]!.messageId)).toBeUndefined();
  });

  it('keeps messages sent after GET /disconnect and drains them in order after pairing again', async () => {
    const s = await server();
    const inst = await paired(s, 'disc');
    const before = await send(inst, 'before');
    await waitDelivered('disc', [before.zaapId]);
    expect((await inst.call('GET', '/disconnect')).body).toEqual({ value: true });
    const msgs = [await send(inst, 'w0'), await send(inst, 'w1'), await send(inst, 'w2')];
    await sleep(300);
    expect(deliveredZaapIds('disc')).toEqual([before.zaapId]);
    expect((await inst.call('GET', '/queue/count')).body).toEqual({ count: 3 });
    expect((await inst.call('POST', '/sandbox/pair', { phone: nextPhone() })).status).toBe(200);
    await waitDelivered('disc', msgs.map((m) => m.zaapId));
    expect(deliveredZaapIds('disc')).toEqual([before.zaapId, ...msgs.map((m) => m.zaapId)]);
  });

  describe.each(backends)('the cap ($name)', (backend) => {
    let cleanup: () => Promise<void> = async () => undefined;
    afterAll(() => cleanup());

    it('refuses the 21st message of a disconnected instance with 429 queue-full (OPENZAP_QUEUE_LIMIT=20), adding nothing', async () => {
      const b = await backend.setup();
      cleanup = b.cleanup;
      const s = await server({ ...b.env, OPENZAP_QUEUE_LIMIT: '20' });
      const inst = await s.createInstance();
      for (let i = 0; i < 20; i++) await send(inst, `c${i}`);
      const refused = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'one too many' });
      expect(refused.status).toBe(429);
      expect(refused.body.error).toBe('queue-full');
      expect(typeof refused.body.message).toBe('string');
      expect(refused.body.message.length).toBeGreaterThan(10);
      expect((await inst.call('GET', '/queue/count')).body).toEqual({ count: 20 });

      // Concurrent requests do not squeeze past the cap.
      const burst = await s.createInstance();
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => burst.call('POST', '/send-text', { phone: CONTACT, message: `burst ${i}` })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(20);
      expect(results.filter((r) => r.status === 429)).toHaveLength(10);
      expect((await burst.call('GET', '/queue/count')).body).toEqual({ count: 20 });

      // A connected instance is not capped: its queue drains.
      const live = await paired(s, `cap-live-${backend.name}`);
      const held = await send(live, 'held', { delayMessage: 15 });
      for (let i = 0; i < 22; i++) await send(live, `live ${i}`);
      expect((await live.call('GET', '/queue/count')).body).toEqual({ count: 23 });
      expect((await live.call('DELETE', `/queue/${held.zaapId}`)).body).toEqual({ value: true });
      await waitFor(async () => (await live.call('GET', '/queue/count')).body.count === 0, 10_000, 'live queue drained');
    });
  });

  it('applies the default cap of 1,000', { timeout: 30_000 }, async () => {
    const s = await server();
    const inst = await s.createInstance();
    const started = Date.now();
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 1000) {
          next++;
          statuses.push((await inst.call('POST', '/send-text', { phone: CONTACT, message: `m${next}` })).status);
        }
      }),
    );
    console.log(`[queue] 1000 sends to a disconnected instance took ${Date.now() - started} ms`);
    expect(statuses.filter((x) => x === 200)).toHaveLength(1000);
    const refused = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'm1001' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('queue-full');
    expect((await inst.call('GET', '/queue/count')).body).toEqual({ count: 1000 });
  });
});

describe('send queue: removal and shutdown', () => {
  it('DELETE /queue/{zaapId} and DELETE /queue remove waiting messages, which are then never sent', async () => {
    const s = await server();
    const inst = await paired(s, 'del');
    const head = await send(inst, 'head', { delayMessage: 1 });
    const m2 = await send(inst, 'keep');
    const m3 = await send(inst, 'drop me');
    const m4 = await send(inst, 'keep too');
    expect((await inst.call('DELETE', `/queue/${m3.zaapId}`)).body).toEqual({ value: true });
    expect((await inst.call('DELETE', `/queue/${m3.zaapId}`)).status).toBe(404);
    await waitDelivered('del', [head.zaapId, m2.zaapId, m4.zaapId]);
    expect(deliveredZaapIds('del')).toEqual([head.zaapId, m2.zaapId, m4.zaapId]);
    expect(await inNetwork(s, m3.messageId)).toBeUndefined();

    const waiting = [await send(inst, 'x0', { delayMessage: 1 }), await send(inst, 'x1'), await send(inst, 'x2')];
    expect((await inst.call('DELETE', '/queue')).body).toEqual({ value: true, deleted: 3 });
    expect((await inst.call('GET', '/queue/count')).body).toEqual({ count: 0 });
    await sleep(1200);
    expect(deliveredZaapIds('del')).toEqual([head.zaapId, m2.zaapId, m4.zaapId]);
    for (const m of waiting) expect(await inNetwork(s, m.messageId)).toBeUndefined();

    // A message already being sent (typing) can no longer be removed.
    const typing = await send(inst, 'typing', { delayTyping: 1 });
    await waitFor(async () => (await inst.call('GET', '/queue')).body.messages[0]?.Status === 'SENDING', 3000, 'SENDING');
    const busy = await inst.call('DELETE', `/queue/${typing.zaapId}`);
    expect(busy.status).toBe(409);
    expect(busy.body.error).toBe('already-sending');
    await waitDelivered('del', [typing.zaapId]);
  });

  it('a graceful shutdown during a delayTyping wait finishes that send', async () => {
    const s = await startTestServer();
    const inst = await paired(s, 'shutdown');
    const m = await send(inst, 'finish me', { delayTyping: 2 });
    await waitFor(async () => (await inst.call('GET', '/queue')).body.messages[0]?.Status === 'SENDING', 3000, 'SENDING');
    const t0 = Date.now();
    await s.close();
    console.log(`[queue] close() during a 2 s delayTyping took ${Date.now() - t0} ms`);
    expect(Date.now() - m.requestedAt).toBeGreaterThanOrEqual(2000);

    const db = new SQLite(path.join(s.dataDir, 'openzap.db'), { readonly: true });
    try {
      expect(db.prepare('select id, status from sandbox_messages where id = ?').get(m.messageId)).toMatchObject({ id: m.messageId });
      expect(db.prepare('select count(*) as n from send_queue').get()).toEqual({ n: 0 });
      const rows = db.prepare("select payload from webhook_outbox where event_type = 'DeliveryCallback'").all() as { payload: string }[];
      expect(rows.map((r) => JSON.parse(r.payload).zaapId)).toEqual([m.zaapId]);
    } finally {
      db.close();
    }
    // Back up: whatever was not delivered before the stop goes out now, once.
    await server({}, s.dataDir);
    await waitDelivered('shutdown', [m.zaapId]);
    await waitFor(() => hooks.deliveries.some((d) => d.path === '/shutdown/status' && d.body.status === 'READ' && d.body.ids.includes(m.messageId)), 5000, 'READ');
    expect(deliveredZaapIds('shutdown')).toEqual([m.zaapId]);
  });
});
