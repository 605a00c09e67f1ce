#!/usr/bin/env bash
# The compose stack without Docker, on a Debian machine, on loopback, in the background:
#
#   scripts/stack.sh up             start; returns once https://DOMAIN:HTTPS_PORT/healthz answers
#   scripts/stack.sh down [--purge] stop exactly what `up` started; --purge also drops the stack's
#                                   database (when on a shared server) and deletes its state folder
#   scripts/stack.sh status         say what runs
#   scripts/stack.sh renew          re-issue the server certificate when fewer than 30 days are
#                                   left (scripts/init-stack.sh), and make the running nginx
#                                   load it (SIGHUP: a reload, no connection dropped)
#
# The parts are the same as in docker-compose.yaml: a MySQL-compatible server (the one at
# 127.0.0.1:3306 if it answers, else a private mariadbd), the built app started with the
# production command (`npm start`, NODE_ENV=production), Debian's nginx with the same
# nginx/nginx.conf.template (rendered by nginx/render.sh), and the CA, certificate and pepper
# from scripts/init-stack.sh. An operator's CA in ca/ca.crt + ca/ca.key is used when present.
#
# Settings (environment, else .env, else .env.example): DOMAIN, HTTPS_PORT, HTTP_PORT.
# STACK_DIR         state folder (default .tmp/stack): certificates, secrets, logs, pids
# STACK_APP_PORT    the app's loopback port (default: a free one)
# STACK_INSTANCES   app instances behind nginx (default 1); from 2, a private redis-server in
#                   STACK_DIR carries what they share (REDIS_URL), as docker-compose.scale.yaml
# STACK_DATABASE_URL  the app's full database URL (default: database STACK_DATABASE_NAME on
#                   DATABASE_URL's server, else 127.0.0.1:3306, else a private mariadbd in
#                   STACK_DIR; STACK_PRIVATE_DB=1 always takes the latter)
# STACK_DATABASE_NAME the database's name (default parley_stack_<10 hex digits of the SHA-256 of
#                   STACK_DIR's path>: each state folder has its own, so one stack's
#                   `down --purge` never drops another's data)
# STACK_NODE_ENV    the app's NODE_ENV (default production; end-to-end tests use test, with
#                   CAPTCHA_TEST_MODE=on, which the app refuses in production)
# Every other environment variable reaches the app (e.g. LOG_LEVEL, CAPTCHA_TEST_MODE).
# -E: the ERR trap `up` sets also fires for a command failing inside a function it calls.
set -Eeuo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
scripts=$root/scripts

command=${1:-}
purge=0
[ "${2:-}" = --purge ] && purge=1
state=${STACK_DIR:-$root/.tmp/stack}
mkdir -p "$state"
state=$(cd "$state" && pwd)

say() { echo "stack: $*" >&2; }
die() { say "$*"; exit 1; }

find_bin() {
  local candidate
  for candidate in "$@"; do
    if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
    [ -x "/usr/sbin/$candidate" ] && { echo "/usr/sbin/$candidate"; return 0; }
  done
  return 1
}

# KEY=VALUE from .env, else .env.example; the environment wins. Only known keys are read.
load_settings() {
  local file=$root/.env key value
  [ -f "$file" ] || file=$root/.env.example
  if [ -f "$file" ]; then
    while IFS='=' read -r key value; do
      case "$key" in
        DOMAIN | HTTPS_PORT | HTTP_PORT)
          [ -n "${!key:-}" ] || printf -v "$key" '%s' "$value" ;;
      esac
    done < <(grep -E '^[A-Z_]+=' "$file")
  fi
  DOMAIN=${DOMAIN:-group-10.comp3334.xavier2dc.fr}
  HTTPS_PORT=${HTTPS_PORT:-8443}
  HTTP_PORT=${HTTP_PORT:-8080}
}

