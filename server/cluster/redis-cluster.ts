/**
 * Several app instances through one Redis (REDIS_URL): ioredis for the connections (one for
 * commands and publishing, one subscribed), Redis pub/sub for the bus, rate-limiter-flexible's
 * RateLimiterRedis for the buckets. Every key and
 * channel starts with the prefix, so instances of one deployment share and others never do.
 *
 * Redis is never the only copy of anything: messages are stored in the database before they
 * are published, so an outage degrades to "history only" for recipients on other instances,
 * sign-outs there take effect at their next session sweep, and the buckets and unknown usernames'
 * try standings fall back to this instance's memory. ioredis reconnects by itself; the loss and the recovery are logged
 * once each.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { TokenBucketLimiter, TokenBucketOptions } from '../auth/rate-limit.js';
import { type Logger, throttleRepeats } from '../logger.js';
import { type RandomSource, systemRandom } from '../random.js';
import type { Cluster, ClusterEvent } from './cluster.js';
import { createRedisTryStandings } from './redis-try-standings.js';

/** A publish the bus has not taken by then is given up: the ack never waits longer. */
export const PUBLISH_TIMEOUT_MS = 250;

const rowSchema = z.object({
  id: z.number().int().positive(),
  senderId: z.number().int().positive(),
  recipientId: z.number().int().positive(),
  pairKey: z.string().max(41),
  clientMessageId: z.string().max(64),
  payload: z.string().max(65_536),
  createdAt: z
    .string()
    .datetime()
    .transform((value) => new Date(value)),
});
const envelopeSchema = z.object({
  from: z.string(),
  event: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('deliver'), row: rowSchema }),
    z.object({
      kind: z.literal('close-sessions'),
      idHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(10_000),
      reason: z.string().max(200),
    }),
  ]),
});

export interface RedisClusterOptions {
  url: string;
  /** Namespace of every key and channel (e.g. "parley:"). */
  prefix: string;
  logger: Logger;
  /** For the instance id and the moments a lost compare-and-set round waits (systemRandom). */
  random?: RandomSource;
}

/** Identical fallback lines are written once per this interval, with a count. */
const FALLBACK_LOG_INTERVAL_MS = 10_000;

export function createRedisCluster(options: RedisClusterOptions): Cluster {
  const { logger, prefix } = options;
  // A fallback happens per try, and unknown names are tried at the attacker's pace: one line
  // per interval, with a count.
  const fallbackLogger = throttleRepeats(logger, { intervalMs: FALLBACK_LOG_INTERVAL_MS });
  const random = options.random ?? systemRandom;
  const instanceId = Buffer.from(random.bytes(8)).toString('hex');
  const channel = `${prefix}events`;
  // Commands fail at once while the connection is down (no offline queue): nothing waits on
  // Redis. Reconnection is ioredis's own, with its default backoff.
  const commands = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    lazyConnect: false,
  });
  const subscriber = new Redis(options.url, { connectTimeout: 2_000, lazyConnect: false });

  // One line when Redis is lost, one when it is back (not one per reconnection attempt).
  let lost = false;
  const markLost = (error?: unknown) => {
    if (lost) return;
    lost = true;
    logger.warn(
      'Redis unreachable: recipients on other instances get new messages from history only, sign-outs reach them at the next session sweep, rate limits and unknown-username failures count per instance; reconnecting',
      { reason: error instanceof Error ? error.message : 'connection closed' },
    );
  };
  // Recovered once commands answer and the subscription is back (ioredis says "ready" before
  // it has subscribed again, so this subscribes itself and waits for the answer).
  let subscribed = false;
  const markIfBack = () => {
    if (lost && subscribed && commands.status === 'ready') {
      lost = false;
      logger.info('Redis reachable again: instances share deliveries, sign-outs and limits');
    }
  };
  for (const client of [commands, subscriber]) {
    client.on('error', (error) => markLost(error));
    client.on('close', () => markLost());
  }
  subscriber.on('close', () => {
    subscribed = false;
  });
  commands.on('ready', markIfBack);
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => {
        subscribed = true;
        markIfBack();
      },
      (error: unknown) => markLost(error),
    );
  });

  const listeners: Array<(event: ClusterEvent) => void> = [];
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    let parsed: z.infer<typeof envelopeSchema>;
    try {
      parsed = envelopeSchema.parse(JSON.parse(text));
    } catch {
      logger.warn('ignored a malformed event on the Redis bus');
      return;
    }
    if (parsed.from === instanceId) return;
    for (const listener of listeners) listener(parsed.event);
  });

  return {
    bus: {
      async publish(event) {
        if (commands.status !== 'ready') return;
        const text = JSON.stringify({ from: instanceId, event });
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          commands.publish(channel, text).catch(() => {}),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, PUBLISH_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
      },
      subscribe(listener) {
        listeners.push(listener);
      },
    },

    tokenBuckets(name, bucket) {
      return redisTokenBuckets(commands, `${prefix}bucket:${name}`, bucket);
    },

    tryStandings(name) {
      return createRedisTryStandings(commands, `${prefix}tries:${name}:`, {
        random,
        // While Redis is down nothing is tried (the loss is logged once above); this is a command
        // failing on a live connection.
        onFallback: (error) =>
          fallbackLogger.warn('unknown-username try counted in memory: Redis did not answer', {
            reason: error instanceof Error ? error.message : String(error),
          }),
      });
    },

    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * A bucket of `capacity` that refills `refillPerSecond` becomes rate-limiter-flexible's window:
 * `capacity` points per capacity / refill seconds, the same long-run rate. (A fixed window lets
 * a client spend one window's points at its end and the next one's at once: at most twice the
 * capacity in a burst, never more over time.) The memory limiter insures against an outage.
 */
function redisTokenBuckets(
  client: Redis,
  keyPrefix: string,
  bucket: TokenBucketOptions,
): TokenBucketLimiter {
  const points = Math.max(1, Math.floor(bucket.capacity));
  const duration = Math.max(1, Math.ceil(bucket.capacity / bucket.refillPerSecond));
  const limiter = new RateLimiterRedis({
    storeClient: client,
    keyPrefix,
    points,
    duration,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
  });
  return {
    async take(key, cost = 1) {
      try {
        await limiter.consume(key, Math.max(1, Math.round(cost)));
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)),
        };
      }
    },
    async forget(key) {
      await limiter.delete(key).catch(() => {});
    },
  };
}
