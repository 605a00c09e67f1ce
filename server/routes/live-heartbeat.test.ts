import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHeartbeat, type PingableSocket } from './live-heartbeat.js';

function fakeSocket(answers: boolean) {
  let onPong = () => {};
  const socket = {
    pings: 0,
    terminated: false,
    ping() {
      socket.pings += 1;
      if (answers) queueMicrotask(() => onPong());
    },
    terminate() {
      socket.terminated = true;
    },
    on(_event: 'pong', listener: () => void) {
      onPong = listener;
    },
  };
  return socket satisfies PingableSocket;
}

describe('live channel heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('one shared interval pings every socket and terminates one that missed a pong, within two intervals', async () => {
    const reasons: string[] = [];
    const heartbeat = createHeartbeat({ intervalMs: 1_000, onTerminate: (r) => reasons.push(r) });
    const live = fakeSocket(true);
    const dead = fakeSocket(false);
    heartbeat.watch(live);
    heartbeat.watch(dead);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([live.pings, dead.pings]).toEqual([1, 1]);
    expect(dead.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(dead.terminated).toBe(true);
    expect(reasons).toEqual(['no_pong']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(live.terminated).toBe(false);
    expect(live.pings).toBe(12);
    heartbeat.unwatch(live);
    expect(heartbeat.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('terminates a socket being closed (too slow) that is still open one to two intervals later', async () => {
    const reasons: string[] = [];
    const heartbeat = createHeartbeat({ intervalMs: 1_000, onTerminate: (r) => reasons.push(r) });
    const slow = fakeSocket(true);
    const closedInTime = fakeSocket(true);
    heartbeat.watch(slow);
    heartbeat.watch(closedInTime);
    await vi.advanceTimersByTimeAsync(500);
    heartbeat.closing(slow);
    heartbeat.closing(closedInTime);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(slow.terminated).toBe(false);
    heartbeat.unwatch(closedInTime);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(slow.terminated).toBe(true);
    expect(closedInTime.terminated).toBe(false);
    expect(reasons).toEqual(['close_timeout']);
  });
});
