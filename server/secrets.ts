import { readFileSync } from 'node:fs';
import type { Config } from './config.js';

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
