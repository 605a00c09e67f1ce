/**
 * Chromium that trusts the stack's CA the way a user's would: through an NSS certificate
 * database under its HOME (what "trust this CA" does on Linux), never by ignoring certificate
 * errors. Names under comp3334.xavier2dc.fr resolve to loopback, as public DNS resolves them.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';

const run = promisify(execFile);

export const RESOLVE_TO_LOOPBACK =
  '--host-resolver-rules=MAP *.comp3334.xavier2dc.fr 127.0.0.1, EXCLUDE localhost';

/** A HOME folder whose NSS database trusts `caFile` for TLS servers (or trusts nothing). */
export async function nssHome(caFile?: string): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'parley-chromium-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  await run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  if (caFile) {
    await run('certutil', [
      '-d',
      `sql:${db}`,
      '-A',
      '-t',
      'C,,',
      '-n',
      'Parley test CA',
      '-i',
      caFile,
    ]);
  }
  return home;
}

/** Chromium whose HOME's NSS database trusts `caFile` (none when omitted). */
export async function launchTrustingChromium(caFile?: string): Promise<Browser> {
  const home = await nssHome(caFile);
  const browser = await launchChromium({
    args: [RESOLVE_TO_LOOPBACK],
    env: { ...process.env, HOME: home },
  });
  // The HOME (and its NSS database) goes when the browser does.
  browser.on('disconnected', () => rmSync(home, { recursive: true, force: true }));
  return browser;
}
