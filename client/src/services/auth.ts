/**
 * Sign-up, sign-in, unlock and session calls. Pages call these; these call the network. The
 * pending attempt's secret lives only in the page's memory for the few minutes it is needed.
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import type { RecoveryCode, SessionBody, SessionKind } from '../../../contract/http.js';
import { ApiError, deleteRequest, getJson, postForImage, postJson, setCsrfToken } from './api.js';

export type { RecoveryCode, SessionKind };
/** The session as the server answers it (contract/http.ts). */
export type SessionInfo = SessionBody;

function remember(session: SessionInfo): SessionInfo {
  setCsrfToken(session.csrfToken);
  return session;
}

/** The signed-in session, or undefined when there is none. */
export async function currentSession(): Promise<SessionInfo | undefined> {
  try {
    return remember(await getJson<SessionInfo>('/api/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(undefined);
      return undefined;
    }
    throw error;
  }
}

export async function startAttempt(kind: 'signup' | 'signin' | 'unlock'): Promise<string> {
  return (await postJson<{ attempt: string }>(`/api/${kind}/start`)).attempt;
}

/** A new CAPTCHA picture for the attempt, as a blob: URL. */
export function captchaImage(attempt: string): Promise<string> {
  return postForImage('/api/auth/captcha', { attempt });
}

export async function signUpPassword(input: {
  attempt: string;
  username: string;
  password: string;
  captcha: string;
}): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return (
    await postJson<{ options: PublicKeyCredentialCreationOptionsJSON }>(
      '/api/signup/password',
      input,
    )
  ).options;
}

export async function signUpKeyOptions(
  attempt: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return (
    await postJson<{ options: PublicKeyCredentialCreationOptionsJSON }>('/api/signup/key/options', {
      attempt,
    })
  ).options;
}

export async function signUpKey(
  attempt: string,
  response: RegistrationResponseJSON,
  keyName: string,
): Promise<RecoveryCode[]> {
  return (
    await postJson<{ recoveryCodes: RecoveryCode[] }>('/api/signup/key', {
      attempt,
      response,
      keyName,
    })
  ).recoveryCodes;
}

export async function signUpFinish(attempt: string): Promise<SessionInfo> {
  return remember(await postJson<SessionInfo>('/api/signup/finish', { attempt, savedCodes: true }));
}

export interface SecondStep {
  options: PublicKeyCredentialRequestOptionsJSON;
  recoveryCodeNumber: number | null;
  /** Which second factors the account has. */
  factors: { key: boolean; totp: boolean };
}

/** An authenticator app's enrolment, shown once: the base32 secret and its otpauth:// URI. */
export interface TotpEnrolment {
  secret: string;
  uri: string;
}

export function signUpTotpOptions(attempt: string): Promise<TotpEnrolment> {
  return postJson<TotpEnrolment>('/api/signup/totp/options', { attempt });
}

export async function signUpTotp(attempt: string, code: string): Promise<RecoveryCode[]> {
  return (await postJson<{ recoveryCodes: RecoveryCode[] }>('/api/signup/totp', { attempt, code }))
    .recoveryCodes;
}

export async function signInTotp(attempt: string, code: string): Promise<SessionInfo> {
  return remember(await postJson<SessionInfo>('/api/signin/totp', { attempt, code }));
}

export function newTotpOptions(): Promise<TotpEnrolment & { attempt: string }> {
  return postJson('/api/account/totp/options');
}

export async function bindTotp(
  attempt: string,
  code: string,
): Promise<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }> {
  const result = await postJson<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }>(
    '/api/account/totp',
    { attempt, code },
  );
  if (result.session) remember(result.session);
  return result;
}

export function removeTotp(): Promise<void> {
  return deleteRequest('/api/account/totp');
}

export function renameKey(id: number, name: string): Promise<{ id: number; name: string }> {
  return postJson(`/api/account/keys/${id}/name`, { name });
}

export function signInPassword(input: {
  attempt: string;
  username: string;
  password: string;
  captcha?: string;
}): Promise<SecondStep> {
  return postJson<SecondStep>('/api/signin/password', input);
}

export async function signInKeyOptions(
  attempt: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return (
    await postJson<{ options: PublicKeyCredentialRequestOptionsJSON }>('/api/signin/key/options', {
      attempt,
    })
  ).options;
}

export async function signInKey(
  attempt: string,
  response: AuthenticationResponseJSON,
): Promise<SessionInfo> {
  return remember(await postJson<SessionInfo>('/api/signin/key', { attempt, response }));
}

export async function signInRecoveryCode(attempt: string, code: string): Promise<SessionInfo> {
  return remember(await postJson<SessionInfo>('/api/signin/recovery-code', { attempt, code }));
}

/** The unlock's proof of password and one unused code; then a new attempt for the key. */
export function unlockOptions(
  attempt: string,
  proof: { username: string; password: string; code: string },
): Promise<{ attempt: string; options: SecondStep['options'] }> {
  return postJson('/api/unlock/options', { attempt, ...proof });
}

export function unlockFinish(attempt: string, response: AuthenticationResponseJSON): Promise<void> {
  return postJson<void>('/api/unlock/finish', { attempt, response });
}

export async function signOut(everywhere = false): Promise<void> {
  await postJson<void>(everywhere ? '/api/session/logout-everywhere' : '/api/session/logout');
  setCsrfToken(undefined);
}

export interface ListedSession {
  id: string;
  userAgent: string;
  ip: string;
  createdAt: string;
  lastActiveAt: string;
  current: boolean;
}

export async function listSessions(): Promise<ListedSession[]> {
  return (await getJson<{ sessions: ListedSession[] }>('/api/session/list')).sessions;
}

export function endSession(id: string): Promise<void> {
  return postJson<void>('/api/session/end', { id });
}

export function reauthenticate(password: string): Promise<{ endsAt: string }> {
  return postJson('/api/session/reauth', { password });
}

export interface AccountInfo {
  username: string;
  createdAt: string;
  passwordCompromised: boolean;
  keys: {
    id: number;
    name: string;
    createdAt: string;
    lastUsedAt: string | null;
    revokedAt: string | null;
    storage: 'device-bound' | 'synced' | 'unknown';
  }[];
  totp: { createdAt: string; lastUsedAt: string | null } | null;
  recoveryCodesLeft: number;
  events: { type: string; detail: string | null; ip: string; userAgent: string; at: string }[];
}

export function accountInfo(): Promise<AccountInfo> {
  return getJson<AccountInfo>('/api/account');
}

export function newKeyOptions(): Promise<{
  attempt: string;
  options: PublicKeyCredentialCreationOptionsJSON;
}> {
  return postJson('/api/account/keys/options');
}

export async function bindKey(
  attempt: string,
  response: RegistrationResponseJSON,
  keyName: string,
): Promise<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }> {
  const result = await postJson<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }>(
    '/api/account/keys',
    { attempt, response, keyName },
  );
  if (result.session) remember(result.session);
  return result;
}

export function removeKey(id: number): Promise<void> {
  return deleteRequest(`/api/account/keys/${id}`);
}

export async function regenerateCodes(): Promise<RecoveryCode[]> {
  return (await postJson<{ recoveryCodes: RecoveryCode[] }>('/api/account/recovery-codes'))
    .recoveryCodes;
}

export async function changePassword(
  currentPassword: string,
  newPassword: string,
): Promise<SessionInfo> {
  return remember(
    await postJson<SessionInfo>('/api/account/password', { currentPassword, newPassword }),
  );
}
