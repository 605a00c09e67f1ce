import { beforeAll, describe, expect, it } from 'vitest';
import { type BreachCorpus, breachCorpusFromText, loadBreachCorpus } from './breach-corpus.js';
import {
  checkPassword,
  countCodePoints,
  normalizePassword,
  PASSWORD_MAX_CODE_POINTS,
  PASSWORD_MIN_CODE_POINTS,
  type PasswordContext,
  type PasswordVerdict,
  siteContextWords,
} from './password-policy.js';

const context: PasswordContext = {
  username: 'alice',
  contextWords: siteContextWords('https://chat.example.org'),
};
/** A small corpus for the rules that do not depend on the real list. */
const smallCorpus = breachCorpusFromText(new TextEncoder().encode('letmein!\nTr0ub4dor&3\n'));

function verdict(password: string, corpus: BreachCorpus = smallCorpus): PasswordVerdict {
  return checkPassword(password, context, corpus);
}
function codeOf(password: string, corpus?: BreachCorpus): string {
  const result = verdict(password, corpus);
  return result.ok ? 'ok' : result.code;
}

describe('NIST 800-63B §5.1.1.2 blocklist: the checklist rows, against the real 1M corpus', () => {
  let corpus: BreachCorpus;
  beforeAll(() => {
    corpus = loadBreachCorpus();
  });

  it.each([
    ['password1', 'dictionary_word'],
    ['aaaaaaaa', 'repetitive'],
    ['12345678', 'sequential'],
    ['alice2024', 'context_word'],
    ['parley123', 'context_word'],
  ])('refuses %s (%s) with a message saying why', (password, code) => {
    const result = verdict(password, corpus);
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.message.length).toBeGreaterThan(20);
  });

  it('refuses breached passwords that no structural rule catches, in any letter case', () => {
    for (const password of ['iloveyou', 'ILoveYou', 'trustno1', 'Q1w2e3r4t5']) {
      expect(codeOf(password, corpus), password).toBe('breached');
    }
  });

  it('accepts "correct horse battery staple" (no composition rules)', () => {
    expect(verdict('correct horse battery staple', corpus)).toEqual({
      ok: true,
      normalized: 'correct horse battery staple',
    });
  });
});

describe('length in Unicode code points (§5.1.1.1/2)', () => {
  it('refuses 7 characters and accepts 8', () => {
    expect(verdict('Vt9#q2L')).toMatchObject({ ok: false, code: 'too_short' });
    expect(verdict('Vt9#q2Lm')).toMatchObject({ ok: true });
  });

  it('counts an emoji as one character: 7 emoji are too short, 8 are enough', () => {
    expect(verdict('😀🐱🐶🦊🐼🐨🐯')).toMatchObject({ ok: false, code: 'too_short' });
    expect(verdict('😀🐱🐶🦊🐼🐨🐯🦁')).toMatchObject({ ok: true });
    expect(countCodePoints('😀🐱🐶🦊🐼🐨🐯🦁')).toBe(8);
  });

  it('says how long the password is in the too-short message', () => {
    const result = verdict('Vt9#q2L');
    expect(!result.ok && result.message).toMatch(/at least 8 characters \(this one has 7\)/);
  });

  it('accepts 64 and 256 characters, whole, never truncated', () => {
    const unit = 'Kp7#vR2!mZ9$qW4&';
    for (const length of [64, PASSWORD_MAX_CODE_POINTS]) {
      const password = `${unit.repeat(length / 16 - 1)}${'fjd8Q!ow3Mz,x0Pe'.slice(0, 16)}`;
      expect(countCodePoints(password)).toBe(length);
      expect(verdict(password)).toEqual({ ok: true, normalized: password });
    }
  });

  it('refuses more than 256 characters with a clear error', () => {
    const result = verdict(`${'Kp7#vR2!mZ9$qW4&'.repeat(16)}x`);
    expect(result).toMatchObject({ ok: false, code: 'too_long' });
    expect(!result.ok && result.message).toMatch(/at most 256 characters \(this one has 257\)/);
  });

  it('refuses a huge input cheaply, before normalising it', () => {
    expect(verdict('Kp7#vR2!'.repeat(100_000))).toMatchObject({ ok: false, code: 'too_long' });
  });

  it('has the documented bounds', () => {
    expect(PASSWORD_MIN_CODE_POINTS).toBe(8);
    expect(PASSWORD_MAX_CODE_POINTS).toBeGreaterThanOrEqual(64);
  });
});

describe('characters (§5.1.1.2: all printing ASCII, space and Unicode)', () => {
  it('accepts printable ASCII including spaces and symbols', () => {
    expect(verdict(' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ Az9')).toMatchObject({ ok: true });
  });

  it('accepts Unicode letters, emoji with joiners, and right-to-left text', () => {
    for (const password of [
      'Fußgänger überweg',
      'пароль-кот-окно',
      '👩‍💻🧑‍🚀 lift off',
      'שלום עולם 77',
    ]) {
      expect(verdict(password), password).toMatchObject({ ok: true });
    }
  });

  it('refuses control characters and unpaired surrogates', () => {
    for (const password of [
      'tab\there ok',
      'line\nbreak ok',
      'nul\u0000byte ok',
      'lone\uD800half ok',
    ]) {
      expect(verdict(password), JSON.stringify(password)).toMatchObject({
        ok: false,
        code: 'invalid_characters',
      });
    }
  });
});

