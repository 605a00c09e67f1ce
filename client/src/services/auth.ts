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
import type {
  AccountOverviewAnswer,
  AccountTotpEnrolmentAnswer,
  AttemptAnswer,
  AttemptOptionsAnswer,
  FactorBoundAnswer,
  KeyRenamedAnswer,
  ListedSessionAnswer,
  OptionsAnswer,
  ReauthAnswer,
  RecoveryCodesAnswer,
  SecondStepAnswer,
  SessionListAnswer,
  TotpEnrolmentAnswer,
} from '../../../contract/answers.js';
import type { RecoveryCode, SessionBody, SessionKind } from '../../../contract/http.js';
import { type ApiClient, ApiError } from './api.js';

export type { RecoveryCode, SessionKind };
/** The session as the server answers it (contract/http.ts). */
export type SessionInfo = SessionBody;
/** The answers the pages read, as the contract states them (contract/answers.ts). */
export type SecondStep = SecondStepAnswer<PublicKeyCredentialRequestOptionsJSON>;
export type TotpEnrolment = TotpEnrolmentAnswer;
export type ListedSession = ListedSessionAnswer;
export type AccountInfo = AccountOverviewAnswer;

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
  return (await api.postJson<AttemptAnswer>(`/api/${kind}/start`)).attempt;
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
    await api.postJson<OptionsAnswer<PublicKeyCredentialCreationOptionsJSON>>(
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
    await api.postJson<OptionsAnswer<PublicKeyCredentialCreationOptionsJSON>>(
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
    await api.postJson<RecoveryCodesAnswer>('/api/signup/key', {
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

export function signUpTotpOptions(api: ApiClient, attempt: string): Promise<TotpEnrolment> {
  return api.postJson<TotpEnrolmentAnswer>('/api/signup/totp/options', { attempt });
}

export async function signUpTotp(
  api: ApiClient,
  attempt: string,
  code: string,
): Promise<RecoveryCode[]> {
  return (await api.postJson<RecoveryCodesAnswer>('/api/signup/totp', { attempt, code }))
    .recoveryCodes;
}

export async function signInTotp(
  api: ApiClient,
  attempt: string,
  code: string,
): Promise<SessionInfo> {
  return remember(api, await api.postJson<SessionInfo>('/api/signin/totp', { attempt, code }));
}

export function newTotpOptions(api: ApiClient): Promise<AccountTotpEnrolmentAnswer> {
  return api.postJson<AccountTotpEnrolmentAnswer>('/api/account/totp/options');
}

export async function bindTotp(
  api: ApiClient,
  attempt: string,
  code: string,
): Promise<FactorBoundAnswer> {
  const result = await api.postJson<FactorBoundAnswer>('/api/account/totp', { attempt, code });
  if (result.session) remember(api, result.session);
  return result;
}

export function removeTotp(api: ApiClient): Promise<void> {
  return api.deleteRequest('/api/account/totp');
}

export function renameKey(api: ApiClient, id: number, name: string): Promise<KeyRenamedAnswer> {
  return api.postJson<KeyRenamedAnswer>(`/api/account/keys/${id}/name`, { name });
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
    await api.postJson<OptionsAnswer<PublicKeyCredentialRequestOptionsJSON>>(
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
): Promise<AttemptOptionsAnswer<PublicKeyCredentialRequestOptionsJSON>> {
  return api.postJson<AttemptOptionsAnswer<PublicKeyCredentialRequestOptionsJSON>>(
    '/api/unlock/options',
    { attempt, ...proof },
  );
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

export async function listSessions(api: ApiClient): Promise<ListedSession[]> {
  return (await api.getJson<SessionListAnswer>('/api/session/list')).sessions;
}

export function endSession(api: ApiClient, id: string): Promise<void> {
  return api.postJson<void>('/api/session/end', { id });
}

export function reauthenticate(api: ApiClient, password: string): Promise<ReauthAnswer> {
  return api.postJson<ReauthAnswer>('/api/session/reauth', { password });
}

export function accountInfo(api: ApiClient): Promise<AccountInfo> {
  return api.getJson<AccountOverviewAnswer>('/api/account');
}

export function newKeyOptions(
  api: ApiClient,
): Promise<AttemptOptionsAnswer<PublicKeyCredentialCreationOptionsJSON>> {
  return api.postJson<AttemptOptionsAnswer<PublicKeyCredentialCreationOptionsJSON>>(
    '/api/account/keys/options',
  );
}

export async function bindKey(
  api: ApiClient,
  attempt: string,
  response: RegistrationResponseJSON,
  keyName: string,
): Promise<FactorBoundAnswer> {
  const result = await api.postJson<FactorBoundAnswer>('/api/account/keys', {
    attempt,
    response,
    keyName,
  });
  if (result.session) remember(api, result.session);
  return result;
}

export function removeKey(api: ApiClient, id: number): Promise<void> {
  return api.deleteRequest(`/api/account/keys/${id}`);
}

export async function regenerateCodes(api: ApiClient): Promise<RecoveryCode[]> {
  return (await api.postJson<RecoveryCodesAnswer>('/api/account/recovery-codes')).recoveryCodes;
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
