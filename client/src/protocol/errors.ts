/**
 * The one error the protocol throws for anything that fails authentication: a bad MAC, a bad
 * AES-GCM tag, a wrong context. It says nothing about which check failed, so neither the UI nor
 * an attacker watching it learns more than "not authentic". The conversation layer turns it
 * into an `invalid` outcome; only the low-level message functions let it escape.
 */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';

  constructor() {
    super('message failed authentication');
  }
}
