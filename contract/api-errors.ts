/**
 * The HTTP API's error answers: every code the server answers a failed request with
 * (`{ error: { code, message, details? } }`), the sentence the user is shown for it when the
 * answer carries no message of its own, and what the pages do about it beyond showing it. The
 * server's HttpError takes only these codes and the client's ApiError carries only these, so a
 * code one side knows and the other does not is a type error, not a silent mismatch.
 *
 * Pages never compare a code with a string: they read `apiErrorField` (which form field the
 * failure belongs to) and `apiErrorOutcome` (what happened to the attempt or the session),
 * declared here beside the codes. contract/client-codes.test.ts holds client/src to that.
 */

/** The form field a failure is shown under (sign-up and sign-in pages). */
export type ApiErrorField = 'username' | 'password' | 'captcha';

/**
 * What a failure means for the page beyond its message:
 * - `attempt-ended`: the sign-in, sign-up or set-up attempt is gone; start a new one;
 * - `locked`: the account is locked; only unlocking helps;
 * - `reauth`: the action wants the password confirmed first, then goes again;
 * - `signed-out`: the session is gone; sign in again;
 * - `next-recovery-code`: a wrong recovery code; the answer names the next one to ask for.
 */
export type ApiErrorOutcome =
  | 'attempt-ended'
  | 'locked'
  | 'reauth'
  | 'signed-out'
  | 'next-recovery-code';

interface ApiErrorEntry {
  message: string;
  field?: ApiErrorField;
  outcome?: ApiErrorOutcome;
  /** Made by the client itself (no answer came), never sent by the server. */
  clientOnly?: true;
}

const entries = {
  // Any request (server/http/, server/app.ts, Hono's own exceptions).
  bad_request: { message: 'The request is not valid.' },
  invalid_json: { message: 'The request body is not valid JSON' },
  invalid_body: { message: 'The request body does not match the expected shape' },
  invalid_query: { message: 'The request’s query is not valid.' },
  unsupported_media_type: { message: 'The request body must be JSON.' },
  body_too_large: { message: 'The request is too large.' },
  unauthorized: { message: 'Sign in to continue.', outcome: 'signed-out' },
  forbidden: { message: 'This is not allowed.' },
  not_found: { message: 'There is no such thing here.' },
  method_not_allowed: { message: 'This request method is not allowed here.' },
  cross_origin: { message: 'This request must come from Parley itself.' },
  rate_limited: { message: 'Too many requests. Wait a moment and try again.' },
  busy: { message: 'The server is busy with other sign-ins. Try again in a few seconds.' },
  database_unavailable: {
    message: 'The service cannot reach its database just now. Try again in a moment.',
  },
  internal: { message: 'Internal server error' },
  request_failed: { message: 'The request failed. Try again.' },
  network: {
    message: 'Parley cannot be reached. Check your connection and try again.',
    clientOnly: true,
  },

  // The session (server/http/require-session.ts).
  not_signed_in: { message: 'Sign in to continue.', outcome: 'signed-out' },
  session_expired: {
    message: 'Your session ended. Sign in again to continue.',
    outcome: 'signed-out',
  },
  session_restricted: { message: 'This session may not do that.' },
  csrf_token_invalid: {
    message: 'This request lacks the page’s security token. Reload the page and try again.',
  },
  current_session: { message: 'To end this session, use Sign out.' },
  reauth_required: { message: 'Confirm your password to continue.', outcome: 'reauth' },
  reauth_failed: { message: 'The password is not right.' },

  // Sign-up, sign-in, unlock and account attempts (server/routes/).
  attempt_expired: {
    message: 'This attempt expired or was already used. Start again from the beginning.',
    outcome: 'attempt-ended',
  },
  wrong_step: { message: 'This step is not expected now. Start again.' },
  captcha_required: { message: 'Type the characters shown in the picture.', field: 'captcha' },
  captcha_wrong: {
    message: 'The characters you typed do not match the picture. Here is a new picture: try again.',
    field: 'captcha',
  },
  captcha_expired: {
    message: 'The picture expired. Type the characters of the new one.',
    field: 'captcha',
  },
  invalid_username: { message: 'This username is not valid.', field: 'username' },
  username_taken: { message: 'This username is taken. Choose another one.', field: 'username' },
  weak_password: { message: 'Choose a stronger password.', field: 'password' },
  sign_in_failed: {
    message:
      'Sign-in failed: the username, password, security key or recovery code was not right. Try again.',
  },
  account_locked: {
    message:
      'This account is locked after too many failed attempts. Unlock it with your security key and a recovery code.',
    outcome: 'locked',
  },
  unlock_failed: {
    message:
      'The account could not be unlocked: the username, password, recovery code or security key was not right, or the account is not locked. Start again.',
  },
  recovery_code_wrong: {
    message: 'That recovery code is not right. Type the one asked for now.',
    outcome: 'next-recovery-code',
  },
  recovery_expired: { message: 'The recovery took too long. Start again.' },
  challenge_expired: { message: 'The security key took too long. Try again.' },
  challenge_used: { message: 'This security-key request was already used. Try again.' },
  key_rejected: {
    message: 'The security key’s answer could not be verified. Try again with your key.',
  },
  synced_key_refused: {
    message:
      'This passkey can be synced to other devices (for example by a password manager), which this server does not accept. Use a security key, a passkey kept on this device only, or an authenticator app.',
  },
  key_already_registered: { message: 'This security key is already registered.' },
  last_key: { message: 'This is your last security key: register another one first.' },
  totp_wrong: {
    message:
      'That code does not match. Check that the app shows Parley, that your device’s clock is right, and type the current 6-digit code.',
  },
  totp_exists: { message: 'An authenticator app is already set up.' },

  // Chat (server/routes/chat.ts).
  unknown_user: { message: 'There is no such user.' },
  unknown_message: { message: 'There is no such message in this conversation.' },
} satisfies Record<string, ApiErrorEntry>;

/** Every code an API error answer may carry. */
export type ApiErrorCode = keyof typeof entries;

/** Each code's entry; its `message` is the default sentence for it. */
export const apiErrors: Readonly<Record<ApiErrorCode, Readonly<ApiErrorEntry>>> = entries;

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && Object.hasOwn(apiErrors, value);
}

/** The default sentence for a code: shown when an answer brings no message of its own. */
export function apiErrorMessage(code: ApiErrorCode): string {
  return apiErrors[code].message;
}

/** The form field a failure with this code belongs under, if any. */
export function apiErrorField(code: ApiErrorCode): ApiErrorField | undefined {
  return apiErrors[code].field;
}

/** What a failure with this code means for the page beyond its message, if anything. */
export function apiErrorOutcome(code: ApiErrorCode): ApiErrorOutcome | undefined {
  return apiErrors[code].outcome;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: {
    code: ApiErrorCode;
    message: string;
    requestId?: string;
    details?: Record<string, unknown>;
  };
}
