/**
 * nginx/nginx.conf.template and nginx/render.sh: the template step, the configuration nginx
 * accepts, the comments tying lines to the brief, and the headers nginx really sends to the app
 * (a real nginx in front of a small echo server that reports what it received).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/database-server.js';
import { request } from '../../test/support/https-client.js';
import { run } from '../../test/support/run.js';
import { DOMAIN, repoRoot, type TestStack } from '../../test/support/stack.js';

const template = readFileSync(join(repoRoot, 'nginx', 'nginx.conf.template'), 'utf8');
const NGINX = '/usr/sbin/nginx';
let work: string;

function renderEnv(dir: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${process.env.PATH}:/usr/sbin`,
    PARLEY_DOMAIN: DOMAIN,
    PARLEY_HTTPS_PORT: '8443',
    PARLEY_HTTP_PORT: '8080',
    PARLEY_APP_UPSTREAM: '127.0.0.1:3000',
    PARLEY_TLS_CERT: join(dir, 'tls', 'server.crt'),
    PARLEY_TLS_KEY: join(dir, 'tls', 'server.key'),
    NGINX_LISTEN_ADDRESS: '127.0.0.1',
    NGINX_RUNTIME_DIR: join(dir, 'run'),
    NGINX_LOG_DIR: join(dir, 'logs'),
    ...overrides,
  };
}

function render(dir: string, overrides: Record<string, string> = {}) {
  return run('sh', [join(repoRoot, 'nginx', 'render.sh'), join(dir, 'conf')], {
    env: renderEnv(dir, overrides),
  });
}

/** `nginx -t` on the configuration render() wrote under dir. */
function nginxTest(dir: string) {
  return run(NGINX, [
    '-t',
    '-p',
    join(dir, 'conf'),
    '-c',
    'nginx.conf',
    '-e',
    join(dir, 'logs', 'error.log'),
  ]);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'parley-nginx-conf-'));
  const ca = await run('bash', [join(repoRoot, 'scripts', 'make-ca.sh'), join(work, 'ca')]);
  expect(ca.code, ca.stderr).toBe(0);
  const tls = await run('bash', [
    join(repoRoot, 'scripts', 'issue-server-cert.sh'),
    '--domain',
    DOMAIN,
    '--ca-cert',
    join(work, 'ca', 'ca.crt'),
    '--ca-key',
    join(work, 'ca', 'ca.key'),
    '--out-dir',
    join(work, 'tls'),
  ]);
  expect(tls.code, tls.stderr).toBe(0);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('nginx/render.sh', () => {
  it('renders a configuration this nginx accepts (nginx -t)', async () => {
    const rendered = await render(work);
    expect(rendered.code, rendered.stderr).toBe(0);
    const tested = await nginxTest(work);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stderr).toMatch(/test is successful/);
    expect(tested.stderr).not.toMatch(/\[warn\]/);
  });

  it('takes paths with spaces, quoted in the directives (nginx -t)', async () => {
    const dir = mkdtempSync(join(work, 'with space-'));
    cpSync(join(work, 'tls'), join(dir, 'tls'), { recursive: true });
    const rendered = await render(dir);
    expect(rendered.code, rendered.stderr).toBe(0);
    const tested = await nginxTest(dir);
    expect(tested.code, tested.stderr).toBe(0);
    expect(readFileSync(join(dir, 'conf', 'nginx.conf'), 'utf8')).toContain(
      `ssl_certificate "${join(dir, 'tls', 'server.crt')}";`,
    );
  });

  it('switches HTTP/2 on in the form each nginx version takes', async () => {
    const old = mkdtempSync(join(work, 'listen-'));
    const fresh = mkdtempSync(join(work, 'directive-'));
    expect((await render(old, { NGINX_HTTP2_STYLE: 'listen' })).code).toBe(0);
    expect((await render(fresh, { NGINX_HTTP2_STYLE: 'directive' })).code).toBe(0);
    const before1251 = readFileSync(join(old, 'conf', 'nginx.conf'), 'utf8');
    const since1251 = readFileSync(join(fresh, 'conf', 'nginx.conf'), 'utf8');
    expect(before1251.match(/listen 127\.0\.0\.1:8443 ssl http2/g)).toHaveLength(3);
    expect(before1251).not.toMatch(/^\s*http2 on;/m);
    expect(since1251.match(/^\s*http2 on;/gm)).toHaveLength(3);
    expect(since1251).not.toMatch(/ssl http2/);
    // nginx 1.22 here takes the listen form: render.sh picks it by itself.
    const auto = readFileSync(join(work, 'conf', 'nginx.conf'), 'utf8');
    expect(auto).toBe(before1251.replaceAll(old, work));
  });

  it.each([
    ['a missing variable', { PARLEY_TLS_CERT: '' }, /PARLEY_TLS_CERT is not set/],
    ['a directive injection', { PARLEY_APP_UPSTREAM: '127.0.0.1:3000; evil' }, /not allowed/],
    ['a variable injection', { NGINX_RUNTIME_DIR: '/tmp/$host' }, /not allowed/],
    ['a quote in a path', { NGINX_LOG_DIR: '/tmp/a"b' }, /not allowed/],
    ['a space outside a path', { PARLEY_APP_UPSTREAM: '127.0.0.1:3000 backup' }, /not allowed/],
    ['a bad domain', { PARLEY_DOMAIN: 'not_a_domain' }, /not a domain name/],
    ['a bad port', { PARLEY_HTTPS_PORT: '84a3' }, /ports must be numbers/],
    ['an upstream without a port', { PARLEY_APP_UPSTREAM: '127.0.0.1:3000,app' }, /not host:port/],
  ])('refuses %s', async (_what, overrides, message) => {
    const dir = mkdtempSync(join(work, 'bad-'));
    const rendered = await render(dir, overrides);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toMatch(message);
  });
});

