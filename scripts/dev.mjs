// `npm run dev`: the server with reload (tsx watch) and Vite's dev server with HMR, together.
// Open the URL Vite prints (http://localhost:5173/); it proxies /api (and the WebSocket) to the
// server on :3000, whose PUBLIC_ORIGIN is therefore Vite's origin (WebAuthn and the CSRF
// origin check compare against it).
import { spawn } from 'node:child_process';

const children = [
  spawn('npx', ['tsx', 'watch', '--clear-screen=false', 'server/main.ts'], {
    stdio: 'inherit',
    env: { NODE_ENV: 'development', PUBLIC_ORIGIN: 'http://localhost:5173', ...process.env },
  }),
  spawn('npx', ['vite', '--config', 'client/vite.config.ts'], { stdio: 'inherit' }),
];

const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) {
  child.on('exit', (code) => {
    stop();
    process.exitCode = code ?? 0;
  });
}
