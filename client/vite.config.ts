import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const apiTarget = process.env.PARLEY_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root,
  publicDir: 'public',
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    // The CSP forbids inline code: keep every script and style in its own file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // No source maps in the build: production would serve the full sources (issue 10). The dev
    // server (`npm run dev`) still maps modules for debugging.
    sourcemap: false,
  },
  server: {
    // The server's PUBLIC_ORIGIN in `npm run dev` is this exact origin.
    host: 'localhost',
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: apiTarget, ws: true },
      '/healthz': apiTarget,
    },
  },
});
