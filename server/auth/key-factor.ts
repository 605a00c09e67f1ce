/**
 * The security key as a second factor (NIST SP 800-63B §5.1.7, via WebAuthn): a new assertion
 * challenge kept on the pending attempt, and the verification of an assertion by one of the
 * user's active keys with its signature counter recorded. Sign-in and unlock both use them;
 * they return values, and the routes turn them into HTTP.
 */
import { type AttemptUpdate, updateAttempt } from '../db/attempt-store.js';
import {
  activeCredentials,
  credentialIdHash,
  recordCredentialUse,
  transportsOf,
} from '../db/credential-store.js';
import type { AuthRuntime } from './auth-runtime.js';
import { verifyAuthentication } from './webauthn.js';
import { keyAssertionChallenge } from './webauthn-challenges.js';

/**
 * WebAuthn options for an assertion by one of the user's active keys; the new challenge is kept
 * on the attempt (with any other fields of the step) for one verification.
 */
export async function newAssertionOptions(
  rt: AuthRuntime,
  idHash: string,
  userId: number,
  fields: AttemptUpdate = {},
) {
  const issued = await keyAssertionChallenge(rt, userId);
  await updateAttempt(rt.db, idHash, { ...fields, ...issued.fields });
  return issued.options;
}

/** Verifies an assertion by one of the user's active keys and records its new counter. */
export async function verifyKey(
  rt: AuthRuntime,
  userId: number,
  response: Parameters<typeof verifyAuthentication>[0]['response'],
  expectedChallenge: string,
): Promise<boolean> {
  const keys = await activeCredentials(rt.db, userId);
  const key = keys.find((row) => row.credentialIdHash === credentialIdHash(response.id));
  if (!key) return false;
  const stored = {
    credentialId: key.credentialId,
    publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')),
    signCount: key.signCount,
    transports: transportsOf(key),
  };
  const result = await verifyAuthentication({
    rp: rt.rp,
    response,
    expectedChallenge,
    credential: stored,
  });
  if (!result.ok) {
    rt.logger.info('assertion rejected', { userId, reason: result.reason });
    return false;
  }
  return recordCredentialUse(rt.db, key.id, key.signCount, result.newSignCount, rt.clock.now());
}
