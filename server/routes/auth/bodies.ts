/** Request bodies of the sign-up, sign-in, unlock and account steps, schema-validated and bounded. */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';

export const attemptTokenSchema = z.string().max(64);
export const passwordSchema = z.string().min(1).max(4096);
export const usernameSchema = z.string().max(64);
export const captchaAnswerSchema = z.string().max(32).optional();
export const b64 = z.string().max(16_384);

/** An authenticator-app code as typed (6 digits; spaces forgiven). */
export const totpCodeSchema = z.string().max(16);

/** The body of a step that only proves the pending attempt. */
export const attemptBody = z.object({ attempt: attemptTokenSchema }).strict();

/** The password step of sign-up and sign-in: username, password and, when asked, the CAPTCHA. */
export const credentialsBody = z
  .object({
    attempt: attemptTokenSchema,
    username: usernameSchema,
    password: passwordSchema,
    captcha: captchaAnswerSchema,
  })
  .strict();

/** A WebAuthn credential as the browser serialises it, with the ceremony's own response fields. */
export const publicKeyCredentialSchema = <R extends z.ZodRawShape>(response: R) =>
  z
    .object({
      id: z.string().max(1400),
      rawId: z.string().max(1400),
      type: z.literal('public-key'),
      response: z.object({ clientDataJSON: b64, ...response }).passthrough(),
      clientExtensionResults: z.record(z.string(), z.unknown()),
      authenticatorAttachment: z.string().max(32).optional(),
    })
    .passthrough();

export const registrationResponseSchema = publicKeyCredentialSchema({
  attestationObject: b64,
  transports: z.array(z.string().max(32)).max(10).optional(),
});

export const authenticationResponseSchema = publicKeyCredentialSchema({
  authenticatorData: b64,
  signature: b64,
  userHandle: z.string().max(1024).optional(),
});

/** The step that registers a new security key: the attempt, the key's answer, a name for it. */
export const keyRegistrationBody = z
  .object({
    attempt: attemptTokenSchema,
    response: registrationResponseSchema,
    keyName: z.string().trim().max(64).optional(),
  })
  .strict();

export const asRegistrationResponse = (value: z.output<typeof registrationResponseSchema>) =>
  value as unknown as RegistrationResponseJSON;
export const asAuthenticationResponse = (value: z.output<typeof authenticationResponseSchema>) =>
  value as unknown as AuthenticationResponseJSON;
