// Sandbox persistence (DESIGN.md §4: "its state is persisted like everything else"): after a
// restart an instance is connected without pairing, receipts simulated contacts still owe
// arrive, and a message to a sandbox instance whose engine was stopped is delivered when it
// comes back. Also: an event is recorded before the state it reports moves on, so a write
// that fails (as in a crash between the two) repeats the event instead of losing it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { backends, sleep } from './support.js';

const CONTACT = '5511987650004';
let phoneSeq = 0;
const nextPhone = () => `55006000${String(++phoneSeq).padStart(5, '0')}`;

describe.each(backends)('sandbox persistence ($name)', (backend) => {
  let hooks: WebhookReceiver;
  let env: Record<string, string> = {};
  let cleanup: () => Promise<void> = async () => undefined;
  const open: TestServer[] = [];
  beforeAll(async () => {
    hooks = await new WebhookReceiver().start();
    const b = await backend.setup();
    env = b.env;
    cleanup = b.cleanup;
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  afterAll(async () => {
    await hooks?.stop();
    await cleanup();
  });
  /** Each test gets its own data: a fresh dir (SQLite) or, on Postgres, the suite's database (instances differ). */
  async function start(extra: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
    const s = await startTestServer({ ...env, ...extra }, dataDir);
    open.push(s);
    return s;
  }
  async function restart(s: TestServer, extra: Record<string, string> = {}): Promise<TestServer> {
    open.splice(open.indexOf(s), 1);
    await s.close();
    return start(extra, s.dataDir);
  }
  const statuses = (path: string, id: string) =>
    hooks.deliveries.filter((d) => d.path === path && d.body.type === 'MessageStatusCallback' && d.body.ids.includes(id)).map((d) => d.body.status as string);
  const networkRow = (s: TestServer, id: string) =>
    s.oz.ctx.store.db.selectFrom('sandbox_messages').select(['status', 'delivered']).where('id', '=', id).executeTakeFirst();

  it('after a restart the instance is connected without pairing, and receipts still due arrive', async () => {
    const slow = { OPENZAP_SANDBOX_RECEIPT_DELAY_MS: '500' };
    let s = await start(slow);
    const inst = await s.pairedInstance(`${hooks.url}/persist-${backend.name}`, nextPhone());
    const path = `/persist-${backend.name}`;
    const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'before the restart' });
    const id = sent.body.messageId as string;
    await waitFor(() => statuses(path, id).includes('SENT'), 5000, 'SENT');
    expect(statuses(path, id)).toEqual(['SENT']); // the contact has not acknowledged yet
    expect(await networkRow(s, id)).toMatchObject({ status: 'sent' });

    s = await restart(s, slow);
    const again = s.instance(inst.id, inst.token);
    expect((await again.call('GET', '/status')).body).toMatchObject({ connected: true, smartphoneConnected: true });
    await waitFor(() => statuses(path, id).includes('READ'), 5000, 'READ after the restart');
    expect(statuses(path, id)).toEqual(['SENT', 'RECEIVED', 'READ']);
    await waitFor(async () => (await networkRow(s, id))?.status === 'read', 3000, 'sandbox_messages read');

    // It sends right away, no pairing needed.
    const after = await again.call('POST', '/send-text', { phone: CONTACT, message: 'after the restart' });
    expect(after.status).toBe(200);
    await waitFor(() => hooks.of('DeliveryCallback', (b) => b.zaapId === after.body.zaapId)[0], 5000, 'DeliveryCallback');
  });

  it("a message to sandbox instance B while B's engine is stopped is delivered when B comes back", async () => {
    let s = await start();
    const tag = `ab-${backend.name}`;
    // B is created first, so B's engine starts first after the restart: A must still get its receipt.
    const b = await s.pairedInstance(`${hooks.url}/${tag}-b`, nextPhone());
    const a = await s.pairedInstance(`${hooks.url}/${tag}-a`, nextPhone());
    const receivedByB = (id: string) => hooks.deliveries.filter((d) => d.path === `/${tag}-b` && d.body.type === 'ReceivedCallback' && d.body.messageId === id);

    // 1. B's engine stops and starts again in the same process.
    await s.oz.ctx.engines.stop(b.id);
    const m1 = await a.call('POST', '/send-text', { phone: b.phone, message: 'while you were away' });
    await waitFor(() => hooks.of('DeliveryCallback', (x) => x.zaapId === m1.body.zaapId)[0], 5000, 'A sent m1');
    await sleep(200);
    expect(receivedByB(m1.body.messageId)).toHaveLength(0);
    expect(await networkRow(s, m1.body.messageId)).toMatchObject({ delivered: 0, status: 'sent' });
    await s.oz.ctx.engines.start((await s.oz.ctx.instances.get(b.id))!);
    await waitFor(() => receivedByB(m1.body.messageId)[0], 5000, 'B receives m1');
    expect(receivedByB(m1.body.messageId)[0].body).toMatchObject({ phone: a.phone, fromMe: false, text: { message: 'while you were away' } });
    await waitFor(() => statuses(`/${tag}-a`, m1.body.messageId).includes('RECEIVED'), 3000, 'A gets RECEIVED for m1');

    // 2. B's engine is stopped, then the whole server restarts.
    await s.oz.ctx.engines.stop(b.id);
    const m2 = await a.call('POST', '/send-text', { phone: b.phone, message: 'across a restart' });
    await waitFor(() => hooks.of('DeliveryCallback', (x) => x.zaapId === m2.body.zaapId)[0], 5000, 'A sent m2');
    s = await restart(s);
    await waitFor(() => receivedByB(m2.body.messageId)[0], 5000, 'B receives m2');
    await waitFor(() => statuses(`/${tag}-a`, m2.body.messageId).includes('RECEIVED'), 3000, 'A gets RECEIVED for m2');
    expect(statuses(`/${tag}-a`, m2.body.messageId)).toEqual(['SENT', 'RECEIVED']);
    expect(await networkRow(s, m2.body.messageId)).toMatchObject({ delivered: 1, status: 'received' });
    expect(receivedByB(m1.body.messageId)).toHaveLength(1);
    expect(receivedByB(m2.body.messageId)).toHaveLength(1);
  });

  it('after a restart every waiting recipient gets its own messages in order, and every sender the receipts contacts owe it', async () => {
    // Start-up catches all peers up together (one query for many): each message must still
    // reach its own recipient, in the order sent, and each sender its own receipts.
    const slow = { OPENZAP_SANDBOX_RECEIPT_DELAY_MS: '500' };
    let s = await start(slow);
    const tag = `many-${backend.name}`;
    const a = await s.pairedInstance(`${hooks.url}/${tag}-a`, nextPhone());
    const b = await s.pairedInstance(`${hooks.url}/${tag}-b`, nextPhone());
    const c = await s.pairedInstance(`${hooks.url}/${tag}-c`, nextPhone());
    const d = await s.pairedInstance(`${hooks.url}/${tag}-d`, nextPhone());
    const received = (who: string) =>
      hooks.deliveries.filter((x) => x.path === `/${tag}-${who}` && x.body.type === 'ReceivedCallback').map((x) => x.body.text?.message as string);
    await s.oz.ctx.engines.stop(b.id);
    await s.oz.ctx.engines.stop(c.id);
    const sends: Array<[typeof a, string, string]> = [
      [a, b.phone, 'b1'],
      [d, c.phone, 'c1'],
      [a, b.phone, 'b2'],
      [a, c.phone, 'c2'],
      [d, b.phone, 'b3'],
    ];
    for (const [from, to, message] of sends) {
      const r = await from.call('POST', '/send-text', { phone: to, message });
      await waitFor(() => hooks.of('DeliveryCallback', (x) => x.zaapId === r.body.zaapId)[0], 5000, `${message} sent`);
    }
    const toContactA = await a.call('POST', '/send-text', { phone: CONTACT, message: 'receipt owed to a' });
    const toContactD = await d.call('POST', '/send-text', { phone: CONTACT, message: 'receipt owed to d' });
    const idA = toContactA.body.messageId as string;
    const idD = toContactD.body.messageId as string;
    await waitFor(() => statuses(`/${tag}-a`, idA).includes('SENT') && statuses(`/${tag}-d`, idD).includes('SENT'), 5000, 'SENT to the contact');
    expect(received('b')).toEqual([]);
    expect(received('c')).toEqual([]);

    s = await restart(s, slow);
    await waitFor(() => received('b').length === 3 && received('c').length === 2, 5000, 'B and C get what waited');
    expect(received('b')).toEqual(['b1', 'b2', 'b3']);
    expect(received('c')).toEqual(['c1', 'c2']);
    await waitFor(() => statuses(`/${tag}-a`, idA).includes('READ') && statuses(`/${tag}-d`, idD).includes('READ'), 5000, 'READ after the restart');
    expect(statuses(`/${tag}-a`, idA)).toEqual(['SENT', 'RECEIVED', 'READ']);
    expect(statuses(`/${tag}-d`, idD)).toEqual(['SENT', 'RECEIVED', 'READ']);
    await sleep(300);
    expect(received('b')).toHaveLength(3); // once each
    expect(received('c')).toHaveLength(2);
  });

  it('a receipt that could not be recorded is not lost: it comes again (here after a restart)', async () => {
    let s = await start();
    const path = `/lost-receipt-${backend.name}`;
    const inst = await s.pairedInstance(`${hooks.url}${path}`, nextPhone());
    // Simulate a crash between the contact's acknowledgement and its webhook: the first RECEIVED write fails.
    const outbox = s.oz.ctx.outbox;
    const add = outbox.add.bind(outbox);
    let failures = 0;
    outbox.add = async (i, type, payload) => {
      if (failures === 0 && type === 'MessageStatusCallback' && payload.status === 'RECEIVED') {
        failures++;
        throw new Error('simulated crash before the webhook was written');
      }
      return add(i, type, payload);
    };
    const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'ack me' });
    const id = sent.body.messageId as string;
    await waitFor(() => failures === 1, 3000, 'the failed write');
    s = await restart(s);
    await waitFor(() => statuses(path, id).includes('READ'), 5000, 'READ');
    expect(statuses(path, id)).toEqual(['SENT', 'RECEIVED', 'READ']);
  });

  it('a SENT status that could not be recorded is not lost: the send is retried, the message goes out once', async () => {
    const s = await start();
    const path = `/lost-sent-${backend.name}`;
    const inst = await s.pairedInstance(`${hooks.url}${path}`, nextPhone());
    const outbox = s.oz.ctx.outbox;
    const add = outbox.add.bind(outbox);
    let failures = 0;
    outbox.add = async (i, type, payload) => {
      if (failures === 0 && type === 'MessageStatusCallback' && payload.status === 'SENT') {
        failures++;
        throw new Error('simulated crash before the webhook was written');
      }
      return add(i, type, payload);
    };
    const sent = await inst.call('POST', '/send-text', { phone: CONTACT, message: 'sent once' });
    const id = sent.body.messageId as string;
    await waitFor(() => statuses(path, id).includes('READ'), 8000, 'READ');
    expect(failures).toBe(1);
    expect(statuses(path, id)).toContain('SENT');
    expect(hooks.of('DeliveryCallback', (x) => x.zaapId === sent.body.zaapId)).toHaveLength(1);
    const rows = await s.oz.ctx.store.db.selectFrom('sandbox_messages').select('id').where('id', '=', id).execute();
    expect(rows).toHaveLength(1);
  });
});
