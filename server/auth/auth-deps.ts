/**
 * What sign-in needs from the composition root: built once in main.ts (pepper from its file,
 * scrypt parameters from the configuration, the breach corpus, the CAPTCHA provider) and passed
 * through AppDeps, so tests can build the same app with small hash costs and a CAPTCHA they read.
 */
import type { BreachCorpus } from './breach-corpus.js';
import type { CaptchaProvider } from './captcha-provider.js';
import type { HashLimiter, PasswordHasher } from './password-hash.js';
import type { PwnedPasswordsChecker } from './pwned-passwords.js';
import type { SecretSealer } from './secret-sealer.js';

export interface AuthDeps {
  passwordHasher: PasswordHasher;
  /** The same construction with the lighter recovery-code parameters. */
  recoveryCodeHasher: PasswordHasher;
  /** The bound both hashers share; the auth routes refuse with 503 while it is full. */
  hashLimiter: HashLimiter;
  breachCorpus: BreachCorpus;
  captcha: CaptchaProvider;
  /** Seals authenticator-app secrets under the key of TOTP_KEY_FILE. */
  totpSealer: SecretSealer;
  /** The online Have I Been Pwned check, when the operator turned it on. */
  pwnedPasswords?: PwnedPasswordsChecker;
}
