#!/usr/bin/env bash
# A private, throwaway MariaDB server for tests and for the Docker-less stack, used when no
# MySQL-compatible server is already reachable.
#
#   scripts/mariadb-private.sh start DIR PORT   initialise DIR and start mariadbd on 127.0.0.1:PORT
#                                               (root, empty password); returns once it answers
#   scripts/mariadb-private.sh stop DIR         stop the server started in DIR
set -euo pipefail

command=${1:-}
dir=${2:-}
if [ -z "$command" ] || [ -z "$dir" ]; then echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; fi

find_bin() {
  for candidate in "$@"; do
    if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
    [ -x "/usr/sbin/$candidate" ] && { echo "/usr/sbin/$candidate"; return 0; }
    [ -x "/usr/bin/$candidate" ] && { echo "/usr/bin/$candidate"; return 0; }
  done
  return 1
}

case "$command" in
  start)
    port=${3:?port required}
    mariadbd=$(find_bin mariadbd mysqld) || { echo "mariadbd not found: apt-get install mariadb-server" >&2; exit 1; }
    install_db=$(find_bin mariadb-install-db mysql_install_db) || { echo "mariadb-install-db not found" >&2; exit 1; }
    client=$(find_bin mariadb-admin mysqladmin) || { echo "mariadb-admin not found" >&2; exit 1; }
    mkdir -p "$dir/data"
    user_args=()
    [ "$(id -u)" = 0 ] && user_args=(--user=root)
    if [ ! -d "$dir/data/mysql" ]; then
      "$install_db" --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
        --skip-test-db "${user_args[@]}" >"$dir/install.log" 2>&1 \
        || { cat "$dir/install.log" >&2; exit 1; }
    fi
    "$mariadbd" --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
      --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --bind-address=127.0.0.1 \
      --port="$port" --skip-name-resolve --innodb-buffer-pool-size=64M \
      --innodb-flush-log-at-trx-commit=2 "${user_args[@]}" >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 1 150); do
      if "$client" --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -uroot ping >/dev/null 2>&1; then
        exit 0
      fi
      # It exited (port taken, bad data folder): say so now rather than after the whole wait.
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.2
    done
    # Never leave behind a server that did not come up: nobody would stop it.
    kill "$server_pid" 2>/dev/null || true
    echo "private mariadbd did not answer on port $port; its log:" >&2
    tail -n 30 "$dir/error.log" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$dir/mysqld.pid" ]; then
      pid=$(cat "$dir/mysqld.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
