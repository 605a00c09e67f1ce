import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RandomSource } from './random.js';
import { systemRandom } from './random.js';
import { loadOrCreatePepper, PEPPER_MIN_BYTES } from './secrets.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-pepper-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fixed = (byte: number): RandomSource => ({ bytes: (n) => new Uint8Array(n).fill(byte) });

describe('loadOrCreatePepper (NIST 800-63B §5.1.1.2: a secret salt ≥ 112 bits, kept apart)', () => {
  it('creates a missing file, and its folder, with 32 bytes from the random source', () => {
    const file = join(dir, 'secrets', 'pepper');
    const pepper = loadOrCreatePepper(file, fixed(0xab));
    expect(pepper).toEqual(new Uint8Array(32).fill(0xab));
    expect(readFileSync(file, 'utf8').trim()).toBe(Buffer.from(pepper).toString('base64'));
  });

  it('makes the file readable by its owner only (0600), its new folder 0700', () => {
    const file = join(dir, 'secrets', 'pepper');
    loadOrCreatePepper(file, systemRandom);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
  });

  it('reuses the pepper on the next start', () => {
    const file = join(dir, 'pepper');
    const first = loadOrCreatePepper(file, systemRandom);
    const second = loadOrCreatePepper(file, fixed(0));
    expect(second).toEqual(first);
  });

  it('reads a base64 file (with a trailing newline) and a raw binary file', () => {
    const base64File = join(dir, 'b64');
    const key = Uint8Array.from({ length: 48 }, (_, i) => i * 5);
    writeFileSync(base64File, `${Buffer.from(key).toString('base64')}\n`);
    expect(loadOrCreatePepper(base64File, fixed(0))).toEqual(key);

    const rawFile = join(dir, 'raw');
    const raw = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i); // not base64 text
    writeFileSync(rawFile, raw);
    expect(loadOrCreatePepper(rawFile, fixed(0))).toEqual(raw);
  });

  it('refuses a pepper shorter than 32 bytes, with a clear error', () => {
    const file = join(dir, 'short');
    writeFileSync(file, Buffer.alloc(16, 1).toString('base64'));
    expect(() => loadOrCreatePepper(file, systemRandom)).toThrow(
      /16 bytes; at least 32 random bytes are required/,
    );
    writeFileSync(file, '');
    expect(() => loadOrCreatePepper(file, systemRandom)).toThrow(/at least 32/);
    expect(PEPPER_MIN_BYTES * 8).toBeGreaterThanOrEqual(112);
  });

  it('refuses a random source that returns too few bytes', () => {
    const short: RandomSource = { bytes: () => new Uint8Array(8) };
    expect(() => loadOrCreatePepper(join(dir, 'pepper'), short)).toThrow(/too few bytes/);
  });
});
