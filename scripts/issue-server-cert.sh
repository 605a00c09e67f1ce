#!/usr/bin/env bash
# Issues the TLS server certificate from a CA (ours from make-ca.sh, or one an operator gives):
#
#   scripts/issue-server-cert.sh --domain DOMAIN --ca-cert CA_CRT --ca-key CA_KEY --out-dir DIR [--force]
#
# writes DIR/server.key (0600) and DIR/server.crt. An existing certificate that passes
# verify-cert.sh with at least 30 days left is kept (exit 0, "kept"); one with fewer days left is
# renewed; one that fails verification (another domain, another CA, a wrong profile) is replaced.
# --force replaces it in every case.
#
# The certificate follows the brief: X.509 v3, ECDSA P-384 key, SHA-384 signature, basic
# constraints critical CA:FALSE, key usage critical digitalSignature, extended key usage
# serverAuth, subject and authority key identifiers, exactly 90 days, the domain as CN and SAN
# (and *.DOMAIN, so the subdomain redirect is served with a valid certificate too).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)

usage() { echo "usage: $0 --domain DOMAIN --ca-cert CA_CRT --ca-key CA_KEY --out-dir DIR [--force]" >&2; exit 2; }

RENEW_WHEN_DAYS_LEFT=30
VALIDITY_DAYS=90

domain='' ca_cert='' ca_key='' out_dir='' force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) domain=${2:-}; shift 2 ;;
    --ca-cert) ca_cert=${2:-}; shift 2 ;;
    --ca-key) ca_key=${2:-}; shift 2 ;;
    --out-dir) out_dir=${2:-}; shift 2 ;;
    --force) force=1; shift ;;
    *) usage ;;
  esac
done
if [ -z "$domain" ] || [ -z "$ca_cert" ] || [ -z "$ca_key" ] || [ -z "$out_dir" ]; then usage; fi
# A host name of letters, digits and hyphens: it goes into an OpenSSL config file below.
[[ "$domain" =~ ^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$ ]] || {
  echo "not a domain name: $domain" >&2; exit 2; }
[ -r "$ca_cert" ] || { echo "cannot read the CA certificate $ca_cert" >&2; exit 1; }
[ -r "$ca_key" ] || { echo "cannot read the CA key $ca_key" >&2; exit 1; }

# The CA key must belong to the CA certificate (an operator may hand us a mismatched pair).
ca_public=$(openssl x509 -in "$ca_cert" -noout -pubkey 2>/dev/null) || { echo "$ca_cert is not a PEM certificate" >&2; exit 1; }
key_public=$(openssl pkey -in "$ca_key" -pubout 2>/dev/null) || { echo "$ca_key is not a PEM private key (or it is encrypted)" >&2; exit 1; }
[ "$ca_public" = "$key_public" ] || { echo "the CA key $ca_key does not belong to the CA certificate $ca_cert" >&2; exit 1; }

cert="$out_dir/server.crt"
key="$out_dir/server.key"
if [ "$force" = 0 ] && [ -e "$cert" ]; then
  if reason=$(bash "$here/verify-cert.sh" --domain "$domain" --ca-cert "$ca_cert" \
      --min-days "$RENEW_WHEN_DAYS_LEFT" "$cert" 2>&1) \
    && [ -r "$key" ] \
    && [ "$(openssl x509 -in "$cert" -noout -pubkey)" = "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]; then
    echo "kept $cert: valid for $domain with at least $RENEW_WHEN_DAYS_LEFT days left (--force replaces it)"
    exit 0
  fi
  case "$reason" in
    *"time left"*) echo "renewing $cert: ${reason#FAIL: }" ;;
    ok:*) echo "replacing $cert: its key $key is missing or does not match" ;;
    *) echo "replacing $cert: ${reason#FAIL: }" ;;
  esac
fi

mkdir -p "$out_dir"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/server.cnf" <<EOF
[req]
prompt = no
distinguished_name = dn

[dn]
CN = $domain

[server_extensions]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:$domain, DNS:*.$domain
EOF

# A new P-384 key for every certificate.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve \
  -out "$work/server.key" 2>/dev/null
openssl req -new -config "$work/server.cnf" -key "$work/server.key" -sha384 -out "$work/server.csr"
# x509 -req does not copy the request's extensions: they all come from server_extensions.
openssl x509 -req -in "$work/server.csr" -CA "$ca_cert" -CAkey "$ca_key" \
  -set_serial "0x$(openssl rand -hex 16)" -days "$VALIDITY_DAYS" -sha384 \
  -extfile "$work/server.cnf" -extensions server_extensions -out "$work/server.crt" 2>"$work/x509.log" \
  || { cat "$work/x509.log" >&2; exit 1; }

# Never install a certificate that fails our own checks.
bash "$here/verify-cert.sh" --domain "$domain" --ca-cert "$ca_cert" "$work/server.crt" >/dev/null

chmod 0644 "$work/server.crt"
mv "$work/server.key" "$key"
mv "$work/server.crt" "$cert"
echo "issued $cert for $domain and *.$domain, valid until $(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)"
