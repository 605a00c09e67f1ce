#!/usr/bin/env bash
# Makes Parley's development certificate authority when no CA is given:
#
#   scripts/make-ca.sh OUT_DIR [--permit DOMAIN]
#
# writes OUT_DIR/ca.key (0600, never leaves the machine or the volume it was made in) and
# OUT_DIR/ca.crt (public: the certificate users trust). The CA is safe to trust because of its
# critical name constraint: it can only vouch for DOMAIN (default comp3334.xavier2dc.fr, the
# course's domain) and its subdomains, and for the address 127.0.0.1 — any certificate it signs
# for another name fails validation in browsers and in OpenSSL (error 47).
# It refuses to replace an existing CA: users may already trust it.
set -euo pipefail
export LC_ALL=C

usage() { echo "usage: $0 OUT_DIR [--permit DOMAIN]" >&2; exit 2; }

out_dir=${1:-}
[ -n "$out_dir" ] || usage
shift
permitted=comp3334.xavier2dc.fr
while [ $# -gt 0 ]; do
  case "$1" in
    --permit) permitted=${2:?--permit needs a domain}; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$permitted" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || { echo "not a domain: $permitted" >&2; exit 2; }

if [ -e "$out_dir/ca.crt" ] || [ -e "$out_dir/ca.key" ]; then
  echo "a CA already exists in $out_dir: not replacing it (users may trust it)" >&2
  exit 1
fi
mkdir -p "$out_dir"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A short random tag in the name tells two development CAs apart in a trust store.
tag=$(openssl rand -hex 4)
cat >"$work/ca.cnf" <<EOF
[req]
prompt = no
distinguished_name = dn
x509_extensions = ca_extensions

[dn]
O = Parley
CN = Parley development CA $tag ($permitted only)

[ca_extensions]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, permitted;DNS:$permitted, permitted;IP:127.0.0.1/255.255.255.255
EOF

# ECDSA over P-384, the curve the brief asks of the server certificate, for the CA key too.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve \
  -out "$work/ca.key" 2>/dev/null
# Self-signed with SHA-384; five years, so renewing the 90-day server certificate never needs a
# new CA (and users trust it once).
openssl req -x509 -new -config "$work/ca.cnf" -key "$work/ca.key" -sha384 -days 1825 \
  -set_serial "0x$(openssl rand -hex 16)" -out "$work/ca.crt"

mv "$work/ca.key" "$out_dir/ca.key"
chmod 0644 "$work/ca.crt"
mv "$work/ca.crt" "$out_dir/ca.crt"
echo "made CA $out_dir/ca.crt (name constraint: $permitted, 127.0.0.1)"
