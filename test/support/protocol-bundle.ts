/**
 * The E2EE protocol and keystore bundled by Vite for a Chromium page, served through request
 * interception at http://localhost:<port>/ (a secure context, so WebCrypto, localStorage and
 * navigator.locks are the browser's own). No server and no CSP: the page exists only to run
 * the protocol code in the browser.
 */
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { build, type Rolldown } from 'vite';

const entry = join(import.meta.dirname, 'protocol-entry.ts');

export async function bundleProtocol(): Promise<string> {
  const result = (await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['es'], fileName: 'protocol' },
    },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  const output = Array.isArray(result) ? result[0] : result;
  const chunk = output?.output.find((item) => item.type === 'chunk');
  if (chunk?.type !== 'chunk') throw new Error('the protocol bundle has no chunk');
  return chunk.code;
}

/** Serves a page at `origin` that exposes the bundle as `window.parley`. */
export async function serveProtocolPage(context: BrowserContext, origin: string, code: string) {
  await context.route(`${origin}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/protocol.js') {
      return route.fulfill({ contentType: 'text/javascript', body: code });
    }
    if (path === '/boot.js') {
      return route.fulfill({
        contentType: 'text/javascript',
        body: "import * as parley from '/protocol.js'; window.parley = parley; document.title = 'ready';",
      });
    }
    return route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><title>loading</title><script type="module" src="/boot.js"></script>',
    });
  });
}
