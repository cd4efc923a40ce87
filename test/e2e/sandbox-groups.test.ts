// Simulated groups and deleted messages over real HTTP and webhooks (SQLite, and Postgres
// when configured): a send-text to a group id gets one MessageStatusCallback per member and
// step, shaped like the observed group receipts; DELETE /messages of a message another
// sandbox instance has reaches that instance as a ReceivedCallback notification REVOKE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { backends } from '../helpers/postgres.js';
import { simulatedGroupMembers } from '../../src/engines/sandbox/wire.js';

const GROUP_ID = '120363019502650977';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe.each(backends)('sandbox groups and revokes end to end ($name)', ({ env }) => {
  let server: TestServer;
  let hooks: WebhookReceiver;
  let cleanup: () => Promise<void>;
  let A: TestInstance & { phone: string };
  let B: TestInstance & { phone: string };

  beforeAll(async () => {
    const e = await env();
    cleanup = e.cleanup;
    hooks = await new WebhookReceiver().start();
    server = await startTestServer(e.env);
    A = await server.pairedInstance(hooks.url);
    B = await server.pairedInstance(hooks.url);
  });
  afterAll(async () => {
    await server?.close();
    await hooks?.stop();
    await cleanup?.();
  });

  const statusesOf = (inst: TestInstance, id: string) => hooks.of('MessageStatusCallback', (b) => b.instanceId === inst.id && b.ids?.includes(id)).map((d) => d.body);

  it('a message to a group: SENT, then RECEIVED and READ from each simulated member, as group receipts', async () => {
    const res = await A.call('POST', '/send-text', { phone: `${GROUP_ID}-group`, message: 'hello group' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id: string = res.body.messageId;
    await waitFor(() => statusesOf(A, id).filter((b) => b.status === 'READ').length === 3, 10_000, 'READ from every member');
    await sleep(200);
    const all = statusesOf(A, id);
    expect(all.filter((b) => b.status === 'SENT')).toEqual([expect.objectContaining({ phone: `${GROUP_ID}-group`, isGroup: true, phoneDevice: 0 })]);
    const receipts = all.filter((b) => b.status !== 'SENT');
    expect(receipts).toHaveLength(6);
    for (const b of receipts) {
      expect(Object.keys(b).sort()).toEqual(['ids', 'instanceId', 'isGroup', 'momment', 'participant', 'participantDevice', 'phone', 'status', 'type']);
      expect(b).toMatchObject({ type: 'MessageStatusCallback', isGroup: true, phone: `${GROUP_ID}-group`, participantDevice: 0, ids: [id], instanceId: A.id });
    }
    for (const member of simulatedGroupMembers(`${GROUP_ID}@g.us`)) {
      expect(receipts.filter((b) => b.participant === member).map((b) => b.status)).toEqual(['RECEIVED', 'READ']);
    }

    // Deleting it for everyone: 204 (the members are simulated: nobody gets a webhook).
    const del = await A.call('DELETE', `/messages?messageId=${id}&phone=${GROUP_ID}-group&owner=true`);
    expect(del.status, JSON.stringify(del.body)).toBe(204);
  });

  it('a message deleted for everyone reaches the other sandbox instance as a REVOKE notification', async () => {
    const res = await A.call('POST', '/send-text', { phone: B.phone, message: 'I regret this' });
    expect(res.status).toBe(200);
    const id: string = res.body.messageId;
    await waitFor(() => hooks.of('ReceivedCallback', (b) => b.instanceId === B.id && b.messageId === id)[0], 10_000, 'message at B');
    // A knows the message once its send is confirmed (DeliveryCallback): B's copy can be
    // recorded a moment before A's confirmation commits (Postgres commits them in parallel).
    await waitFor(() => hooks.of('DeliveryCallback', (b) => b.zaapId === res.body.zaapId)[0], 10_000, 'A confirmed the send');
    const del = await A.call('DELETE', `/messages?messageId=${id}&phone=${B.phone}&owner=true`);
    expect(del.status, JSON.stringify(del.body)).toBe(204);
    const revoke = await waitFor(() => hooks.of('ReceivedCallback', (b) => b.instanceId === B.id && b.notification === 'REVOKE')[0], 10_000, 'REVOKE at B');
    expect(revoke.body).toMatchObject({
      type: 'ReceivedCallback',
      notification: 'REVOKE',
      notificationParameters: [],
      messageId: id,
      phone: A.phone,
      connectedPhone: B.phone,
      fromMe: false,
      isGroup: false,
      status: 'RECEIVED',
    });
    await sleep(200);
    expect(hooks.of('ReceivedCallback', (b) => b.notification === 'REVOKE')).toHaveLength(1); // to B only, once
  });
});
