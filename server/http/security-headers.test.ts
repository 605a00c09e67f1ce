import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.js';

const app = new Hono()
  .use('*', securityHeaders())
  .get('/', (c) => c.html('<p>hi</p>'))
  .get('/missing', (c) => c.notFound());

function directives(csp: string): Map<string, string> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name ?? '', values.join(' ')];
      }),
  );
}

describe('securityHeaders', () => {
  it('sends a strict CSP: our origin only, no inline code, no framing, Trusted Types, reports', async () => {
    const csp = directives((await app.request('/')).headers.get('content-security-policy') ?? '');
    expect(csp.get('default-src')).toBe("'self'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('style-src')).toBe("'self'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'none'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('require-trusted-types-for')).toBe("'script'");
    expect(csp.get('trusted-types')).toBe('lit-html');
    expect(csp.get('report-uri')).toBe('/api/csp-reports');
    for (const value of csp.values()) {
      expect(value).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    }
  });

  it('isolates the page and sends no referrer; HSTS is left to nginx', async () => {
    const headers = (await app.request('/')).headers;
    expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('strict-transport-security')).toBeNull();
    const permissions = headers.get('permissions-policy') ?? '';
    expect(permissions).toContain('camera=()');
    expect(permissions).toContain('microphone=()');
    expect(permissions).toContain('publickey-credentials-get=(self)');
  });

  it('is on error responses too', async () => {
    const response = await app.request('/missing');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});
