/**
 * The password policy of NIST SP 800-63B §5.1.1.2: length in Unicode code points after NFKC,
 * every printable character allowed, never truncated, no composition rules, and a blocklist —
 * breached passwords, dictionary words, repetitive and sequential strings, context words — each
 * refused with a code and a message saying why. Pure: the breach corpus is passed in.
 */
import type { BreachCorpus } from './breach-corpus.js';
import { isEnglishWord } from './english-words.js';

export const PASSWORD_MIN_CODE_POINTS = 8;
/** A generous cap (NIST asks to allow at least 64); longer passwords get a clear error. */
export const PASSWORD_MAX_CODE_POINTS = 256;

export type PasswordRejection =
  | 'too_short'
  | 'too_long'
  | 'invalid_characters'
  | 'breached'
  | 'dictionary_word'
  | 'repetitive'
  | 'sequential'
  | 'context_word';

export type PasswordVerdict =
  | { ok: true; normalized: string }
  | { ok: false; code: PasswordRejection; message: string };

export type PasswordRefusal = Extract<PasswordVerdict, { ok: false }>;

export interface PasswordContext {
  /** The account's username: the password may not contain it. */
  username: string;
  /** Other words of the context: 'parley', the labels of the site's hostname. */
  contextWords: readonly string[];
}

/** NFKC, as §5.1.1.2 suggests; hash and compare only the normalised form. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Length in Unicode code points (an emoji counts once, a surrogate pair is one code point). */
export function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * The context words for a site: 'parley' and the site's own name, the hostname label before the
 * public suffix (https://chat.example.org → parley, example; https://parley.acme.co.uk → parley,
 * acme). Subdomain labels such as "chat" or "mail" are ordinary words and are left out.
 */
export function siteContextWords(publicOrigin: string): string[] {
  const hostname = new URL(publicOrigin).hostname.toLowerCase();
  const words = new Set(['parley']);
  if (/^[\d.]+$/.test(hostname) || hostname.startsWith('[')) return [...words];
  const labels = hostname.split('.').filter(Boolean);
  if (labels.length === 1) {
    words.add(labels[0]!);
    return [...words];
  }
  labels.pop(); // the top-level domain
  // A short second-level label under a country code is part of the suffix: co.uk, com.au.
  if (labels.length > 1 && labels.at(-1)!.length <= 3 && hostname.split('.').at(-1)!.length === 2) {
    labels.pop();
  }
  words.add(labels.at(-1)!);
  return [...words];
}

const MESSAGES: Record<PasswordRejection, string> = {
  too_short: `Use at least ${PASSWORD_MIN_CODE_POINTS} characters.`,
  too_long: `Use at most ${PASSWORD_MAX_CODE_POINTS} characters.`,
  invalid_characters:
    'Passwords cannot contain control characters (such as tabs or line breaks) or broken Unicode text.',
  breached:
    'This password appears in lists of passwords exposed in data breaches, so attackers try it early. Choose a different one.',
  dictionary_word:
    'This password is a single dictionary word, perhaps with a few digits or symbols added, which attackers try early. Choose something longer: several unrelated words work well.',
  repetitive:
    'This password repeats a character or a pattern (like "aaaaaaaa" or "abcabcabc"). Choose something less predictable.',
  sequential:
    'This password is made of sequences (like "12345678", "abcdefgh" or the keyboard run "qwerty"). Choose something less predictable.',
  context_word:
    'This password contains your username or the name of this service, which attackers try first. Choose one without them.',
};

/** A refusal with the standard message, e.g. for an online breach-check hit. */
export function refusePassword(code: PasswordRejection, message = MESSAGES[code]): PasswordRefusal {
  return { ok: false, code, message };
}

/**
 * Checks a candidate password at sign-up or change; on success returns the NFKC form, the only
 * form to hash. Order: characters, length, then the blocklist from the most specific reason
 * (context, repetition, sequence, dictionary) to the breach corpus, so the message names the
 * most useful reason. The corpus is checked on the password and on its lower-case form.
 */
