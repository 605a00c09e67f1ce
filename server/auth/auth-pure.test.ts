import { describe, expect, it } from 'vitest';
import { createCaptchaRenderer } from '../captcha/index.js';
import { loadConfig } from '../config.js';
import type { RandomSource } from '../random.js';
import { systemRandom } from '../random.js';
import { CAPTCHA_TEST_MODE_ANSWER } from './auth-settings.js';
import { createImageCaptchaProvider } from './captcha-provider.js';
import { createFailureMemory } from './failure-memory.js';
import {
  generateRecoveryCodes,
  normalizeRecoveryCode,
  pickCodeNumber,
  RECOVERY_CODE_BITS,
} from './recovery-codes.js';
import { hashToken, isWellFormedToken, newSecretToken, tokensEqual } from './secret-token.js';
import { recentlyAuthenticated, sessionEndsAt, sessionState } from './session-policy.js';
import { checkUsername } from './username.js';
import { relyingPartyFor } from './webauthn.js';

const counting = (): RandomSource => {
  let next = 0;
  return { bytes: (length) => Uint8Array.from({ length }, () => next++ & 0xff) };
};

describe('recovery codes (§5.1.2.1)', () => {
  it('are ten codes of 80 bits from the random source, in 4×4 base32', () => {
    const codes = generateRecoveryCodes(systemRandom);
    expect(RECOVERY_CODE_BITS).toBeGreaterThanOrEqual(64);
    expect(codes.map((c) => c.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const { code } of codes) expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    // Deterministic given the source: the codes come from it, not from Math.random.
    expect(generateRecoveryCodes(counting())).toEqual(generateRecoveryCodes(counting()));
  });

  it('accept forgiving input: case, spaces, hyphens, O→0, I/L→1', () => {
    expect(normalizeRecoveryCode(' 7g2k-m9qa x4tb-1c8d ')).toBe('7G2KM9QAX4TB1C8D');
    expect(normalizeRecoveryCode('OOOO-IIII-LLLL-0000')).toBe('0000111111110000');
    expect(normalizeRecoveryCode('too short')).toBeUndefined();
    expect(normalizeRecoveryCode('UUUU-UUUU-UUUU-UUUU')).toBeUndefined();
  });

  it('ask for a uniformly chosen unused number', () => {
    expect(pickCodeNumber([], systemRandom)).toBeUndefined();
    const seen = new Set<number>();
    for (let i = 0; i < 200; i += 1) seen.add(pickCodeNumber([2, 5, 9], systemRandom) ?? 0);
    expect([...seen].sort()).toEqual([2, 5, 9]);
  });
});

describe('session policy (§4.2.3)', () => {
  const settings = { sessionIdleMs: 30 * 60_000, sessionAbsoluteMs: 12 * 3_600_000 };
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it('ends at 30 min idle or 12 h after authentication, whichever is first', () => {
    const fresh = { authenticatedAt: t0, lastActiveAt: t0 };
    expect(sessionState(fresh, settings, at(30 * 60_000 - 1))).toBe('active');
    expect(sessionState(fresh, settings, at(30 * 60_000 + 1_000))).toBe('idle_expired');
    const busy = { authenticatedAt: t0, lastActiveAt: at(12 * 3_600_000) };
    expect(sessionState(busy, settings, at(12 * 3_600_000 + 60_000))).toBe('absolute_expired');
    expect(sessionEndsAt(fresh, settings)).toEqual(at(30 * 60_000));
    expect(recentlyAuthenticated(fresh, { recentAuthMs: 15 * 60_000 }, at(16 * 60_000))).toBe(
      false,
    );
  });
});

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

describe('usernames', () => {
  it('3–32 letters, digits, . _ -; case-insensitive key', () => {
    expect(checkUsername(' Alice ')).toEqual({ ok: true, username: 'Alice', key: 'alice' });
    expect(checkUsername('ab').ok).toBe(false);
    expect(checkUsername('a'.repeat(33)).ok).toBe(false);
    expect(checkUsername('-lead').ok).toBe(false);
    expect(checkUsername('émile').ok).toBe(false);
  });
});

describe('relying party', () => {
  it('is the public origin’s hostname, and the origin exactly', () => {
    expect(relyingPartyFor('https://chat.example.org:8443')).toEqual({
      id: 'chat.example.org',
      origin: 'https://chat.example.org:8443',
      name: 'Parley',
    });
  });
});

describe('failure memory', () => {
  it('counts per key, forgets one key, and stays bounded', () => {
    const memory = createFailureMemory(2);
    memory.add('a');
    memory.add('a');
    memory.add('b');
    expect(memory.count('a')).toBe(2);
    memory.forget('a');
    expect(memory.count('a')).toBe(0);
    memory.add('c');
    memory.add('d');
    expect(memory.count('b')).toBe(0);
  });
});

describe('CAPTCHA_TEST_MODE', () => {
  it('is off by default, can be turned on for tests, and is refused in production', () => {
    expect(loadConfig({}, '/x').auth.captchaTestMode).toBe(false);
    expect(loadConfig({ CAPTCHA_TEST_MODE: 'on' }, '/x').auth.captchaTestMode).toBe(true);
    expect(() => loadConfig({ CAPTCHA_TEST_MODE: 'on', NODE_ENV: 'production' }, '/x')).toThrow(
      /CAPTCHA_TEST_MODE/,
    );
  });

  it('makes every answer the documented fixed one, still as a real PNG', async () => {
    const provider = createImageCaptchaProvider({
      renderer: createCaptchaRenderer(),
      random: systemRandom,
      testMode: true,
    });
    const challenge = await provider.create();
    expect(challenge.answer).toBe(CAPTCHA_TEST_MODE_ANSWER);
    expect(Buffer.from(challenge.png.subarray(1, 4)).toString()).toBe('PNG');
  });
});
