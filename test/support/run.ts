/** Runs a command and keeps its exit code and output, failing or not. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const scriptsDir = join(repoRoot, 'scripts');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeout ?? 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs one of the repository's scripts with bash. */
export function script(name: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Ran> {
  return run('bash', [join(scriptsDir, name), ...args], env ? { env } : {});
}

/** Runs openssl and throws with its output when it fails. */
export async function openssl(args: string[], cwd?: string): Promise<string> {
  const ran = await run('openssl', args, cwd ? { cwd } : {});
  if (ran.code !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${ran.stderr}`);
  return ran.stdout;
}
