// POST /sandbox/notification: WhatsApp reports a notification to a sandbox instance, and its
// webhook receives the documented `notification` ReceivedCallback (zapi-webhook-received.txt,
// catalogue.json "notification:*"), recorded before the route answers. Bad bodies are a 4xx
// and leave no webhook behind.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestInstance, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { expectError } from './expect.js';

const GROUP = '120363019502650977-group';
const CONTACT = '5511976541001';
const OTHER = '5511976541002';
const CHANNEL = '120363166555745933@newsletter';

const catalogue = JSON.parse(readFileSync(new URL('../fixtures/catalogue.json', import.meta.url), 'utf8')) as {
  webhooks: { variant: string; example: Record<string, unknown> }[];
};
/** The documented example(s) of a notification (catalogue variant "notification:<kind>"). */
const examples = (kind: string) => catalogue.webhooks.filter((w) => w.variant === `notification:${kind}`).map((w) => w.example);

type Paired = TestInstance & { phone: string };

describe('POST /sandbox/notification', () => {
  let server: TestServer;
  let rx: WebhookReceiver;
  /** Webhooks at /n; notify-sent-by-me off (the default). */
  let N: Paired;
  /** Webhooks at /m; notify-sent-by-me on: fromMe notifications are delivered too. */
  let M: Paired;

  beforeAll(async () => {
    rx = await new WebhookReceiver().start();
    server = await startTestServer();
    N = await server.pairedInstance(`${rx.url}/n`);
    M = await server.pairedInstance(`${rx.url}/m`);
    expect((await M.call('PUT', '/update-notify-sent-by-me', { notifySentByMe: true })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    await rx?.stop();
  });

  const notes = (path: string) => rx.deliveries.filter((d) => d.path === path && d.body?.type === 'ReceivedCallback' && d.body.notification).map((d) => d.body);

  /** The outbox rows written for a message id (any URL). */
  const outboxRows = (id: string) =>
    server.oz.ctx.store.db
      .selectFrom('webhook_outbox')
      .select(['payload', 'url'])
      .where('payload', 'like', `%"messageId":"${id}"%`)
      .execute();

  /** Post a notification to `inst`: 200, recorded before the answer, then the delivered ReceivedCallback. */
  async function notify(inst: Paired, body: Record<string, unknown>): Promise<any> {
    const res = await inst.call('POST', '/sandbox/notification', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ messageId: expect.stringMatching(/^3EB0[0-9A-F]{20}$/), id: res.body.messageId });
    // Durable before the route answered: the outbox row is already there.
    expect(await outboxRows(res.body.messageId)).toHaveLength(1);
    const path = inst === N ? '/n' : '/m';
    const got = await waitFor(() => notes(path).find((b) => b.messageId === res.body.messageId), 10_000, `${body.kind} at ${path}`);
    expect(got).toMatchObject({ type: 'ReceivedCallback', instanceId: inst.id, connectedPhone: inst.phone, notification: body.kind, status: 'RECEIVED' });
    return got;
  }

  /** Every key of the documented example(s) is in the delivery. */
  function hasDocumentedKeys(got: Record<string, unknown>, kind: string): void {
    const docs = examples(kind);
    expect(docs.length, `catalogue examples of ${kind}`).toBeGreaterThan(0);
    for (const doc of docs) expect(Object.keys(doc).filter((k) => !(k in got))).toEqual([]);
  }

  it('MEMBERSHIP_APPROVAL_REQUEST through the invite link: [requester], requestMethod invite_link', async () => {
    const got = await notify(N, { kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT, requestMethod: 'invite_link', groupName: 'Clientes' });
    expect(got).toEqual({
      isGroup: true,
      isNewsletter: false,
      instanceId: N.id,
      messageId: got.messageId,
      phone: GROUP,
      connectedPhone: N.phone,
      fromMe: false,
      momment: expect.any(Number),
      expiresAt: null,
      status: 'RECEIVED',
      chatName: 'Clientes',
      senderPhoto: null,
      senderName: CONTACT,
      photo: null,
      broadcast: false,
      participantPhone: CONTACT,
      chatLid: null,
      participantLid: null,
      referenceMessageId: null,
      externalAdReply: null,
      forwarded: false,
      viewOnce: false,
      waitingMessage: false,
      type: 'ReceivedCallback',
      notification: 'MEMBERSHIP_APPROVAL_REQUEST',
      notificationParameters: [CONTACT],
      callId: null,
      code: null,
      requestMethod: 'invite_link',
    });
    expect(Math.abs(got.momment - Date.now())).toBeLessThan(60_000);
    hasDocumentedKeys(got, 'MEMBERSHIP_APPROVAL_REQUEST');
  });

  it('MEMBERSHIP_APPROVAL_REQUEST added by a member who is not an admin: [who added, who was added]', async () => {
    const got = await notify(N, { kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT, requestMethod: 'non_admin_add', addedBy: OTHER });
    expect(got).toMatchObject({ phone: GROUP, chatName: GROUP, participantPhone: OTHER, notificationParameters: [OTHER, CONTACT], requestMethod: 'non_admin_add', fromMe: false });
    // Without addedBy: the group's first simulated member added them.
    const dflt = await notify(N, { kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT, requestMethod: 'non_admin_add' });
    expect(dflt.participantPhone).toMatch(/^550099[0-9]{8}$/);
    expect(dflt.notificationParameters).toEqual([dflt.participantPhone, CONTACT]);
    // requestMethod defaults to invite_link.
    expect((await notify(N, { kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT })).requestMethod).toBe('invite_link');
  });

  it('REVOKED_MEMBERSHIP_REQUESTS: withdrawn by the requester, or rejected by an admin (participantPhone)', async () => {
    const got = await notify(N, { kind: 'REVOKED_MEMBERSHIP_REQUESTS', group: GROUP, phone: CONTACT });
    expect(got).toMatchObject({ isGroup: true, phone: GROUP, participantPhone: CONTACT, notificationParameters: [CONTACT], callId: null, code: null });
    expect(got).not.toHaveProperty('requestMethod');
    hasDocumentedKeys(got, 'REVOKED_MEMBERSHIP_REQUESTS');
    const rejected = await notify(N, { kind: 'REVOKED_MEMBERSHIP_REQUESTS', group: GROUP, phone: CONTACT, rejectedBy: OTHER });
    expect(rejected).toMatchObject({ participantPhone: OTHER, notificationParameters: [CONTACT] });
  });

  it('group membership: ADD, INVITE, REMOVE [phones] by a member; LEAVE [who left]; GROUP_CREATE [subject]', async () => {
    for (const kind of ['GROUP_PARTICIPANT_ADD', 'GROUP_PARTICIPANT_INVITE', 'GROUP_PARTICIPANT_REMOVE']) {
      const got = await notify(N, { kind, group: GROUP, phones: [CONTACT, `+${OTHER}`], by: '5511976541003' });
      expect(got).toMatchObject({ isGroup: true, phone: GROUP, participantPhone: '5511976541003', notificationParameters: [CONTACT, OTHER], fromMe: false, viewOnce: false, waitingMessage: false });
    }
    const leave = await notify(N, { kind: 'GROUP_PARTICIPANT_LEAVE', group: GROUP, phone: CONTACT });
    expect(leave).toMatchObject({ participantPhone: CONTACT, notificationParameters: [CONTACT] });
    const create = await notify(N, { kind: 'GROUP_CREATE', group: GROUP, subject: 'Equipe de vendas' });
    expect(create).toMatchObject({ phone: GROUP, chatName: 'Equipe de vendas', notificationParameters: ['Equipe de vendas'], participantPhone: expect.stringMatching(/^550099[0-9]{8}$/) });
  });

  it('NEWSLETTER_ADMIN_PROMOTE / DEMOTE: the channel, [user, ADMIN | SUBSCRIBER]', async () => {
    const promote = await notify(N, { kind: 'NEWSLETTER_ADMIN_PROMOTE', newsletter: CHANNEL, phone: N.phone, name: 'Novidades' });
    expect(promote).toEqual({
      isStatusReply: false,
      senderLid: null,
      connectedPhone: N.phone,
      waitingMessage: false,
      isEdit: false,
      isGroup: false,
      isNewsletter: false,
      instanceId: N.id,
      messageId: promote.messageId,
      phone: CHANNEL,
      fromMe: false,
      momment: expect.any(Number),
      status: 'RECEIVED',
      chatName: 'Novidades',
      senderPhoto: null,
      senderName: '',
      photo: null,
      broadcast: false,
      participantPhone: N.phone,
      referenceMessageId: null,
      externalAdReply: null,
      forwarded: false,
      type: 'ReceivedCallback',
      notification: 'NEWSLETTER_ADMIN_PROMOTE',
      notificationParameters: [N.phone, 'ADMIN'],
      callId: null,
    });
    hasDocumentedKeys(promote, 'NEWSLETTER_ADMIN_PROMOTE');
    const demote = await notify(N, { kind: 'NEWSLETTER_ADMIN_DEMOTE', newsletter: CHANNEL, phone: CONTACT });
    expect(demote).toMatchObject({ phone: CHANNEL, chatName: CHANNEL, participantPhone: CONTACT, notificationParameters: [CONTACT, 'SUBSCRIBER'] });
    hasDocumentedKeys(demote, 'NEWSLETTER_ADMIN_DEMOTE');
  });

  it('chat notices: E2E_ENCRYPTED, BLUE_MSG_*, BIZ_MOVE_TO_CONSUMER_APP in the contact\'s chat', async () => {
    for (const kind of ['E2E_ENCRYPTED', 'BLUE_MSG_SELF_PREMISE_UNVERIFIED', 'BLUE_MSG_SELF_PREMISE_VERIFIED', 'BIZ_MOVE_TO_CONSUMER_APP']) {
      const got = await notify(N, { kind, phone: CONTACT });
      expect(got).toMatchObject({ isGroup: false, phone: CONTACT, fromMe: false, notificationParameters: [], chatLid: null, callId: null, code: null });
      expect(got).not.toHaveProperty('participantPhone');
    }
  });

  it('account notifications (fromMe: true) reach the webhook only with notify-sent-by-me, like every fromMe callback', async () => {
    const name = await notify(M, { kind: 'PROFILE_NAME_UPDATED', name: 'Loja Nova' });
    expect(name).toEqual({
      isGroup: false,
      isNewsletter: false,
      instanceId: M.id,
      messageId: name.messageId,
      phone: M.phone,
      connectedPhone: M.phone,
      fromMe: true,
      momment: expect.any(Number),
      expiresAt: null,
      status: 'RECEIVED',
      chatName: null,
      senderPhoto: null,
      senderName: 'Loja Nova',
      photo: null,
      broadcast: false,
      referenceMessageId: null,
      externalAdReply: null,
      forwarded: false,
      type: 'ReceivedCallback',
      notification: 'PROFILE_NAME_UPDATED',
      callId: null,
      code: null,
      profileName: 'Loja Nova',
    });
    hasDocumentedKeys(name, 'PROFILE_NAME_UPDATED');

    const photo = await notify(M, { kind: 'PROFILE_PICTURE_UPDATED', url: 'https://pps.example.com/me.jpg' });
    expect(photo).toMatchObject({ phone: M.phone, fromMe: true, updatedPhoto: 'https://pps.example.com/me.jpg', photo: 'https://pps.example.com/me.jpg', senderPhoto: 'https://pps.example.com/me.jpg' });
    hasDocumentedKeys(photo, 'PROFILE_PICTURE_UPDATED');
    expect((await notify(M, { kind: 'PROFILE_PICTURE_UPDATED', url: null })).updatedPhoto).toBeNull();

    const labels = await notify(M, {
      kind: 'CHAT_LABEL_ASSOCIATION',
      associations: [
        { phone: CONTACT, label: '1', assigned: true },
        { phone: GROUP, label: '2', assigned: false },
      ],
    });
    expect(labels).toMatchObject({
      phone: M.phone,
      fromMe: true,
      chatName: null,
      notificationParameters: [
        { phone: CONTACT, label: '1', assigned: true },
        { phone: GROUP, label: '2', assigned: false },
      ],
      callId: null,
      code: null,
    });
    hasDocumentedKeys(labels, 'CHAT_LABEL_ASSOCIATION');

    // The instance's own doing in a group is fromMe too.
    const own = await notify(M, { kind: 'GROUP_PARTICIPANT_ADD', group: GROUP, phones: [CONTACT], by: M.phone });
    expect(own).toMatchObject({ fromMe: true, participantPhone: M.phone });

    // N has notify-sent-by-me off: no outbox row for these, and nothing delivered before the next notice.
    const before = notes('/n').length;
    for (const body of [
      { kind: 'PROFILE_NAME_UPDATED', name: 'Loja Nova' },
      { kind: 'CHAT_LABEL_ASSOCIATION', associations: [{ phone: CONTACT, label: '1', assigned: true }] },
      { kind: 'GROUP_PARTICIPANT_REMOVE', group: GROUP, phones: [CONTACT], by: N.phone },
    ]) {
      const res = await N.call('POST', '/sandbox/notification', body);
      expect(res.status).toBe(200);
      expect(await outboxRows(res.body.messageId)).toEqual([]);
    }
    const marker = await notify(N, { kind: 'E2E_ENCRYPTED', phone: CONTACT });
    expect(notes('/n').slice(before).map((b) => b.messageId)).toEqual([marker.messageId]);
  });

  it('PUT /profile-name on a sandbox instance reports PROFILE_NAME_UPDATED once per change', async () => {
    const before = notes('/m').length;
    expect((await M.call('PUT', '/profile-name', { value: 'Loja Centro' })).body).toEqual({ value: true });
    const got = await waitFor(() => notes('/m').slice(before).find((b) => b.notification === 'PROFILE_NAME_UPDATED'), 10_000, 'PROFILE_NAME_UPDATED');
    expect(got).toMatchObject({ phone: M.phone, fromMe: true, profileName: 'Loja Centro' });
    // The same name again is no change.
    expect((await M.call('PUT', '/profile-name', { value: 'Loja Centro' })).body).toEqual({ value: true });
    const marker = await notify(M, { kind: 'E2E_ENCRYPTED', phone: CONTACT });
    expect(notes('/m').slice(before).map((b) => b.messageId)).toEqual([got.messageId, marker.messageId]);
  });

  it('refuses bad bodies with a 4xx and writes no webhook', async () => {
    const before = notes('/n').length;
    const bad: [Record<string, unknown> | string, number, string, RegExp?][] = [
      [{}, 400, 'validation', /kind must be one of/],
      [{ kind: 'GROUP_PARTICIPANT_PROMOTE', group: GROUP, phones: [CONTACT] }, 400, 'validation', /kind must be one of/],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP }, 400, 'validation', /phone/],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: ['5511976541001', OTHER] }, 400, 'validation'],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT, requestMethod: 'qr_code' }, 400, 'validation', /requestMethod/],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT, color: 'red' }, 400, 'validation', /color/],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT, addedBy: OTHER }, 400, 'invalid-field'],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: CONTACT, requestMethod: 'non_admin_add', addedBy: CONTACT }, 400, 'invalid-phone'],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: GROUP, phone: N.phone }, 400, 'invalid-phone'],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: CONTACT, phone: OTHER }, 400, 'invalid-group'],
      [{ kind: 'MEMBERSHIP_APPROVAL_REQUEST', group: 'not a group', phone: OTHER }, 400, 'invalid-phone'],
      [{ kind: 'GROUP_PARTICIPANT_ADD', group: GROUP, phones: [] }, 400, 'validation', /phones/],
      [{ kind: 'GROUP_PARTICIPANT_ADD', group: GROUP, phones: ['12'] }, 400, 'validation'],
      [{ kind: 'GROUP_CREATE', group: GROUP }, 400, 'validation', /subject/],
      [{ kind: 'NEWSLETTER_ADMIN_PROMOTE', newsletter: GROUP, phone: CONTACT }, 400, 'validation', /newsletter/],
      [{ kind: 'PROFILE_NAME_UPDATED', name: 'x'.repeat(26) }, 400, 'validation', /name/],
      [{ kind: 'PROFILE_PICTURE_UPDATED', url: 'file:///etc/passwd' }, 400, 'invalid-url'],
      [{ kind: 'PROFILE_PICTURE_UPDATED' }, 400, 'validation', /url/],
      [{ kind: 'CHAT_LABEL_ASSOCIATION', associations: [] }, 400, 'validation'],
      [{ kind: 'CHAT_LABEL_ASSOCIATION', associations: [{ phone: CONTACT, label: 'vip', assigned: true }] }, 400, 'validation', /label/],
      [{ kind: 'CHAT_LABEL_ASSOCIATION', associations: [{ phone: CHANNEL, label: '1', assigned: true }] }, 400, 'invalid-phone'],
      [{ kind: 'E2E_ENCRYPTED', phone: N.phone }, 400, 'invalid-phone'],
      ['{"kind": ', 400, 'invalid-json'],
    ];
    for (const [body, status, error, message] of bad) {
      const res =
        typeof body === 'string'
          ? await fetch(`${N.base}/sandbox/notification`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({ status: r.status, body: await r.json(), headers: r.headers }))
          : await N.call('POST', '/sandbox/notification', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expectError(res, status, error);
      if (message) expect(res.body.message, JSON.stringify(body)).toMatch(message);
    }
    // An unpaired sandbox instance: 409.
    const unpaired = await server.createInstance();
    expectError(await unpaired.call('POST', '/sandbox/notification', { kind: 'E2E_ENCRYPTED', phone: CONTACT }), 409, 'not-connected');

    // Nothing was written: the next notice is the first delivery since (one lane, delivered in order).
    const marker = await notify(N, { kind: 'E2E_ENCRYPTED', phone: CONTACT });
    expect(notes('/n').slice(before).map((b) => b.messageId)).toEqual([marker.messageId]);
  });
});
