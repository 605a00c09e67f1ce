/**
 * The security key as a second factor (NIST SP 800-63B §5.1.7, via WebAuthn): a new assertion
 * challenge kept on the pending attempt, and the verification of an assertion by one of the
 * user's active keys with its signature counter recorded (sign-in, unlock), and a new key's
 * registration checked before it is bound (sign-up, binding another key). They return values;
 * the routes turn them into HTTP.
 */

import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { type AttemptUpdate, updateAttempt } from '../db/attempt-store.js';
import {
  activeCredentials,
  credentialExists,
  credentialIdHash,
  recordCredentialUse,
  transportsOf,
} from '../db/credential-store.js';
import type { KeyContext } from './auth-contexts.js';
import { type NewCredential, verifyAuthentication, verifyRegistration } from './webauthn.js';
import { keyAssertionChallenge } from './webauthn-challenges.js';

/**
 * WebAuthn options for an assertion by one of the user's active keys; the new challenge is kept
 * on the attempt (with any other fields of the step) for one verification.
 */
export async function newAssertionOptions(
  keys: KeyContext,
  idHash: string,
  userId: number,
  fields: AttemptUpdate = {},
) {
  const issued = await keyAssertionChallenge(keys, userId);
  await updateAttempt(keys.db, idHash, { ...fields, ...issued.fields });
  return issued.options;
}

/** Verifies an assertion by one of the user's active keys and records its new counter. */
export async function verifyKey(
  keys: KeyContext,
  userId: number,
  response: Parameters<typeof verifyAuthentication>[0]['response'],
  expectedChallenge: string,
): Promise<boolean> {
  const active = await activeCredentials(keys.db, userId);
  const key = active.find((row) => row.credentialIdHash === credentialIdHash(response.id));
  if (!key) return false;
  const stored = {
    credentialId: key.credentialId,
    publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')),
    signCount: key.signCount,
    transports: transportsOf(key),
  };
  const result = await verifyAuthentication({
    rp: keys.rp,
    response,
    expectedChallenge,
    credential: stored,
  });
  if (!result.ok) {
    keys.logger.info('assertion rejected', { userId, reason: result.reason });
    return false;
  }
  return recordCredentialUse(keys.db, key.id, key.signCount, result.newSignCount, keys.clock.now());
}

/** The name given to a new key when the user gave none. */
export const DEFAULT_KEY_NAME = 'Security key';

/** Why a new key was not accepted. */
export type NewKeyRefusal =
  | { kind: 'key_rejected' }
  | { kind: 'synced_key_refused' }
  | { kind: 'key_already_registered' };

/**
 * A new security key's registration answer, verified against the attempt's challenge; refused
 * when it does not verify, when it may be synced and the server does not accept that, or when
 * the key is already bound to an account.
 */
export async function verifyNewKey(
  keys: KeyContext,
  response: RegistrationResponseJSON,
  expectedChallenge: string,
): Promise<{ kind: 'key'; credential: NewCredential } | NewKeyRefusal> {
  const result = await verifyRegistration({ rp: keys.rp, response, expectedChallenge });
  if (!result.ok) {
    keys.logger.info('security key rejected', { reason: result.reason });
    return { kind: 'key_rejected' };
  }
  const synced = result.credential.deviceType === 'multiDevice' || result.credential.backedUp;
  if (synced && !keys.syncedPasskeys) return { kind: 'synced_key_refused' };
  if (await credentialExists(keys.db, result.credential.credentialId)) {
    return { kind: 'key_already_registered' };
  }
  return { kind: 'key', credential: result.credential };
}
