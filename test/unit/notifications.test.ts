// Engine notifications → ReceivedCallback `notification` payloads (src/webhooks/notifications.ts),
// compared key by key and value by value with the docs' examples (test/fixtures/catalogue.json,
// variants "notification:*", "group-join-request*", "newsletter-admin-promote"), and with the
// key list of the captured GROUP_PARTICIPANT_* deliveries (webhook-shapes-observed.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blankInstanceRow } from '../../src/domain/instances.js';
import type { EngineNotification } from '../../src/engines/engine.js';
import { notificationCallback } from '../../src/webhooks/notifications.js';

const INST = { ...blankInstanceRow({ id: 'A20DA9C0183A2D35A260F53F5D2B9244', account_id: 'ACC', name: 'test', engine: 'sandbox' }), profile_name: 'name' };
const T = 1_682_017_970_000;
const user = (phone: string) => `${phone}@s.whatsapp.net`;

interface Example {
  variant: string;
  seedLine: number;
  reconstructed?: boolean;
  example: Record<string, unknown>;
}
const catalogue = JSON.parse(readFileSync(new URL('../fixtures/catalogue.json', import.meta.url), 'utf8')) as { webhooks: Example[] };

/**
 * Each documented example → the engine notification that should produce it (the example's
 * values put into engine terms) and the connected phone the example shows.
 */
function fromExample(w: Example): { n: EngineNotification; connectedPhone: string } | null {
  const e = w.example as Record<string, any>;
  const connectedPhone = e.connectedPhone as string;
  const common = { id: e.messageId ?? '3EB0C767D26A1B2C3D4E', timestamp: e.momment as number, fromMe: e.fromMe as boolean };
  const kind = (e.notification as string | undefined) ?? (w.variant === 'newsletter-admin-promote' ? 'NEWSLETTER_ADMIN_PROMOTE' : e.requestMethod ? 'MEMBERSHIP_APPROVAL_REQUEST' : undefined);
  const group = () => ({ chatJid: `${String(e.phone).replace(/-group$/, '')}@g.us`, chatName: e.chatName, actorJid: user(e.participantPhone), actorName: e.senderName });
  switch (kind) {
    case 'MEMBERSHIP_APPROVAL_REQUEST': {
      const params = e.notificationParameters as string[];
      // The reconstructed examples lost the array's contents: the requester is then the participant.
      const requester = params.length === 2 ? params[1] : (params[0] ?? e.participantPhone);
      return { connectedPhone, n: { ...common, ...group(), kind, requesterJid: user(requester), requestMethod: e.requestMethod } };
    }
    case 'REVOKED_MEMBERSHIP_REQUESTS':
      return { connectedPhone, n: { ...common, ...group(), kind, requesterJid: user((e.notificationParameters as string[])[0]) } };
    case 'NEWSLETTER_ADMIN_PROMOTE':
    case 'NEWSLETTER_ADMIN_DEMOTE': {
      const [who, role] = e.notificationParameters as string[];
      return { connectedPhone, n: { ...common, kind, chatJid: e.phone, chatName: e.chatName, userJid: user(who), userLid: e.senderLid, role } };
    }
    case 'PROFILE_NAME_UPDATED':
      return { connectedPhone, n: { ...common, kind, chatJid: user(e.phone), name: e.profileName } };
    case 'PROFILE_PICTURE_UPDATED':
      return { connectedPhone, n: { ...common, kind, chatJid: user(e.phone), pictureUrl: e.updatedPhoto } };
    case 'CHAT_LABEL_ASSOCIATION': {
      const labels = (e.notificationParameters as { phone: string; label: string; assigned: boolean }[]).map((l) => ({ chatJid: user(l.phone), labelId: l.label, assigned: l.assigned }));
      return { connectedPhone, n: { ...common, kind, chatJid: user(e.phone), labels } };
    }
    default:
      return null; // calls, payments, REVOKE: built elsewhere (their own tests)
  }
}

/**
 * Documented values we knowingly send differently, by key (docs/compatibility.md "Notifications").
 * Profile pictures are not fetched for webhooks (null, as on every other callback), except the
 * picture a PROFILE_PICTURE_UPDATED is about; a profile name change names the account by its new name.
 */
function deviation(kind: string, key: string): boolean {
  if ((key === 'senderPhoto' || key === 'photo') && kind !== 'PROFILE_PICTURE_UPDATED') return true;
  return kind === 'PROFILE_NAME_UPDATED' && key === 'senderName';
}

const documented = catalogue.webhooks.filter((w) => fromExample(w) !== null);

