/**
 * The certificate scripts: make-ca.sh, issue-server-cert.sh and verify-cert.sh, checked against
 * openssl's own view of what they made, and verify-cert.sh fed deliberately wrong certificates.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  goodExtensions,
  issueBackdatedCert,
  issueCert,
  makeOperatorCa,
  P256,
  RSA2048,
} from '../../test/support/certs.js';
import { openssl, run, script } from '../../test/support/run.js';

const DOMAIN = 'group-10.comp3334.xavier2dc.fr';
let work: string;
let caCert: string;
let caKey: string;
let serverCert: string;

const fresh = (name: string) => mkdtempSync(join(work, `${name}-`));
const issue = (outDir: string, ...extra: string[]) =>
  script('issue-server-cert.sh', [
    '--domain',
    DOMAIN,
    '--ca-cert',
    caCert,
    '--ca-key',
    caKey,
    '--out-dir',
    outDir,
    ...extra,
  ]);
const verify = (cert: string, ...extra: string[]) =>
  script('verify-cert.sh', ['--domain', DOMAIN, '--ca-cert', caCert, ...extra, cert]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'parley-certs-'));
  const made = await script('make-ca.sh', [join(work, 'ca')]);
  expect(made.code, made.stderr).toBe(0);
  caCert = join(work, 'ca', 'ca.crt');
  caKey = join(work, 'ca', 'ca.key');
  const issued = await issue(join(work, 'tls'));
  expect(issued.code, issued.stderr).toBe(0);
  serverCert = join(work, 'tls', 'server.crt');
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('make-ca.sh', () => {
  it('makes a P-384, SHA-384 CA: critical CA:TRUE pathlen 0, keyCertSign+cRLSign, name-constrained', async () => {
    const text = await openssl(['x509', '-in', caCert, '-noout', '-text']);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);
    expect(text).toMatch(/ASN1 OID: secp384r1/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(
      /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:comp3334\.xavier2dc\.fr\s+IP:127\.0\.0\.1\/255\.255\.255\.255/,
    );
    expect(text).toMatch(/X509v3 Subject Key Identifier/);
  });

  it('keeps its key private (0600) and refuses to replace an existing CA', async () => {
    expect(statSync(caKey).mode & 0o777).toBe(0o600);
    const before = readFileSync(caCert);
    const again = await script('make-ca.sh', [join(work, 'ca')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    expect(readFileSync(caCert)).toEqual(before);
  });
});

describe('issue-server-cert.sh', () => {
  it('issues the brief’s certificate, which openssl itself reads back property by property', async () => {
    const text = await openssl(['x509', '-in', serverCert, '-noout', '-text']);
    expect(text).toMatch(/Version: 3 \(0x2\)/);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);
    expect(text).toMatch(/Public Key Algorithm: id-ecPublicKey[\s\S]*ASN1 OID: secp384r1/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \s*\n\s+TLS Web Server Authentication\n/);
    expect(text).toMatch(/X509v3 Subject Key Identifier/);
    expect(text).toMatch(/X509v3 Authority Key Identifier/);
    expect(text).toMatch(
      /X509v3 Subject Alternative Name: \s*\n\s+DNS:group-10\.comp3334\.xavier2dc\.fr, DNS:\*\.group-10\.comp3334\.xavier2dc\.fr/,
    );
    expect(text).toMatch(/Subject: CN = group-10\.comp3334\.xavier2dc\.fr\n/);
    const dates = await openssl(['x509', '-in', serverCert, '-noout', '-dates']);
    const notBefore = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
    const notAfter = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    expect(notAfter - notBefore).toBe(90 * 86_400_000);
    expect(statSync(join(work, 'tls', 'server.key')).mode & 0o777).toBe(0o600);
  });

  it('passes openssl verify with chain, purpose and host name checks', async () => {
    const ran = await run('openssl', [
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-verify_hostname',
      `foo.${DOMAIN}`,
      '-CAfile',
      caCert,
      serverCert,
    ]);
    expect(ran.code, ran.stderr).toBe(0);
  });

  it('keeps a valid certificate (no overwrite) unless --force', async () => {
    const dir = fresh('keep');
    expect((await issue(dir)).code).toBe(0);
    const first = readFileSync(join(dir, 'server.crt'));
    const again = await issue(dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^kept /);
    expect(readFileSync(join(dir, 'server.crt'))).toEqual(first);
    const forced = await issue(dir, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^issued /);
    expect(readFileSync(join(dir, 'server.crt'))).not.toEqual(first);
    expect((await verify(join(dir, 'server.crt'))).code).toBe(0);
  });

  it('renews a certificate with fewer than 30 days left', async () => {
    const dir = fresh('renew');
    const old = await issueBackdatedCert({
      dir: join(dir, 'openssl-ca'),
      caCert,
      caKey,
      commonName: DOMAIN,
      extensions: goodExtensions(DOMAIN),
      daysAgo: 70,
    });
    // Otherwise valid (20 days left of exactly 90)...
    expect((await verify(old)).code).toBe(0);
    const nearEnd = await verify(old, '--min-days', '30');
    expect(nearEnd.code).toBe(1);
    expect(nearEnd.stderr).toMatch(/FAIL: time left: 19 days|FAIL: time left: 20 days/);
    // ...so issuing over it renews it.
    copyFileSync(old, join(dir, 'server.crt'));
    copyFileSync(join(dir, 'openssl-ca', 'leaf.key'), join(dir, 'server.key'));
    const renewed = await issue(dir);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).toMatch(/^renewing .*time left/m);
    expect((await verify(join(dir, 'server.crt'), '--min-days', '89')).code).toBe(0);
  });

  it('replaces a certificate for another domain', async () => {
    const dir = fresh('other-domain');
    const other = await script('issue-server-cert.sh', [
      '--domain',
      'group-11.comp3334.xavier2dc.fr',
      '--ca-cert',
      caCert,
      '--ca-key',
      caKey,
      '--out-dir',
      dir,
    ]);
    expect(other.code).toBe(0);
    const replaced = await issue(dir);
    expect(replaced.stdout).toMatch(/^replacing .*common name/m);
    expect((await verify(join(dir, 'server.crt'))).code).toBe(0);
  });

  it('issues from an operator’s own CA certificate and key', async () => {
    const operator = await makeOperatorCa(fresh('operator-ca'));
    const dir = fresh('operator-tls');
    const issued = await script('issue-server-cert.sh', [
      '--domain',
      DOMAIN,
      '--ca-cert',
      operator.cert,
      '--ca-key',
      operator.key,
      '--out-dir',
      dir,
    ]);
    expect(issued.code, issued.stderr).toBe(0);
    const checked = await script('verify-cert.sh', [
      '--domain',
      DOMAIN,
      '--ca-cert',
      operator.cert,
      join(dir, 'server.crt'),
    ]);
    expect(checked.code, checked.stderr).toBe(0);
    // ...and not against our CA.
    expect((await verify(join(dir, 'server.crt'))).code).toBe(1);
  });

  it('refuses a CA key that does not belong to the CA certificate', async () => {
    const operator = await makeOperatorCa(fresh('mismatch'));
    const ran = await script('issue-server-cert.sh', [
      '--domain',
      DOMAIN,
      '--ca-cert',
      caCert,
      '--ca-key',
      operator.key,
      '--out-dir',
      fresh('mismatch-tls'),
    ]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/does not belong/);
  });

  it('refuses a domain outside the CA’s name constraint (openssl error 47)', async () => {
    const ran = await script('issue-server-cert.sh', [
      '--domain',
      'example.com',
      '--ca-cert',
      caCert,
      '--ca-key',
      caKey,
      '--out-dir',
      fresh('outside'),
    ]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/error 47 .*permitted subtree violation/);
  });
});

describe('verify-cert.sh', () => {
  it('passes the issued certificate', async () => {
    const ran = await verify(serverCert);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^ok: /);
  });

  const good = () => goodExtensions(DOMAIN);
  const without = (prefix: string) => good().filter((line) => !line.startsWith(prefix));
  const replacing = (prefix: string, line: string) => [...without(prefix), line];

  it.concurrent.each<
    [string, () => Parameters<typeof issueCert>[0] extends infer S ? Partial<S> : never, RegExp]
  >([
    ['a 91-day certificate', () => ({ days: 91 }), /FAIL: validity: 91 days/],
    ['an 89-day certificate', () => ({ days: 89 }), /FAIL: validity: 89 days/],
    ['a P-256 key', () => ({ keyAlgorithm: P256 }), /FAIL: public key: curve is not P-384/],
    ['an RSA key', () => ({ keyAlgorithm: RSA2048 }), /FAIL: public key: not ECDSA/],
    ['a SHA-256 signature', () => ({ digest: 'sha256' }), /FAIL: signature: .*ecdsa-with-SHA256/],
    [
      'no basic constraints',
      () => ({ extensions: without('basicConstraints') }),
      /FAIL: basic constraints: extension missing/,
    ],
    [
      'non-critical basic constraints',
      () => ({ extensions: replacing('basicConstraints', 'basicConstraints = CA:FALSE') }),
      /FAIL: basic constraints: not critical/,
    ],
    [
      'CA:TRUE',
      () => ({ extensions: replacing('basicConstraints', 'basicConstraints = critical, CA:TRUE') }),
      /FAIL: basic constraints: not CA:FALSE/,
    ],
    [
      'no key usage',
      () => ({ extensions: without('keyUsage') }),
      /FAIL: key usage: extension missing/,
    ],
    [
      'non-critical key usage',
      () => ({ extensions: replacing('keyUsage', 'keyUsage = digitalSignature') }),
      /FAIL: key usage: not critical/,
    ],
    [
      'extra key usages',
      () => ({
        extensions: replacing('keyUsage', 'keyUsage = critical, digitalSignature, keyEncipherment'),
      }),
      /FAIL: key usage: not exactly Digital Signature/,
    ],
    [
      'no extended key usage',
      () => ({ extensions: without('extendedKeyUsage') }),
      /FAIL: extended key usage: extension missing/,
    ],
    [
      'client authentication instead of server',
      () => ({ extensions: replacing('extendedKeyUsage', 'extendedKeyUsage = clientAuth') }),
      /FAIL: extended key usage: not exactly serverAuth/,
    ],
    [
      'no subject key identifier',
      () => ({
        extensions: replacing('subjectKeyIdentifier', 'subjectKeyIdentifier = none'),
      }),
      /FAIL: subject key identifier: extension missing/,
    ],
    [
      'no authority key identifier',
      () => ({
        extensions: replacing('authorityKeyIdentifier', 'authorityKeyIdentifier = none'),
      }),
      /FAIL: authority key identifier: extension missing/,
    ],
    [
      'another common name',
      () => ({ commonName: `www.${DOMAIN}` }),
      /FAIL: common name: 'www\.group-10/,
    ],
    [
      'no subject alternative name',
      () => ({ extensions: without('subjectAltName') }),
      /FAIL: subject alternative name: extension missing/,
    ],
    [
      'no wildcard name',
      () => ({ extensions: replacing('subjectAltName', `subjectAltName = DNS:${DOMAIN}`) }),
      /FAIL: subject alternative name: /,
    ],
  ])('fails %s, naming it', async (name, change, failure) => {
    const cert = await issueCert({
      dir: fresh(name.replace(/\W+/g, '-')),
      caCert,
      caKey,
      commonName: DOMAIN,
      extensions: good(),
      ...change(),
    });
    const ran = await verify(cert);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(failure);
  });

  it('fails a certificate from another CA, and an expired one', async () => {
    const operator = await makeOperatorCa(fresh('foreign-ca'));
    const foreign = await issueCert({
      dir: fresh('foreign'),
      caCert: operator.cert,
      caKey: operator.key,
      commonName: DOMAIN,
      extensions: good(),
    });
    const ranForeign = await verify(foreign);
    expect(ranForeign.code).toBe(1);
    expect(ranForeign.stderr).toMatch(/FAIL: authority key identifier: .* is not the CA's/);
    const expired = await issueBackdatedCert({
      dir: fresh('expired'),
      caCert,
      caKey,
      commonName: DOMAIN,
      extensions: good(),
      daysAgo: 91,
    });
    const ranExpired = await verify(expired);
    expect(ranExpired.code).toBe(1);
    expect(ranExpired.stderr).toMatch(/FAIL: chain: .*error 10 .*certificate has expired/);
  });

  it('fails something that is not a certificate', async () => {
    const file = join(fresh('garbage'), 'not.crt');
    writeFileSync(file, 'hello\n');
    const ran = await verify(file);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/FAIL: certificate: .* is not a PEM X\.509 certificate/);
  });
});

describe('the name constraint', () => {
  it.concurrent.each([
    ['a name outside comp3334.xavier2dc.fr', 'example.com', 'DNS:example.com'],
    [
      'a look-alike name',
      'comp3334.xavier2dc.fr.evil.example',
      'DNS:comp3334.xavier2dc.fr.evil.example',
    ],
    ['localhost', 'localhost', 'DNS:localhost'],
    ['an address other than 127.0.0.1', DOMAIN, `DNS:${DOMAIN}, IP:10.0.0.1`],
  ])('makes openssl verify refuse %s (error 47)', async (name, commonName, san) => {
    const cert = await issueCert({
      dir: fresh(name.replace(/\W+/g, '-')),
      caCert,
      caKey,
      commonName,
      extensions: [...without('subjectAltName'), `subjectAltName = ${san}`],
    });
    const ran = await run('openssl', ['verify', '-CAfile', caCert, cert]);
    expect(ran.code).not.toBe(0);
    expect(ran.stdout + ran.stderr).toMatch(
      /error 47 at 0 depth lookup: permitted subtree violation/,
    );
  });

  it('lets a certificate for another comp3334 group pass openssl verify', async () => {
    const cert = await issueCert({
      dir: fresh('other-group'),
      caCert,
      caKey,
      commonName: 'group-11.comp3334.xavier2dc.fr',
      extensions: [
        ...without('subjectAltName'),
        'subjectAltName = DNS:group-11.comp3334.xavier2dc.fr',
      ],
    });
    const ran = await run('openssl', ['verify', '-CAfile', caCert, cert]);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
  });

  function without(prefix: string) {
    return goodExtensions(DOMAIN).filter((line) => !line.startsWith(prefix));
  }
});
