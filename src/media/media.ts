// What the rest of OpenZap needs from the media store (implemented in media/store.ts):
// routes ingest client media (URL or data: URI, through the outbound guard) before a
// message is queued; engines read the bytes to send them and put what they receive;
// the webhook mapper turns a MediaRef into the public URL OpenZap serves it at.
import type { MediaRef } from '../engines/content.js';

export type { MediaRef };

export interface IngestOptions {
  instanceId: string;
  /** The request field the input came from (named in 4xx messages), e.g. "image". */
  field: string;
  /** Largest accepted size in bytes (defaults to the configured maximum). */
  maxBytes?: number;
  /** A MIME type family the file must belong to, e.g. "image/" (checked against the sniffed type when known). */
  expect?: string;
  /** File name to keep (documents); otherwise derived from the URL or Content-Disposition. */
  fileName?: string;
  /** MIME type to use when neither the response nor the bytes tell (e.g. from send-document/{extension}). */
  mimeType?: string;
}

export interface MediaPort {
  /**
   * Fetch (http/https through the guard) or decode (data: URI, or bare base64 where the
   * docs allow it) a client's media input and keep it. Bad input → ApiError 4xx, nothing kept.
   */
  ingest(input: string, opts: IngestOptions): Promise<MediaRef>;
  /** Keep bytes an engine received or produced. */
  put(instanceId: string, bytes: Buffer, meta: { mimeType: string; fileName?: string }): Promise<MediaRef>;
  /** The bytes of a kept file; ApiError 404 when unknown or expired. */
  read(id: string): Promise<Buffer>;
  /** The public URL OpenZap serves the file at (GET /media/{id}/{name}). */
  url(ref: MediaRef): string;
}
