/**
 * The crypto console log the brief asks for: every key, salt, info string, IV, MAC, ciphertext
 * and plaintext, one line per operation, so a reader of the browser console can see that IVs
 * never repeat and keys change when they should. One switch turns it off; when off, nothing is
 * formatted at all.
 */
import { toBase64Url, toHex } from './encoding.js';

export type LogValue = string | number | Uint8Array;

export interface CryptoLog {
  readonly enabled: boolean;
  /** Logs one crypto operation. Byte values are shown as hex (IVs) or base64url (the rest). */
  op(operation: string, fields: Record<string, LogValue>): void;
}

export interface CryptoLogOptions {
  enabled: boolean;
  /** Where lines go; the browser console by default. */
  sink?: (line: string) => void;
}

/** Fields whose bytes read best as hex: counters, where the growing last digits should show. */
const hexFields = new Set(['iv', 'lastIv', 'salt']);

export function createCryptoLog(options: CryptoLogOptions): CryptoLog {
  const sink = options.sink ?? ((line: string) => console.log(line));
  return {
    enabled: options.enabled,
    op(operation, fields) {
      if (!options.enabled) return;
      const parts = Object.entries(fields).map(([name, value]) => {
        if (typeof value !== 'object') return `${name}=${value}`;
        return `${name}=${hexFields.has(name) ? toHex(value) : toBase64Url(value)}`;
      });
      sink(`[parley-crypto] ${operation.padEnd(16)} ${parts.join(' ')}`);
    },
  };
}

/** A log that is off: for callers that do not want the console noise. */
export const silentCryptoLog: CryptoLog = createCryptoLog({ enabled: false });
