/**
 * The security key, through @simplewebauthn/browser: registration and assertion, with every
 * failure the browser can report turned into a sentence a person can act on.
 */
import {
  type AuthenticationResponseJSON,
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  WebAuthnError,
} from '@simplewebauthn/browser';

export class SecurityKeyError extends Error {
  override name = 'SecurityKeyError';
}

/** Stops a pending request to the key (e.g. the user chose a recovery code instead). */
export function cancelKeyRequest(): void {
  WebAuthnAbortService.cancelCeremony();
}

export async function createKeyCredential(
  optionsJSON: PublicKeyCredentialCreationOptionsJSON,
): Promise<RegistrationResponseJSON> {
  try {
    return await startRegistration({ optionsJSON });
  } catch (error) {
    throw new SecurityKeyError(explainKeyError(error, 'register'));
  }
}

export async function useKeyCredential(
  optionsJSON: PublicKeyCredentialRequestOptionsJSON,
): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON });
  } catch (error) {
    throw new SecurityKeyError(explainKeyError(error, 'sign-in'));
  }
}

/** Plain words for what went wrong with the key. */
function explainKeyError(error: unknown, purpose: 'register' | 'sign-in'): string {
  if (!browserSupportsWebAuthn()) {
    return 'This browser cannot use security keys. Try a current version of Firefox, Chrome, Edge or Safari.';
  }
  const code = error instanceof WebAuthnError ? error.code : undefined;
  const name = error instanceof Error ? error.name : '';
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
    return 'This security key is already registered. Use a different key.';
  }
  if (code === 'ERROR_CEREMONY_ABORTED' || name === 'AbortError') {
    return 'The request to the security key was cancelled. Try again.';
  }
  if (code === 'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG') {
    return 'This security key does not support the signature types Parley accepts. Try another key.';
  }
  if (
    code === 'ERROR_INVALID_DOMAIN' ||
    code === 'ERROR_INVALID_RP_ID' ||
    name === 'SecurityError'
  ) {
    return 'Security keys only work when Parley is opened at its own address over HTTPS.';
  }
  if (name === 'NotSupportedError') {
    return 'This browser or key does not support what Parley asked for. Try another key or browser.';
  }
  if (name === 'NotAllowedError') {
    return purpose === 'register'
      ? 'The security key was not used: the request was cancelled or timed out. Try again and touch your key when it blinks.'
      : 'The security key was not used: the request was cancelled, timed out, or this key is not registered to the account. Try again with your registered key.';
  }
  return 'The security key could not be used. Try again.';
}
