#!/usr/bin/env bash
# First-start preparation of the stack's certificates and secrets, run by docker compose's
# one-shot `init` service and by scripts/stack.sh alike. Safe to run at every start: it keeps
# what exists and is still valid, so a restart keeps the CA, the certificate, the database
# password and the pepper (a new pepper would invalidate every stored password).
#
# Environment:
#   DOMAIN            the site's domain (required)
#   CA_DIR            where our own CA is made and kept: ca.crt, ca.key (required)
#   GIVEN_CA_DIR      optional: an operator's CA; used instead of ours when it holds ca.key and ca.crt
#   PUBLIC_CA_DIR     optional: ca.crt (the certificate only, never the key) is copied there for users
#   TLS_DIR           server.crt and server.key (required)
#   APP_SECRETS_DIR   the app's pepper, and a copy of the database password when DB_SECRETS_DIR is set
#   DB_SECRETS_DIR    optional: db_password (the app's account) and db_root_password for MySQL
#   APP_UID           optional: owner of the app's secret files (the app runs as this user)
#   DB_UID            optional: owner of the database's secret files (MySQL's user in its image)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)

: "${DOMAIN:?DOMAIN is required}" "${CA_DIR:?CA_DIR is required}" "${TLS_DIR:?TLS_DIR is required}"
: "${APP_SECRETS_DIR:?APP_SECRETS_DIR is required}"
umask 077

# A random secret written once: an existing file is never replaced.
make_secret() {
  local file=$1
  [ -s "$file" ] && return 0
  mkdir -p "$(dirname "$file")"
  openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n' >"$file.new"
  mv "$file.new" "$file"
  echo "made secret $(basename "$file")"
}

# 1. The CA: an operator's, or ours (made once).
if [ -n "${GIVEN_CA_DIR:-}" ] && [ -f "$GIVEN_CA_DIR/ca.key" ]; then
  [ -f "$GIVEN_CA_DIR/ca.crt" ] || { echo "$GIVEN_CA_DIR/ca.key is there but not ca.crt" >&2; exit 1; }
  ca_cert=$GIVEN_CA_DIR/ca.crt
  ca_key=$GIVEN_CA_DIR/ca.key
  echo "using the given CA $ca_cert"
else
  if [ ! -f "$CA_DIR/ca.crt" ]; then
    bash "$here/make-ca.sh" "$CA_DIR"
  fi
  ca_cert=$CA_DIR/ca.crt
  ca_key=$CA_DIR/ca.key
fi

# 2. The server certificate: issued, kept while valid, renewed under 30 days left.
bash "$here/issue-server-cert.sh" --domain "$DOMAIN" --ca-cert "$ca_cert" --ca-key "$ca_key" --out-dir "$TLS_DIR"
# nginx's master process reads the key as root; the certificate is public.
chmod 0644 "$TLS_DIR/server.crt"

# 3. Secrets.
make_secret "$APP_SECRETS_DIR/pepper"
# The key that seals authenticator-app secrets (AES-256-GCM), apart from the database too.
make_secret "$APP_SECRETS_DIR/totp-key"
if [ -n "${DB_SECRETS_DIR:-}" ]; then
  make_secret "$DB_SECRETS_DIR/db_password"
  make_secret "$DB_SECRETS_DIR/db_root_password"
  cp "$DB_SECRETS_DIR/db_password" "$APP_SECRETS_DIR/db_password.new"
  mv -f "$APP_SECRETS_DIR/db_password.new" "$APP_SECRETS_DIR/db_password"
fi
if [ -n "${DB_SECRETS_DIR:-}" ]; then
  [ -z "${DB_UID:-}" ] || chown "$DB_UID" "$DB_SECRETS_DIR" "$DB_SECRETS_DIR"/*
  chmod 0700 "$DB_SECRETS_DIR"
  chmod 0400 "$DB_SECRETS_DIR"/*
fi
if [ -n "${APP_UID:-}" ]; then
  chown "$APP_UID" "$APP_SECRETS_DIR" "$APP_SECRETS_DIR"/*
fi
chmod 0700 "$APP_SECRETS_DIR"
chmod 0400 "$APP_SECRETS_DIR"/*

# 4. The CA certificate for users to trust; its key stays where it is.
if [ -n "${PUBLIC_CA_DIR:-}" ]; then
  mkdir -p "$PUBLIC_CA_DIR"
  if [ "$(cd "$(dirname "$ca_cert")" && pwd)/ca.crt" != "$(cd "$PUBLIC_CA_DIR" && pwd)/ca.crt" ]; then
    install -m 0644 "$ca_cert" "$PUBLIC_CA_DIR/ca.crt"
  fi
  echo "trust this CA: $PUBLIC_CA_DIR/ca.crt (SHA-256 fingerprint $(openssl x509 -in "$ca_cert" -noout -fingerprint -sha256 | cut -d= -f2))"
fi
