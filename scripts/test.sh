#!/usr/bin/env bash
# Parley's one test command: from a fresh Debian machine with Node.js 20, installs what is
# missing, then runs typecheck, lint, build and every test (unit, integration, browser,
# end-to-end), and leaves no process running.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests run in a session of their own: whatever a test leaves behind in it (a server, a
# browser), or everything when this script is interrupted, is stopped on the way out.
tests_group=''
trap '[ -z "$tests_group" ] || kill -TERM -- "-$tests_group" 2>/dev/null || true' EXIT

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
setsid npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-results.json &
tests_group=$!
wait "$tests_group" || status=$?
# shellcheck disable=SC2016 # JavaScript's ${...}, not the shell's
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest-results.json", "utf8"));
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
