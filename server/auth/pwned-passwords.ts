/**
 * The optional online breach check: the Have I Been Pwned "range" API with k-anonymity — only
 * the first 5 hex digits of the password's SHA-1 leave the server, and the API answers with
 * every suffix under that prefix — and with `Add-Padding: true`, so the response size does not
 * hint at the prefix either. Off by default (PWNED_PASSWORDS_API); on 'unavailable' (timeout,
 * network error, bad status, malformed body) the caller relies on the offline corpus alone.
 */
import { createHash } from 'node:crypto';

export type PwnedPasswordsResult = 'breached' | 'clean' | 'unavailable';

export interface PwnedPasswordsChecker {
  check(normalizedPassword: string): Promise<PwnedPasswordsResult>;
}

export const PWNED_PASSWORDS_DEFAULT_API = 'https://api.pwnedpasswords.com/range';

export interface PwnedPasswordsOptions {
  fetch: typeof globalThis.fetch;
  /** Give up (and answer 'unavailable') after this long. */
  timeoutMs: number;
  /** The range endpoint; the 5-hex-digit prefix is appended after a '/'. */
  baseUrl?: string;
}

/** Largest response read: real padded answers are 30–40 KiB. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export function createPwnedPasswordsChecker(options: PwnedPasswordsOptions): PwnedPasswordsChecker {
  const base = (options.baseUrl ?? PWNED_PASSWORDS_DEFAULT_API).replace(/\/+$/, '');
  return {
    async check(normalizedPassword) {
      const digest = createHash('sha1').update(normalizedPassword, 'utf8').digest('hex');
      const prefix = digest.slice(0, 5).toUpperCase();
      const suffix = digest.slice(5).toUpperCase();
      try {
        const response = await options.fetch(`${base}/${prefix}`, {
          headers: { 'Add-Padding': 'true', 'User-Agent': 'Parley-password-check' },
          signal: AbortSignal.timeout(options.timeoutMs),
          redirect: 'error',
        });
        if (response.status !== 200) return 'unavailable';
        const body = await readLimited(response, MAX_RESPONSE_BYTES);
        if (body === undefined) return 'unavailable';
        return findSuffix(body, suffix);
      } catch {
        return 'unavailable';
      }
    },
  };
}

/**
 * Looks for the suffix in lines of "SUFFIX:COUNT". Padding lines have a count of 0 and never
 * count as a hit. A body that is not in this form is 'unavailable', never 'clean'.
 */
function findSuffix(body: string, suffix: string): PwnedPasswordsResult {
  let lines = 0;
  for (const line of body.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const match = /^([0-9A-Fa-f]{35}):(\d+)$/.exec(trimmed);
    if (!match) return 'unavailable';
    lines += 1;
    if (match[1]!.toUpperCase() === suffix && Number(match[2]) > 0) return 'breached';
  }
  return lines > 0 ? 'clean' : 'unavailable';
}

async function readLimited(response: Response, maxBytes: number): Promise<string | undefined> {
  if (!response.body) return undefined;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
