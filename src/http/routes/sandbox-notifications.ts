// Sandbox: POST /sandbox/notification makes WhatsApp report a notification to the instance,
// so an integration can be tested against every `notification` ReceivedCallback the Baileys
// engine produces (docs/compatibility.md "Notifications"): group join requests and membership
// changes, channel admin changes, this account's profile name and picture, chat labels, chat
// notices. The body names the kind and what it is about; each kind has its own schema (one
// branch of a union). Groups are the network's simulated groups; the one who acts in a group
// defaults to its first simulated member. Registered by sandbox.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ApiError, badRequest } from '../../domain/errors.js';
import { newMessageId } from '../../domain/ids.js';
import { toJid, toPhoneDigits } from '../../domain/phone.js';
import type { EngineNotification } from '../../engines/engine.js';
import type { SandboxEngine } from '../../engines/sandbox/engine.js';
import { isSimulatedGroup, simulatedGroupMembers } from '../../engines/sandbox/wire.js';
import { Enum, linkUrl, Str } from './messages/kinds.js';
import type { SandboxChecks } from './sandbox-received.js';

// ---- bodies, one per kind ----

const Phone = (description: string) => Type.String({ minLength: 7, maxLength: 21, pattern: '^\\+?[0-9]+$', description });
const Group = Str(1, 100, 'A simulated group: <id>-group (or <id>@g.us)');
const By = Type.Optional(Phone('Who did it (default: the group\'s first simulated member)'));
const strict = { additionalProperties: false } as const;
const Kind = <K extends string>(kind: K) => Type.Literal(kind);

const PARTICIPANT_KINDS = ['GROUP_PARTICIPANT_ADD', 'GROUP_PARTICIPANT_INVITE', 'GROUP_PARTICIPANT_REMOVE'] as const;
const CHANNEL_KINDS = ['NEWSLETTER_ADMIN_PROMOTE', 'NEWSLETTER_ADMIN_DEMOTE'] as const;
const CHAT_NOTICE_KINDS = ['E2E_ENCRYPTED', 'BLUE_MSG_SELF_PREMISE_UNVERIFIED', 'BLUE_MSG_SELF_PREMISE_VERIFIED', 'BIZ_MOVE_TO_CONSUMER_APP'] as const;

const Bodies = {
  MEMBERSHIP_APPROVAL_REQUEST: Type.Object(
    {
      kind: Kind('MEMBERSHIP_APPROVAL_REQUEST'),
      group: Group,
      phone: Phone('Who asks to join (or was added and awaits approval)'),
      requestMethod: Type.Optional(Enum(['invite_link', 'non_admin_add'] as const, 'invite_link (default): asked through the invite link; non_admin_add: added by a member who is not an admin')),
      addedBy: Type.Optional(Phone('non_admin_add: the member who added them (default: the group\'s first simulated member)')),
      groupName: Type.Optional(Str(1, 100, 'The group\'s name (chatName; default: its id)')),
    },
    { ...strict, description: 'Someone asks to join a group this instance administers' },
  ),
  REVOKED_MEMBERSHIP_REQUESTS: Type.Object(
    {
      kind: Kind('REVOKED_MEMBERSHIP_REQUESTS'),
      group: Group,
      phone: Phone('Whose request is gone'),
      rejectedBy: Type.Optional(Phone('An admin who rejected it (default: the requester withdrew it)')),
      groupName: Type.Optional(Str(1, 100)),
    },
    { ...strict, description: 'A pending join request is withdrawn (or rejected)' },
  ),
  GROUP_CREATE: Type.Object(
    { kind: Kind('GROUP_CREATE'), group: Group, subject: Str(1, 100, 'The new group\'s name'), by: By },
    { ...strict, description: 'Someone creates a group with this instance in it' },
  ),
  GROUP_PARTICIPANT: Type.Object(
    {
      kind: Enum(PARTICIPANT_KINDS),
      group: Group,
      phones: Type.Array(Phone('A participant'), { minItems: 1, maxItems: 50, description: 'Who was added, invited or removed' }),
      by: By,
      groupName: Type.Optional(Str(1, 100)),
    },
    { ...strict, description: 'Participants are added, invited or removed' },
  ),
  GROUP_PARTICIPANT_LEAVE: Type.Object(
    { kind: Kind('GROUP_PARTICIPANT_LEAVE'), group: Group, phone: Phone('Who left'), groupName: Type.Optional(Str(1, 100)) },
    { ...strict, description: 'A participant leaves the group' },
  ),
  NEWSLETTER_ADMIN: Type.Object(
    {
      kind: Enum(CHANNEL_KINDS),
      newsletter: Type.String({ pattern: '^[0-9]{5,40}@newsletter$', description: 'The channel: <id>@newsletter' }),
      phone: Phone('Who is promoted to admin or demoted to subscriber'),
      name: Type.Optional(Str(1, 100, 'The channel\'s name (chatName)')),
    },
    { ...strict, description: 'Someone becomes an admin of a channel, or stops being one' },
  ),
  PROFILE_NAME_UPDATED: Type.Object(
    { kind: Kind('PROFILE_NAME_UPDATED'), name: Str(1, 25, 'The connected number\'s new profile name') },
    { ...strict, description: 'The connected number\'s profile name changes (on the phone)' },
  ),
  PROFILE_PICTURE_UPDATED: Type.Object(
    { kind: Kind('PROFILE_PICTURE_UPDATED'), url: Type.Union([Str(1, 2048, 'The new picture\'s URL (http/https)'), Type.Null()], { description: 'null: the picture was removed' }) },
    { ...strict, description: 'The connected number\'s profile picture changes (on the phone)' },
  ),
  CHAT_LABEL_ASSOCIATION: Type.Object(
    {
      kind: Kind('CHAT_LABEL_ASSOCIATION'),
      associations: Type.Array(
        Type.Object(
          {
            phone: Str(1, 100, 'The chat: digits with country code, or <id>-group'),
            label: Type.String({ pattern: '^[0-9]{1,20}$', description: 'The label (tag) id' }),
            assigned: Type.Boolean({ description: 'true: put on the chat; false: taken off' }),
          },
          strict,
        ),
        { minItems: 1, maxItems: 100 },
      ),
    },
    { ...strict, description: 'Labels are put on or taken off chats (on the phone)' },
  ),
  CHAT_NOTICE: Type.Object(
    { kind: Enum(CHAT_NOTICE_KINDS), phone: Phone('The contact whose chat shows the notice') },
    { ...strict, description: 'A chat notice: end-to-end encryption, business account verified, unverified or moved to the consumer app' },
  ),
};

