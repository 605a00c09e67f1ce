# Parley's images, one multi-stage file (docker-compose.yaml builds two targets from it):
#   build  installs every dependency, builds the client (Vite) and server (tsc), drops dev deps
#   app    the runtime: Node.js LTS, production dependencies and the build only, non-root
#   init   the one-shot first-start step: CA, server certificate, database password and pepper
# Base images are on a release line's tag, never "latest": node:24-bookworm-slim is the official
# image's tag for the Node.js 24 line on Debian bookworm; it exists as long as the line does and
# moves to its patch releases on `docker compose build --pull`. (No exact patch tag: none could be
# pulled here to check it.)

# Node.js 24 "Krypton", an LTS line supported until April 2028.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# The sources: server/, client/ and contract/ (what both import; the build needs all three).
COPY . .
# The runtime tree (scripts/runtime-tree.sh: package.json, the build, the migrations, the
# server's assets such as the CAPTCHA font) and production-only node_modules.
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && sh scripts/runtime-tree.sh /out

FROM node:24-bookworm-slim AS app
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ /app/
COPY --from=build /src/node_modules /app/node_modules
# The image's unprivileged "node" user (uid 1000) runs the server; the code is root-owned and
# read-only to it.
USER node
EXPOSE 3000
# The same command as `npm start`; node as PID 1 handles SIGTERM itself (graceful shutdown).
# Migrations run at start, after waiting for the database (server/main.ts).
CMD ["node", "dist/server/main.js"]

FROM node:24-bookworm-slim AS init
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/parley
COPY scripts/make-ca.sh scripts/issue-server-cert.sh scripts/verify-cert.sh scripts/init-stack.sh /opt/parley/scripts/
# Runs as root: it writes into the volumes and hands the app's secrets to uid 1000.
CMD ["bash", "/opt/parley/scripts/init-stack.sh"]
