/**
 * Password hashing off the event loop's core: scrypt runs in worker threads whose OS priority is
 * lowered (nice 19), so when hashing and the relay want the same core the event loop's thread
 * wins it. (On libuv's threadpool, as before, scrypt ran at the event loop's priority: with 8
 * sign-ins on 2 cores the relay's thread waited up to 140-372 ms for a core; bench/relay.bench.ts
 * RELAY_BENCH_STALL_CAUSE=1.) On Linux a thread's nice value is its own (a worker lowers only
 * itself); where the OS refuses, the worker hashes at normal priority.
 *
 * Each worker computes one hash at a time with scryptSync on its own thread; the pool has as
 * many workers as hashes may run at once (the HashLimiter's bound) and queues the rest in order.
 * A worker that dies fails its hash (the request answers 503 like any hashing failure) and is
 * replaced at the next hash. Workers do not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { type ScryptFunction, type ScryptParams, scryptMemoryBytes } from './password-hash.js';

/** The lowest priority: hashing only gets the cores nobody else wants. */
export const HASHING_NICE = 19;

// Plain JavaScript, no imports of ours: runs in a worker without a TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
const { setPriority } = require('node:os');
let nice = 0;
try { setPriority(workerData.nice); nice = workerData.nice; } catch {}
parentPort.postMessage({ ready: true, nice });
parentPort.on('message', ({ id, password, salt, keyLength, options }) => {
  try {
    const key = scryptSync(password, salt, keyLength, options);
    parentPort.postMessage({ id, key });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface Task {
  id: number;
  password: string;
  salt: Uint8Array;
  params: ScryptParams;
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
  /** The nice value the worker runs at (0 when the OS refused to lower it). */
  nice: Promise<number>;
}

export interface ScryptWorkers {
  scrypt: ScryptFunction;
  /** The nice values of the workers started so far (for tests and the bench). */
  priorities(): Promise<number[]>;
  close(): Promise<void>;
}

export function createScryptWorkers(options: { count: number; nice?: number }): ScryptWorkers {
  const { count } = options;
  const nice = options.nice ?? HASHING_NICE;
  if (!Number.isInteger(count) || count < 1) throw new Error('count must be at least 1');
  const slots: (Slot | undefined)[] = Array.from({ length: count }, () => undefined);
  const queue: Task[] = [];
  let nextId = 0;
  let closed = false;

  const start = (index: number): Slot => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { nice } });
    worker.unref();
    let ready: (nice: number) => void = () => {};
    const slot: Slot = {
      worker,
      task: undefined,
      nice: new Promise<number>((resolve) => {
        ready = resolve;
      }),
    };
    worker.on(
      'message',
      (message: { ready?: true; nice?: number; id?: number; key?: Uint8Array; error?: string }) => {
        if (message.ready) {
          ready(message.nice ?? 0);
          return;
        }
        const task = slot.task;
        if (!task || task.id !== message.id) return;
        slot.task = undefined;
        if (message.key) task.resolve(Buffer.from(message.key));
        else task.reject(new Error(`scrypt failed: ${message.error ?? 'unknown'}`));
        next(index);
      },
    );
    const died = (error: Error) => {
      if (slots[index] !== slot) return;
      slots[index] = undefined;
      ready(0);
      const task = slot.task;
      slot.task = undefined;
      task?.reject(error);
      next(index);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the hashing worker exited (${code})`)));
    slots[index] = slot;
    return slot;
  };

  /** Gives the slot the next waiting task, starting its worker if it has none. */
  const next = (index: number) => {
    if (closed) return;
    const task = queue.shift();
    if (!task) return;
    const slot = slots[index] ?? start(index);
    slot.task = task;
    const { N, r, p, keyLength } = task.params;
    const maxmem = task.params.maxmem ?? 2 * scryptMemoryBytes(task.params);
    slot.worker.postMessage({
      id: task.id,
      password: task.password,
      salt: task.salt,
      keyLength,
      options: { N, r, p, maxmem },
    });
  };

  return {
    scrypt(password, salt, params) {
      if (closed) return Promise.reject(new Error('the hashing workers are closed'));
      return new Promise<Buffer>((resolve, reject) => {
        nextId += 1;
        queue.push({ id: nextId, password, salt, params, resolve, reject });
        const free = slots.findIndex((slot) => !slot?.task);
        if (free >= 0) next(free);
      });
    },
    async priorities() {
      return Promise.all(slots.filter((s): s is Slot => s !== undefined).map((s) => s.nice));
    },
    async close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new Error('the hashing workers are closed'));
      await Promise.all(
        slots.map(async (slot, index) => {
          slots[index] = undefined;
          slot?.task?.reject(new Error('the hashing workers are closed'));
          await slot?.worker.terminate();
        }),
      );
    },
  };
}
