// GET /media/{id}/{name}: the files OpenZap hands out in webhooks (received media,
// re-hosted) and keeps for sending. Public like Z-API's storage links: the id is 144
// random bits; after the media retention the link answers 404.
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { notFound } from '../../domain/errors.js';

/**
 * Types a browser may show inline. Anything else (HTML, SVG, scripts, unknown types a sender
 * declared) is a download, and sandboxed: a file someone sent must never run as a page of
 * this origin.
 */
const INLINE = /^(image\/(jpeg|png|gif|webp|bmp)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|application\/pdf)$/;

export const mediaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const store = app.oz.media;
  const handler = async (req: { params: { id: string } }, reply: import('fastify').FastifyReply) => {
    const info = await store.info(req.params.id);
    if (!info) throw notFound('This media file is unknown or has expired.', 'media-not-found');
    const name = info.fileName ?? 'file';
    const type = info.mimeType.split(';')[0].trim().toLowerCase();
    const inline = INLINE.test(type);
    void reply
      .header('content-type', inline ? info.mimeType : 'application/octet-stream')
      .header('content-security-policy', "sandbox; default-src 'none'")
      .header('content-length', String(info.size))
      .header('cache-control', `private, max-age=${Math.max(0, Math.floor((info.expiresAt - Date.now()) / 1000))}`)
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`);
    return reply.send(createReadStream(store.pathOf(req.params.id)));
  };
  const Id = Type.String({ minLength: 1, maxLength: 64 });
  const schema = { tags: ['media'], description: 'Download a media file served by OpenZap (links in webhooks).' };
  app.get('/media/:id', { schema: { ...schema, params: Type.Object({ id: Id }) } }, handler);
  app.get('/media/:id/:name', { schema: { ...schema, params: Type.Object({ id: Id, name: Type.String({ maxLength: 255 }) }) } }, handler);
};