describe('notification payloads against the documented examples', () => {
  it('the walk covers every documented notification we produce', () => {
    const kinds = new Set(documented.map((w) => fromExample(w)!.n.kind));
    expect([...kinds].sort()).toEqual(
      [
        'CHAT_LABEL_ASSOCIATION',
        'MEMBERSHIP_APPROVAL_REQUEST',
        'NEWSLETTER_ADMIN_DEMOTE',
        'NEWSLETTER_ADMIN_PROMOTE',
        'PROFILE_NAME_UPDATED',
        'PROFILE_PICTURE_UPDATED',
        'REVOKED_MEMBERSHIP_REQUESTS',
      ].sort(),
    );
    expect(documented.length).toBe(12);
  });

  it.each(documented.map((w) => [`${w.variant} (line ${w.seedLine})`, w] as const))('%s', (_name, w) => {
    const { n, connectedPhone } = fromExample(w)!;
    const ours = notificationCallback(INST, n, connectedPhone);
    const problems: string[] = [];
    for (const [key, doc] of Object.entries(w.example)) {
      if (!(key in ours)) problems.push(`${key}: missing`);
      else if (deviation(n.kind, key)) continue;
      // Reconstructed examples lost the array's contents ([]): the rest of their values stand.
      else if (w.reconstructed && key === 'notificationParameters') expect(Array.isArray(ours[key])).toBe(true);
      else if (JSON.stringify(ours[key]) !== JSON.stringify(doc)) problems.push(`${key}: documented ${JSON.stringify(doc)}, got ${JSON.stringify(ours[key])}`);
    }
    // The reconstructed examples lost `notification` too; ours always carries it.
    expect(ours.notification).toBe(n.kind);
    expect(problems).toEqual([]);
  });

  it('the deviations are only the photos and the renamed account\'s senderName', () => {
    const name = documented.find((w) => w.variant === 'notification:PROFILE_NAME_UPDATED')!;
    const ours = notificationCallback(INST, fromExample(name)!.n, '5544999999999');
    expect(ours.senderName).toBe('updated name');
    expect(ours.senderPhoto).toBeNull();
    const photo = documented.find((w) => w.variant === 'notification:PROFILE_PICTURE_UPDATED')!;
    const pic = notificationCallback(INST, fromExample(photo)!.n, '5544999999999');
    expect([pic.senderPhoto, pic.photo, pic.updatedPhoto]).toEqual(['https://', 'https://', 'https://']);
  });
});

describe('group membership notifications', () => {
  const GROUP = '120363019502650977@g.us';
  const base = { id: '2764031585', chatJid: GROUP, timestamp: T, fromMe: false, actorJid: user('5544977777777'), actorLid: '81896604192873@lid', actorName: 'Ana' };

  // webhook-shapes-observed.md "received_callback/group_message" (GROUP_PARTICIPANT_ADD/INVITE/LEAVE deliveries).
  const OBSERVED_KEYS = [
    'broadcast', 'callId', 'chatLid', 'chatName', 'code', 'connectedPhone', 'expiresAt', 'externalAdReply', 'forwarded', 'fromMe',
    'instanceId', 'isGroup', 'isNewsletter', 'messageId', 'momment', 'notification', 'notificationParameters', 'participantLid',
    'participantPhone', 'phone', 'photo', 'referenceMessageId', 'senderName', 'senderPhoto', 'status', 'type', 'viewOnce', 'waitingMessage',
  ];

  it('ADD, INVITE, REMOVE, LEAVE: the captured deliveries\' keys, participantPhone who did it, [phones] whom it is about', () => {
    for (const kind of ['GROUP_PARTICIPANT_ADD', 'GROUP_PARTICIPANT_INVITE', 'GROUP_PARTICIPANT_REMOVE', 'GROUP_PARTICIPANT_LEAVE'] as const) {
      const body = notificationCallback(INST, { ...base, kind, participantJids: [user('5544988888888'), user('5544966666666')] }, '5544999999999');
      expect(Object.keys(body).sort()).toEqual([...OBSERVED_KEYS].sort());
      expect(body).toEqual({
        isGroup: true,
        isNewsletter: false,
        instanceId: INST.id,
        messageId: '2764031585',
        phone: '120363019502650977-group',
        connectedPhone: '5544999999999',
        fromMe: false,
        momment: T,
        expiresAt: null,
        status: 'RECEIVED',
        chatName: '120363019502650977-group',
        senderPhoto: null,
        senderName: 'Ana',
        photo: null,
        broadcast: false,
        participantPhone: '5544977777777',
        chatLid: null,
        participantLid: '81896604192873@lid',
        referenceMessageId: null,
        externalAdReply: null,
        forwarded: false,
        viewOnce: false,
        waitingMessage: false,
        type: 'ReceivedCallback',
        notification: kind,
        notificationParameters: ['5544988888888', '5544966666666'],
        callId: null,
        code: null,
      });
    }
  });

  it('GROUP_CREATE: [subject], the creator as participant; the subject names the chat', () => {
    const body = notificationCallback(INST, { ...base, kind: 'GROUP_CREATE', subject: 'Equipe', chatName: 'Equipe' }, '5544999999999');
    expect(body).toMatchObject({ notification: 'GROUP_CREATE', notificationParameters: ['Equipe'], chatName: 'Equipe', participantPhone: '5544977777777' });
  });

  it('MEMBERSHIP_APPROVAL_REQUEST: [requester] through the link; [who added, who was added] when a member added them', () => {
    const link = notificationCallback(INST, { ...base, actorJid: undefined, actorLid: undefined, actorName: null, kind: 'MEMBERSHIP_APPROVAL_REQUEST', requesterJid: user('5544988888888'), requestMethod: 'invite_link' }, '5544999999999');
    expect(link).toMatchObject({ participantPhone: '5544988888888', senderName: '5544988888888', participantLid: null, notificationParameters: ['5544988888888'], requestMethod: 'invite_link' });
    const added = notificationCallback(INST, { ...base, kind: 'MEMBERSHIP_APPROVAL_REQUEST', requesterJid: user('5544988888888'), requestMethod: 'non_admin_add' }, '5544999999999');
    expect(added).toMatchObject({ participantPhone: '5544977777777', notificationParameters: ['5544977777777', '5544988888888'], requestMethod: 'non_admin_add' });
  });

  it('REVOKED_MEMBERSHIP_REQUESTS: [requester], participantPhone who revoked or rejected it, no requestMethod', () => {
    const body = notificationCallback(INST, { ...base, kind: 'REVOKED_MEMBERSHIP_REQUESTS', requesterJid: user('5544988888888') }, '5544999999999');
    expect(body).toMatchObject({ participantPhone: '5544977777777', notificationParameters: ['5544988888888'] });
    expect(body).not.toHaveProperty('requestMethod');
  });
});

