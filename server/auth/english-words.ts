/**
 * A compact English word list for the password policy's dictionary check, taken from the
 * dictionaries of @zxcvbn-ts/language-en (already a dependency, for the sign-up strength meter):
 * common words, Wikipedia words, first and last names and small themed lists (months, planets,
 * colours…), lower-case, letters only, at least 3 letters. About 150,000 words, built once
 * (about 0.2 s of synchronous work, 0.3 s on a loaded machine) and kept for the life of the
 * process. The server builds it at start-up (loadEnglishWords in main.ts): built on first use,
 * it stalled the event loop — every socket and request — for those 0.2–0.3 s at the first
 * sign-up or password change after each start.
 */
import { dictionary } from '@zxcvbn-ts/language-en';

export const DICTIONARY_WORD_MIN_LENGTH = 3;

let words: ReadonlySet<string> | undefined;

/** Builds the list now (once per process) rather than at the first lookup; returns its size. */
export function loadEnglishWords(): number {
  words ??= buildWordSet();
  return words.size;
}

/** True when `word` (already lower-case) is in the list. */
export function isEnglishWord(word: string): boolean {
  words ??= buildWordSet();
  return words.has(word);
}

function buildWordSet(): ReadonlySet<string> {
  const set = new Set<string>();
  for (const list of Object.values(dictionary)) {
    for (const entry of list) {
      const word = entry.normalize('NFKC').toLowerCase();
      if (word.length >= DICTIONARY_WORD_MIN_LENGTH && /^\p{L}+$/u.test(word)) set.add(word);
    }
  }
  return set;
}
