#!/bin/sh
# Renders nginx/nginx.conf.template into OUT_DIR/nginx.conf (with the snippets beside it), the
# one template step shared by docker compose (in the nginx image) and scripts/stack.sh:
#
#   nginx/render.sh OUT_DIR
#
# Only these environment variables are substituted (nginx's own $variables are left alone):
#   PARLEY_DOMAIN        the site's name, e.g. group-10.comp3334.xavier2dc.fr
#   PARLEY_HTTPS_PORT    HTTPS port, the same inside and outside (redirects name it)
#   PARLEY_HTTP_PORT     plain HTTP port (redirects only)
#   PARLEY_APP_UPSTREAM  the app's address:port, or several, comma-separated (several instances)
#   PARLEY_TLS_CERT      server certificate file; PARLEY_TLS_KEY its key
#   NGINX_LISTEN_ADDRESS address to listen on (127.0.0.1, or 0.0.0.0 in a container)
#   NGINX_RUNTIME_DIR    pid file and temporary files; NGINX_LOG_DIR access.log and error.log
#   NGINX_HTTP2_STYLE    optional: "listen" (nginx < 1.25.1) or "directive"; found from nginx -v
# POSIX sh: the official nginx image (Debian or Alpine) runs it as well as Debian's nginx here.
set -eu

out_dir=${1:-}
[ -n "$out_dir" ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "nginx/render.sh: $*" >&2; exit 1; }
# Values land inside nginx directives: refuse anything that could end or extend one. Paths are
# quoted in the template, so they may hold spaces; other values may not.
need() {
  eval "value=\${$1:-}"
  [ -n "$value" ] || die "$1 is not set"
  case "$value" in
    *[[:cntrl:]\;\{\}\$\'\"\#\\]*) die "$1 has a character not allowed in an nginx directive: $value" ;;
  esac
}
for variable in PARLEY_TLS_CERT PARLEY_TLS_KEY NGINX_RUNTIME_DIR NGINX_LOG_DIR; do
  need "$variable"
done
for variable in PARLEY_DOMAIN PARLEY_HTTPS_PORT PARLEY_HTTP_PORT PARLEY_APP_UPSTREAM \
    NGINX_LISTEN_ADDRESS; do
  need "$variable"
  case "$value" in *[[:space:]]*) die "$variable has a character not allowed in an nginx directive: $value" ;; esac
done
case "$PARLEY_HTTPS_PORT$PARLEY_HTTP_PORT" in *[!0-9]*) die "ports must be numbers" ;; esac
echo "$PARLEY_DOMAIN" | grep -Eq '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$' \
  || die "PARLEY_DOMAIN is not a domain name: $PARLEY_DOMAIN"

# HTTP/2: "listen ... ssl http2" until nginx 1.25.1, then "http2 on;" (the old form still works
# there but warns). Same switch either way.
style=${NGINX_HTTP2_STYLE:-}
if [ -z "$style" ]; then
  version=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*|\1|p')
  [ -n "$version" ] || die "cannot read the nginx version (is nginx installed?)"
  major=$(echo "$version" | cut -d. -f1)
  minor=$(echo "$version" | cut -d. -f2)
  patch=$(echo "$version" | cut -d. -f3)
  if [ "$major" -gt 1 ] || [ "$minor" -gt 25 ] || { [ "$minor" -eq 25 ] && [ "$patch" -ge 1 ]; }; then
    style=directive
  else
    style=listen
  fi
fi
case "$style" in
  listen) NGINX_HTTP2_LISTEN=' http2' NGINX_HTTP2_DIRECTIVE='' ;;
  directive) NGINX_HTTP2_LISTEN='' NGINX_HTTP2_DIRECTIVE='http2 on;' ;;
  *) die "NGINX_HTTP2_STYLE must be listen or directive, not $style" ;;
esac
export NGINX_HTTP2_LISTEN NGINX_HTTP2_DIRECTIVE

# One upstream server line per app instance. A name (compose's "app:3000") is resolved when
# nginx starts, to every address it has: one server per replica of `--scale app=N`.
PARLEY_APP_SERVERS=''
for address in $(echo "$PARLEY_APP_UPSTREAM" | tr ',' ' '); do
  echo "$address" | grep -Eq '^[A-Za-z0-9._-]+:[0-9]+$' || die "PARLEY_APP_UPSTREAM: not host:port: $address"
  PARLEY_APP_SERVERS="$PARLEY_APP_SERVERS${PARLEY_APP_SERVERS:+
        }server $address max_fails=1 fail_timeout=10s;"
done
export PARLEY_APP_SERVERS

mkdir -p "$out_dir/snippets" "$NGINX_RUNTIME_DIR" "$NGINX_LOG_DIR"
# shellcheck disable=SC2016 # the single-quoted names are envsubst's list, not shell expansions
envsubst '${PARLEY_DOMAIN} ${PARLEY_HTTPS_PORT} ${PARLEY_HTTP_PORT} ${PARLEY_APP_SERVERS}
  ${PARLEY_TLS_CERT} ${PARLEY_TLS_KEY} ${NGINX_LISTEN_ADDRESS} ${NGINX_RUNTIME_DIR}
  ${NGINX_LOG_DIR} ${NGINX_HTTP2_LISTEN} ${NGINX_HTTP2_DIRECTIVE}' \
  <"$here/nginx.conf.template" >"$out_dir/nginx.conf.new"
# A ${NAME} left over is a template variable this script does not know: fail loudly.
if grep -n '[$]{' "$out_dir/nginx.conf.new" >&2; then
  rm -f "$out_dir/nginx.conf.new"
  die "unknown template variables remain (above)"
fi
cp "$here/snippets/"*.conf "$out_dir/snippets/"
mv "$out_dir/nginx.conf.new" "$out_dir/nginx.conf"
