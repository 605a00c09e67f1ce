/**
 * The brief's TLS profile, observed by a real TLS client (openssl s_client) against the stack
 * that scripts/stack.sh starts: nginx with nginx/nginx.conf.template in front of the built app.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertNumber, sClient } from '../../test/support/openssl.js';
import { startStack, type TestStack } from '../../test/support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.down();
});

/** A handshake that names our domain and checks the chain against our CA. */
const verified = () => [
  '-servername',
  stack.domain,
  '-CAfile',
  stack.caFile,
  '-verify_return_error',
  '-verify_hostname',
  stack.domain,
];

describe.concurrent('TLS profile', () => {
  it('negotiates TLS 1.3, TLS_CHACHA20_POLY1305_SHA256 and X25519 with a verified chain', async () => {
    const probe = await sClient(stack.httpsPort, [
      ...verified(),
      '-tls1_3',
      '-ciphersuites',
      'TLS_CHACHA20_POLY1305_SHA256',
      '-groups',
      'X25519',
    ]);
    expect(probe.code).toBe(0);
    expect(probe.output).toMatch(/New, TLSv1\.3, Cipher is TLS_CHACHA20_POLY1305_SHA256/);
    expect(probe.output).toMatch(/Server Temp Key: X25519/);
    expect(probe.output).toMatch(/Verify return code: 0 \(ok\)/);
    expect(probe.output).toMatch(/Verification: OK/);
    expect(probe.output).toMatch(/Verified peername: group-10\.comp3334\.xavier2dc\.fr/);
  });

  it('picks exactly that suite and group when a client offers everything', async () => {
    const probe = await sClient(stack.httpsPort, [
      ...verified(),
      '-ciphersuites',
      'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256',
      '-groups',
      'P-384:P-256:X25519',
    ]);
    expect(probe.code).toBe(0);
    expect(probe.output).toMatch(/Cipher is TLS_CHACHA20_POLY1305_SHA256/);
    expect(probe.output).toMatch(/Server Temp Key: X25519/);
  });

  it('refuses TLS 1.2 (and so every older version) with a protocol_version alert', async () => {
    const probe = await sClient(stack.httpsPort, ['-servername', stack.domain, '-tls1_2']);
    expect(probe.code).not.toBe(0);
    expect(alertNumber(probe)).toBe(70);
  });

  it.each([
    'TLS_AES_256_GCM_SHA384',
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_128_CCM_SHA256',
    'TLS_AES_128_CCM_8_SHA256',
  ])('refuses the TLS 1.3 suite %s', async (suite) => {
    const probe = await sClient(stack.httpsPort, [
      '-servername',
      stack.domain,
      '-tls1_3',
      '-ciphersuites',
      suite,
    ]);
    expect(probe.code).not.toBe(0);
    expect(alertNumber(probe)).toBe(40);
  });

  it.each(['P-256', 'P-384', 'P-521', 'X448'])('refuses the group %s', async (group) => {
    const probe = await sClient(stack.httpsPort, [
      '-servername',
      stack.domain,
      '-tls1_3',
      '-groups',
      group,
    ]);
    expect(probe.code).not.toBe(0);
    expect(alertNumber(probe)).toBe(40);
  });

  it('sends no OCSP response (no stapling)', async () => {
    const probe = await sClient(stack.httpsPort, [...verified(), '-status']);
    expect(probe.code).toBe(0);
    expect(probe.output).toMatch(/OCSP response: no response sent/);
  });

  it('sends no session ticket, so a session cannot be resumed', async () => {
    const sessionFile = join(mkdtempSync(join(tmpdir(), 'parley-tls-')), 'session.pem');
    // Tickets arrive after the handshake: keep the connection open a moment to see them.
    const first = await sClient(
      stack.httpsPort,
      [...verified(), '-msg', '-sess_out', sessionFile],
      1_000,
    );
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/Cipher is TLS_CHACHA20_POLY1305_SHA256/);
    expect(first.output).not.toMatch(/NewSessionTicket/);
    expect(first.output).not.toMatch(/TLS session ticket/);
    // In TLS 1.3 a client has a session to resume only from a ticket: s_client got none to save.
    expect(existsSync(sessionFile)).toBe(false);
    rmSync(dirname(sessionFile), { recursive: true, force: true });
  });

  it.each([
    ['an unknown server name', ['-servername', 'example.com']],
    ['another comp3334 group', ['-servername', 'group-11.comp3334.xavier2dc.fr']],
    ['no server name at all', ['-noservername']],
  ])('refuses the handshake for %s (unrecognized_name)', async (_what, args) => {
    const probe = await sClient(stack.httpsPort, ['-tls1_3', ...args]);
    expect(probe.code).not.toBe(0);
    expect(alertNumber(probe)).toBe(112);
    expect(probe.output).not.toMatch(/BEGIN CERTIFICATE|Server certificate/);
  });

  it('serves subdomains with the same verified certificate (its *.domain name)', async () => {
    const name = `foo.${stack.domain}`;
    const probe = await sClient(stack.httpsPort, [
      '-servername',
      name,
      '-CAfile',
      stack.caFile,
      '-verify_return_error',
      '-verify_hostname',
      name,
    ]);
    expect(probe.code).toBe(0);
    expect(probe.output).toMatch(/Verify return code: 0 \(ok\)/);
  });

  it('offers HTTP/2 by ALPN', async () => {
    const probe = await sClient(stack.httpsPort, [...verified(), '-alpn', 'h2,http/1.1']);
    expect(probe.code).toBe(0);
    expect(probe.output).toMatch(/ALPN protocol: h2/);
  });

  it('keeps the plain HTTP port plain: no TLS there', async () => {
    const probe = await sClient(stack.httpPort, ['-servername', stack.domain]);
    expect(probe.code).not.toBe(0);
    expect(probe.output).not.toMatch(/Cipher is TLS/);
  });
});
