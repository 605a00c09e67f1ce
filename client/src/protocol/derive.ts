/**
 * HKDF-SHA256 from the ECDH shared secret to the four keys of one epoch: an AES-256-GCM key and
 * an HMAC-SHA256 key for each direction. The salt is the epoch counter (1 for the exchange, +1
 * per refresh) as 8 bytes big-endian; the info names the key's purpose and direction.
 */
import { encryptionKeyInfo, KEY_BITS, macKeyInfo, SALT_BYTES } from './constants.js';
import type { CryptoLog } from './crypto-log.js';
import { type Bytes, uintBigEndian, utf8 } from './encoding.js';

/** Raw key bytes for one direction. */
export interface DirectionKeys {
  encryption: Bytes;
  mac: Bytes;
}

/** The four keys of an epoch, seen from one side: `send` is self → peer, `receive` peer → self. */
export interface EpochKeys {
  send: DirectionKeys;
  receive: DirectionKeys;
}

/** The HKDF salt of epoch `salt`: 64-bit big-endian. */
export function saltBytes(salt: number): Bytes {
  return uintBigEndian(salt, SALT_BYTES);
}

/** Derives one 256-bit key with HKDF-SHA256 (extract and expand, as WebCrypto does both). */
async function hkdf(secret: CryptoKey, salt: Bytes, info: string): Promise<Bytes> {
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt, info: utf8(info) },
    secret,
    KEY_BITS,
  );
  return new Uint8Array(bits);
}

export async function deriveEpochKeys(
  input: { secret: Bytes; salt: number; self: string; peer: string },
  log: CryptoLog,
): Promise<EpochKeys> {
  const { self, peer } = input;
  const secret = await crypto.subtle.importKey('raw', input.secret, 'HKDF', false, ['deriveBits']);
  const salt = saltBytes(input.salt);
  const derive = async (info: string) => {
    const key = await hkdf(secret, salt, info);
    log.op('hkdf', { salt, info, key });
    return key;
  };
  return {
    send: {
      encryption: await derive(encryptionKeyInfo(self, peer)),
      mac: await derive(macKeyInfo(self, peer)),
    },
    receive: {
      encryption: await derive(encryptionKeyInfo(peer, self)),
      mac: await derive(macKeyInfo(peer, self)),
    },
  };
}
