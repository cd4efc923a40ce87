// Operations on a message that are not sends, done at once by the engine (not queued):
// DELETE /messages and POST /read-message (zapi-reference.txt "Delete messages", "Read
// messages"). Both answer 204 No Content as documented; the instance must be connected.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError, badRequest, notFound } from '../../../domain/errors.js';
import { fromJid, toJid } from '../../../domain/phone.js';
import { withErrors } from '../../schemas.js';
import { engineFor } from './accept.js';
import { loadMessage, sameChat } from './context.js';
import { keyOf, Phone, Str } from './kinds.js';

const STATUS_JID = 'status@broadcast';

export const deleteReadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const oz = app.oz;
  const tags = ['messages'];

  /** The stored message, checked to be in the chat the client named (a status: posted by that phone, when allowed). */
  async function messageIn(instanceId: string, id: string, phone: string, statusOfPhone = false) {
    const chat = toJid(phone);
    const m = await loadMessage(oz, instanceId, id);
    if (!m) throw notFound(`messageId ${id} is not a known message of this instance (sent or received within the retention window)`, 'message-not-found');
    const status = statusOfPhone && m.chatJid === STATUS_JID && m.senderJid !== null && sameChat(chat, m.senderJid);
    if (!status && !sameChat(chat, m.chatJid)) throw badRequest(`messageId ${id} is a message of chat ${fromJid(m.chatJid)}, not of ${fromJid(chat)}`, 'message-chat-mismatch');
    return m;
  }

  async function connectedEngine(req: { instance: import('../../../store/schema.js').InstanceRow }) {
    const engine = await engineFor(oz, req.instance);
    if (engine.state().status !== 'connected') throw new ApiError(409, 'not-connected', 'You are not connected.');
    return engine;
  }

  app.delete(
    '/messages',
    {
      schema: {
        tags,
        summary: 'Delete a message (for everyone when it is yours, otherwise on this device)',
        description: 'zapi-reference.txt line 3922. 204 No Content.',
        querystring: Type.Object({
          messageId: Str(1, 128, 'The message'),
          phone: Phone,
          owner: Type.Boolean({ description: 'true: you sent it; false: you received it' }),
        }),
        response: withErrors({ 204: Type.Null({ description: 'No content' }) }),
      },
    },
    async (req, reply) => {
      const { messageId, phone, owner } = req.query;
      const m = await messageIn(req.instance.id, messageId, phone);
      if (owner !== m.fromMe) {
        throw badRequest(`owner is ${owner} but messageId ${m.id} was ${m.fromMe ? 'sent by this instance' : 'received'}`, 'owner-mismatch');
      }
      const engine = await connectedEngine(req);
      const key = keyOf(m);
      await engine.messages.delete({ id: key.id, chatJid: key.chatJid, fromMe: key.fromMe, ...(key.participant ? { participant: key.participant } : {}) });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/read-message',
    {
      schema: {
        tags,
        summary: 'Mark a received message as read (sends the read receipt)',
        description: 'zapi-reference.txt line 3984. 204 No Content.',
        body: Type.Object({ phone: Phone, messageId: Str(1, 128, 'The received message') }),
        response: withErrors({ 204: Type.Null({ description: 'No content' }) }),
      },
    },
    async (req, reply) => {
      // A contact's status is read (viewed) with phone = the contact who posted it.
      const m = await messageIn(req.instance.id, req.body.messageId, req.body.phone, true);
      if (m.fromMe) throw badRequest(`messageId ${m.id} was sent by this instance; only received messages are marked read`, 'own-message');
      const engine = await connectedEngine(req);
      await engine.messages.read(m.chatJid, [m.id]);
      return reply.code(204).send(null);
    },
  );
};
