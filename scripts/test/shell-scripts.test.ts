/**
 * The deployment's shell scripts parse (bash -n / sh -n) and pass ShellCheck, each in the shell
 * it is written for (render.sh and runtime-tree.sh are POSIX sh: they run in the nginx and Node
 * images too).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from '../../test/support/run.js';

const scripts: [string, 'bash' | 'sh'][] = [
  ['scripts/make-ca.sh', 'bash'],
  ['scripts/issue-server-cert.sh', 'bash'],
  ['scripts/verify-cert.sh', 'bash'],
  ['scripts/init-stack.sh', 'bash'],
  ['scripts/stack.sh', 'bash'],
  ['scripts/backup.sh', 'bash'],
  ['scripts/restore.sh', 'bash'],
  ['scripts/test.sh', 'bash'],
  ['scripts/install-system-deps.sh', 'bash'],
  ['scripts/mariadb-private.sh', 'bash'],
  ['scripts/runtime-tree.sh', 'sh'],
  ['nginx/render.sh', 'sh'],
];

describe.concurrent('deployment shell scripts', () => {
  it.each(scripts)('%s parses and passes ShellCheck', async (file, shell) => {
    const path = join(repoRoot, file);
    const parsed = await run(shell, ['-n', path]);
    expect(parsed.code, parsed.stderr).toBe(0);
    // Every severity, style included: zero findings.
    const checked = await run('shellcheck', ['--shell', shell, '--severity', 'style', path]);
    expect(checked.code, checked.stdout).toBe(0);
  });
});
