// Received media is downloaded at once (WhatsApp's CDN links expire) and kept in OpenZap's
// media store, which serves it at its own URL (DESIGN.md §3).
//
// When a download fails (network, expired link the phone would not re-upload, decryption,
// a file larger than the store accepts), the message is still reported, with the media fields
// WhatsApp declared (type, size, file name) and MediaRef.id '' meaning "not kept": losing the
// message (its caption, its sender, that it arrived at all) would be worse than a file the
// integration cannot fetch. The failure is logged with the message id.
import {
  downloadContentFromMessage,
  downloadMediaMessage,
  type DownloadableMessage,
  type MediaType,
  type WAMessage,
  type WASocket,
} from 'baileys';
import type { MediaPort } from '../../media/media.js';
import type { BaileysLogger } from './connection.js';
import type { MediaPart } from './content-in.js';

export interface DownloadRequest {
  message: WAMessage;
  source: DownloadableMessage;
  mediaType: MediaType;
  /** The message's own media: the phone can be asked to re-upload it when the link expired. */
  topLevel: boolean;
}

/** Fetches and decrypts one media file (injectable: tests pass a fake). */
export type MediaDownloader = (req: DownloadRequest) => Promise<Buffer>;

/** How long one download may take before it counts as failed (the event chain waits for it). */
const DOWNLOAD_TIMEOUT_MS = 120_000;

async function toBuffer(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The real downloader: Baileys' own, with the re-upload request for the message's own media. */
export function socketDownloader(socket: () => WASocket | null, logger: BaileysLogger): MediaDownloader {
  return async ({ message, source, mediaType, topLevel }) => {
    const options = { options: { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) } };
    const sock = socket();
    if (topLevel && sock) {
      return downloadMediaMessage(message, 'buffer', options, { logger, reuploadRequest: (m) => sock.updateMediaMessage(m) });
    }
    return toBuffer(await downloadContentFromMessage(source, mediaType, options));
  };
}

export interface KeepDeps {
  download: MediaDownloader;
  media: Pick<MediaPort, 'put'>;
  instanceId: string;
  logger: BaileysLogger;
}

/** Download (or take inline) and keep every part; each kept part's ref is filled in place. */
export async function keepMedia(message: WAMessage, parts: MediaPart[], d: KeepDeps): Promise<void> {
  for (const part of parts) {
    // No location, no file: an edited caption carries none, nor does view-once media already opened.
    if (!part.inline && !part.source?.directPath && !part.source?.url) continue;
    try {
      const bytes = part.inline
        ? Buffer.from(part.inline)
        : await d.download({ message, source: part.source!, mediaType: part.mediaType, topLevel: part.topLevel });
      const kept = await d.media.put(d.instanceId, bytes, { mimeType: part.ref.mimeType, ...(part.ref.fileName ? { fileName: part.ref.fileName } : {}) });
      Object.assign(part.ref, kept);
    } catch (err) {
      // See the header: the message goes on with id '' and what WhatsApp declared.
      d.logger.warn({ err, id: message.key.id, mediaType: part.mediaType }, 'received media could not be downloaded; reported without the file');
    }
  }
}
