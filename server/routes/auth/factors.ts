/** Verifying a new second factor before it is bound: a security key's registration, an app's first code. */

import type { z } from 'zod';
import type { AuthRuntime } from '../../auth/auth-runtime.js';
import { type NewCredential, verifyRegistration } from '../../auth/webauthn.js';
import { credentialExists } from '../../db/credential-store.js';
import { HttpError } from '../../http/errors.js';
import { asRegistrationResponse, type registrationResponseSchema } from './bodies.js';

/** An enrolling app's code that does not match: the same QR code stays; try the next code. */
export function totpEnrolmentError(): HttpError {
  return new HttpError(
    400,
    'totp_wrong',
    'That code does not match. Check that the app shows Parley, that your device’s clock is right, and type the current 6-digit code.',
  );
}

/**
 * A new security key's registration answer, verified against the attempt's challenge: 400 when
 * it does not verify, 409 when the key is already bound to an account.
 */
export async function verifyNewKey(
  rt: AuthRuntime,
  response: z.output<typeof registrationResponseSchema>,
  expectedChallenge: string,
): Promise<NewCredential> {
  const result = await verifyRegistration({
    rp: rt.rp,
    response: asRegistrationResponse(response),
    expectedChallenge,
  });
  if (!result.ok) {
    rt.logger.info('security key rejected', { reason: result.reason });
    throw new HttpError(
      400,
      'key_rejected',
      'The security key’s answer could not be verified. Try again with your key.',
    );
  }
  const synced = result.credential.deviceType === 'multiDevice' || result.credential.backedUp;
  if (synced && !rt.settings.syncedPasskeys) {
    throw new HttpError(
      400,
      'synced_key_refused',
      'This passkey can be synced to other devices (for example by a password manager), which this server does not accept. Use a security key, a passkey kept on this device only, or an authenticator app.',
    );
  }
  if (await credentialExists(rt.db, result.credential.credentialId)) {
    throw new HttpError(
      409,
      'key_already_registered',
      'This security key is already registered to an account. Use another key.',
    );
  }
  return result.credential;
}
