// Messages area (zapi-reference.txt "Messages"): every send endpoint from the registry,
// queued through the durable send queue, plus delete and read, done at once.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendRoute } from './accept.js';
import { actionKinds } from './actions.js';
import { commerceKinds } from './commerce.js';
import { deleteReadRoutes } from './delete-read.js';
import { interactiveKinds } from './interactive.js';
import type { SendKind } from './kinds.js';
import { mediaKinds } from './media.js';
import { pollEventKinds } from './polls-events.js';
import { textKinds } from './text.js';

/** Every send endpoint of the messages area, in the documentation's order of areas. */
export const messageKinds: SendKind[] = [...textKinds, ...mediaKinds, ...interactiveKinds, ...commerceKinds, ...actionKinds, ...pollEventKinds];

export const messageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const kind of messageKinds) sendRoute(app, kind, ['messages']);
  await app.register(deleteReadRoutes);
};