export function checkPassword(
  password: string,
  context: PasswordContext,
  corpus: BreachCorpus,
): PasswordVerdict {
  // A cheap bound before normalising: NFKC can merge at most a few code units into one.
  if (password.length > PASSWORD_MAX_CODE_POINTS * 16) return tooLong(password.length);
  if (INVALID_CHARACTER.test(password)) return refusePassword('invalid_characters');
  const normalized = normalizePassword(password);
  if (INVALID_CHARACTER.test(normalized)) return refusePassword('invalid_characters');
  const length = countCodePoints(normalized);
  if (length < PASSWORD_MIN_CODE_POINTS) {
    return refusePassword(
      'too_short',
      `Use at least ${PASSWORD_MIN_CODE_POINTS} characters (this one has ${length}).`,
    );
  }
  if (length > PASSWORD_MAX_CODE_POINTS) return tooLong(length);

  const lower = normalized.toLowerCase();
  const contextWord = findContextWord(lower, context);
  if (contextWord !== undefined) {
    return refusePassword(
      'context_word',
      `This password contains "${contextWord}" (your username or the name of this service), which attackers try first. Choose one without it.`,
    );
  }
  if (isRepetitive(lower)) return refusePassword('repetitive');
  if (isSequential(lower)) return refusePassword('sequential');
  if (isDictionaryWord(lower)) return refusePassword('dictionary_word');
  if (corpus.has(normalized) || corpus.has(lower)) return refusePassword('breached');
  return { ok: true, normalized };
}

function tooLong(length: number): PasswordRefusal {
  return refusePassword(
    'too_long',
    `Use at most ${PASSWORD_MAX_CODE_POINTS} characters (this one has ${length}).`,
  );
}

/** Control characters (C0, DEL, C1) and unpaired surrogates; everything else is allowed. */
const INVALID_CHARACTER = /[\p{Cc}\p{Cs}]/u;

/** Digits, punctuation, symbols and spaces: what people add around a word. */
const DECORATION = /^[\p{N}\p{P}\p{S}\p{Z}]*$/u;
const LEADING_DECORATION = /^[\p{N}\p{P}\p{S}\p{Z}]+/u;
const TRAILING_DECORATION = /[\p{N}\p{P}\p{S}\p{Z}]+$/u;

/** Common character substitutions ("p@ssw0rd"), undone before the word checks. */
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '+': 't',
  '|': 'l',
};

function unleet(text: string, one: 'i' | 'l' = 'i'): string {
  let out = '';
  for (const char of text) out += char === '1' ? one : (LEET[char] ?? char);
  return out;
}

/** The forms a word hides in: as typed, and with substitutions undone (keeping the ends' digits). */
function wordForms(lower: string): string[] {
  const strip = (text: string) =>
    text.replace(LEADING_DECORATION, '').replace(TRAILING_DECORATION, '');
  const core = strip(lower);
  // Substitutions inside the word only: "p4ssw0rd2024" → "password" + "2024".
  const leading = lower.match(LEADING_DECORATION)?.[0] ?? '';
  const trailing = lower.match(TRAILING_DECORATION)?.[0] ?? '';
  const middle = lower.slice(leading.length, lower.length - trailing.length);
  return [
    ...new Set([core, strip(unleet(middle)), strip(unleet(middle, 'l')), strip(unleet(lower))]),
  ].filter(Boolean);
}

/**
 * A context word (the username, 'parley', the site's hostname labels) inside the password.
 * Words of 4 or more code points are refused anywhere in the password (also with substitutions
 * undone); shorter ones only when the rest is decoration ("bob12345"), so that a short username
 * does not forbid every word containing it.
 */
function findContextWord(lower: string, context: PasswordContext): string | undefined {
  const username = context.username.normalize('NFKC').toLowerCase();
  const words = new Set<string>([username, ...context.contextWords.map((w) => w.toLowerCase())]);
  // The parts of a username such as "alice.smith" or "bob_2024".
  for (const part of username.split(/[^\p{L}\p{N}]+/u)) if (/\p{L}/u.test(part)) words.add(part);
  const forms = [lower, unleet(lower), unleet(lower, 'l')];
  for (const word of words) {
    const length = countCodePoints(word);
    if (length === 0) continue;
    for (const form of forms) {
      if (length >= 4 && form.includes(word)) return word;
      if (form.includes(word) && DECORATION.test(form.split(word).join(''))) return word;
    }
  }
  return undefined;
}

