/**
 * nginx in front of the app, observed over HTTP: HSTS, redirects, the WebSocket, the client
 * address the app sees, the rate limit on /api/auth/, body limits and the version banner.
 * Runs against the stack that scripts/stack.sh starts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { headerValues, loopback, request } from '../../test/support/https-client.js';
import { startStack, type TestStack } from '../../test/support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.down();
});

const ONE_WEEK = 'max-age=604800';

describe.concurrent('HTTPS through nginx', () => {
  it('serves the app with HSTS for one week, sent once', async () => {
    const reply = await request(stack, { path: '/' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(headerValues(reply, 'strict-transport-security')).toEqual([ONE_WEEK]);
    // The app's own security headers pass through unchanged, and only once.
    expect(headerValues(reply, 'content-security-policy')).toHaveLength(1);
    expect(headerValues(reply, 'x-content-type-options')).toEqual(['nosniff']);
  });

  it('keeps HSTS on every location and on nginx’s own answers', async () => {
    const replies = await Promise.all([
      request(stack, { path: '/healthz' }),
      request(stack, { path: '/api/no-such-route' }),
      request(stack, { path: '/api/auth/no-such-route', localAddress: '127.0.0.21' }),
      request(stack, { path: '/api/ws' }), // a plain GET, not an upgrade
      request(stack, { host: `foo.${stack.domain}`, path: '/' }), // nginx's redirect
      request(stack, { method: 'POST', path: '/api/csp-reports', body: Buffer.alloc(70_000) }), // nginx's 413
    ]);
    for (const reply of replies) {
      expect(headerValues(reply, 'strict-transport-security')).toEqual([ONE_WEEK]);
    }
  });

  it('redirects every subdomain to the site (301), keeping the path and query', async () => {
    const reply = await request(stack, {
      host: `foo.${stack.domain}`,
      path: '/some/page?x=1&y=2',
    });
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`${stack.origin}/some/page?x=1&y=2`);
    // *.DOMAIN covers one label only: a client refuses the certificate for a.b.DOMAIN.
    await expect(request(stack, { host: `a.b.${stack.domain}`, path: '/' })).rejects.toThrow(
      /altnames/,
    );
  });

  it('redirects plain HTTP on the HTTP port to HTTPS (301), whatever Host the client names', async () => {
    const plain = await request(stack, { scheme: 'http', path: '/signin?next=%2F' });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`${stack.origin}/signin?next=%2F`);
    const otherHost = await request(stack, { scheme: 'http', host: 'evil.example', path: '/x' });
    expect(otherHost.status).toBe(301);
    expect(otherHost.headers.location).toBe(`${stack.origin}/x`);
    const subdomain = await request(stack, { scheme: 'http', host: `foo.${stack.domain}` });
    expect(subdomain.headers.location).toBe(`${stack.origin}/`);
  });

  it('answers 421 to a request whose Host is another site on a connection made for ours', async () => {
    const reply = await request(stack, { headers: { host: 'evil.example' } });
    expect(reply.status).toBe(421);
  });

  it('shows no version: neither in the Server header nor in error pages', async () => {
    const error = await request(stack, {
      method: 'POST',
      path: '/api/csp-reports',
      body: Buffer.alloc(70_000),
    });
    expect(error.status).toBe(413);
    expect(error.headers.server).toBe('nginx');
    expect(error.body).not.toMatch(/nginx\/\d/);
  });

  it('limits request bodies to 64 KiB before they reach the app', async () => {
    const small = await request(stack, {
      method: 'POST',
      path: '/api/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      body: JSON.stringify({ 'csp-report': { 'document-uri': `${stack.origin}/` } }),
    });
    expect(small.status).not.toBe(413);
    const large = await request(stack, {
      method: 'POST',
      path: '/api/csp-reports',
      body: Buffer.alloc(64 * 1024 + 1),
    });
    expect(large.status).toBe(413);
  });

  it('passes WebSocket upgrades to the app, which checks origin and session itself', async () => {
    // The signed-in hello/ping/pong through nginx is in stack-auth.test.ts (it needs a session).
    const refusal = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`wss://${stack.domain}:${stack.httpsPort}/api/ws`, {
          ca: readFileSync(stack.caFile),
          lookup: loopback,
          origin,
        });
        socket.on('open', () => reject(new Error('opened without a session')));
        socket.on('error', () => {});
        socket.on('unexpected-response', (request, response) => {
          resolve(response.statusCode ?? 0);
          request.destroy();
        });
      });
    expect(await refusal(stack.origin)).toBe(401);
    expect(await refusal('https://evil.example')).toBe(403);
    // Those answers are the app's: its log has both upgrade requests.
    const logged = stack
      .appLog()
      .filter((line) => line.msg === 'request' && line.path === '/api/ws')
      .map((line) => line.status);
    expect(logged).toEqual(expect.arrayContaining([401, 403]));
  });
});

describe('the client address the app sees', () => {
  it('is the real peer address: a forged X-Forwarded-For changes nothing', async () => {
    const marker = `/xff-probe-${Date.now()}`;
    await request(stack, {
      path: `${marker}-forged`,
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.8' },
    });
    await request(stack, { path: `${marker}-plain`, localAddress: '127.0.0.3' });
    const lines = stack.appLog().filter((line) => String(line.path).startsWith(marker));
    const ipOf = (suffix: string) => lines.find((line) => line.path === `${marker}${suffix}`)?.ip;
    expect(ipOf('-forged')).toBe('127.0.0.2');
    expect(ipOf('-plain')).toBe('127.0.0.3');
  });
});

describe('the rate limit on the sign-in routes', () => {
  /** nginx's own 429 page (the app answers its own limits in JSON). */
  const limitedByNginx = (reply: { status: number; body: string }) =>
    reply.status === 429 && reply.body.includes('<center>nginx</center>');

  it('lets a burst of 20 through and answers 429 beyond it, per client address', async () => {
    // A client address of its own, so no other test shares its bucket.
    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        request(stack, { path: '/api/auth/rate-probe', localAddress: '127.0.0.31' }),
      ),
    );
    // 2 requests/s refill the bucket: a loaded machine spreads the 40 over a few seconds.
    const limited = replies.filter(limitedByNginx).length;
    expect(limited).toBeGreaterThanOrEqual(10);
    expect(40 - limited).toBeGreaterThanOrEqual(20);
    // Another address is not affected.
    const other = await request(stack, {
      path: '/api/auth/rate-probe',
      localAddress: '127.0.0.32',
    });
    expect(limitedByNginx(other)).toBe(false);
    // Paths outside the sign-in routes are not limited by it.
    const elsewhere = await Promise.all(
      Array.from({ length: 30 }, () =>
        request(stack, { path: '/healthz', localAddress: '127.0.0.31' }).then((r) => r.status),
      ),
    );
    expect(elsewhere.every((status) => status === 200)).toBe(true);
  });

  // A client address of its own per path, so no two paths share a bucket.
  it.each([
    ['/api/signup/start', '127.0.0.41'],
    ['/api/signin/password', '127.0.0.42'],
    ['/api/unlock/start', '127.0.0.43'],
    ['/api/session/reauth', '127.0.0.44'],
    ['/api/account/password', '127.0.0.45'],
  ])('covers %s', async (path, address) => {
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        request(stack, { method: 'POST', path, localAddress: address, body: '{}' }),
      ),
    );
    expect(replies.filter(limitedByNginx).length).toBeGreaterThanOrEqual(3);
  });
});
