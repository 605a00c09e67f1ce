/**
 * The one issuer of WebAuthn challenges, for every flow (sign-up, sign-in, unlock, binding a
 * key): 32 bytes from the random source (§5.1.7.2), good for `challengeTtlMs` and once. Each
 * function returns the ceremony's options and the attempt fields that keep the challenge, which
 * `useChallenge` (routes/auth/attempts.ts) later takes for one verification.
 */

import { activeCredentials, transportsOf } from '../db/credential-store.js';
import type { KeyContext } from './auth-contexts.js';
import {
  authenticationOptions,
  newChallenge,
  registrationOptions,
  type StoredCredential,
} from './webauthn.js';

export interface ChallengeFields {
  challenge: string;
  challengeExpiresAt: Date;
}

function issueChallenge(keys: KeyContext) {
  return {
    bytes: newChallenge(keys.random),
    timeoutMs: keys.challengeTtlMs,
    expiresAt: new Date(keys.clock.now().getTime() + keys.challengeTtlMs),
  };
}

/** Options to register a new key for `username`, excluding the keys it already has. */
export async function keyRegistrationChallenge(
  keys: KeyContext,
  input: {
    username: string;
    exclude: readonly Pick<StoredCredential, 'credentialId' | 'transports'>[];
  },
) {
  const issued = issueChallenge(keys);
  const options = await registrationOptions({
    rp: keys.rp,
    username: input.username,
    userHandle: keys.random.bytes(16),
    challenge: issued.bytes,
    timeoutMs: issued.timeoutMs,
    exclude: input.exclude,
  });
  const fields: ChallengeFields = {
    challenge: options.challenge,
    challengeExpiresAt: issued.expiresAt,
  };
  return { options, fields };
}

/** Options for an assertion by one of the user's active keys. */
export async function keyAssertionChallenge(keys: KeyContext, userId: number) {
  const issued = issueChallenge(keys);
  const active = await activeCredentials(keys.db, userId);
  const options = await authenticationOptions({
    rp: keys.rp,
    challenge: issued.bytes,
    timeoutMs: issued.timeoutMs,
    allow: active.map((key) => ({ credentialId: key.credentialId, transports: transportsOf(key) })),
  });
  const fields: ChallengeFields = {
    challenge: options.challenge,
    challengeExpiresAt: issued.expiresAt,
  };
  return { options, fields };
}
