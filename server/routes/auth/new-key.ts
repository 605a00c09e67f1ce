/** A new security key's registration answer (server/auth/key-factor.ts), with its refusals as HTTP. */
import type { z } from 'zod';
import type { KeyContext } from '../../auth/auth-contexts.js';
import { verifyNewKey as verify } from '../../auth/key-factor.js';
import type { NewCredential } from '../../auth/webauthn.js';
import { asRegistrationResponse, type registrationResponseSchema } from './bodies.js';
import { refusalError } from './refusals.js';

/** 400 when it does not verify or may be synced (and that is refused), 409 when already bound. */
export async function verifyNewKey(
  keys: KeyContext,
  response: z.output<typeof registrationResponseSchema>,
  expectedChallenge: string,
): Promise<NewCredential> {
  const verdict = await verify(keys, asRegistrationResponse(response), expectedChallenge);
  if (verdict.kind !== 'key') throw refusalError(verdict);
  return verdict.credential;
}
