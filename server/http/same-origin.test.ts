import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requireSameOrigin } from './same-origin.js';

const ORIGIN = 'https://chat.example.org';
const app = new Hono()
  .use('*', requireSameOrigin(ORIGIN))
  .all('/api/thing', (c) => c.text(`done ${c.req.method}`));

const send = (method: string, headers: Record<string, string> = {}) =>
  app.request('/api/thing', { method, headers });

describe('requireSameOrigin', () => {
  it('lets a state-changing request from our origin through', async () => {
    const response = await send('POST', { origin: ORIGIN });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('done POST');
  });

  it('refuses another origin, a look-alike and a missing origin with 403 cross_origin', async () => {
    const cases: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: `${ORIGIN}.evil.example` },
      { origin: 'http://chat.example.org' },
      { origin: 'null' },
      {},
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of cases) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const response = await send(method, headers);
        expect(response.status, `${method} ${JSON.stringify(headers)}`).toBe(403);
        expect((await response.json()).error.code).toBe('cross_origin');
      }
    }
  });

  it('without Origin, believes Sec-Fetch-Site: same-origin; Origin wins when both are sent', async () => {
    expect((await send('POST', { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    const both = await send('POST', {
      origin: 'https://evil.example',
      'sec-fetch-site': 'same-origin',
    });
    expect(both.status).toBe(403);
  });

  it('leaves safe methods alone, whatever their origin', async () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect((await send(method, { origin: 'https://evil.example' })).status, method).toBe(200);
    }
  });
});