describe('NFKC normalisation (§5.1.1.2)', () => {
  it('makes "café" with U+00E9 and with e + U+0301 the same password', () => {
    const composed = 'caf\u00e9 au lait noir';
    const decomposed = 'cafe\u0301 au lait noir';
    expect(composed).not.toBe(decomposed);
    const a = verdict(composed);
    const b = verdict(decomposed);
    expect(a).toEqual({ ok: true, normalized: composed });
    expect(b).toEqual(a);
    expect(normalizePassword(decomposed)).toBe(composed);
  });

  it('folds compatibility forms (full-width letters, ligatures) to their plain form', () => {
    expect(normalizePassword('ＡＢＣ ﬁsh')).toBe('ABC fish');
  });

  it('checks the blocklist on the normalised form: full-width "１２３４５６７８" is sequential', () => {
    expect(codeOf('１２３４５６７８')).toBe('sequential');
  });
});

describe('repetitive and sequential strings', () => {
  it.each(['aaaaaaaa', 'abcabcabc', 'AbAbAbAb', 'monkeymonkey', 'hahahaha2024', '11111111a'])(
    'refuses %s as repetitive',
    (password) => expect(codeOf(password)).toBe('repetitive'),
  );

  it.each([
    '12345678',
    '87654321',
    'abcdefgh',
    'ZYXWVUTS',
    'qwertyuiop',
    'asdfghjkl',
    'qwerty123',
    '1qaz2wsx',
    'zaq12wsx',
    'abc123def456',
    '78901234',
    'αβγδεζηθ',
  ])('refuses %s as sequential', (password) => expect(codeOf(password)).toBe('sequential'));

  it('accepts passwords that only contain a short run', () => {
    expect(codeOf('abc-Vt9#q2Lm')).toBe('ok');
    expect(codeOf('mix 123 of words')).toBe('ok');
  });
});

describe('dictionary words', () => {
  it.each([
    'elephant',
    'Mountain',
    'sunshine!',
    'Wolfgang2024',
    'P@ssw0rd2024',
    'dragon99',
    '!!summer',
  ])('refuses %s: one word, possibly with substitutions, digits or symbols', (password) =>
    expect(codeOf(password)).toBe('dictionary_word'),
  );

  it('accepts several words, and words run together', () => {
    expect(codeOf('correcthorsebatterystaple')).toBe('ok');
    expect(codeOf('my dog is called rex')).toBe('ok');
  });
});

describe('context words', () => {
  it.each([
    'alice2024',
    'ALICE-rocks',
    'xx alice xx',
    'a1ice2024',
    'parley123',
    'Parley!!',
    'p4rl3y99',
    'my example pass',
  ])('refuses %s', (password) => expect(codeOf(password)).toBe('context_word'));

  it('names the word it found', () => {
    const result = verdict('alice2024');
    expect(!result.ok && result.message).toContain('"alice"');
  });

  it('refuses a short username only with decoration around it, not inside other words', () => {
    const bob = { username: 'bob', contextWords: ['parley'] };
    expect(checkPassword('bob12345!', bob, smallCorpus)).toMatchObject({ code: 'context_word' });
    expect(checkPassword('bobsleigh race day', bob, smallCorpus)).toMatchObject({ ok: true });
  });

  it('refuses the parts of a username with separators', () => {
    const user = { username: 'marguerite.smith', contextWords: [] };
    expect(checkPassword('Marguerite cake 99', user, smallCorpus)).toMatchObject({
      code: 'context_word',
    });
  });

  it('derives the site words from the public origin, leaving subdomains and suffixes out', () => {
    expect(siteContextWords('https://chat.example.org')).toEqual(['parley', 'example']);
    expect(siteContextWords('https://parley.acme.co.uk')).toEqual(['parley', 'acme']);
    expect(siteContextWords('http://localhost:3000')).toEqual(['parley', 'localhost']);
    expect(siteContextWords('https://127.0.0.1:8443')).toEqual(['parley']);
    expect(codeOf('chat room forever')).toBe('ok');
  });
});

describe('the breach corpus inside the policy', () => {
  it('refuses a listed password, and its case variants through the lower-case form', () => {
    expect(codeOf('letmein!')).toBe('breached');
    expect(codeOf('LetMeIn!')).toBe('breached');
  });

  it('matches the exact case of a listed mixed-case entry', () => {
    expect(codeOf('Tr0ub4dor&3')).toBe('breached');
    expect(codeOf('tr0ub4dor&3')).toBe('breached');
  });
});