# Is a process we recorded still the one we started? (A pid may be reused after a reboot.)
alive() {
  local pid=$1 name=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "$name" "/proc/$pid/cmdline" 2>/dev/null
}

# Stops a process (target PID) or a whole process group (target -PGID), politely then not.
stop_pid() {
  local target=$1
  kill -TERM "$target" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$target" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$target" 2>/dev/null || true
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The CA the server certificate chains to: an operator's in ca/, else the stack's own.
ca_cert_file() {
  if [ -f "$root/ca/ca.key" ]; then echo "$root/ca/ca.crt"; else echo "$state/ca/ca.crt"; fi
}

fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

# The database named after this state folder, unless STACK_DATABASE_NAME names one.
default_database_name() {
  local hash
  hash=$(printf '%s' "$state" | sha256sum | cut -c1-10)
  echo "parley_stack_$hash"
}

down() {
  local pid
  if [ -f "$state/nginx/run/nginx.pid" ]; then
    pid=$(cat "$state/nginx/run/nginx.pid")
    if alive "$pid" nginx; then say "stopping nginx ($pid)"; stop_pid "$pid"; fi
    rm -f "$state/nginx/run/nginx.pid"
  fi
  local pid_file
  for pid_file in "$state"/app.pid "$state"/app-*.pid; do
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    # The app runs in its own session: its process group holds npm and node, nothing else.
    if alive "$pid" npm; then say "stopping the app (process group $pid)"; stop_pid "-$pid"; fi
    rm -f "$pid_file"
  done
  if [ -f "$state/redis/redis.pid" ]; then
    pid=$(cat "$state/redis/redis.pid")
    if alive "$pid" redis-server; then say "stopping the private redis-server ($pid)"; stop_pid "$pid"; fi
    rm -f "$state/redis/redis.pid"
  fi
  # A database on a shared server is dropped on --purge; a private server's goes with its folder.
  if [ "$purge" = 1 ] && [ -f "$state/database-created" ] && [ ! -d "$state/mariadb" ]; then
    node "$scripts/stack-probe.mjs" db-drop "$(cat "$state/database-created")" \
      || say "could not drop the stack's database"
  fi
  if [ -f "$state/mariadb/mysqld.pid" ]; then
    say "stopping the private mariadbd"
    bash "$scripts/mariadb-private.sh" stop "$state/mariadb"
  fi
  if [ "$purge" = 1 ]; then
    rm -rf "$state"
    say "purged $state"
  fi
}

status() {
  local running=0
  [ -f "$state/nginx/run/nginx.pid" ] && alive "$(cat "$state/nginx/run/nginx.pid")" nginx && { echo "nginx: running"; running=1; }
  local pid_file
  for pid_file in "$state"/app.pid "$state"/app-*.pid; do
    [ -f "$pid_file" ] && alive "$(cat "$pid_file")" npm && { echo "$(basename "$pid_file" .pid): running"; running=1; }
  done
  [ -f "$state/redis/redis.pid" ] && alive "$(cat "$state/redis/redis.pid")" redis-server && echo "private redis-server: running"
  [ -f "$state/mariadb/mysqld.pid" ] && kill -0 "$(cat "$state/mariadb/mysqld.pid")" 2>/dev/null && echo "private mariadbd: running"
  if [ "$running" = 0 ]; then
    echo "stack in $state: not running (start it with: $0 up)"
    return 1
  fi
}

# 1. The database server and the stack's database; sets database_url.
start_database() {
  local server
  if [ -n "${STACK_DATABASE_URL:-}" ]; then
    database_url=$STACK_DATABASE_URL
  else
    if [ "${STACK_PRIVATE_DB:-}" = 1 ]; then
      server=''
    elif [ -n "${DATABASE_URL:-}" ]; then
      server=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/"; console.log(u.toString())' "$DATABASE_URL")
    elif node "$scripts/stack-probe.mjs" db-ping mysql://root@127.0.0.1:3306/ 2>/dev/null; then
      server=mysql://root@127.0.0.1:3306/
    else
      server=''
    fi
    if [ -z "$server" ]; then
      local db_port
      db_port=$(node "$scripts/stack-probe.mjs" free-port)
      say "starting a private mariadbd on 127.0.0.1:$db_port"
      bash "$scripts/mariadb-private.sh" start "$state/mariadb" "$db_port"
      server=mysql://root@127.0.0.1:$db_port/
    fi
    database_url=${server%/}/${STACK_DATABASE_NAME:-$(default_database_name)}
    echo "$database_url" >"$state/database-created"
  fi
  # What scripts/backup.sh dumps.
  echo "$database_url" >"$state/database-url"
  # A backup that scripts/restore.sh put here is loaded before the app first sees the database.
  if [ -f "$state/restore/database.sql" ]; then
    say "loading the restored database"
    bash "$scripts/restore.sh" --load-database "$database_url" "$state/restore/database.sql"
    rm -rf "$state/restore"
  fi
}

# 2. Certificates and the pepper: the same script as compose's init service.
prepare_secrets() {
  DOMAIN=$DOMAIN CA_DIR=$state/ca GIVEN_CA_DIR=$root/ca TLS_DIR=$state/tls \
    APP_SECRETS_DIR=$state/secrets bash "$scripts/init-stack.sh" >>"$state/init.log"
}

# 3. The app, with the production start command, in its own session (so `down` can stop npm and
# node together, and nothing else); STACK_INSTANCES of them, sharing through a private
# redis-server when more than one. Sets app_upstream (their addresses, for nginx).
start_redis() {
  local redis_port redis_server
  redis_server=$(find_bin redis-server) || die "redis-server not found"
  redis_port=$(node "$scripts/stack-probe.mjs" free-port)
  mkdir -p "$state/redis"
  "$redis_server" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$state/redis" --daemonize yes --pidfile "$state/redis/redis.pid" \
    --logfile "$state/redis/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis_url=redis://127.0.0.1:$redis_port
  say "private redis-server on 127.0.0.1:$redis_port"
}

start_app() {
  local instances=${STACK_INSTANCES:-1} index port name redis_url=''
  case "$instances" in [1-9]) ;; *) die "STACK_INSTANCES must be 1 to 9" ;; esac
  [ "$instances" -gt 1 ] && start_redis
  app_upstream=''
  for index in $(seq 1 "$instances"); do
    name=app
    [ "$index" -gt 1 ] && name=app-$index
    port=$(node "$scripts/stack-probe.mjs" free-port)
    [ "$index" = 1 ] && port=${STACK_APP_PORT:-$port}
    (
      cd "$root"
      export NODE_ENV=${STACK_NODE_ENV:-production} HOST=127.0.0.1 PORT=$port DATABASE_URL=$database_url \
        PUBLIC_ORIGIN=https://$DOMAIN:$HTTPS_PORT TRUSTED_PROXIES=127.0.0.1 LOG_FORMAT=json \
        PEPPER_FILE=$state/secrets/pepper TOTP_KEY_FILE=$state/secrets/totp-key
      [ -n "$redis_url" ] && export REDIS_URL=$redis_url
      exec setsid npm start </dev/null >>"$state/$name.log" 2>&1
    ) &
    echo $! >"$state/$name.pid"
    say "$name starting on 127.0.0.1:$port (log: $state/$name.log)"
    if ! node "$scripts/stack-probe.mjs" wait-http "http://127.0.0.1:$port/healthz" 90 \
        --watch "$(cat "$state/$name.pid")"; then
      tail -n 20 "$state/$name.log" >&2
      false
    fi
    app_upstream=$app_upstream${app_upstream:+,}127.0.0.1:$port
  done
}

