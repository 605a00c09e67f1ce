/**
 * Usernames: 3 to 32 characters of ASCII letters, digits, '.', '_' and '-', starting with a
 * letter or digit. Unique regardless of case (compared in lower case); immutable. Pure.
 */
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export type UsernameVerdict =
  | { ok: true; username: string; key: string }
  | { ok: false; message: string };

export function checkUsername(input: string): UsernameVerdict {
  const username = input.trim();
  if (username.length < USERNAME_MIN || username.length > USERNAME_MAX) {
    return {
      ok: false,
      message: `A username has ${USERNAME_MIN} to ${USERNAME_MAX} characters.`,
    };
  }
  if (!USERNAME_PATTERN.test(username)) {
    return {
      ok: false,
      message:
        'A username uses only letters A–Z, digits, dots, hyphens and underscores, and starts with a letter or digit.',
    };
  }
  return { ok: true, username, key: usernameKey(username) };
}

/** The case-insensitive lookup key of a username (also for names that fail checkUsername). */
export function usernameKey(username: string): string {
  return username.trim().toLowerCase();
}
