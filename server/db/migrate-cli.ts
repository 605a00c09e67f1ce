/** `npm run db:migrate`: creates the database if missing and applies migrations; exit 1 on failure. */
import { loadConfig } from '../config.js';
import { packageRoot } from '../paths.js';
import { databaseUrlWithPasswordFile } from '../secrets.js';
import { ensureDatabase, migrateDatabase } from './migrate.js';

try {
  const config = loadConfig(process.env, packageRoot());
  const url = databaseUrlWithPasswordFile(config);
  await ensureDatabase(url);
  await migrateDatabase(url, config.migrationsDir);
  console.log('migrations applied');
} catch (error) {
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
