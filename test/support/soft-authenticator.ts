/**
 * A software security key for API tests: real P-256 keys and signatures, real CBOR, the
 * authenticator data layout of WebAuthn §6.1, so the server's verification runs unchanged.
 * Knobs exist only for the failures tests need: user presence off, a counter that does not
 * move, another origin.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const FLAG_UP = 0x01;
const FLAG_AT = 0x40;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;

interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  cosePublicKey: Uint8Array;
  counter: number;
  rpId: string;
  synced: boolean;
}

export interface CeremonyOptions {
  /** Clear the user-present flag (a key that was not touched). */
  userPresent?: boolean;
  /** Origin written into clientDataJSON; defaults to the authenticator's origin. */
  origin?: string;
  /** Keep the signature counter where it is (a cloned key). */
  freezeCounter?: boolean;
  /** Register a backed-up (synced) passkey: the BE and BS flags set. */
  synced?: boolean;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  constructor(readonly origin: string) {}

  async register(
    options: PublicKeyCredentialCreationOptionsJSON,
    ceremony: CeremonyOptions = {},
  ): Promise<RegistrationResponseJSON> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y ?? '', 'base64url'))],
      ]),
    );
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const credential: SoftCredential = {
      id: randomBytes(32),
      privateKey,
      cosePublicKey: cose,
      counter: 1,
      rpId,
      synced: ceremony.synced === true,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([
        (ceremony.userPresent === false ? 0 : FLAG_UP) |
          FLAG_AT |
          (credential.synced ? FLAG_BE | FLAG_BS : 0),
      ]),
      counterBytes(credential.counter),
      Buffer.alloc(16),
      idLength,
      credential.id,
      Buffer.from(cose),
    ]);
    const clientData = this.clientData('webauthn.create', options.challenge, ceremony);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    this.credentials.push(credential);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        attestationObject: b64url(attestationObject),
        transports: ['usb'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }

  async assert(
    options: PublicKeyCredentialRequestOptionsJSON,
    ceremony: CeremonyOptions = {},
  ): Promise<AuthenticationResponseJSON> {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential =
      this.credentials.find((c) => allowed.has(b64url(c.id))) ?? this.credentials[0];
    if (!credential) throw new Error('this soft authenticator holds no credential');
    if (!ceremony.freezeCounter) credential.counter += 1;
    const authData = Buffer.concat([
      sha256(credential.rpId),
      Buffer.from([
        (ceremony.userPresent === false ? 0 : FLAG_UP) |
          (credential.synced ? FLAG_BE | FLAG_BS : 0),
      ]),
      counterBytes(credential.counter),
    ]);
    const clientData = this.clientData('webauthn.get', options.challenge, ceremony);
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(clientData)]),
      credential.privateKey,
    );
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }

  private clientData(type: string, challenge: string, ceremony: CeremonyOptions): Buffer {
    return Buffer.from(
      JSON.stringify({
        type,
        challenge,
        origin: ceremony.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }
}

function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}
