#!/bin/sh
# Assembles the app's runtime files from a built checkout into OUT_DIR: what the Dockerfile's app
# image holds besides node_modules (copied there from the pruned build), and what a test starts
# without Docker to prove the image's tree is complete.
#
#   scripts/runtime-tree.sh OUT_DIR      (run from the repository root, after `npm run build`)
#
# package.json (the server finds its root by it), the build (dist/: server and client), the
# migrations, and the server's non-code assets read at run time (e.g. the CAPTCHA font).
set -eu
out=${1:?usage: scripts/runtime-tree.sh OUT_DIR}
if [ ! -f dist/server/main.js ] || [ ! -f dist/client/index.html ]; then
  echo "runtime-tree.sh: no build here (run npm run build first)" >&2
  exit 1
fi
mkdir -p "$out/db"
cp package.json "$out/"
cp -R dist "$out/dist"
cp -R db/migrations "$out/db/migrations"
find server -path server/test -prune -o -type f ! -name '*.ts' -print | while read -r file; do
  mkdir -p "$out/$(dirname "$file")"
  cp "$file" "$out/$file"
done
