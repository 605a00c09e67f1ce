/**
 * ECDH on P-384 with WebCrypto: fresh key pairs for each exchange, the 384-bit shared secret,
 * and the exchange id that names an exchange by its initiator's public key.
 */
import {
  PRIVATE_KEY_BYTES,
  PUBLIC_KEY_BYTES,
  SHARED_SECRET_BITS,
  XID_BYTES,
  XID_LABEL,
} from './constants.js';
import type { CryptoLog } from './crypto-log.js';
import { type Bytes, concatBytes, fromBase64Url, toBase64Url, utf8 } from './encoding.js';

const curve = { name: 'ECDH', namedCurve: 'P-384' } as const;

export interface KeyPair {
  /** Uncompressed point, 97 bytes. */
  publicKey: Bytes;
  /** The private scalar `d`, 48 bytes: what the keystore persists. */
  privateKey: Bytes;
}

/** Makes a fresh P-384 key pair (WebCrypto's CSPRNG) and exports both halves. */
export async function generateKeyPair(log: CryptoLog): Promise<KeyPair> {
  const pair = await crypto.subtle.generateKey(curve, true, ['deriveBits']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const privateKey = fromBase64Url(jwk.d ?? '');
  if (privateKey === null || privateKey.length !== PRIVATE_KEY_BYTES) {
    throw new Error('WebCrypto exported an unexpected P-384 private key');
  }
  log.op('ecdh-keygen', { publicKey, privateKey });
  return { publicKey, privateKey };
}

/** Imports a stored key pair's private half for ECDH. */
async function importPrivateKey(pair: KeyPair): Promise<CryptoKey> {
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-384',
    x: toBase64Url(pair.publicKey.subarray(1, 49)),
    y: toBase64Url(pair.publicKey.subarray(49, 97)),
    d: toBase64Url(pair.privateKey),
  };
  return crypto.subtle.importKey('jwk', jwk, curve, false, ['deriveBits']);
}

/**
 * The ECDH shared secret: all 384 bits of the x-coordinate. Returns null when the peer's
 * public key is not a valid P-384 point (WebCrypto refuses it).
 */
export async function deriveSharedSecret(
  own: KeyPair,
  peerPublicKey: Bytes,
  log: CryptoLog,
): Promise<Bytes | null> {
  if (peerPublicKey.length !== PUBLIC_KEY_BYTES) return null;
  let peerKey: CryptoKey;
  try {
    peerKey = await crypto.subtle.importKey('raw', peerPublicKey, curve, false, []);
  } catch {
    return null;
  }
  const privateKey = await importPrivateKey(own);
  const secret = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: 'ECDH', public: peerKey },
      privateKey,
      SHARED_SECRET_BITS,
    ),
  );
  log.op('ecdh-derive', { ownPublicKey: own.publicKey, peerPublicKey, sharedSecret: secret });
  return secret;
}

/**
 * The exchange id: base64url of the first 16 bytes of SHA-256("PARLEY_XID" || initiator's
 * public key). Both sides compute it from the offer; every later message names it.
 */
export async function exchangeId(initiatorPublicKey: Bytes): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    concatBytes(utf8(XID_LABEL), initiatorPublicKey),
  );
  return toBase64Url(new Uint8Array(digest, 0, XID_BYTES));
}
