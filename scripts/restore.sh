#!/usr/bin/env bash
# Puts back a backup made by scripts/backup.sh: the database and the secrets, together.
#
#   scripts/restore.sh [--force] FILE            into the Docker-less stack in STACK_DIR (default
#                                                .tmp/stack), which must be down: the secrets and
#                                                CA now, the database at the next
#                                                `scripts/stack.sh up`, before the app starts
#   scripts/restore.sh --compose [--force] FILE  into the compose deployment of this folder: stops
#                                                the app and nginx, loads the database, installs
#                                                the secrets and CA, starts everything again
#   scripts/restore.sh --load-database URL FILE  (scripts/stack.sh's step) load a dump into URL's
#                                                database, creating it when missing
#
# A deployment whose pepper differs from the backup's already holds accounts that only its own
# pepper verifies: restore refuses to replace it unless --force is given.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
scripts=$root/scripts

die() { echo "restore: $*" >&2; exit 1; }
say() { echo "restore: $*" >&2; }
usage() { die "usage: $0 [--compose] [--force] FILE | --load-database URL FILE"; }

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

load_database() {
  local url=$1 dump=$2 database client
  database=$(node "$scripts/stack-probe.mjs" db-client-config "$url" "$work/client.cnf")
  client=$(command -v mariadb || command -v mysql) || die "the mariadb client is not installed (apt-get install mariadb-client)"
  "$client" --defaults-extra-file="$work/client.cnf" -e "CREATE DATABASE IF NOT EXISTS \`$database\`"
  "$client" --defaults-extra-file="$work/client.cnf" "$database" <"$dump"
}

if [ "${1:-}" = --load-database ]; then
  [ $# = 3 ] || usage
  load_database "$2" "$3"
  exit 0
fi

mode=stack force=0 file=''
while [ $# -gt 0 ]; do
  case "$1" in
    --compose) mode=compose; shift ;;
    --force) force=1; shift ;;
    -*) usage ;;
    *) [ -z "$file" ] || usage; file=$1; shift ;;
  esac
done
[ -n "$file" ] || usage
[ -r "$file" ] || die "cannot read $file"

mkdir -p "$work/archive"
tar -C "$work/archive" -xzf "$file" || die "$file is not a backup archive"
grep -qx 'format=1' "$work/archive/parley-backup" 2>/dev/null || die "$file is not a Parley backup (format 1)"
[ -s "$work/archive/secrets/pepper" ] || die "$file holds no pepper"
[ -s "$work/archive/database.sql" ] || die "$file holds no database dump"

# Refuses to overwrite another pepper (FILE: the deployment's current one, maybe empty).
check_pepper() {
  local current=$1
  if [ -s "$current" ] && ! cmp -s "$current" "$work/archive/secrets/pepper" && [ "$force" = 0 ]; then
    die "this deployment has another pepper: its accounts would become unverifiable (--force replaces it)"
  fi
}

if [ "$mode" = stack ]; then
  state=${STACK_DIR:-$root/.tmp/stack}
  if STACK_DIR=$state bash "$scripts/stack.sh" status >/dev/null; then
    die "the stack in $state is running: scripts/stack.sh down first"
  fi
  check_pepper "$state/secrets/pepper"
  mkdir -p "$state/secrets" "$state/restore"
  chmod 0700 "$state/secrets" "$state/restore"
  for secret in "$work/archive/secrets"/*; do
    rm -f "$state/secrets/$(basename "$secret")"
    install -m 0400 "$secret" "$state/secrets/"
  done
  if [ -f "$work/archive/ca/ca.key" ]; then
    # init-stack.sh then issues a new server certificate from it: the old one no longer verifies.
    mkdir -p "$state/ca"
    rm -f "$state/ca/ca.key" "$state/ca/ca.crt"
    install -m 0600 "$work/archive/ca/ca.key" "$state/ca/"
    install -m 0644 "$work/archive/ca/ca.crt" "$state/ca/"
  fi
  install -m 0600 "$work/archive/database.sql" "$state/restore/database.sql"
  say "secrets$([ -f "$work/archive/ca/ca.key" ] && echo ' and CA') restored into $state; scripts/stack.sh up loads the database before the app starts"
  exit 0
fi

# compose
compose() {
  if docker compose version >/dev/null 2>&1; then
    (cd "$root" && docker compose "$@")
  else
    (cd "$root" && docker-compose "$@")
  fi
}
current=$work/current-pepper
compose run --rm --no-deps -T init sh -c 'cat /state/app-secrets/pepper 2>/dev/null || true' >"$current"
check_pepper "$current"

say "stopping the app and nginx; starting the database"
compose stop app nginx
compose up -d db
for attempt in $(seq 1 60); do
  compose exec -T db mysqladmin ping --host=127.0.0.1 --silent >/dev/null 2>&1 && break
  [ "$attempt" = 60 ] && die "the database did not answer within 2 minutes"
  sleep 2
done

say "loading the database"
# shellcheck disable=SC2016 # expanded by the container's shell
compose exec -T db sh -c 'umask 077
  printf "[client]\nuser=root\npassword=\"%s\"\n" "$(cat /run/parley/db_root_password)" >/tmp/parley-restore.cnf
  mysql --defaults-extra-file=/tmp/parley-restore.cnf parley
  status=$?; rm -f /tmp/parley-restore.cnf; exit $status' <"$work/archive/database.sql"

say "installing the secrets"
mkdir -p "$work/archive/ca"
# shellcheck disable=SC2016 # expanded by the init container's shell
tar -C "$work/archive" -cf - secrets ca | compose run --rm --no-deps -T init sh -c 'set -e
  umask 077; mkdir -p /tmp/restore; tar -C /tmp/restore -xf -
  for secret in /tmp/restore/secrets/*; do
    rm -f "/state/app-secrets/$(basename "$secret")"
    install -m 0400 -o "$APP_UID" "$secret" /state/app-secrets/
  done
  if [ -f /tmp/restore/ca/ca.key ]; then
    rm -f /state/ca/ca.key /state/ca/ca.crt
    install -m 0600 /tmp/restore/ca/ca.key /state/ca/
    install -m 0644 /tmp/restore/ca/ca.crt /state/ca/
  fi'

say "starting everything again (init re-issues the certificate when the CA changed)"
compose up -d
