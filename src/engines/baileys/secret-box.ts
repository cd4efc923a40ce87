// Secrets at rest (DESIGN.md §6): AES-256-GCM per stored value, with the configured
// OPENZAP_SECRET_KEY. The row's identity is the additional data, so a sealed value copied
// to another row (another instance, another key id) does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'enc1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

export class SecretBox {
  constructor(private readonly key: Buffer | null) {
    if (key && key.length !== 32) throw new SecretBoxError('the secret key must be 32 bytes');
  }

  get encrypting(): boolean {
    return this.key !== null;
  }

  /** Seal `plain` when a key is configured; otherwise store it as it is. */
  seal(plain: string, aad: string): string {
    if (!this.key) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Open a stored value. Values stored in clear (before a key was configured) are read as they are. */
  open(stored: string, aad: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    if (!this.key) {
      throw new SecretBoxError('the stored WhatsApp session is encrypted and OPENZAP_SECRET_KEY is not set');
    }
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the stored WhatsApp session cannot be decrypted: OPENZAP_SECRET_KEY differs from the key it was written with');
    }
  }
}
