/**
 * Seals a factor's secret for storage (NIST SP 800-63B §5.1.4.2: "encrypted at rest"): AES-256-GCM
 * under a 32-byte key kept outside the database (TOTP_KEY_FILE, like the pepper), a fresh 96-bit
 * IV from the random source each time, and a fixed purpose as associated data so a sealed value
 * cannot be opened as anything else. Format: `v1.<iv>.<ciphertext>.<tag>`, each base64url.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { RandomSource } from '../random.js';

export interface SecretSealer {
  seal(secret: Uint8Array): string;
  /** The secret, or throws when the value was not sealed under this key and purpose. */
  open(sealed: string): Uint8Array;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SEALING_KEY_BYTES = 32;

export function createSecretSealer(
  key: Uint8Array,
  random: RandomSource,
  purpose = 'parley totp secret',
): SecretSealer {
  if (key.length !== SEALING_KEY_BYTES) {
    throw new Error(`a sealing key is ${SEALING_KEY_BYTES} bytes, not ${key.length}`);
  }
  const aad = Buffer.from(purpose, 'utf8');
  return {
    seal(secret) {
      const iv = random.bytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(secret), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv, body, tag].map((p) => Buffer.from(p).toString('base64url')).join('.');
    },
    open(sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (Buffer.from(version ?? '', 'base64url').toString() !== VERSION || !iv || !body || !tag) {
        throw new Error('not a sealed secret');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad);
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return new Uint8Array(
        Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]),
      );
    },
  };
}
