// Queue area (zapi-reference.txt "Fila"): list (documented item keys, paging, count),
// count, clear, delete one. Instances stay unpaired so that messages stay queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/http.js';
import { expectError } from './expect.js';

const ITEM_KEYS = ['_id', 'DelayMessage', 'Message', 'IsTrial', 'InstanceId', 'Phone', 'ZaapId', 'DelayTyping', 'MessageId', 'Created'];
const LIMIT = 8;

describe('queue API', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ OPENZAP_QUEUE_LIMIT: String(LIMIT) });
  });
  afterAll(() => server?.close());

  const send = async (inst: TestInstance, body: Record<string, unknown>) => {
    const res = await inst.call('POST', '/send-text', { phone: '5511999990000', ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { zaapId: string; messageId: string; id: string };
  };
  const count = async (inst: TestInstance) => (await inst.call('GET', '/queue/count')).body.count as number;

  it('lists waiting messages with the documented keys, oldest first', async () => {
    const inst = await server.createInstance();
    const before = Date.now();
    const a = await send(inst, { message: 'first' });
    const b = await send(inst, { phone: '5511888880000', message: 'second', delayMessage: 5, delayTyping: 3 });

    const res = await inst.call('GET', '/queue?page=1&pageSize=100');
    expect(res.status).toBe(200);
    expect(res.body.messages).toHaveLength(2);
    for (const item of res.body.messages) for (const key of ITEM_KEYS) expect(item, key).toHaveProperty(key);
    const [first, second] = res.body.messages;
    expect(first).toMatchObject({
      _id: a.zaapId,
      ZaapId: a.zaapId,
      MessageId: a.messageId,
      Message: 'first',
      Phone: '5511999990000',
      InstanceId: inst.id,
      IsTrial: true,
      DelayMessage: -1, // not set, as in the docs' example
      DelayTyping: 0,
    });
    expect(first.Created).toBeGreaterThanOrEqual(before);
    expect(first.Created).toBeLessThanOrEqual(Date.now());
    expect(second).toMatchObject({ _id: b.zaapId, Message: 'second', Phone: '5511888880000', DelayMessage: 5, DelayTyping: 3 });
    expect(second.Created).toBeGreaterThanOrEqual(first.Created);
  });

  it('IsTrial follows the payment status', async () => {
    const inst = await server.createInstance();
    await send(inst, { message: 'x' });
    await server.partner('POST', `/instances/${inst.id}/token/${inst.token}/integrator/on-demand/subscription`);
    expect((await inst.call('GET', '/queue')).body.messages[0].IsTrial).toBe(false);
  });

  it('pages the list and counts (GET /queue/count, ?count=true)', async () => {
    const inst = await server.createInstance();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send(inst, { message: `m${i}` })).zaapId);
    expect(await count(inst)).toBe(5);

    const pages = [];
    for (let page = 1; page <= 3; page++) {
      const res = await inst.call('GET', `/queue?page=${page}&pageSize=2`);
      expect(res.body).toMatchObject({ page, pageSize: 2 });
      pages.push(...res.body.messages.map((m: any) => m.ZaapId));
    }
    expect(pages).toEqual(ids);
    expect((await inst.call('GET', '/queue?page=4&pageSize=2')).body.messages).toEqual([]);
    expect((await inst.call('GET', '/queue?page=1&pageSize=2&count=true')).body).toMatchObject({ count: 5 });
    expect((await inst.call('GET', '/queue?page=1&pageSize=2')).body).not.toHaveProperty('count');
    // Without page/pageSize: everything (defaults).
    expect((await inst.call('GET', '/queue')).body.messages).toHaveLength(5);
  });

  it('deletes one message by zaapId; 404 for an unknown one', async () => {
    const inst = await server.createInstance();
    const a = await send(inst, { message: 'keep' });
    const b = await send(inst, { message: 'drop' });
    const res = await inst.call('DELETE', `/queue/${b.zaapId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ value: true });
    expect((await inst.call('GET', '/queue')).body.messages.map((m: any) => m.ZaapId)).toEqual([a.zaapId]);
    expectError(await inst.call('DELETE', `/queue/${b.zaapId}`), 404, 'queue-message-not-found');
    expectError(await inst.call('DELETE', `/queue/${'0'.repeat(32)}`), 404, 'queue-message-not-found');
    // zaapIds are case-insensitive hex.
    expect((await inst.call('DELETE', `/queue/${a.zaapId.toLowerCase()}`)).status).toBe(200);
    expect(await count(inst)).toBe(0);
  });

  it("cannot touch another instance's queue", async () => {
    const a = await server.createInstance();
    const b = await server.createInstance();
    const msg = await send(a, { message: 'mine' });
    expectError(await b.call('DELETE', `/queue/${msg.zaapId}`), 404);
    expect((await b.call('DELETE', '/queue')).body).toMatchObject({ value: true, deleted: 0 });
    expect((await b.call('GET', '/queue')).body.messages).toEqual([]);
    expect(await count(a)).toBe(1);
  });

  it('clears the queue (DELETE /queue)', async () => {
    const inst = await server.createInstance();
    for (let i = 0; i < 3; i++) await send(inst, { message: `c${i}` });
    const res = await inst.call('DELETE', '/queue');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ value: true, deleted: 3 });
    expect(await count(inst)).toBe(0);
    expect((await inst.call('GET', '/queue')).body.messages).toEqual([]);
    expect((await inst.call('DELETE', '/queue')).body).toMatchObject({ value: true, deleted: 0 });
  });

  it(`refuses new sends once ${LIMIT} messages wait for a disconnected instance, and drains on pairing`, async () => {
    const inst = await server.createInstance();
    for (let i = 0; i < LIMIT; i++) await send(inst, { message: `q${i}` });
    const full = await inst.call('POST', '/send-text', { phone: '5511999990000', message: 'one too many' });
    expectError(full, 429, 'queue-full');
    expect(await count(inst)).toBe(LIMIT);

    await inst.call('POST', '/sandbox/pair', {});
    await waitFor(async () => (await count(inst)) === 0, 10_000, 'queue drained');
    expect((await inst.call('GET', '/queue')).body.messages).toEqual([]);
  });

  it('rejects bad paging and ids with 400', async () => {
    const inst = await server.createInstance();
    for (const q of ['page=0', 'page=abc', 'pageSize=0', 'pageSize=100000', 'page=1.5']) {
      expectError(await inst.call('GET', `/queue?${q}`), 400, 'validation');
    }
    expectError(await inst.call('DELETE', `/queue/${'A'.repeat(65)}`), 400, 'validation');
  });
});
