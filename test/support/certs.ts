/**
 * Certificates made directly with openssl (not with our scripts), to feed the verification
 * script deliberately wrong ones and to play an operator's own CA.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl } from './run.js';

export interface CertSpec {
  /** Folder for the key, request, config and certificate. */
  dir: string;
  caCert: string;
  caKey: string;
  commonName: string;
  /** The extension lines (OpenSSL config syntax) of the certificate. */
  extensions: string[];
  days?: number;
  /** genpkey arguments for the subject key. */
  keyAlgorithm?: string[];
  digest?: string;
}

export const P384 = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'];
export const P256 = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
export const RSA2048 = ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];

/** The extensions the brief asks for, for DOMAIN. */
export function goodExtensions(domain: string): string[] {
  return [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    `subjectAltName = DNS:${domain}, DNS:*.${domain}`,
  ];
}

/** Issues a certificate with `openssl x509 -req` and returns its path. */
export async function issueCert(spec: CertSpec): Promise<string> {
  mkdirSync(spec.dir, { recursive: true });
  const key = join(spec.dir, 'leaf.key');
  const csr = join(spec.dir, 'leaf.csr');
  const cert = join(spec.dir, 'leaf.crt');
  const cnf = join(spec.dir, 'leaf.cnf');
  writeFileSync(cnf, `[ext]\n${spec.extensions.join('\n')}\n`);
  await openssl(['genpkey', ...(spec.keyAlgorithm ?? P384), '-out', key]);
  await openssl(['req', '-new', '-key', key, '-subj', `/CN=${spec.commonName}`, '-out', csr]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    spec.caCert,
    '-CAkey',
    spec.caKey,
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-days',
    String(spec.days ?? 90),
    `-${spec.digest ?? 'sha384'}`,
    '-extfile',
    cnf,
    '-extensions',
    'ext',
    '-out',
    cert,
  ]);
  return cert;
}

/**
 * A CA made the way an operator (or the course) might, without our script: P-384, SHA-384,
 * name-constrained to comp3334.xavier2dc.fr. Returns the paths of its certificate and key.
 */
export async function makeOperatorCa(dir: string): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'ca.key');
  const cert = join(dir, 'ca.crt');
  await openssl(['genpkey', ...P384, '-out', key]);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-sha384',
    '-days',
    '365',
    '-subj',
    '/O=Operator/CN=Operator test CA',
    '-addext',
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    '-addext',
    'keyUsage = critical, keyCertSign, cRLSign',
    '-addext',
    'nameConstraints = critical, permitted;DNS:comp3334.xavier2dc.fr',
    '-out',
    cert,
  ]);
  return { cert, key };
}

/** YYYYMMDDHHMMSSZ, as `openssl ca -startdate/-enddate` takes it. */
function generalizedTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * A certificate with every property right but issued in the past: validity exactly 90 days,
 * starting `daysAgo` days ago. `openssl x509 -req` cannot backdate; `openssl ca` can.
 */
export async function issueBackdatedCert(
  spec: Omit<CertSpec, 'days'> & { daysAgo: number },
): Promise<string> {
  const dir = spec.dir;
  mkdirSync(join(dir, 'issued'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), `${randomBytes(16).toString('hex')}\n`);
  const cnf = join(dir, 'ca.cnf');
  writeFileSync(
    cnf,
    [
      '[ca]',
      'default_ca = backdating',
      '[backdating]',
      `database = ${join(dir, 'index.txt')}`,
      `serial = ${join(dir, 'serial')}`,
      `new_certs_dir = ${join(dir, 'issued')}`,
      `certificate = ${spec.caCert}`,
      `private_key = ${spec.caKey}`,
      'default_md = sha384',
      'policy = anything',
      'unique_subject = no',
      'copy_extensions = none',
      '[anything]',
      'commonName = supplied',
      '[ext]',
      ...spec.extensions,
      '',
    ].join('\n'),
  );
  const key = join(dir, 'leaf.key');
  const csr = join(dir, 'leaf.csr');
  const cert = join(dir, 'leaf.crt');
  await openssl(['genpkey', ...(spec.keyAlgorithm ?? P384), '-out', key]);
  await openssl(['req', '-new', '-key', key, '-subj', `/CN=${spec.commonName}`, '-out', csr]);
  const start = new Date(Date.now() - spec.daysAgo * 86_400_000);
  start.setUTCMilliseconds(0);
  const end = new Date(start.getTime() + 90 * 86_400_000);
  await openssl([
    'ca',
    '-batch',
    '-config',
    cnf,
    '-extensions',
    'ext',
    '-startdate',
    generalizedTime(start),
    '-enddate',
    generalizedTime(end),
    '-in',
    csr,
    '-out',
    cert,
    '-notext',
  ]);
  return cert;
}
