#!/bin/sh
# TLS is always verified: a self-signed server is refused without --cacert
# (no request gets through, nothing is written) and works with it.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed (tools/deps.sh test)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$T/key.pem" -out "$T/cert.pem" >"$T/openssl.log" 2>&1 ||
  { cat "$T/openssl.log"; fail "openssl could not make a certificate"; }
start_server tls --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
case $URL in https://*) ;; *) fail "server is not https: $URL";; esac

expect_exit 1 "$IMGPOOL" xkcd 100-103 --base-url "$URL" --out "$T/refused" --retries 2 \
  --retry-delay 0.02
# one message naming the site and the reason, not one per comic
expect_err "xkcd: no answer from $URL: .*certificate"
[ "$(grep -c '^imgpool: ' "$T/err")" -eq 1 ] || fail "expected one message"
grep -q "attempts" "$T/err" && fail "a certificate failure was retried"
[ -z "$(ls -A "$T/refused")" ] || fail "files written without a trusted certificate"
[ "$(server_stat "$URL" requests "$T/cert.pem")" -eq 0 ] || fail "a request got through"

expect_exit 0 "$IMGPOOL" xkcd 100-103 --base-url "$URL" --out "$T/trusted" \
  --cacert "$T/cert.pem" --threads 2
[ "$(ls "$T/trusted" | wc -l)" -eq 8 ] || fail "expected 8 files: $(ls "$T/trusted")"
[ "$(server_stat "$URL" requests "$T/cert.pem")" -eq 8 ] || fail "expected 8 requests"
[ "$(server_stat "$URL" tls_handshakes "$T/cert.pem")" -ge 1 ] || fail "no TLS handshake seen"
# a CA file that does not sign the server is refused just the same
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$T/k2.pem" -out "$T/other.pem" >"$T/openssl.log" 2>&1
expect_exit 1 "$IMGPOOL" xkcd 100 --base-url "$URL" --out "$T/other" --cacert "$T/other.pem"
expect_err "certificate"
exit 0
