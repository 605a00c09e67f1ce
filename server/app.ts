import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { createAuthContexts } from './auth/auth-contexts.js';
import type { AuthDeps } from './auth/auth-deps.js';
import { lookUpSession, lookUpSessionByHash } from './auth/sessions.js';
import { createChatRelay } from './chat/relay.js';
import type { Clock } from './clock.js';
import { type Cluster, createLocalCluster } from './cluster/cluster.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { createMessageWriter } from './db/message-store.js';
import { clientAppRoutes } from './http/client-app.js';
import { resolveClientIp } from './http/client-ip.js';
import { createErrorHandler, errorResponse, notFoundHandler } from './http/errors.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import { readSessionCookie } from './http/session-cookie.js';
import type { Logger } from './logger.js';
import type { RandomSource } from './random.js';
import { authRoutes } from './routes/auth-routes.js';
import { chatRoutes } from './routes/chat.js';
import { cspReportRoutes } from './routes/csp-reports.js';
import { healthRoutes } from './routes/health.js';
import { liveChannelRoutes, type UpgradeWebSocket } from './routes/live-channel.js';

/** Everything the app needs from the outside world, passed in so tests can build it in-process. */
export interface AppDeps {
  config: Config;
  database: Database;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  /** Password hashers, breach corpus, CAPTCHA provider: built by main.ts (server/auth/auth-deps.ts). */
  auth: AuthDeps;
  /** The WebSocket upgrade helper of the Node server; absent in in-process tests. */
  upgradeWebSocket?: UpgradeWebSocket;
  /** What several instances share (main.ts: Redis when REDIS_URL is set); default: nothing. */
  cluster?: Cluster;
}

export type AppEnv = {
  Variables: { clientIp: string; requestId: string };
  Bindings: { incoming?: { socket?: { remoteAddress?: string } } };
};

export function createApp(deps: AppDeps) {
  const { config, logger, clock } = deps;
  const app = new Hono<AppEnv>();

  app.use(
    '*',
    requestId({ generator: () => Buffer.from(deps.random.bytes(12)).toString('base64url') }),
  );
  app.use('*', async (c, next) => {
    c.set(
      'clientIp',
      resolveClientIp(
        c.env?.incoming?.socket?.remoteAddress,
        c.req.header('x-forwarded-for'),
        config.trustedProxies,
      ),
    );
    await next();
  });
  app.use('*', requestLog(logger, clock));
  app.use('*', securityHeaders());
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: config.bodyLimitBytes,
      onError: (c) =>
        errorResponse(
          c,
          413,
          'body_too_large',
          `Request bodies are limited to ${config.bodyLimitBytes} bytes`,
        ),
    }),
  );

  app.route('/', healthRoutes(deps.database));
  app.route('/', cspReportRoutes(logger, clock));
  const cluster = deps.cluster ?? createLocalCluster(clock);
  const auth = createAuthContexts({ ...deps, db: deps.database.db, cluster });
  app.route(
    '/',
    authRoutes(auth, {
      publicOrigin: config.publicOrigin,
      ipLimiter: cluster.tokenBuckets('auth-ip', config.auth.ipBucket),
      hashLimiter: deps.auth.hashLimiter,
    }),
  );
  app.route(
    '/',
    chatRoutes({ store: auth.store, sessions: auth.sessions, tokenBuckets: cluster.tokenBuckets }),
  );
  if (deps.upgradeWebSocket) {
    app.route(
      '/',
      liveChannelRoutes({
        upgradeWebSocket: deps.upgradeWebSocket,
        logger,
        settings: config.liveChannel,
        relay: createChatRelay({
          messages: createMessageWriter(deps.database.pool),
          clock,
          logger,
          bus: cluster.bus,
          // Sending is user-initiated: it counts as activity (§4.2.3); pings never do.
          touchSession: async (idHash) => {
            const found = await lookUpSessionByHash(auth.sessions, idHash, { activity: true });
            if (!found.ok) auth.sessions.liveSockets.closeSessions([idHash], 'session ended');
            return found.ok && found.session.kind === 'full';
          },
        }),
        auth: {
          // Opening the socket is not activity, and only a full (AAL2) session may.
          authenticate: async (c) => {
            const found = await lookUpSession(auth.sessions, readSessionCookie(c), {
              activity: false,
            });
            return found.ok && found.session.kind === 'full'
              ? { sessionIdHash: found.session.idHash, userId: found.session.userId }
              : undefined;
          },
          stillAlive: async (idHash) =>
            (await lookUpSessionByHash(auth.sessions, idHash, { activity: false })).ok,
          sockets: auth.sessions.liveSockets,
          checkIntervalMs: config.auth.liveSessionCheckMs,
          publicOrigin: config.publicOrigin,
        },
      }),
    );
  }
  app.all('/api/*', (c) => notFoundHandler(c));
  app.route('/', clientAppRoutes(config.clientDir));

  app.onError(createErrorHandler(logger));
  app.notFound(notFoundHandler);
  return app;
}

export type App = ReturnType<typeof createApp>;
