import { describe, expect, it } from 'vitest';
import { systemRandom } from '../random.js';
import { hashToken, isWellFormedToken, newSecretToken, tokensEqual } from './secret-token.js';

describe('secret tokens (§7.1)', () => {
  it('are 32 bytes, stored only as SHA-256, compared in constant time', () => {
    const token = newSecretToken(systemRandom);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(isWellFormedToken(token)).toBe(true);
    expect(isWellFormedToken(`${token}x`)).toBe(false);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokensEqual(token, token)).toBe(true);
    expect(tokensEqual(token, newSecretToken(systemRandom))).toBe(false);
  });
});
