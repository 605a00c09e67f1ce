/** `openssl s_client` probes of a running stack: what a TLS client really negotiates. */
import { spawn } from 'node:child_process';

export interface Probe {
  /** Exit code of s_client (non-zero when the handshake failed). */
  code: number;
  /** stdout and stderr together. */
  output: string;
}

/**
 * Runs s_client against 127.0.0.1:port with the given arguments. Standard input stays open for
 * `holdMs` so that messages sent after the handshake (TLS 1.3 session tickets) arrive.
 */
export function sClient(port: number, args: string[], holdMs = 0): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    setTimeout(() => child.stdin.end(), holdMs);
  });
}

/** The alert number in a refused handshake's output ("SSL alert number 40"), if any. */
export function alertNumber(probe: Probe): number | undefined {
  const match = /SSL alert number (\d+)/.exec(probe.output);
  return match ? Number(match[1]) : undefined;
}
