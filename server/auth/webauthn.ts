/**
 * WebAuthn ceremonies for a security key used as the second factor (NIST SP 800-63B §5.1.7),
 * through @simplewebauthn/server v14. The relying party is fixed by configuration: its id is the
 * public origin's hostname and the only accepted origin is the public origin itself, never
 * anything taken from the request. Expected failures come back as values.
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { RandomSource } from '../random.js';

/**
 * COSE algorithms offered at registration and accepted when verifying it: ES256, ES384, EdDSA,
 * RS256. The library's verify default would also take RSASSA-PKCS1-v1_5 with SHA-1 (-65535).
 */
export const SUPPORTED_ALGORITHM_IDS = [-7, -35, -8, -257];

export const CHALLENGE_BYTES = 32;

export interface RelyingParty {
  /** The hostname of the public origin: no scheme, no port. */
  id: string;
  /** The public origin exactly: scheme, host and port. */
  origin: string;
  name: string;
}

export function relyingPartyFor(publicOrigin: string): RelyingParty {
  return { id: new URL(publicOrigin).hostname, origin: publicOrigin, name: 'Parley' };
}

export interface StoredCredential {
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
}

export interface NewCredential extends StoredCredential {
  /** 'singleDevice': the key cannot leave the authenticator; 'multiDevice': it may be synced. */
  deviceType: 'singleDevice' | 'multiDevice';
  /** The key was backed up (synced) at registration. */
  backedUp: boolean;
}

export function newChallenge(random: RandomSource): Uint8Array {
  return random.bytes(CHALLENGE_BYTES);
}

export async function registrationOptions(input: {
  rp: RelyingParty;
  username: string;
  userHandle: Uint8Array;
  challenge: Uint8Array;
  timeoutMs: number;
  exclude: readonly Pick<StoredCredential, 'credentialId' | 'transports'>[];
}): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: input.rp.name,
    rpID: input.rp.id,
    userName: input.username,
    userDisplayName: input.username,
    userID: new Uint8Array(input.userHandle),
    challenge: new Uint8Array(input.challenge),
    timeout: input.timeoutMs,
    attestationType: 'none',
    excludeCredentials: input.exclude.map((credential) => ({
      id: credential.credentialId,
      transports: credential.transports,
    })),
    // A second factor: no PIN or biometric needed, no discoverable credential needed.
    authenticatorSelection: { residentKey: 'discouraged', userVerification: 'discouraged' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
  });
}

export type RegistrationResult =
  | { ok: true; credential: NewCredential }
  | { ok: false; reason: string };

export async function verifyRegistration(input: {
  rp: RelyingParty;
  response: RegistrationResponseJSON;
  expectedChallenge: string;
}): Promise<RegistrationResult> {
  try {
    const result = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: input.rp.origin,
      expectedRPID: input.rp.id,
      expectedType: 'webauthn.create',
      // User presence (a touch) is required; user verification (a PIN) is not.
      requireUserPresence: true,
      requireUserVerification: false,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
    });
    if (!result.verified) return { ok: false, reason: 'not verified' };
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
    return {
      ok: true,
      credential: {
        credentialId: credential.id,
        publicKey: new Uint8Array(credential.publicKey),
        signCount: credential.counter,
        transports: credential.transports ?? input.response.response.transports ?? [],
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
      },
    };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export async function authenticationOptions(input: {
  rp: RelyingParty;
  challenge: Uint8Array;
  timeoutMs: number;
  allow: readonly Pick<StoredCredential, 'credentialId' | 'transports'>[];
}): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: input.rp.id,
    challenge: new Uint8Array(input.challenge),
    timeout: input.timeoutMs,
    userVerification: 'discouraged',
    allowCredentials: input.allow.map((credential) => ({
      id: credential.credentialId,
      transports: credential.transports,
    })),
  });
}

export type AuthenticationResult =
  | { ok: true; newSignCount: number }
  | { ok: false; reason: string };

/**
 * Verifies an assertion by one stored credential: challenge, origin, RP id, user presence,
 * signature, and a signature counter that must grow unless both old and new are zero.
 */
export async function verifyAuthentication(input: {
  rp: RelyingParty;
  response: AuthenticationResponseJSON;
  expectedChallenge: string;
  credential: StoredCredential;
}): Promise<AuthenticationResult> {
  try {
    const result = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: input.rp.origin,
      expectedRPID: input.rp.id,
      expectedType: 'webauthn.get',
      credential: {
        id: input.credential.credentialId,
        publicKey: new Uint8Array(input.credential.publicKey),
        counter: input.credential.signCount,
        transports: input.credential.transports,
      },
      requireUserVerification: false,
    });
    if (!result.verified) return { ok: false, reason: 'signature or counter rejected' };
    const stored = input.credential.signCount;
    const next = result.authenticationInfo.newCounter;
    // The library checks this too; kept here so the rule is visible (§5.1.7: cloned keys).
    if ((stored !== 0 || next !== 0) && next <= stored) {
      return { ok: false, reason: 'signature counter did not increase' };
    }
    return { ok: true, newSignCount: next };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