# 4. nginx with the same configuration as compose.
start_nginx() {
  local nginx
  nginx=$(find_bin nginx)
  PARLEY_DOMAIN=$DOMAIN PARLEY_HTTPS_PORT=$HTTPS_PORT PARLEY_HTTP_PORT=$HTTP_PORT \
    PARLEY_APP_UPSTREAM=$app_upstream PARLEY_TLS_CERT=$state/tls/server.crt \
    PARLEY_TLS_KEY=$state/tls/server.key NGINX_LISTEN_ADDRESS=127.0.0.1 \
    NGINX_RUNTIME_DIR=$state/nginx/run NGINX_LOG_DIR=$state/nginx/logs \
    PATH=$PATH:$(dirname "$nginx") sh "$root/nginx/render.sh" "$state/nginx"
  "$nginx" -q -t -p "$state/nginx" -c nginx.conf -e "$state/nginx/logs/error.log"
  "$nginx" -p "$state/nginx" -c nginx.conf -e "$state/nginx/logs/error.log"
  if ! node "$scripts/stack-probe.mjs" wait-http "https://$DOMAIN:$HTTPS_PORT/healthz" 30 "$(ca_cert_file)"; then
    tail -n 20 "$state/nginx/logs/error.log" >&2
    false
  fi
}