const NotificationBody = Type.Union(Object.values(Bodies), { description: 'One notification; `kind` decides the other fields' });
type Body = Static<typeof NotificationBody>;

const KINDS: readonly string[] = [
  'MEMBERSHIP_APPROVAL_REQUEST',
  'REVOKED_MEMBERSHIP_REQUESTS',
  'GROUP_CREATE',
  ...PARTICIPANT_KINDS,
  'GROUP_PARTICIPANT_LEAVE',
  ...CHANNEL_KINDS,
  'PROFILE_NAME_UPDATED',
  'PROFILE_PICTURE_UPDATED',
  'CHAT_LABEL_ASSOCIATION',
  ...CHAT_NOTICE_KINDS,
];

/** The schema of one kind's body. */
function schemaOf(kind: string): TSchema | undefined {
  if (!KINDS.includes(kind)) return undefined;
  if ((PARTICIPANT_KINDS as readonly string[]).includes(kind)) return Bodies.GROUP_PARTICIPANT;
  if ((CHANNEL_KINDS as readonly string[]).includes(kind)) return Bodies.NEWSLETTER_ADMIN;
  if ((CHAT_NOTICE_KINDS as readonly string[]).includes(kind)) return Bodies.CHAT_NOTICE;
  return Bodies[kind as keyof typeof Bodies];
}

/** A union's validation error says only "must match a schema in anyOf": say what is wrong for the kind given. */
function explain(body: unknown): string {
  const kind = body && typeof body === 'object' ? (body as { kind?: unknown }).kind : undefined;
  const schema = typeof kind === 'string' ? schemaOf(kind) : undefined;
  if (!schema) return `body.kind must be one of ${KINDS.join(', ')}`;
  const first = Value.Errors(schema, body).First();
  if (!first) return `body does not fit ${kind}`;
  const at = first.path.split('/').slice(1).map((seg) => (/^[0-9]+$/.test(seg) ? `[${seg}]` : `.${seg}`)).join('');
  return `body${at}: ${first.message} (${kind})`;
}

// ---- body → EngineNotification ----

const userJid = (phone: string) => `${phone}@s.whatsapp.net`;

function simulatedGroup(raw: string): string {
  const jid = toJid(raw, 'group');
  if (!isSimulatedGroup(jid)) throw badRequest(`group "${raw.slice(0, 60)}" is not a group id: <digits>-group or <digits>@g.us`, 'invalid-group');
  return jid;
}

