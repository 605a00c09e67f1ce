/**
 * The one issuer of WebAuthn challenges, for every flow (sign-up, sign-in, unlock, binding a
 * key): 32 bytes from the random source (§5.1.7.2), good for `challengeTtlMs` and once. Each
 * function returns the ceremony's options and the attempt fields that keep the challenge, which
 * `useChallenge` (routes/auth/attempts.ts) later takes for one verification.
 */

import { activeCredentials, transportsOf } from '../db/credential-store.js';
import type { AuthRuntime } from './auth-runtime.js';
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

function issueChallenge(rt: AuthRuntime) {
  return {
    bytes: newChallenge(rt.random),
    timeoutMs: rt.settings.challengeTtlMs,
    expiresAt: new Date(rt.clock.now().getTime() + rt.settings.challengeTtlMs),
  };
}

/** Options to register a new key for `username`, excluding the keys it already has. */
export async function keyRegistrationChallenge(
  rt: AuthRuntime,
  input: {
    username: string;
    exclude: readonly Pick<StoredCredential, 'credentialId' | 'transports'>[];
  },
) {
  const issued = issueChallenge(rt);
  const options = await registrationOptions({
    rp: rt.rp,
    username: input.username,
    userHandle: rt.random.bytes(16),
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
export async function keyAssertionChallenge(rt: AuthRuntime, userId: number) {
  const issued = issueChallenge(rt);
  const keys = await activeCredentials(rt.db, userId);
  const options = await authenticationOptions({
    rp: rt.rp,
    challenge: issued.bytes,
    timeoutMs: issued.timeoutMs,
    allow: keys.map((key) => ({ credentialId: key.credentialId, transports: transportsOf(key) })),
  });
  const fields: ChallengeFields = {
    challenge: options.challenge,
    challengeExpiresAt: issued.expiresAt,
  };
  return { options, fields };
}
