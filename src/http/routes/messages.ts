// Messages area (zapi-reference.txt "Send plain text" and its variants). Every send goes
// through the durable queue and answers {zaapId, messageId, id} at once.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { toJid } from '../../domain/phone.js';
import { badRequest, notFound } from '../../domain/errors.js';
import { withErrors } from '../schemas.js';

const Delay = (what: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: what }));

const SendText = Type.Object({
  phone: Type.String({ minLength: 1, maxLength: 100, description: 'Recipient: digits with country code, <id>-group, or a jid' }),
  message: Type.String({ minLength: 1, maxLength: 65_536 }),
  delayMessage: Delay('Seconds (1–15) to wait before sending this message'),
  delayTyping: Delay('Seconds (1–15) showing "typing…" before sending'),
  editMessageId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  messageId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Reply to this message' })),
  privateAnswer: Type.Optional(Type.Boolean()),
  mentioned: Type.Optional(Type.Array(Type.Union([Type.String({ maxLength: 100 }), Type.Integer()]), { maxItems: 1024 })),
  groupMentioned: Type.Optional(
    Type.Array(Type.Object({ phone: Type.String({ minLength: 1, maxLength: 100 }), subject: Type.String({ maxLength: 200 }) }), {
      maxItems: 256,
    }),
  ),
});

const Accepted = Type.Object({ zaapId: Type.String(), messageId: Type.String(), id: Type.String() });

export const messageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queue, engines, store } = app.oz;

  /** A referenced message must be one we know (sent or received within the retention window). */
  async function requireMessage(instanceId: string, id: string, field: string, mine = false) {
    const row = await store.db
      .selectFrom('messages')
      .select(['message_id', 'from_me', 'chat_jid'])
      .where('instance_id', '=', instanceId)
      .where('message_id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`${field} ${id} is not a known message of this instance`, 'message-not-found');
    if (mine && row.from_me !== 1) throw badRequest(`${field} ${id} was not sent by this instance; only your own messages can be edited`);
    return row;
  }

  app.post('/send-text', { schema: { tags: ['messages'], body: SendText, response: withErrors({ 200: Accepted }) } }, async (req) => {
    const b = req.body;
    const inst = req.instance;
    const jid = toJid(b.phone);
    if (b.editMessageId) await requireMessage(inst.id, b.editMessageId, 'editMessageId', true);
    if (b.messageId) await requireMessage(inst.id, b.messageId, 'messageId');
    if (b.privateAnswer && !b.messageId) throw badRequest('privateAnswer needs messageId (the group message to answer privately)');
    const mentions = (b.mentioned ?? []).map((m) => toJid(String(m), 'mentioned'));
    const groupMentions = (b.groupMentioned ?? []).map((g) => ({ jid: toJid(g.phone, 'groupMentioned.phone'), subject: g.subject }));
    const engine = engines.engine(inst.id);
    return queue.enqueue(
      {
        instanceId: inst.id,
        phone: String(b.phone),
        jid,
        content: {
          type: 'text',
          text: b.message,
          ...(mentions.length ? { mentions } : {}),
          ...(groupMentions.length ? { groupMentions } : {}),
        },
        delayMessage: b.delayMessage || undefined,
        delayTyping: b.delayTyping || undefined,
        quotedId: b.messageId,
        privateAnswer: b.privateAnswer,
        editId: b.editMessageId,
      },
      engine?.state().status === 'connected',
    );
  });
};
