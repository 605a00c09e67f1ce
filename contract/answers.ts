/**
 * The HTTP API's answers to requests that succeed, where a page reads more than a session: the
 * second sign-in step, an authenticator app's enrolment, recovery codes, a bound key, the
 * account overview and the session list. The server's routes build these (`satisfies`) and the
 * browser's services read them (server/routes/, client/src/services/auth.ts), so a field one
 * side changes is a type error on the other. Times are ISO 8601 strings.
 *
 * WebAuthn options are the W3C JSON forms (PublicKeyCredential*OptionsJSON): each half names
 * its own SimpleWebAuthn package's type for them (the contract imports no package), so they
 * are a type parameter here.
 */
import type { RecoveryCode, SessionBody } from './http.js';

/** POST /api/{signup,signin,unlock}/start: a new attempt, named in the requests that follow. */
export interface AttemptAnswer {
  attempt: string;
  /** When the attempt expires. */
  expiresAt: string;
}

/** The second factors an account has, as the second sign-in step offers them. */
export interface AccountFactors {
  key: boolean;
  totp: boolean;
}

/** POST /api/signin/password: the password was right; the second factor is next. */
export interface SecondStepAnswer<RequestOptions> {
  /** For the security key (empty allowCredentials when the account has none). */
  options: RequestOptions;
  /** The recovery code asked for, by number, if one is left. */
  recoveryCodeNumber: number | null;
  factors: AccountFactors;
}

/** WebAuthn options for a ceremony of an attempt named in the request. */
export interface OptionsAnswer<Options> {
  options: Options;
}

/** An authenticator app's enrolment, shown once: the base32 secret and its otpauth:// URI. */
export interface TotpEnrolmentAnswer {
  secret: string;
  uri: string;
}

/** The same, for a signed-in account (a new set-up attempt, named in the next request). */
export interface AccountTotpEnrolmentAnswer extends TotpEnrolmentAnswer {
  attempt: string;
}

/**
 * A new attempt with its WebAuthn options: another key for a signed-in account, or the key
 * ceremony of an unlock.
 */
export interface AttemptOptionsAnswer<Options> extends OptionsAnswer<Options> {
  attempt: string;
}

/** Recovery codes, shown once (sign-up, a new set, or after a factor replaced a lost one). */
export interface RecoveryCodesAnswer {
  recoveryCodes: RecoveryCode[];
}

/**
 * A factor bound on the account page; in a recovery session the old codes go, and the answer
 * brings new ones and the full session that replaces the recovery one.
 */
export type FactorBoundAnswer =
  | { bound: true; recoveryCodes?: undefined; session?: undefined }
  | { bound: true; recoveryCodes: RecoveryCode[]; session: SessionBody };

/** A key renamed. */
export interface KeyRenamedAnswer {
  id: number;
  name: string;
}

/** POST /api/session/reauth: the password confirmed; the session's new latest end. */
export interface ReauthAnswer {
  endsAt: string;
}

/** One live session of the account (GET /api/session/list). */
export interface ListedSessionAnswer {
  /** Not the session's secret: an id derived from its hash, to end it by. */
  id: string;
  userAgent: string;
  ip: string;
  createdAt: string;
  lastActiveAt: string;
  /** The session asking. */
  current: boolean;
}

export interface SessionListAnswer {
  sessions: ListedSessionAnswer[];
}

/** How a key's credential is kept, as far as its flags tell (`unknown`: bound before they were). */
export type KeyStorage = 'device-bound' | 'synced' | 'unknown';

/** GET /api/account: what the account page shows. */
export interface AccountOverviewAnswer {
  username: string;
  createdAt: string;
  /** The password was found in the breach corpus since it was set: it must be changed. */
  passwordCompromised: boolean;
  /** Every key, revoked ones too (with when). */
  keys: {
    id: number;
    name: string;
    createdAt: string;
    lastUsedAt: string | null;
    revokedAt: string | null;
    storage: KeyStorage;
  }[];
  totp: { createdAt: string; lastUsedAt: string | null } | null;
  recoveryCodesLeft: number;
  /** The latest security events, newest first. */
  events: { type: string; detail: string | null; ip: string; userAgent: string; at: string }[];
}