# After a failed start, stop whatever was started: once, from the main shell (with set -E a
# failing command substitution runs the trap in its subshell too).
start_failed() {
  [ "$BASH_SUBSHELL" -eq 0 ] || return 0
  trap - ERR
  say "start failed; stopping what was started"
  purge=0
  down
}

up() {
  load_settings
  if status >/dev/null; then die "already up in $state (scripts/stack.sh down first)"; fi
  for port in "$HTTPS_PORT" "$HTTP_PORT"; do
    port_in_use "$port" && die "port $port on 127.0.0.1 is in use (another stack? set HTTPS_PORT/HTTP_PORT)"
  done

  bash "$scripts/install-system-deps.sh"
  find_bin nginx >/dev/null || die "nginx not found"
  [ -d "$root/node_modules" ] || (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  if [ -n "${STACK_BUILD:-}" ] || [ ! -f "$root/dist/server/main.js" ] || [ ! -f "$root/dist/client/index.html" ]; then
    say "building the app"
    (cd "$root" && npm run --silent build)
  fi

  # From here on, a failure (inside a step's function too: set -E) stops whatever was started.
  trap start_failed ERR
  local database_url app_upstream
  start_database
  prepare_secrets
  start_app
  start_nginx
  trap - ERR
  local ca_cert
  ca_cert=$(ca_cert_file)
  cat <<EOF
Parley is up at https://$DOMAIN:$HTTPS_PORT/
  the CA to trust: $ca_cert
  its SHA-256 fingerprint: $(fingerprint "$ca_cert")
  logs: $state/app.log, $state/nginx/logs/
  ($DOMAIN resolves to 127.0.0.1 through public DNS; stop with: scripts/stack.sh down)
EOF
}

# Renews the certificate of a running (or stopped) stack; nginx, if running, reloads it.
renew() {
  load_settings
  local before=0
  [ -f "$state/init.log" ] && before=$(wc -l <"$state/init.log")
  prepare_secrets
  # What this run did to the certificate: kept, or renewed and issued.
  tail -n "+$((before + 1))" "$state/init.log" | grep -E '^(kept|renewing|replacing|issued) ' >&2 || true
  local pid_file=$state/nginx/run/nginx.pid
  if [ -f "$pid_file" ] && alive "$(cat "$pid_file")" nginx; then
    kill -HUP "$(cat "$pid_file")"
    say "nginx reloads $state/tls/server.crt (valid until $(openssl x509 -in "$state/tls/server.crt" -noout -enddate | cut -d= -f2))"
  fi
}

case "$command" in
  up) up ;;
  down) down ;;
  status) status ;;
  renew) renew ;;
  *) echo "usage: $0 up | down [--purge] | status | renew" >&2; exit 2 ;;
esac
