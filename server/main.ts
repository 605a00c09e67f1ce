/**
 * The composition root: the only code that reads the environment. It loads the configuration,
 * prepares the database, builds the app from its dependencies and serves it.
 */
import { createApp } from './app.js';
import { loadBreachCorpus } from './auth/breach-corpus.js';
import { createAuthDeps } from './auth/create-auth-deps.js';
import { loadEnglishWords } from './auth/english-words.js';
import { systemClock } from './clock.js';
import { createLocalCluster } from './cluster/cluster.js';
import { createRedisCluster } from './cluster/redis-cluster.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './db/client.js';
import { databaseErrorSummary } from './db/errors.js';
import { ensureDatabase, migrateDatabase } from './db/migrate.js';
import { waitForDatabase } from './db/wait-for-database.js';
import { createLogger } from './logger.js';
import { packageRoot } from './paths.js';
import { systemRandom } from './random.js';
import { databaseUrlWithPasswordFile, loadOrCreatePepper } from './secrets.js';
import { serveApp, upgradeWebSocket } from './serve.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env, packageRoot());
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const logger = createLogger({ format: config.logFormat, level: config.logLevel });
const databaseUrl = databaseUrlWithPasswordFile(config);

try {
  // As long as it takes: the database may start after us, or be restarted meanwhile.
  await waitForDatabase(
    async () => {
      await ensureDatabase(databaseUrl);
      await migrateDatabase(databaseUrl, config.migrationsDir);
    },
    'migrations',
    { logger },
  );
} catch (error) {
  // Not an outage (a broken migration, refused credentials): say what, without a stack.
  logger.error('cannot prepare the database', { reason: databaseErrorSummary(error) });
  process.exit(1);
}
logger.info('migrations applied');

const database = createDatabase(databaseUrl, {
  acquireTimeoutMs: config.databaseAcquireTimeoutMs,
});
const auth = createAuthDeps({
  config,
  random: systemRandom,
  pepper: loadOrCreatePepper(config.pepperFile, systemRandom),
  totpKey: loadOrCreatePepper(config.totpKeyFile, systemRandom).slice(0, 32),
  breachCorpus: loadBreachCorpus(),
});
// The dictionary check's word list, built now: built at the first sign-up it stalled the event
// loop for 0.2-0.3 s (server/auth/english-words.ts).
loadEnglishWords();
if (config.auth.captchaTestMode) {
  logger.warn(
    '!!! CAPTCHA TEST MODE IS ON: every CAPTCHA answer is predictable. For tests only; never expose this server. !!!',
    { captchaTestMode: true },
  );
}
// Several instances share deliveries, sign-outs and rate limits through Redis; one needs none.
const cluster = config.redisUrl
  ? createRedisCluster({
      url: config.redisUrl,
      prefix: config.redisKeyPrefix,
      logger,
      random: systemRandom,
    })
  : createLocalCluster(systemClock);
if (config.redisUrl) logger.info('sharing with other instances through Redis');
const app = createApp({
  config,
  cluster,
  database,
  clock: systemClock,
  random: systemRandom,
  logger,
  auth,
  upgradeWebSocket,
});

let served: Awaited<ReturnType<typeof serveApp>>;
try {
  served = await serveApp({ fetch: app.fetch, port: config.port, hostname: config.host });
} catch (error) {
  // The port is taken or not ours to bind: say which, without a stack.
  logger.error('cannot listen', { port: config.port, host: config.host, reason: String(error) });
  process.exit(1);
}
logger.info('listening', {
  url: `http://${served.address}:${served.port}`,
  publicOrigin: config.publicOrigin,
});

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  void served.close().then(async () => {
    await cluster.close();
    await database.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 5_000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
