/**
 * SQL injection: every statement the server sends is drizzle's query builder or its `sql`
 * tagged template, whose interpolations become bound parameters (mysql2 placeholders), never
 * text spliced into SQL. Checked twice: statically over the server's source, and by sending the
 * classic payloads through every route that takes a user-chosen string into a query, against a
 * real database whose rows must stay as they were.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, signInPassword, signUp } from '../../test/support/api-client.js';
import { type RunningApp, startAppServer } from '../../test/support/app-server.js';
import { databaseName } from '../db/migrate.js';

const serverDir = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'test' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

const PAYLOADS = [
  "' OR '1'='1",
  "alice'; DROP TABLE users; --",
  '" OR ""="',
  "x' UNION SELECT password_hash FROM users -- ",
  '\\',
];

describe('SQL injection', () => {
  it('the server builds no SQL from strings: no sql.raw, no query text made of template literals or concatenation', () => {
    const files = sourceFiles(serverDir);
    expect(files.length).toBeGreaterThan(20);
    const findings: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const patterns: [RegExp, string][] = [
        [/sql\.raw\s*\(/, 'sql.raw'],
        [/\.(query|execute)\s*\(\s*`/, 'an untagged template literal as query text'],
        [/\.(query|execute)\s*\(\s*['"][^'"]*['"]\s*\+/, 'query text built by concatenation'],
        [/multipleStatements\s*:\s*true/, 'multiple statements per query'],
      ];
      for (const [pattern, what] of patterns) {
        if (pattern.test(text)) findings.push(`${file.slice(serverDir.length + 1)}: ${what}`);
      }
    }
    // The one exception: CREATE DATABASE names an identifier, which cannot be a bound
    // parameter; the name comes from the operator's DATABASE_URL and databaseName() allows
    // letters, digits and underscores only.
    expect(findings).toEqual(['db/migrate.ts: an untagged template literal as query text']);
    expect(databaseName('mysql://root@127.0.0.1:3306/parley_1')).toBe('parley_1');
    for (const payload of PAYLOADS) {
      expect(() => databaseName(`mysql://root@127.0.0.1/${encodeURIComponent(payload)}`)).toThrow();
    }
  });

  describe('payloads through the routes that query with user input', () => {
    let server: RunningApp;
    let client: ApiClient;
    const PASSWORD = 'copper meadow lantern';
    const rowCounts = async () => {
      const [rows] = await server.testDb.database.pool.query(
        'SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM webauthn_credentials) AS keys_, (SELECT COUNT(*) FROM sessions) AS sessions',
      );
      return (rows as Record<string, number>[])[0];
    };

    beforeAll(async () => {
      server = await startAppServer();
      client = new ApiClient(server.app, server.url);
      await signUp(client, server.captcha, 'sqlvictim', PASSWORD);
      await signUp(new ApiClient(server.app, server.url), server.captcha, 'sqlother', PASSWORD);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('a contact look-up with an injection payload finds no one and changes nothing', async () => {
      const before = await rowCounts();
      for (const payload of PAYLOADS) {
        const response = await client.get(`/api/users?username=${encodeURIComponent(payload)}`);
        expect(response.status, payload).toBeLessThan(500);
        if (response.status === 200) expect(response.body.users, payload).toEqual([]);
      }
      // The same route does find a real name: the payloads were read as names, nothing else.
      const real = await client.get('/api/users?username=sqlother');
      expect(real.body.users).toEqual([expect.objectContaining({ username: 'sqlother' })]);
      expect(await rowCounts()).toEqual(before);
    });

    it('a sign-in with an injection payload as username or password is an ordinary failure', async () => {
      const before = await rowCounts();
      for (const payload of PAYLOADS) {
        const asName = new ApiClient(server.app, server.url);
        asName.ip = '198.51.100.77';
        const byName = await signInPassword(asName, server.captcha, payload, PASSWORD);
        expect(byName.response.status, payload).toBeGreaterThanOrEqual(400);
        expect(byName.response.status, payload).toBeLessThan(500);
        const asPassword = new ApiClient(server.app, server.url);
        asPassword.ip = '198.51.100.78';
        const byPassword = await signInPassword(asPassword, server.captcha, 'sqlvictim', payload);
        expect(byPassword.response.status, payload).toBe(401);
      }
      // Nothing was read out or dropped: the same rows, and no session was made.
      const after = await rowCounts();
      expect(after).toEqual(before);
    });
  });
});
