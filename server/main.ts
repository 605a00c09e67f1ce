/**
 * The composition root: the only code that reads the environment. It loads the configuration,
 * prepares the database, builds the app from its dependencies and serves it.
 */
import { serve, upgradeWebSocket } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { createApp } from './app.js';
import { loadBreachCorpus } from './auth/breach-corpus.js';
import { createAuthDeps } from './auth/create-auth-deps.js';
import { systemClock } from './clock.js';
import { createLocalCluster } from './cluster/cluster.js';
import { createRedisCluster } from './cluster/redis-cluster.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './db/client.js';
import { ensureDatabase, migrateDatabase } from './db/migrate.js';
import { createLogger } from './logger.js';
import { packageRoot } from './paths.js';
import { systemRandom } from './random.js';
import { MAX_FRAME_BYTES } from './routes/live-channel.js';
import { databaseUrlWithPasswordFile, loadOrCreatePepper } from './secrets.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env, packageRoot());
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const logger = createLogger({ format: config.logFormat, level: config.logLevel });
const databaseUrl = databaseUrlWithPasswordFile(config);

await retry(() => ensureDatabase(databaseUrl), 'database', 30);
await migrateDatabase(databaseUrl, config.migrationsDir);
logger.info('migrations applied');

const database = createDatabase(databaseUrl);
const auth = createAuthDeps({
  config,
  random: systemRandom,
  pepper: loadOrCreatePepper(config.pepperFile, systemRandom),
  totpKey: loadOrCreatePepper(config.totpKeyFile, systemRandom).slice(0, 32),
  breachCorpus: loadBreachCorpus(),
});
if (config.auth.captchaTestMode) {
  logger.warn(
    '!!! CAPTCHA TEST MODE IS ON: every CAPTCHA answer is predictable. For tests only; never expose this server. !!!',
    { captchaTestMode: true },
  );
}
// Several instances share deliveries, sign-outs and rate limits through Redis; one needs none.
const cluster = config.redisUrl
  ? createRedisCluster({ url: config.redisUrl, prefix: config.redisKeyPrefix, logger })
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

const webSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
const server = serve(
  { fetch: app.fetch, port: config.port, hostname: config.host, websocket: { server: webSockets } },
  (info) =>
    logger.info('listening', {
      url: `http://${info.address}:${info.port}`,
      publicOrigin: config.publicOrigin,
    }),
);

// WebSocket pings every 25 s keep proxies (nginx closes idle sockets after 60 s) from dropping
// the live channel. Pings are not user activity and never extend a session.
export const WEBSOCKET_PING_INTERVAL_MS = 25_000;
const heartbeat = setInterval(() => {
  for (const client of webSockets.clients) client.ping();
}, WEBSOCKET_PING_INTERVAL_MS);
heartbeat.unref();

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  for (const client of webSockets.clients) client.close(1001, 'server shutting down');
  server.close(async () => {
    await cluster.close();
    await database.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 5_000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

/** Waits for a dependency that may still be starting (the database in compose). */
async function retry(action: () => Promise<void>, what: string, attempts: number): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await action();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      logger.warn(`waiting for ${what}`, {
        attempt,
        reason: error instanceof Error ? error.message : String(error),
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