describe('chat notices', () => {
  it('E2E_ENCRYPTED, BLUE_MSG_*, BIZ_MOVE_TO_CONSUMER_APP: the REVOKE envelope, the contact\'s chat, no parameters', () => {
    for (const kind of ['E2E_ENCRYPTED', 'BLUE_MSG_SELF_PREMISE_UNVERIFIED', 'BLUE_MSG_SELF_PREMISE_VERIFIED', 'BIZ_MOVE_TO_CONSUMER_APP'] as const) {
      const body = notificationCallback(INST, { id: 'N1', kind, chatJid: user('5544988888888'), fromMe: false, timestamp: T }, '5544999999999');
      expect(body).toEqual({
        chatLid: null,
        isGroup: false,
        isNewsletter: false,
        instanceId: INST.id,
        messageId: 'N1',
        phone: '5544988888888',
        connectedPhone: '5544999999999',
        fromMe: false,
        momment: T,
        expiresAt: null,
        status: 'RECEIVED',
        chatName: '5544988888888',
        senderPhoto: null,
        senderName: '5544988888888',
        photo: null,
        broadcast: false,
        referenceMessageId: null,
        externalAdReply: null,
        forwarded: false,
        type: 'ReceivedCallback',
        notification: kind,
        notificationParameters: [],
        callId: null,
        code: null,
      });
    }
  });

  it('in a group, the participant who caused it', () => {
    const body = notificationCallback(INST, { id: 'N2', kind: 'E2E_ENCRYPTED', chatJid: '120363019502650977@g.us', actorJid: user('5544977777777'), fromMe: false, timestamp: T }, '5544999999999');
    expect(body).toMatchObject({ isGroup: true, phone: '120363019502650977-group', participantPhone: '5544977777777' });
  });
});

describe('account notifications', () => {
  it('CHAT_LABEL_ASSOCIATION names group chats as <id>-group', () => {
    const body = notificationCallback(
      INST,
      { id: 'L1', kind: 'CHAT_LABEL_ASSOCIATION', chatJid: user('5544999999999'), fromMe: true, timestamp: T, labels: [{ chatJid: '120363019502650977@g.us', labelId: '5', assigned: true }] },
      '5544999999999',
    );
    expect(body.notificationParameters).toEqual([{ phone: '120363019502650977-group', label: '5', assigned: true }]);
  });

  it('PROFILE_PICTURE_UPDATED with the picture removed: updatedPhoto null', () => {
    const body = notificationCallback(INST, { id: 'P1', kind: 'PROFILE_PICTURE_UPDATED', chatJid: user('5544999999999'), fromMe: true, timestamp: T, pictureUrl: null }, '5544999999999');
    expect(body).toMatchObject({ updatedPhoto: null, photo: null, senderPhoto: null, senderName: 'name', fromMe: true, chatName: null });
  });
});
