/**
 * Several app instances on one database, sharing through a real Redis (the shared one when it
 * answers, with a key prefix of this file's own; else a private redis-server): three in-process
 * instances on three loopback ports, each with its own Redis connections. A recipient on each
 * instance gets what is sent on the others, live and in order; sign-out everywhere closes the
 * user's sockets on every instance; the per-IP bucket is one bucket. The Redis outage test runs
 * on a private redis-server it stops and starts again (never the shared one).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../test/support/api-client.js';
import { type RunningApp, startAppServer } from '../../test/support/app-server.js';
import {
  type Frame,
  msgPayload,
  openLiveSocket,
  signUpUser,
  type TestUser,
} from '../../test/support/live-client.js';
import {
  findRedisServer,
  type RedisServer,
  startPrivateRedis,
  testKeyPrefix,
} from '../../test/support/redis-server.js';
import { TEST_AUTH_SETTINGS } from '../../test/support/test-auth.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';
import { SESSION_ENDED_CLOSE_CODE } from '../auth/live-sockets.js';
import type { Cluster } from '../cluster/cluster.js';
import { createRedisCluster } from '../cluster/redis-cluster.js';
import type { Config } from '../config.js';
import { createMemoryLogger } from '../logger.js';

// No session sweep during these tests: only the fan-out may close a socket elsewhere.
const SETTINGS = {
  ...TEST_AUTH_SETTINGS,
  liveSessionCheckMs: 600_000,
  ipBucket: { capacity: 8, refillPerSecond: 0.05 },
};

let redis: RedisServer;
let testDb: TestDatabase;
const clusters: Cluster[] = [];
const instances: RunningApp[] = [];
let n = 0;

async function startInstance(redisUrl: string, prefix: string, config: Partial<Config> = {}) {
  const logger = createMemoryLogger();
  const cluster = createRedisCluster({ url: redisUrl, prefix, logger });
  clusters.push(cluster);
  const instance = await startAppServer({ testDb, cluster, config: { auth: SETTINGS, ...config } });
  instances.push(instance);
  return { instance, cluster, clusterLogger: logger };
}

beforeAll(async () => {
  redis = await findRedisServer();
  testDb = await createTestDatabase();
});
afterAll(async () => {
  for (const instance of instances) await instance.stop();
  for (const cluster of clusters) await cluster.close();
  await testDb?.drop();
  await redis?.stop();
});

async function person(on: RunningApp): Promise<TestUser> {
  n += 1;
  return signUpUser(on, `multi${n}${randomBytes(2).toString('hex')}`, { ip: `198.51.100.${n}` });
}

const connect = (on: RunningApp, who: TestUser) =>
  openLiveSocket({ url: on.url, cookie: who.cookie });

describe('three instances through Redis', () => {
  let a: RunningApp;
  let b: RunningApp;
  let c: RunningApp;
  beforeAll(async () => {
    const prefix = testKeyPrefix();
    a = (await startInstance(redis.url, prefix)).instance;
    b = (await startInstance(redis.url, prefix)).instance;
    c = (await startInstance(redis.url, prefix)).instance;
  });

  it('a recipient on each instance gets the messages sent on the others, live and in order', async () => {
    const on = [a, b, c];
    const people = [await person(a), await person(a), await person(a)];
    const sockets = people.map((who, i) => connect(on[i] as RunningApp, who));
    // Each sender's second tab, on the next instance: it sees its own sends too.
    const tabs = people.map((who, i) => connect(on[(i + 1) % 3] as RunningApp, who));
    await Promise.all([...sockets, ...tabs].map((s) => s.opened));
    const PER_PAIR = 12;
    for (let k = 1; k <= PER_PAIR; k += 1) {
      people.forEach((from, i) => {
        for (const j of [0, 1, 2]) {
          if (j === i) continue;
          const to = people[j] as TestUser;
          (sockets[i] as ReturnType<typeof connect>).send({
            type: 'send',
            clientMessageId: `m-${j}-${k}`,
            to: to.id,
            payload: msgPayload(from.id, to.id, k),
          });
        }
      });
    }
    for (const [i, socket] of sockets.entries()) {
      await expect.poll(() => socket.of('ack').length).toBe(2 * PER_PAIR);
      // Live from both other senders, each on another instance.
      await expect.poll(() => socket.of('message').length).toBe(2 * PER_PAIR);
      const tab = tabs[i] as ReturnType<typeof connect>;
      await expect.poll(() => tab.of('message').length).toBe(4 * PER_PAIR);
    }
    for (const [i, socket] of sockets.entries()) {
      const me = (people[i] as TestUser).id;
      for (const [j, peer] of people.entries()) {
        if (j === i) continue;
        const received = socket.of('message').filter((f: Frame) => f.from === peer.id);
        const ids = received.map((f: Frame) => f.id);
        // In id order (the stored order), every one of them.
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        expect(ids).toHaveLength(PER_PAIR);
        // Exactly what the sender's acks said was stored.
        const acked = (sockets[j] as ReturnType<typeof connect>)
          .of('ack')
          .filter((f: Frame) => f.clientMessageId.startsWith(`m-${i}-`))
          .map((f: Frame) => f.id);
        expect(ids).toEqual(acked);
        for (const frame of received) expect(frame.to).toBe(me);
      }
    }
    for (const s of [...sockets, ...tabs]) s.socket.close();
  });

  it('sign-out everywhere closes the user’s sockets on every instance', async () => {
    const alice = await person(a);
    const sockets = [a, b, c].map((on) => connect(on, alice));
    await Promise.all(sockets.map((s) => s.opened));
    const out = await alice.client.post('/api/session/logout-everywhere');
    expect(out.status).toBe(204);
    for (const socket of sockets) {
      await expect.poll(() => socket.closeCode()).toBe(SESSION_ENDED_CLOSE_CODE);
    }
  });

  it('shares the per-IP bucket: the instances together allow its capacity, not three times it', async () => {
    const on = [a, b, c];
    const statuses: number[] = [];
    for (let i = 0; i < 4 * SETTINGS.ipBucket.capacity; i += 1) {
      const client = new ApiClient((on[i % 3] as RunningApp).app, (on[i % 3] as RunningApp).url);
      client.ip = '203.0.113.77';
      statuses.push((await client.post('/api/signin/start')).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(SETTINGS.ipBucket.capacity);
    expect(statuses.slice(SETTINGS.ipBucket.capacity).every((s) => s === 429)).toBe(true);
  });

  it('shares an unknown username’s failures: tries spread over the instances meet the CAPTCHA after 3 in all', async () => {
    const on = [a, b, c];
    const name = `nobody-${randomBytes(4).toString('hex')}`;
    const answers: { status: number; code?: string; captchaRequired?: boolean }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const instance = on[i % 3] as RunningApp;
      const client = new ApiClient(instance.app, instance.url);
      // A new address each time: only the name's count can ask for the CAPTCHA.
      client.ip = `203.0.113.${100 + i}`;
      const started = await client.post('/api/signin/start');
      const response = await client.post('/api/signin/password', {
        attempt: started.body.attempt,
        username: name,
        password: `wrong guess ${i}`,
      });
      answers.push({
        status: response.status,
        code: response.body?.error?.code,
        captchaRequired: response.body?.error?.details?.captchaRequired,
      });
    }
    // Per instance, each would have counted one or two failures: no CAPTCHA at all.
    expect(answers.slice(0, 3).map((r) => r.captchaRequired)).toEqual([false, false, true]);
    expect(answers[3]?.code).toBe('captcha_required');
  });
});

describe('a Redis outage', () => {
  it('degrades cross-instance delivery to history only, loses no acknowledged message, and recovers by itself', async () => {
    const privateRedis = await startPrivateRedis();
    let restarted: RedisServer | undefined;
    try {
      const prefix = testKeyPrefix();
      const first = await startInstance(privateRedis.url, prefix);
      const second = await startInstance(privateRedis.url, prefix);
      const alice = await person(first.instance);
      const bob = await person(first.instance);
      const sender = connect(first.instance, alice);
      const recipient = connect(second.instance, bob);
      await Promise.all([sender.opened, recipient.opened]);
      let k = 0;
      const send = () => {
        k += 1;
        sender.send({
          type: 'send',
          clientMessageId: `o-${k}`,
          to: bob.id,
          payload: msgPayload(alice.id, bob.id, k),
        });
      };
      send();
      await expect.poll(() => recipient.of('message').length).toBe(1);

      await privateRedis.stop();
      const lost = (line: string) => line.includes('Redis unreachable');
      await expect.poll(() => first.clusterLogger.lines.filter(lost).length).toBe(1);
      for (let i = 0; i < 5; i += 1) send();
      // Stored and acknowledged all the same; the recipient elsewhere reads them from history.
      await expect.poll(() => sender.of('ack').length).toBe(6);
      const history = await bob.client.get(`/api/conversations/${alice.id}/messages`);
      expect(history.body.messages.map((m: Frame) => m.id)).toEqual(
        sender.of('ack').map((f: Frame) => f.id),
      );
      // ioredis keeps retrying: one line for the loss, not one per attempt.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(first.clusterLogger.lines.filter(lost)).toHaveLength(1);

      restarted = await startPrivateRedis(privateRedis.port);
      const back = (line: string) => line.includes('Redis reachable again');
      await expect
        .poll(() => first.clusterLogger.lines.filter(back).length, { timeout: 20_000 })
        .toBe(1);
      await expect
        .poll(() => second.clusterLogger.lines.filter(back).length, { timeout: 20_000 })
        .toBe(1);
      send();
      await expect.poll(() => sender.of('ack').length).toBe(7);
      const last = sender.of('ack').at(-1)?.id;
      // Live again: the recipient elsewhere gets it without asking history.
      await expect.poll(() => recipient.of('message').at(-1)?.id).toBe(last);
      expect(recipient.of('message')).toHaveLength(2);
      sender.socket.close();
      recipient.socket.close();
    } finally {
      await restarted?.stop();
      await privateRedis.stop();
    }
  });
});
