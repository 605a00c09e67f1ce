import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPwnedPasswordsChecker } from './pwned-passwords.js';

/**
 * A local stand-in for api.pwnedpasswords.com, on 127.0.0.1: it answers /range/<prefix> like the
 * real API (suffix:count lines, with padding lines of count 0) and records what it was asked.
 * The tests never reach the internet.
 */
const breachedPassword = 'correct horse battery staple';
const paddedOnlyPassword = 'padding is not a breach';
const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();

interface SeenRequest {
  url: string;
  headers: IncomingHttpHeaders;
}

let server: Server;
let baseUrl: string;
const seen: SeenRequest[] = [];
let mode: 'normal' | 'error' | 'slow' | 'garbage' | 'huge' = 'normal';

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    if (mode === 'error') return void response.writeHead(503).end();
    if (mode === 'slow') return void setTimeout(() => response.end('late'), 2_000);
    if (mode === 'garbage') return void response.end('<html>rate limited</html>');
    if (mode === 'huge') {
      response.write(`${'0'.repeat(35)}:0\r\n`.repeat(60_000));
      return void response.end();
    }
    const prefix = (request.url ?? '').split('/').at(-1)!;
    const lines: string[] = [];
    for (let i = 0; i < 300; i += 1)
      lines.push(`${i.toString(16).toUpperCase().padStart(35, '0')}:${i + 1}`);
    for (const password of [breachedPassword, paddedOnlyPassword]) {
      const hash = sha1(password);
      if (hash.startsWith(prefix)) {
        lines.push(`${hash.slice(5)}:${password === breachedPassword ? 3_861_493 : 0}`);
      }
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/range/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function checker(timeoutMs = 1_000) {
  return createPwnedPasswordsChecker({ fetch: globalThis.fetch, timeoutMs, baseUrl });
}

describe('Have I Been Pwned range check (k-anonymity, padding)', () => {
  it('sends only the first 5 hex digits of the SHA-1, with Add-Padding: true', async () => {
    mode = 'normal';
    seen.length = 0;
    expect(await checker().check(breachedPassword)).toBe('breached');
    expect(seen).toHaveLength(1);
    const hash = sha1(breachedPassword);
    expect(seen[0]!.url).toBe(`/range/${hash.slice(0, 5)}`);
    expect(seen[0]!.url).not.toContain(hash.slice(5, 10));
    expect(seen[0]!.headers['add-padding']).toBe('true');
  });

  it('answers clean for a password whose suffix is not listed', async () => {
    mode = 'normal';
    expect(await checker().check('Kp7#vR2!mZ9$qW4& not listed')).toBe('clean');
  });

  it('does not count a padding line (count 0) as a breach', async () => {
    mode = 'normal';
    expect(await checker().check(paddedOnlyPassword)).toBe('clean');
  });

  it('hashes the UTF-8 bytes of the normalised password', async () => {
    mode = 'normal';
    seen.length = 0;
    await checker().check('café ☕ 12345');
    expect(seen[0]!.url).toBe(`/range/${sha1('café ☕ 12345').slice(0, 5)}`);
  });

  it.each([
    ['an error status', 'error' as const],
    ['a body that is not the range format', 'garbage' as const],
    ['an oversized body', 'huge' as const],
  ])('answers unavailable on %s', async (_, failure) => {
    mode = failure;
    expect(await checker().check(breachedPassword)).toBe('unavailable');
  });

  it('answers unavailable when the API is slower than the timeout', async () => {
    mode = 'slow';
    const start = performance.now();
    expect(await checker(200).check(breachedPassword)).toBe('unavailable');
    expect(performance.now() - start).toBeLessThan(1_500);
  });

  it('answers unavailable when nothing listens', async () => {
    const closed = createPwnedPasswordsChecker({
      fetch: globalThis.fetch,
      timeoutMs: 1_000,
      baseUrl: 'http://127.0.0.1:9/range',
    });
    expect(await closed.check(breachedPassword)).toBe('unavailable');
  });
});