/** What the instance is told, from its point of view (`own`: its phone). */
function notificationOf(b: Body, own: string): EngineNotification {
  const base = { id: newMessageId(), timestamp: Date.now() };
  const mine = (phone: string) => ({ fromMe: phone === own });
  switch (b.kind) {
    case 'MEMBERSHIP_APPROVAL_REQUEST': {
      const chatJid = simulatedGroup(b.group);
      const requester = toPhoneDigits(b.phone, 'phone');
      if (requester === own) throw badRequest('phone is this instance\'s own number: it cannot ask to join a group it administers', 'invalid-phone');
      const method = b.requestMethod ?? 'invite_link';
      if (method === 'invite_link' && b.addedBy) throw badRequest('addedBy goes with requestMethod non_admin_add', 'invalid-field');
      // Through the link the requester acts; added by a member, that member does.
      const actor = method === 'non_admin_add' ? (b.addedBy ? toPhoneDigits(b.addedBy, 'addedBy') : simulatedGroupMembers(chatJid)[0]) : requester;
      if (actor === requester && method === 'non_admin_add') throw badRequest('addedBy and phone are the same number', 'invalid-phone');
      return { ...base, ...mine(actor), kind: b.kind, chatJid, chatName: b.groupName ?? null, actorJid: userJid(actor), requesterJid: userJid(requester), requestMethod: method };
    }
    case 'REVOKED_MEMBERSHIP_REQUESTS': {
      const chatJid = simulatedGroup(b.group);
      const requester = toPhoneDigits(b.phone, 'phone');
      const actor = b.rejectedBy ? toPhoneDigits(b.rejectedBy, 'rejectedBy') : requester;
      return { ...base, ...mine(actor), kind: b.kind, chatJid, chatName: b.groupName ?? null, actorJid: userJid(actor), requesterJid: userJid(requester) };
    }
    case 'GROUP_CREATE': {
      const chatJid = simulatedGroup(b.group);
      const actor = b.by ? toPhoneDigits(b.by, 'by') : simulatedGroupMembers(chatJid)[0];
      return { ...base, ...mine(actor), kind: b.kind, chatJid, chatName: b.subject, actorJid: userJid(actor), subject: b.subject };
    }
    case 'GROUP_PARTICIPANT_ADD':
    case 'GROUP_PARTICIPANT_INVITE':
    case 'GROUP_PARTICIPANT_REMOVE': {
      const chatJid = simulatedGroup(b.group);
      const actor = b.by ? toPhoneDigits(b.by, 'by') : simulatedGroupMembers(chatJid)[0];
      const phones = b.phones.map((p, i) => toPhoneDigits(p, `phones[${i}]`));
      return { ...base, ...mine(actor), kind: b.kind, chatJid, chatName: b.groupName ?? null, actorJid: userJid(actor), participantJids: phones.map(userJid) };
    }
    case 'GROUP_PARTICIPANT_LEAVE': {
      const chatJid = simulatedGroup(b.group);
      const who = toPhoneDigits(b.phone, 'phone');
      return { ...base, ...mine(who), kind: b.kind, chatJid, chatName: b.groupName ?? null, actorJid: userJid(who), participantJids: [userJid(who)] };
    }
    case 'NEWSLETTER_ADMIN_PROMOTE':
    case 'NEWSLETTER_ADMIN_DEMOTE': {
      const user = toPhoneDigits(b.phone, 'phone');
      const role = b.kind === 'NEWSLETTER_ADMIN_PROMOTE' ? 'ADMIN' : 'SUBSCRIBER';
      // The channel's owner does it: never this instance's own doing as the one promoted.
      return { ...base, fromMe: false, kind: b.kind, chatJid: b.newsletter, chatName: b.name ?? null, userJid: userJid(user), role };
    }
    case 'PROFILE_NAME_UPDATED':
      return { ...base, fromMe: true, kind: b.kind, chatJid: userJid(own), name: b.name };
    case 'PROFILE_PICTURE_UPDATED':
      return { ...base, fromMe: true, kind: b.kind, chatJid: userJid(own), pictureUrl: b.url === null ? null : linkUrl(b.url, 'url') };
    case 'CHAT_LABEL_ASSOCIATION':
      return {
        ...base,
        fromMe: true,
        kind: b.kind,
        chatJid: userJid(own),
        labels: b.associations.map((a, i) => {
          const chatJid = toJid(a.phone, `associations[${i}].phone`);
          if (!chatJid.endsWith('@s.whatsapp.net') && !chatJid.endsWith('@g.us')) throw badRequest(`associations[${i}].phone must be a phone number or a group id`, 'invalid-phone');
          return { chatJid, labelId: a.label, assigned: a.assigned };
        }),
      };
    default: {
      const contact = toPhoneDigits(b.phone, 'phone');
      if (contact === own) throw badRequest('phone is this instance\'s own number', 'invalid-phone');
      return { ...base, fromMe: false, kind: b.kind, chatJid: userJid(contact) };
    }
  }
}

export const sandboxNotificationRoutes: FastifyPluginAsyncTypebox<SandboxChecks> = async (app, checks) => {
  app.post(
    '/sandbox/notification',
    {
      attachValidation: true,
      schema: {
        tags: ['sandbox'],
        summary: 'WhatsApp reports a notification to this instance',
        description:
          'The instance receives the ReceivedCallback with `notification` = `kind` (group join requests and membership, channel admins, ' +
          'its own profile name and picture, chat labels, chat notices), recorded before this answers. ' +
          'PROFILE_*, CHAT_LABEL_ASSOCIATION and what the instance itself did carry fromMe: true and are delivered only with notify-sent-by-me.',
        body: NotificationBody,
        response: { 200: Type.Object({ messageId: Type.String(), id: Type.String() }) },
      },
    },
    async (req) => {
      if (req.validationError) throw new ApiError(400, 'validation', explain(req.body));
      const engine: SandboxEngine = await checks.sandboxOf(req);
      if (engine.state().status !== 'connected') throw new ApiError(409, 'not-connected', 'Pair the sandbox instance first.');
      const n = notificationOf(req.body, engine.phone);
      await engine.notify(n);
      return { messageId: n.id, id: n.id };
    },
  );
};
