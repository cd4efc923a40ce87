// The media store: files OpenZap sends (ingested from client URLs or base64 before a
// message is queued) and files it received from WhatsApp (re-hosted, DESIGN.md §3). Bytes
// live under <dataDir>/media/<2 chars>/<id>, written to a temp file, fsynced and renamed
// before the metadata row commits, so a row always has its file. Every file expires after
// the media retention (default 30 days, as Z-API documents) and is then pruned.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Dispatcher } from 'undici';
import type { Database, MediaTable } from '../store/schema.js';
import type { Insertable } from 'kysely';
import type { MediaRef } from '../engines/content.js';
import { ApiError, badRequest, notFound } from '../domain/errors.js';
import type { IngestOptions, MediaPort } from './media.js';
import { decodeInline, fetchUrl, type Loaded } from './fetch.js';
import { baseMime, extensionForMime, mimeForExtension, sniffMime } from './mime.js';

export interface MediaStoreOptions {
  dir: string;
  /** Base of the URLs handed out (OPENZAP_PUBLIC_URL or http://host:port), without a trailing slash. */
  publicBase: () => string;
  maxBytes: number;
  /** Time limit of one whole download. */
  fetchTimeoutMs: number;
  retentionMs: number;
  allowPrivate: boolean;
  dispatcher: Dispatcher;
}

const ID = /^[A-Za-z0-9_-]{22,64}$/;

export class MediaStore implements MediaPort {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly o: MediaStoreOptions,
  ) {}

  private fileOf(id: string): string {
    return path.join(this.o.dir, id.slice(0, 2), id);
  }

  async ingest(input: string, opts: IngestOptions): Promise<MediaRef> {
    const max = Math.min(opts.maxBytes ?? this.o.maxBytes, this.o.maxBytes);
    const value = typeof input === 'string' ? input.trim() : '';
    if (value === '') throw badRequest(`${opts.field} is empty`, 'invalid-media');
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
    const loaded: Loaded = isUrl
      ? await fetchUrl(value, opts.field, { maxBytes: max, timeoutMs: this.o.fetchTimeoutMs, allowPrivate: this.o.allowPrivate, dispatcher: this.o.dispatcher })
      : decodeInline(value, opts.field, max);
    const sniffed = sniffMime(loaded.bytes);
    const declared = loaded.declaredMime ? baseMime(loaded.declaredMime) : null;
    const fromName = opts.fileName ?? loaded.fileName;
    const byName = fromName && /\.[A-Za-z0-9]{1,8}$/.test(fromName) ? mimeForExtension(fromName.split('.').pop()!) : null;
    // The bytes tell best; then what the caller knows (document extension), the source, the name.
    const usable = (m: string | null) => (m && m !== 'application/octet-stream' ? m : null);
    const mimeType = sniffed ?? usable(opts.mimeType ?? null) ?? usable(declared) ?? usable(byName) ?? 'application/octet-stream';
    if (opts.expect && !mimeType.startsWith(opts.expect)) {
      // A file we cannot identify is accepted when only the bytes are silent and the source agrees.
      throw new ApiError(
        415,
        'invalid-media-type',
        `${opts.field} must be ${opts.expect.replace(/\/$/, '')} media; the file is ${mimeType === 'application/octet-stream' ? 'of an unknown type' : mimeType}`,
      );
    }
    const fileName = fromName ?? `${opts.field}.${extensionForMime(mimeType)}`;
    return this.put(opts.instanceId, loaded.bytes, { mimeType, fileName });
  }

  async put(instanceId: string, bytes: Buffer, meta: { mimeType: string; fileName?: string }): Promise<MediaRef> {
    if (bytes.length > this.o.maxBytes) throw new ApiError(413, 'media-too-large', 'The file is larger than OPENZAP_MEDIA_MAX_MB allows');
    const id = randomBytes(18).toString('base64url');
    const file = this.fileOf(id);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const handle = await fs.open(tmp, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
      await syncDir(path.dirname(file)); // the new name is on disk before the row that points at it
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    const now = Date.now();
    const fileName = meta.fileName ? sanitizeName(meta.fileName) : undefined;
    await this.insertRow(file, {
      id,
      instance_id: instanceId,
      mime_type: meta.mimeType,
      file_name: fileName ?? null,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      created_at: now,
      expires_at: now + this.o.retentionMs,
    });
    return { id, mimeType: meta.mimeType, size: bytes.length, ...(fileName ? { fileName } : {}) };
  }

  /** The metadata row; a file whose row could not be written is removed (nothing could reach or prune it). */
  private async insertRow(file: string, row: Insertable<MediaTable>): Promise<void> {
    try {
      await this.db.insertInto('media').values(row).execute();
    } catch (err) {
      await fs.rm(file, { force: true });
      throw err;
    }
  }

  /** Metadata of a live file, or null when unknown or expired. */
  async info(id: string): Promise<{ mimeType: string; fileName: string | null; size: number; expiresAt: number } | null> {
    if (!ID.test(id)) return null;
    const row = await this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || Number(row.expires_at) <= Date.now()) return null;
    return { mimeType: row.mime_type, fileName: row.file_name, size: Number(row.size), expiresAt: Number(row.expires_at) };
  }

  async read(id: string): Promise<Buffer> {
    if (!(await this.info(id))) throw notFound(`Media ${id} is unknown or has expired`, 'media-not-found');
    return fs.readFile(this.fileOf(id));
  }

  /** Path of the bytes of a live file (for streaming), after info() said it is live. */
  pathOf(id: string): string {
    return this.fileOf(id);
  }

  url(ref: MediaRef): string {
    const name = ref.fileName ?? `file.${extensionForMime(ref.mimeType)}`;
    return `${this.o.publicBase()}/media/${ref.id}/${encodeURIComponent(name)}`;
  }

  /** Delete expired files (rows first: a file without a row is unreachable, the reverse would be a broken link). */
  async prune(now = Date.now(), batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.db.selectFrom('media').select('id').where('expires_at', '<=', now).limit(batch).execute();
      if (rows.length === 0) return total;
      const ids = rows.map((r) => r.id);
      await this.db.deleteFrom('media').where('id', 'in', ids).execute();
      await Promise.all(ids.map((id) => fs.rm(this.fileOf(id), { force: true })));
      total += ids.length;
      if (rows.length < batch) return total;
    }
  }
}

/** fsync a directory: a file renamed into it stays renamed after a power cut. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A file name safe to put in a URL path and a Content-Disposition header. */
function sanitizeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}
