// Polls and events: create, vote, edit, answer (zapi-reference.txt "Send poll", "Submit
// vote to poll", "Send event", "Edit event", "Respond to event").
import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from '../../../domain/errors.js';
import type { EventContent, PollContent } from '../../../engines/content.js';
import { Delays, Enum, Phone, Str, defineKind, delays } from './kinds.js';

// WhatsApp polls: 2 to 12 options, each named once (votes are hashes of the option names).
const POLL_MIN = 2;
const POLL_MAX = 12;

function distinct(names: string[], field: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw badRequest(`${field}: option "${n}" appears twice`, 'duplicate-option');
    seen.add(n);
  }
}

const sendPoll = defineKind({
  path: '/send-poll',
  summary: 'Send a poll',
  doc: 4122,
  body: Type.Object({
    phone: Phone,
    message: Str(1, 255, 'The question'),
    poll: Type.Array(Type.Object({ name: Str(1, 100, 'Option') }), { minItems: POLL_MIN, maxItems: POLL_MAX }),
    pollMaxOptions: Type.Optional(Type.Integer({ minimum: 0, maximum: POLL_MAX, description: 'Votes per person (0 or absent: any number)' })),
    ...Delays,
  }),
  async build(b, ctx) {
    const options = b.poll.map((o) => o.name);
    distinct(options, 'poll');
    const maxOptions = b.pollMaxOptions ?? 0;
    if (maxOptions > options.length) throw badRequest(`pollMaxOptions (${maxOptions}) is more than the ${options.length} options`, 'invalid-poll');
    return { jid: ctx.chat(b.phone), content: { type: 'poll', question: b.message, options, maxOptions }, ...delays(b) };
  },
});

const sendPollVote = defineKind({
  path: '/send-poll-vote',
  summary: 'Vote in a poll',
  doc: 4211,
  body: Type.Object({
    phone: Phone,
    pollMessageId: Str(1, 128, 'The poll (send-poll response or webhook)'),
    pollVote: Type.Array(Type.Object({ name: Str(1, 100, 'Option voted for') }), { minItems: 1, maxItems: POLL_MAX }),
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const names = b.pollVote.map((v) => v.name);
    distinct(names, 'pollVote');
    const m = await ctx.message(b.pollMessageId, 'pollMessageId', { chat: jid, kinds: ['poll'] });
    const poll = m.content as PollContent;
    const unknown = names.filter((n) => !poll.options.includes(n));
    if (unknown.length) throw badRequest(`pollVote: ${unknown.map((n) => `"${n}"`).join(', ')} is not an option of this poll (${poll.options.join(', ')})`, 'invalid-poll-vote');
    if (poll.maxOptions > 0 && names.length > poll.maxOptions) {
      throw badRequest(`pollVote: this poll allows ${poll.maxOptions} vote(s) per person, ${names.length} given`, 'invalid-poll-vote');
    }
    return { jid, content: { type: 'pollVote', poll: ctx.key(m), options: names }, ...delays(b) };
  },
});

const EventBody = Type.Object({
  name: Str(1, 256, 'Event name'),
  description: Type.Optional(Type.String({ maxLength: 2048 })),
  dateTime: Str(1, 64, 'Start, ISO 8601 (without a timezone: UTC)'),
  location: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.String({ maxLength: 256 })),
      address: Type.Optional(Type.String({ maxLength: 1024 })),
      latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
      longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    }),
  ),
  callLinkType: Type.Optional(Enum(['voice', 'video'] as const)),
  canceled: Type.Boolean({ description: 'The event is canceled' }),
});

/** "Date and time of event (no timezone)": a time without an offset is read as UTC, never as the server's zone. */
function startTime(value: string): number {
  const v = value.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(v);
  const bad = () => badRequest('event.dateTime must be an ISO 8601 date and time, e.g. 2024-04-29T09:30:00Z', 'invalid-date');
  if (!m) throw bad();
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  // Date.parse rolls 31 February over into March: the calendar is checked first.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) throw bad();
  const ms = Date.parse(m[7] ? v.replace(' ', 'T') : m[4] ? `${v.replace(' ', 'T')}Z` : `${v}T00:00:00Z`);
  if (!Number.isFinite(ms)) throw bad();
  return Math.floor(ms / 1000);
}

function eventContent(e: Static<typeof EventBody>): EventContent {
  const loc = e.location;
  const location = loc && Object.values(loc).some((x) => x !== undefined && x !== '') ? loc : undefined;
  return {
    type: 'event',
    name: e.name,
    ...(e.description ? { description: e.description } : {}),
    startTime: startTime(e.dateTime),
    ...(location ? { location } : {}),
    ...(e.callLinkType ? { callLinkType: e.callLinkType } : {}),
    canceled: e.canceled,
  };
}

const sendEvent = defineKind({
  path: '/send-event',
  summary: 'Send an event',
  doc: 4819,
  body: Type.Object({ phone: Phone, event: EventBody, ...Delays }),
  async build(b, ctx) {
    return { jid: ctx.chat(b.phone), content: eventContent(b.event), ...delays(b) };
  },
});

const sendEditEvent = defineKind({
  path: '/send-edit-event',
  summary: 'Edit an event sent earlier (send every field again)',
  doc: 4899,
  body: Type.Object({ phone: Phone, event: EventBody, eventMessageId: Str(1, 128, 'The event message'), ...Delays }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    const m = await ctx.message(b.eventMessageId, 'eventMessageId', { chat: jid, own: true, kinds: ['event'] });
    return { jid, content: eventContent(b.event), editId: m.id, ...delays(b) };
  },
});

const sendEventResponse = defineKind({
  path: '/send-event-response',
  summary: 'Answer an event (going, not going)',
  doc: 4984,
  body: Type.Object({
    phone: Phone,
    eventResponse: Enum(['GOING', 'NOT_GOING', 'MAYBE'] as const, 'GOING or NOT_GOING (MAYBE: OpenZap extension)'),
    eventMessageId: Str(1, 128, 'The event message'),
    ...Delays,
  }),
  async build(b, ctx) {
    const jid = ctx.chat(b.phone);
    // Documented: the creator of an event cannot answer it (it is always "going").
    const m = await ctx.message(b.eventMessageId, 'eventMessageId', { chat: jid, theirs: true, kinds: ['event'] });
    return { jid, content: { type: 'eventResponse', event: ctx.key(m), response: b.eventResponse }, ...delays(b) };
  },
});

export const pollEventKinds = [sendPoll, sendPollVote, sendEvent, sendEditEvent, sendEventResponse];