describe('several app instances', () => {
  it('renders one upstream server per comma-separated address, each skipped for 10 s once it fails', async () => {
    const dir = mkdtempSync(join(work, 'several-'));
    cpSync(join(work, 'tls'), join(dir, 'tls'), { recursive: true });
    const rendered = await render(dir, {
      PARLEY_APP_UPSTREAM: '127.0.0.1:3001,127.0.0.1:3002,127.0.0.1:3003',
    });
    expect(rendered.code, rendered.stderr).toBe(0);
    const conf = readFileSync(join(dir, 'conf', 'nginx.conf'), 'utf8');
    const upstream = conf.slice(conf.indexOf('upstream parley_app {'));
    expect(upstream.slice(0, upstream.indexOf('}')).match(/server \S+ [^;]*;/g)).toEqual([
      'server 127.0.0.1:3001 max_fails=1 fail_timeout=10s;',
      'server 127.0.0.1:3002 max_fails=1 fail_timeout=10s;',
      'server 127.0.0.1:3003 max_fails=1 fail_timeout=10s;',
    ]);
    // A dead instance costs at most a 2 s connect before the next one is tried.
    expect(conf).toMatch(/^\s*proxy_connect_timeout 2s;/m);
    expect(conf).toMatch(/^\s*proxy_next_upstream error timeout;/m);
    expect((await nginxTest(dir)).code).toBe(0);
  });
});

