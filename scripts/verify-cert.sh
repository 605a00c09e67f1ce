#!/usr/bin/env bash
# Verifies a server certificate against every property the course brief asks of it:
#
#   scripts/verify-cert.sh --domain DOMAIN --ca-cert CA_CRT [--min-days N] CERT
#
# Exits 0 printing "ok" when all hold; otherwise exits 1 naming the first property that fails.
# --min-days N also fails when fewer than N days of validity remain (used to renew).
set -euo pipefail
export LC_ALL=C

usage() { echo "usage: $0 --domain DOMAIN --ca-cert CA_CRT [--min-days N] CERT" >&2; exit 2; }

domain='' ca_cert='' min_days='' cert=''
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) domain=${2:-}; shift 2 ;;
    --ca-cert) ca_cert=${2:-}; shift 2 ;;
    --min-days) min_days=${2:-}; shift 2 ;;
    -*) usage ;;
    *) [ -z "$cert" ] || usage; cert=$1; shift ;;
  esac
done
if [ -z "$domain" ] || [ -z "$ca_cert" ] || [ -z "$cert" ]; then usage; fi
[ -z "$min_days" ] || [[ "$min_days" =~ ^[0-9]+$ ]] || usage

fail() { echo "FAIL: $*" >&2; exit 1; }

[ -r "$cert" ] || fail "certificate: cannot read $cert"
[ -r "$ca_cert" ] || fail "CA certificate: cannot read $ca_cert"
text=$(openssl x509 -in "$cert" -noout -text 2>/dev/null) || fail "certificate: $cert is not a PEM X.509 certificate"
ca_text=$(openssl x509 -in "$ca_cert" -noout -text 2>/dev/null) || fail "CA certificate: $ca_cert is not a PEM X.509 certificate"
# One `openssl x509 -text` read, then plain text processing: an extension is its header line
# ("X509v3 Key Usage: critical") and the more-indented lines under it.
ext_block() {
  awk -v name="$2" '
    index($0, name ":") && !found { found = 1; indent = match($0, /[^ ]/); print; next }
    found && match($0, /[^ ]/) > indent { print; next }
    found { exit }
  ' <<<"$1"
}
ext_header() { ext_block "$text" "$1" | sed -n '1p'; }
ext_value() { ext_block "${2:-$text}" "$1" | sed -n '2,$p' | sed 's/^ *//'; }

# 1. X.509 version 3
grep -q 'Version: 3 (0x2)' <<<"$text" || fail "version: not X.509 v3"

# 2. ECDSA public key over P-384
grep -q 'Public Key Algorithm: id-ecPublicKey' <<<"$text" || fail "public key: not ECDSA (id-ecPublicKey)"
grep -q 'ASN1 OID: secp384r1' <<<"$text" || fail "public key: curve is not P-384 (secp384r1): $(grep -m1 'ASN1 OID' <<<"$text" | sed 's/^ *//')"

# 3. SHA-384 signature
sig=$(grep -m1 'Signature Algorithm:' <<<"$text" | sed 's/.*Signature Algorithm: //')
[ "$sig" = ecdsa-with-SHA384 ] || fail "signature: algorithm is $sig, not ecdsa-with-SHA384"

# 4. Basic constraints, critical, CA:FALSE
header=$(ext_header "X509v3 Basic Constraints")
[ -n "$header" ] || fail "basic constraints: extension missing"
[[ "$header" == *critical* ]] || fail "basic constraints: not critical"
[ "$(ext_value "X509v3 Basic Constraints")" = CA:FALSE ] || fail "basic constraints: not CA:FALSE ($(ext_value "X509v3 Basic Constraints"))"

# 5. Key usage, critical, exactly Digital Signature
header=$(ext_header "X509v3 Key Usage")
[ -n "$header" ] || fail "key usage: extension missing"
[[ "$header" == *critical* ]] || fail "key usage: not critical"
[ "$(ext_value "X509v3 Key Usage")" = 'Digital Signature' ] || fail "key usage: not exactly Digital Signature ($(ext_value "X509v3 Key Usage"))"

# 6. Extended key usage, exactly server authentication
header=$(ext_header "X509v3 Extended Key Usage")
[ -n "$header" ] || fail "extended key usage: extension missing"
[ "$(ext_value "X509v3 Extended Key Usage")" = 'TLS Web Server Authentication' ] || fail "extended key usage: not exactly serverAuth ($(ext_value "X509v3 Extended Key Usage"))"

# 7. Subject and authority key identifiers; the authority's is the CA's subject key identifier
ski=$(ext_value "X509v3 Subject Key Identifier")
[ -n "$ski" ] || fail "subject key identifier: extension missing"
aki=$(ext_value "X509v3 Authority Key Identifier" | sed -n 's/^\(keyid:\)\{0,1\}\([0-9A-F:]\{2,\}\)$/\2/p' | head -n1)
[ -n "$aki" ] || fail "authority key identifier: extension missing (or without a key identifier)"
ca_ski=$(ext_value "X509v3 Subject Key Identifier" "$ca_text")
[ "$aki" = "$ca_ski" ] || fail "authority key identifier: $aki is not the CA's subject key identifier ${ca_ski:-(none)}"

# 8. Validity period of exactly 90 days
not_before=$(sed -n 's/^ *Not Before: //p' <<<"$text")
not_after=$(sed -n 's/^ *Not After : //p' <<<"$text")
start=$(date -u -d "$not_before" +%s)
end=$(date -u -d "$not_after" +%s)
seconds=$((end - start))
[ "$seconds" -eq $((90 * 86400)) ] || fail "validity: $((seconds / 86400)) days and $((seconds % 86400)) s, not exactly 90 days ($not_before to $not_after)"

# 9. The domain as Common Name and as Subject Alternative Name, with the wildcard for subdomains
cn=$(sed -n 's/^ *Subject: //p' <<<"$text" | tr ',' '\n' | sed -n 's/^ *CN = //p' | head -n1)
[ "$cn" = "$domain" ] || fail "common name: '${cn}' is not $domain"
san=$(ext_value "X509v3 Subject Alternative Name")
[ -n "$san" ] || fail "subject alternative name: extension missing"
expected_san="DNS:$domain, DNS:*.$domain"
[ "$san" = "$expected_san" ] || fail "subject alternative name: '$san' is not '$expected_san'"

# 10. Chain, signature, current validity, purpose, host name and the CA's name constraints
if ! verify_output=$(openssl verify -x509_strict -purpose sslserver -verify_hostname "$domain" \
    -CAfile "$ca_cert" "$cert" 2>&1); then
  fail "chain: openssl verify refused it: $(grep -m1 -E 'error [0-9]+' <<<"$verify_output" || tail -n1 <<<"$verify_output")"
fi

# 11. Time left, when asked
if [ -n "$min_days" ]; then
  left=$(( (end - $(date -u +%s)) / 86400 ))
  openssl x509 -in "$cert" -noout -checkend $((min_days * 86400)) >/dev/null \
    || fail "time left: $left days, fewer than $min_days: renew it"
fi

echo "ok: $cert is a valid server certificate for $domain, issued by $ca_cert, until $not_after"
