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
import { type ApiClient, ApiError } from './api.js';

export type { RecoveryCode, SessionKind };
/** The session as the server answers it (contract/http.ts). */
export type SessionInfo = SessionBody;

function remember(api: ApiClient, session: SessionInfo): SessionInfo {
  api.setCsrfToken(session.csrfToken);
  return session;
}

/** The signed-in session, or undefined when there is none. */
export async function currentSession(api: ApiClient): Promise<SessionInfo | undefined> {
  try {
    return remember(api, await api.getJson<SessionInfo>('/api/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      api.setCsrfToken(undefined);
      return undefined;
    }
    throw error;
  }
}

export async function startAttempt(
  api: ApiClient,
  kind: 'signup' | 'signin' | 'unlock',
): Promise<string> {
  return (await api.postJson<{ attempt: string }>(`/api/${kind}/start`)).attempt;
}

/** A new CAPTCHA picture for the attempt, as a blob: URL. */
export function captchaImage(api: ApiClient, attempt: string): Promise<string> {
  return api.postForImage('/api/auth/captcha', { attempt });
}

export async function signUpPassword(
  api: ApiClient,
  input: {
    attempt: string;
    username: string;
    password: string;
    captcha: string;
  },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return (
    await api.postJson<{ options: PublicKeyCredentialCreationOptionsJSON }>(
      '/api/signup/password',
      input,
    )
  ).options;
}

export async function signUpKeyOptions(
  api: ApiClient,
  attempt: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return (
    await api.postJson<{ options: PublicKeyCredentialCreationOptionsJSON }>(
      '/api/signup/key/options',
      {
        attempt,
      },
    )
  ).options;
}

export async function signUpKey(
  api: ApiClient,
  attempt: string,
  response: RegistrationResponseJSON,
  keyName: string,
): Promise<RecoveryCode[]> {
  return (
    await api.postJson<{ recoveryCodes: RecoveryCode[] }>('/api/signup/key', {
      attempt,
      response,
      keyName,
    })
  ).recoveryCodes;
}

export async function signUpFinish(api: ApiClient, attempt: string): Promise<SessionInfo> {
  return remember(
    api,
    await api.postJson<SessionInfo>('/api/signup/finish', { attempt, savedCodes: true }),
  );
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

export function signUpTotpOptions(api: ApiClient, attempt: string): Promise<TotpEnrolment> {
  return api.postJson<TotpEnrolment>('/api/signup/totp/options', { attempt });
}

export async function signUpTotp(
  api: ApiClient,
  attempt: string,
  code: string,
): Promise<RecoveryCode[]> {
  return (
    await api.postJson<{ recoveryCodes: RecoveryCode[] }>('/api/signup/totp', { attempt, code })
  ).recoveryCodes;
}

export async function signInTotp(
  api: ApiClient,
  attempt: string,
  code: string,
): Promise<SessionInfo> {
  return remember(api, await api.postJson<SessionInfo>('/api/signin/totp', { attempt, code }));
}

export function newTotpOptions(api: ApiClient): Promise<TotpEnrolment & { attempt: string }> {
  return api.postJson('/api/account/totp/options');
}

export async function bindTotp(
  api: ApiClient,
  attempt: string,
  code: string,
): Promise<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }> {
  const result = await api.postJson<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }>(
    '/api/account/totp',
    { attempt, code },
  );
  if (result.session) remember(api, result.session);
  return result;
}

export function removeTotp(api: ApiClient): Promise<void> {
  return api.deleteRequest('/api/account/totp');
}

export function renameKey(
  api: ApiClient,
  id: number,
  name: string,
): Promise<{ id: number; name: string }> {
  return api.postJson(`/api/account/keys/${id}/name`, { name });
}

export function signInPassword(
  api: ApiClient,
  input: {
    attempt: string;
    username: string;
    password: string;
    captcha?: string;
  },
): Promise<SecondStep> {
  return api.postJson<SecondStep>('/api/signin/password', input);
}

export async function signInKeyOptions(
  api: ApiClient,
  attempt: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return (
    await api.postJson<{ options: PublicKeyCredentialRequestOptionsJSON }>(
      '/api/signin/key/options',
      {
        attempt,
      },
    )
  ).options;
}

export async function signInKey(
  api: ApiClient,
  attempt: string,
  response: AuthenticationResponseJSON,
): Promise<SessionInfo> {
  return remember(api, await api.postJson<SessionInfo>('/api/signin/key', { attempt, response }));
}

export async function signInRecoveryCode(
  api: ApiClient,
  attempt: string,
  code: string,
): Promise<SessionInfo> {
  return remember(
    api,
    await api.postJson<SessionInfo>('/api/signin/recovery-code', { attempt, code }),
  );
}

/** The unlock's proof of password and one unused code; then a new attempt for the key. */
export function unlockOptions(
  api: ApiClient,
  attempt: string,
  proof: { username: string; password: string; code: string },
): Promise<{ attempt: string; options: SecondStep['options'] }> {
  return api.postJson('/api/unlock/options', { attempt, ...proof });
}

export function unlockFinish(
  api: ApiClient,
  attempt: string,
  response: AuthenticationResponseJSON,
): Promise<void> {
  return api.postJson<void>('/api/unlock/finish', { attempt, response });
}

export async function signOut(api: ApiClient, everywhere = false): Promise<void> {
  await api.postJson<void>(everywhere ? '/api/session/logout-everywhere' : '/api/session/logout');
  api.setCsrfToken(undefined);
}

export interface ListedSession {
  id: string;
  userAgent: string;
  ip: string;
  createdAt: string;
  lastActiveAt: string;
  current: boolean;
}

export async function listSessions(api: ApiClient): Promise<ListedSession[]> {
  return (await api.getJson<{ sessions: ListedSession[] }>('/api/session/list')).sessions;
}

export function endSession(api: ApiClient, id: string): Promise<void> {
  return api.postJson<void>('/api/session/end', { id });
}

export function reauthenticate(api: ApiClient, password: string): Promise<{ endsAt: string }> {
  return api.postJson('/api/session/reauth', { password });
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

export function accountInfo(api: ApiClient): Promise<AccountInfo> {
  return api.getJson<AccountInfo>('/api/account');
}

export function newKeyOptions(api: ApiClient): Promise<{
  attempt: string;
  options: PublicKeyCredentialCreationOptionsJSON;
}> {
  return api.postJson('/api/account/keys/options');
}

export async function bindKey(
  api: ApiClient,
  attempt: string,
  response: RegistrationResponseJSON,
  keyName: string,
): Promise<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }> {
  const result = await api.postJson<{ recoveryCodes?: RecoveryCode[]; session?: SessionInfo }>(
    '/api/account/keys',
    { attempt, response, keyName },
  );
  if (result.session) remember(api, result.session);
  return result;
}

export function removeKey(api: ApiClient, id: number): Promise<void> {
  return api.deleteRequest(`/api/account/keys/${id}`);
}

export async function regenerateCodes(api: ApiClient): Promise<RecoveryCode[]> {
  return (await api.postJson<{ recoveryCodes: RecoveryCode[] }>('/api/account/recovery-codes'))
    .recoveryCodes;
}

export async function changePassword(
  api: ApiClient,
  currentPassword: string,
  newPassword: string,
): Promise<SessionInfo> {
  return remember(
    api,
    await api.postJson<SessionInfo>('/api/account/password', { currentPassword, newPassword }),
  );
}
