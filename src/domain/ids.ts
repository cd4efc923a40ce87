// Identifiers handed out by OpenZap. All random parts come from the CSPRNG.
import { createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

// Ids are drawn on every accepted message: one CSPRNG call fills a pool for many of them.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function hex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = pool.toString('hex', poolAt, poolAt + bytes).toUpperCase();
  poolAt += bytes;
  return out;
}

/** Instance id: 32 uppercase hex characters, as Z-API's. */
export const newInstanceId = () => hex(16);
/** Instance token: 128 random bits, 32 uppercase hex characters. */
export const newInstanceToken = () => hex(16);
/**
 * zaapId: our queue id for an accepted message, 32 uppercase hex characters: the time in
 * milliseconds (12 hex digits) then 80 random bits. Time first so that consecutive ids land
 * next to each other in the unique index of send_queue: with fully random ids every insert
 * dirtied a different index page, and each COMMIT wrote one page per message to the WAL
 * (290 µs instead of 86 µs for 25 rows, docs/benchmarks.md F14).
 */
export const newZaapId = () => Date.now().toString(16).toUpperCase().padStart(12, '0') + hex(10);
/** WhatsApp message id, generated at enqueue time and used when the message is sent (3EB0 prefix like WhatsApp Web). */
export const newMessageId = () => '3EB0' + hex(10);
/** Partner and security tokens: 192 bits, url-safe. */
export const newSecretToken = () => randomBytes(24).toString('base64url');
export const newAccountId = () => hex(8);

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Constant-time comparison of a given secret with the stored one. The length of our tokens
 * is public (fixed formats), so a length mismatch may answer early; the content never does.
 */
export function safeEqual(given: string, stored: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(stored, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const INSTANCE_ID_RE = /^[0-9A-Fa-f]{32}$/;
