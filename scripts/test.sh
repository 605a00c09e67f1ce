#!/usr/bin/env bash
# Parley's one test command: from a fresh Debian machine with Node.js 20, installs what is
# missing, then runs typecheck, lint, build and every test (unit, integration, browser,
# end-to-end), and leaves no process running.
set -euo pipefail
cd "$(dirname "$0")/.."

cleanup() {
  # Anything a test left behind in this process group (a server, a browser) goes with us.
  local children
  children=$(jobs -p)
  [ -z "$children" ] || kill $children 2>/dev/null || true
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "system packages"
bash scripts/install-system-deps.sh
step "npm ci"
npm ci --no-audit --no-fund --loglevel=error
step "typecheck"
npm run --silent typecheck
step "lint"
npm run --silent lint
step "build"
npm run --silent build
step "tests"
mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-results.json || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest-results.json", "utf8"));
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