describe('nginx/nginx.conf.template', () => {
  const lines = template.split('\n');
  const linesWith = (pattern: RegExp) => lines.filter((line) => pattern.test(line));

  it.each([
    [/^\s*ssl_protocols /, /brief: TLS version 1\.3 only/],
    [/^\s*ssl_ecdh_curve /, /brief: X25519/],
    [/Ciphersuites /, /brief: TLS_CHACHA20_POLY1305_SHA256/],
    [/^\s*ssl_stapling /, /brief: no OCSP stapling/],
    [/^\s*ssl_certificate /, /brief: certificate issued by the given CA/],
    [/include snippets\/security-headers\.conf/, /brief: HSTS for one week/],
    [/return 301 /, /brief: .*redirect/],
    [/^\s*limit_req /, /brief .*rate limiting/],
    [/^\s*server_name \$\{PARLEY_DOMAIN\}/, /brief: the site is hosted at the group's domain/],
  ])('comments every line matching %s with the brief requirement it meets', (pattern, comment) => {
    const found = linesWith(pattern);
    expect(found.length).toBeGreaterThan(0);
    for (const line of found) expect(line).toMatch(comment);
  });

  it('sets the TLS profile once, at http level, before any server', () => {
    const firstServer = template.indexOf('server {');
    for (const directive of [
      'ssl_protocols TLSv1.3;',
      'ssl_ecdh_curve X25519;',
      'ssl_conf_command Ciphersuites TLS_CHACHA20_POLY1305_SHA256;',
      'ssl_stapling off;',
      'ssl_session_tickets off;',
      'ssl_conf_command NumTickets 0;',
      'ssl_session_cache off;',
      'server_tokens off;',
    ]) {
      const at = template.indexOf(directive);
      expect(at, directive).toBeGreaterThan(0);
      expect(at, directive).toBeLessThan(firstServer);
      expect(template.indexOf(directive, at + 1), directive).toBe(-1);
    }
    const hsts = readFileSync(join(repoRoot, 'nginx', 'snippets', 'security-headers.conf'), 'utf8');
    expect(hsts).toMatch(/^add_header Strict-Transport-Security "max-age=604800" always;/m);
  });

  it('repeats the header snippets in every location (add_header/proxy_set_header inheritance)', () => {
    const locations = template.split(/\n\s*location /).slice(1);
    expect(locations.length).toBeGreaterThanOrEqual(4);
    for (const location of locations) {
      const body = location.slice(0, location.indexOf('\n        }'));
      if (body.includes('proxy_pass')) {
        expect(body).toContain('include snippets/security-headers.conf;');
        expect(body).toContain('include snippets/proxy-headers.conf;');
      }
    }
    expect(template).not.toContain('$proxy_add_x_forwarded_for');
    const ws = template.slice(template.indexOf('location = /api/ws'));
    const readTimeout = Number(/proxy_read_timeout (\d+)s;/.exec(ws)?.[1]);
    // The app pings every 25 s: the proxy must wait longer than that for the next frame.
    expect(readTimeout).toBeGreaterThan(25);
  });
});

describe('what nginx sends to the app', () => {
  let echo: http.Server;
  let nginxDir: string;
  let stackLike: TestStack;
  const received: Record<string, http.IncomingHttpHeaders> = {};

  beforeAll(async () => {
    echo = http.createServer((req, res) => {
      received[req.url ?? ''] = req.headers;
      res.end('echo');
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    nginxDir = mkdtempSync(join(work, 'echo-'));
    const rendered = await render(nginxDir, {
      PARLEY_APP_UPSTREAM: `127.0.0.1:${(echo.address() as AddressInfo).port}`,
      PARLEY_HTTPS_PORT: String(httpsPort),
      PARLEY_HTTP_PORT: String(httpPort),
      PARLEY_TLS_CERT: join(work, 'tls', 'server.crt'),
      PARLEY_TLS_KEY: join(work, 'tls', 'server.key'),
    });
    expect(rendered.code, rendered.stderr).toBe(0);
    await promisify(execFile)(NGINX, [
      '-p',
      join(nginxDir, 'conf'),
      '-c',
      'nginx.conf',
      '-e',
      join(nginxDir, 'logs', 'error.log'),
    ]);
    stackLike = {
      dir: nginxDir,
      domain: DOMAIN,
      httpsPort,
      httpPort,
      origin: `https://${DOMAIN}:${httpsPort}`,
      caFile: join(work, 'ca', 'ca.crt'),
      output: '',
      appLog: () => [],
      down: async () => {},
    };
  });

  afterAll(async () => {
    const pidFile = join(nginxDir ?? '', 'run', 'nginx.pid');
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 50; i += 1) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch {
      // nginx never started
    }
    await new Promise((resolve) => echo?.close(resolve));
  });

  it('replaces a forged X-Forwarded-For with the client address, and drops X-Real-IP/Forwarded', async () => {
    await request(stackLike, {
      path: '/forged',
      localAddress: '127.0.0.5',
      headers: {
        'x-forwarded-for': '203.0.113.7, 198.51.100.1',
        'x-real-ip': '203.0.113.8',
        forwarded: 'for=203.0.113.9',
        'x-forwarded-proto': 'http',
      },
    });
    const headers = received['/forged'];
    expect(headers?.['x-forwarded-for']).toBe('127.0.0.5');
    expect(headers?.['x-forwarded-proto']).toBe('https');
    expect(headers?.['x-real-ip']).toBeUndefined();
    expect(headers?.forwarded).toBeUndefined();
    expect(headers?.host).toBe(DOMAIN);
  });

  it('passes the rate-limited auth path and the WebSocket path the same headers', async () => {
    await request(stackLike, {
      path: '/api/auth/probe',
      localAddress: '127.0.0.6',
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(received['/api/auth/probe']?.['x-forwarded-for']).toBe('127.0.0.6');
    await request(stackLike, {
      path: '/api/ws',
      localAddress: '127.0.0.7',
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(received['/api/ws']?.['x-forwarded-for']).toBe('127.0.0.7');
    expect(received['/api/ws']?.['x-forwarded-proto']).toBe('https');
  });
});
