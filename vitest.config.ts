import { defineConfig } from 'vitest/config';

// Three kinds of test, one runner:
// - unit: pure modules, tests beside the code;
// - integration: the server built in-process against a real MySQL-compatible database;
// - browser: Debian's Chromium driven by playwright-core against a real running app.
export default defineConfig({
  test: {
    // The machine has 2 cores; browser and database tests are heavy.
    maxWorkers: 2,
    testTimeout: 30_000,
    // Waits for something another party does (a relay delivery, a page render) poll for up to
    // 10 s: the default second is too short on a loaded 2-core machine.
    expect: { poll: { timeout: 10_000, interval: 50 } },
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'server/**/*.test.ts',
            'client/src/**/*.test.ts',
            'scripts/**/*.test.ts',
            'docs/**/*.test.ts',
            'contract/**/*.test.ts',
          ],
          exclude: ['server/test/**', 'scripts/test/**', 'node_modules/**', 'dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['server/test/**/*.test.ts'],
          globalSetup: ['test/support/database-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['client/test/**/*.test.ts'],
          globalSetup: ['test/support/database-setup.ts', 'test/support/client-build-setup.ts'],
          // Each file starts its own Chromium; one file at a time keeps the 2 cores responsive.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // The deployment: certificate scripts, compose file, nginx config, and the Docker-less
          // stack (scripts/stack.sh) probed with openssl, Node and Chromium.
          name: 'stack',
          include: ['nginx/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          globalSetup: ['test/support/database-setup.ts', 'test/support/app-build-setup.ts'],
          // Each file starts its own stack (nginx, app, database); one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