/**
 * One character or one pattern over and over: "aaaaaaaa", "abcabcabc", "ababab12" (at most two
 * distinct characters), or a repeated unit followed by a short run of decoration.
 */
function isRepetitive(lower: string): boolean {
  const codePoints = [...lower];
  if (new Set(codePoints).size <= 2) return true;
  const core = lower.replace(TRAILING_DECORATION, '');
  return /^(.+?)\1+$/su.test(lower) || (countCodePoints(core) >= 6 && /^(.+?)\1+$/su.test(core));
}

/** Keyboard rows and columns (QWERTY, QWERTZ, AZERTY), alphabet and digits, read both ways. */
const SEQUENCES = [
  'abcdefghijklmnopqrstuvwxyz',
  '01234567890',
  '`1234567890-=',
  '~!@#$%^&*()_+',
  'qwertyuiop[]\\',
  "asdfghjkl;'",
  'zxcvbnm,./',
  'qwertzuiopü',
  'yxcvbnm',
  'azertyuiop',
  'qsdfghjklm',
  'wxcvbn',
  '1qaz',
  '2wsx',
  '3edc',
  '4rfv',
  '5tgb',
  '6yhn',
  '7ujm',
  '8ik,',
  '9ol.',
  '0p;/',
  '1qay',
  '6zhn',
  'qazwsxedcrfvtgbyhnujmikolp',
];
const SEQUENCE_RUN_MIN = 3;

const SEQUENCE_RUN_MAX = Math.max(...SEQUENCES.map((sequence) => sequence.length));

const sequenceRuns: ReadonlySet<string> = (() => {
  const runs = new Set<string>();
  for (const sequence of SEQUENCES) {
    for (const text of [sequence, [...sequence].reverse().join('')]) {
      const chars = [...text];
      for (let i = 0; i < chars.length; i += 1) {
        for (let j = i + SEQUENCE_RUN_MIN; j <= chars.length; j += 1) {
          runs.add(chars.slice(i, j).join(''));
        }
      }
    }
  }
  return runs;
})();

/**
 * The whole password is made of sequential runs of at least 3 characters: "12345678",
 * "abcdefgh", "qwertyuiop", "qwerty123", "1qaz2wsx", "87654321", "αβγδεζηθ". A run is a piece of
 * a keyboard row, column or the alphabet (either way), or code points each one more (or one
 * less) than the last. Dynamic programming: covered[j] when the first j code points split into
 * runs.
 */
function isSequential(lower: string): boolean {
  const chars = [...lower];
  const codePoints = chars.map((char) => char.codePointAt(0)!);
  const n = chars.length;
  // stepRunEnd[i]: the end of the longest run starting at i whose code points step by +1 or -1.
  const stepRunEnd = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i += 1) {
    let best = i + 1;
    for (const step of [1, -1]) {
      let end = i + 1;
      while (end < n && codePoints[end]! - codePoints[end - 1]! === step) end += 1;
      best = Math.max(best, end);
    }
    stepRunEnd[i] = best;
  }
  const covered = new Array<boolean>(n + 1).fill(false);
  covered[0] = true;
  for (let i = 0; i < n; i += 1) {
    if (!covered[i]) continue;
    for (let j = i + SEQUENCE_RUN_MIN; j <= stepRunEnd[i]!; j += 1) covered[j] = true;
    for (let j = i + SEQUENCE_RUN_MIN; j <= Math.min(n, i + SEQUENCE_RUN_MAX); j += 1) {
      if (sequenceRuns.has(chars.slice(i, j).join(''))) covered[j] = true;
    }
  }
  return covered[n]!;
}

/** A single dictionary word, possibly with substitutions and with digits or symbols around it. */
function isDictionaryWord(lower: string): boolean {
  return wordForms(lower).some((form) => isEnglishWord(form));
}
