import { randomBytes } from 'node:crypto';

/**
 * The source of randomness for every secret the server makes (session ids, challenges,
 * recovery codes, CAPTCHA answers). Production uses node:crypto's CSPRNG (an approved RBG);
 * tests may pass a deterministic one.
 */
export interface RandomSource {
  bytes(length: number): Uint8Array;
}

export const systemRandom: RandomSource = {
  bytes: (length) => new Uint8Array(randomBytes(length)),
};
