import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from './config.js';
import type { RandomSource } from './random.js';

/** The database URL with the password read from DATABASE_PASSWORD_FILE, when one is set. */
export function databaseUrlWithPasswordFile(
  config: Pick<Config, 'databaseUrl' | 'databasePasswordFile'>,
): string {
  if (!config.databasePasswordFile) return config.databaseUrl;
  const password = readFileSync(config.databasePasswordFile, 'utf8').trim();
  if (password.length === 0) throw new Error('DATABASE_PASSWORD_FILE is empty');
  const url = new URL(config.databaseUrl);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** A pepper of at least 256 bits; NIST §5.1.1.2 asks for at least 112. */
export const PEPPER_MIN_BYTES = 32;

/**
 * The password pepper: the HMAC key of every password record, held in a file apart from the
 * database and out of git. The file holds the key in base64 (standard or url-safe, surrounding
 * whitespace ignored); a file that is not base64 text is taken as raw bytes.
 * A missing file is created (parent folder 0700, file 0600) with 32 bytes from `random`.
 * Throws when the pepper is shorter than 32 bytes: the server must not start with a weak one.
 */
export function loadOrCreatePepper(file: string, random: RandomSource): Uint8Array {
  let contents: Buffer;
  try {
    contents = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const pepper = random.bytes(PEPPER_MIN_BYTES);
    if (pepper.length < PEPPER_MIN_BYTES) throw new Error('random source gave too few bytes');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // 'wx' fails if another process created the file meanwhile: then read theirs.
    try {
      writeFileSync(file, `${Buffer.from(pepper).toString('base64')}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (writeError) {
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
      return loadOrCreatePepper(file, random);
    }
    chmodSync(file, 0o600);
    return pepper;
  }
  const pepper = decodePepper(contents);
  if (pepper.length < PEPPER_MIN_BYTES) {
    throw new Error(
      `The pepper in ${file} is ${pepper.length} bytes; at least ${PEPPER_MIN_BYTES} random bytes are required (delete the file to have a new one generated, which invalidates every stored password)`,
    );
  }
  return pepper;
}

function decodePepper(contents: Buffer): Uint8Array {
  const text = contents.toString('latin1').trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  return new Uint8Array(contents);
}
