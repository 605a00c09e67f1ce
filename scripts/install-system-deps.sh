#!/usr/bin/env bash
# Installs the Debian packages Parley's tests and Docker-less stack need, when missing.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail

# command -> package that provides it
declare -A needed=(
  [chromium]=chromium
  [nginx]=nginx
  [openssl]=openssl
  [mariadbd]=mariadb-server
  [mariadb-dump]=mariadb-client
  [certutil]=libnss3-tools
  [docker-compose]=docker-compose
  [envsubst]=gettext-base
  [shellcheck]=shellcheck
  [redis-server]=redis-server
)

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

missing=()
for command in "${!needed[@]}"; do
  have "$command" || missing+=("${needed[$command]}")
done
[ -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || missing+=(fonts-liberation)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}"
# Packages must not start their services (a system MariaDB or nginx): tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
