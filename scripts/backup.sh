#!/usr/bin/env bash
# Saves a running Parley deployment's data, the database and the secrets it cannot be read
# without, together into one archive (mode 0600):
#
#   scripts/backup.sh [FILE]             the Docker-less stack in STACK_DIR (default .tmp/stack)
#   scripts/backup.sh --compose [FILE]   the compose deployment of this folder (docker compose
#                                        exec into `db`, run of the one-shot `init` image)
#
# FILE defaults to backups/parley-<UTC time>.tar.gz. scripts/restore.sh puts it back. Inside:
#   parley-backup   what this is: format 1, when, from where
#   database.sql    a dump of the app's database (mariadb-dump or mysqldump, one transaction):
#                   tables and rows, never the server's accounts or grants
#   secrets/        the app's secret files: the pepper, and the authenticator-app (TOTP) key
#                   file when there is one; never the database passwords, which belong to the
#                   deployment's own database server
#   ca/             the deployment's own CA (ca.crt, ca.key) when it made one, so a restored
#                   deployment keeps the certificate users already trust (a CA given in ca/
#                   stays the operator's to keep)
# Without the pepper every stored password is unverifiable, so the two are only ever saved
# together. The archive holds the pepper and the CA key in clear: keep it as safe as the server.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
scripts=$root/scripts

die() { echo "backup: $*" >&2; exit 1; }

mode=stack
if [ "${1:-}" = --compose ]; then mode=compose; shift; fi
file=${1:-$root/backups/parley-$(date -u +%Y%m%dT%H%M%SZ).tar.gz}
[ $# -le 1 ] || die "usage: $0 [--compose] [FILE]"
[ ! -e "$file" ] || die "$file exists: not replacing it"

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/archive/secrets"

# docker compose (v2), else the older docker-compose; from this folder.
compose() {
  if docker compose version >/dev/null 2>&1; then
    (cd "$root" && docker compose "$@")
  else
    (cd "$root" && docker-compose "$@")
  fi
}

# The app's secret files from FOLDER into the archive: all but the database password copy.
take_secrets() {
  local from=$1 secret
  for secret in "$from"/*; do
    [ -f "$secret" ] || continue
    case "$(basename "$secret")" in db_password | *.new) continue ;; esac
    cp "$secret" "$work/archive/secrets/"
  done
  [ -s "$work/archive/secrets/pepper" ] || die "no pepper in $from: nothing worth a backup"
}

# Our own CA from FOLDER, when there is one.
take_ca() {
  local from=$1
  if [ -f "$from/ca.key" ] && [ -f "$from/ca.crt" ]; then
    mkdir -p "$work/archive/ca"
    cp "$from/ca.crt" "$from/ca.key" "$work/archive/ca/"
  fi
}

if [ "$mode" = stack ]; then
  state=${STACK_DIR:-$root/.tmp/stack}
  [ -f "$state/database-url" ] || die "no stack in $state (scripts/stack.sh up first)"
  source_name="stack $state"
  database=$(node "$scripts/stack-probe.mjs" db-client-config "$(cat "$state/database-url")" "$work/client.cnf")
  dump=$(command -v mariadb-dump || command -v mysqldump) || die "mariadb-dump not found (apt-get install mariadb-client)"
  "$dump" --defaults-extra-file="$work/client.cnf" --single-transaction --routines --triggers \
    --no-tablespaces "$database" >"$work/archive/database.sql"
  take_secrets "$state/secrets"
  take_ca "$state/ca"
else
  source_name="compose $root"
  # Inside the db container: its own mysqldump over its socket, as root (the password file
  # becomes a client option file in the container's /tmp, never an argument).
  # shellcheck disable=SC2016 # expanded by the container's shell
  compose exec -T db sh -c 'umask 077
    printf "[client]\nuser=root\npassword=\"%s\"\n" "$(cat /run/parley/db_root_password)" >/tmp/parley-backup.cnf
    mysqldump --defaults-extra-file=/tmp/parley-backup.cnf --single-transaction --routines \
      --triggers --no-tablespaces parley
    status=$?; rm -f /tmp/parley-backup.cnf; exit $status' >"$work/archive/database.sql"
  database=parley
  # The secrets and CA volumes, as the init image sees them.
  compose run --rm --no-deps -T init tar -C /state -cf - app-secrets ca >"$work/volumes.tar"
  mkdir -p "$work/volumes"
  tar -C "$work/volumes" -xf "$work/volumes.tar"
  take_secrets "$work/volumes/app-secrets"
  take_ca "$work/volumes/ca"
fi

# A dump that stopped half-way has no completion line.
grep -q '^-- Dump completed' "$work/archive/database.sql" || die "the database dump is incomplete"
cat >"$work/archive/parley-backup" <<EOF
format=1
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
source=$source_name
database=$database
EOF

mkdir -p "$(dirname "$file")"
tar -C "$work/archive" -czf "$file.partial" .
chmod 0600 "$file.partial"
mv "$file.partial" "$file"
echo "backup: $file ($(du -h "$file" | cut -f1); database $database, secrets: $(cd "$work/archive/secrets" && echo *)$([ -d "$work/archive/ca" ] && echo ', our CA'))"
