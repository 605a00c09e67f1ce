/**
 * The HTTP API's error answers: every code the server answers a failed request with
 * (`{ error: { code, message, details? } }`), what the pages do about it beyond showing its
 * message, and its default sentence (what the server says when it has nothing more particular). The
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
  field?: ApiErrorField;
  outcome?: ApiErrorOutcome;
  /** Made by the client itself (no answer came), never sent by the server. */
  clientOnly?: true;
}

const entries = {
  // Any request (server/http/, server/app.ts, Hono's own exceptions).
  bad_request: {},
  invalid_json: {},
  invalid_body: {},
  invalid_query: {},
  unsupported_media_type: {},
  body_too_large: {},
  unauthorized: { outcome: 'signed-out' },
  forbidden: {},
  not_found: {},
  method_not_allowed: {},
  cross_origin: {},
  rate_limited: {},
  busy: {},
  database_unavailable: {},
  internal: {},
  request_failed: {},
  network: { clientOnly: true },
  // The session (server/http/require-session.ts).
  not_signed_in: { outcome: 'signed-out' },
  session_expired: { outcome: 'signed-out' },
  session_restricted: {},
  csrf_token_invalid: {},
  current_session: {},
  reauth_required: { outcome: 'reauth' },
  reauth_failed: {},
  // Sign-up, sign-in, unlock and account attempts (server/routes/).
  attempt_expired: { outcome: 'attempt-ended' },
  wrong_step: {},
  captcha_required: { field: 'captcha' },
  captcha_wrong: { field: 'captcha' },
  captcha_expired: { field: 'captcha' },
  invalid_username: { field: 'username' },
  username_taken: { field: 'username' },
  weak_password: { field: 'password' },
  sign_in_failed: {},
  account_locked: { outcome: 'locked' },
  unlock_failed: {},
  recovery_code_wrong: { outcome: 'next-recovery-code' },
  recovery_expired: {},
  challenge_expired: {},
  challenge_used: {},
  key_rejected: {},
  synced_key_refused: {},
  key_already_registered: {},
  last_key: {},
  totp_wrong: {},
  totp_exists: {},
  // Chat (server/routes/chat.ts).
  unknown_user: {},
  unknown_message: {},
} satisfies Record<string, ApiErrorEntry>;

/** Every code an API error answer may carry. */
export type ApiErrorCode = keyof typeof entries;

/** What each code means for the pages. */
export const apiErrors: Readonly<Record<ApiErrorCode, Readonly<ApiErrorEntry>>> = entries;

/** What the client says when no answer came at all. */
export const NO_ANSWER_MESSAGE = 'Parley cannot be reached. Check your connection and try again.';

/**
 * Each code's default sentence: the server answers with it when it has nothing more particular
 * to say (HttpError without a message). A separate record from `apiErrors`, so the browser
 * bundle, which shows the server's own message, does not carry every sentence.
 */
export const apiErrorMessages: Readonly<Record<ApiErrorCode, string>> = {
  // Any request (server/http/, server/app.ts, Hono's own exceptions).
  bad_request: 'The request is not valid.',
  invalid_json: 'The request body is not valid JSON',
  invalid_body: 'The request body does not match the expected shape',
  invalid_query: 'The request’s query is not valid.',
  unsupported_media_type: 'The request body must be JSON.',
  body_too_large: 'The request is too large.',
  unauthorized: 'Sign in to continue.',
  forbidden: 'This is not allowed.',
  not_found: 'There is no such thing here.',
  method_not_allowed: 'This request method is not allowed here.',
  cross_origin: 'This request must come from Parley itself.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  busy: 'The server is busy with other sign-ins. Try again in a few seconds.',
  database_unavailable: 'The service cannot reach its database just now. Try again in a moment.',
  internal: 'Internal server error',
  request_failed: 'The request failed. Try again.',
  network: NO_ANSWER_MESSAGE,
  // The session (server/http/require-session.ts).
  not_signed_in: 'Sign in to continue.',
  session_expired: 'Your session ended. Sign in again to continue.',
  session_restricted: 'This session may not do that.',
  csrf_token_invalid:
    'This request lacks the page’s security token. Reload the page and try again.',
  current_session: 'To end this session, use Sign out.',
  reauth_required: 'Confirm your password to continue.',
  reauth_failed: 'The password is not right.',
  // Sign-up, sign-in, unlock and account attempts (server/routes/).
  attempt_expired: 'This attempt expired or was already used. Start again from the beginning.',
  wrong_step: 'This step is not expected now. Start again.',
  captcha_required: 'Type the characters shown in the picture.',
  captcha_wrong:
    'The characters you typed do not match the picture. Here is a new picture: try again.',
  captcha_expired: 'The picture expired. Type the characters of the new one.',
  invalid_username: 'This username is not valid.',
  username_taken: 'This username is taken. Choose another one.',
  weak_password: 'Choose a stronger password.',
  sign_in_failed:
    'Sign-in failed: the username, password, security key, app code or recovery code was not right (an app code already used does not work again: wait for the next one). Try again.',
  account_locked:
    'This account is locked after too many failed attempts. Unlock it with your security key and a recovery code.',
  unlock_failed:
    'The account could not be unlocked: the username, password, recovery code or security key was not right, or the account is not locked. Start again.',
  recovery_code_wrong: 'That recovery code is not right. Type the one asked for now.',
  recovery_expired: 'The recovery took too long. Start again.',
  challenge_expired: 'The security key took too long. Try again.',
  challenge_used: 'This security-key request was already used. Try again.',
  key_rejected: 'The security key’s answer could not be verified. Try again with your key.',
  synced_key_refused:
    'This passkey can be synced to other devices (for example by a password manager), which this server does not accept. Use a security key, a passkey kept on this device only, or an authenticator app.',
  key_already_registered: 'This security key is already registered.',
  last_key: 'This is your last security key: register another one first.',
  totp_wrong:
    'That code does not match. Check that the app shows Parley, that your device’s clock is right, and type the current 6-digit code.',
  totp_exists: 'An authenticator app is already set up.',
  // Chat (server/routes/chat.ts).
  unknown_user: 'There is no such user.',
  unknown_message: 'There is no such message in this conversation.',
};

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && Object.hasOwn(apiErrors, value);
}

/** The default sentence for a code: shown when an answer brings no message of its own. */
export function apiErrorMessage(code: ApiErrorCode): string {
  return apiErrorMessages[code];
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
