#!/bin/sh
# Hostile img URLs and titles (../, %2e%2e%2f, %2F absolute paths, very long
# names, control characters, file:// and ftp://) never write outside --out,
# and no control byte from the server reaches the terminal.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

start_server hostile --fault 100:hostile:dotdot --fault 101:hostile:pct \
  --fault 102:hostile:abs --fault 103:hostile:long --fault 104:hostile:ctrl \
  --fault 105:hostile:file --fault 106:hostile:ftp --fault 107:hostile:esc
mkdir -p "$T/a/b"
touch "$T/before"
expect_exit 1 "$IMGPOOL" xkcd 100-107 --base-url "$URL" --out "$T/a/b/dl" --retries 0 -v

# the five http(s) ones downloaded, under safe names, inside --out
[ "$(ls "$T/a/b/dl" | wc -l)" -eq 10 ] || fail "expected 10 files: $(ls "$T/a/b/dl")"
bad=$(ls -A "$T/a/b/dl" | grep -Ev '^010[0-4]-[a-z0-9_]+\.(png|jpg|json)$')
[ -z "$bad" ] || fail "unsafe names: $bad"
# nothing anywhere else: not beside --out, not in /tmp, not in the server's cwd
outside=$(find "$T" -newer "$T/before" -type f ! -path "$T/a/b/dl/*" ! -name '*.port' \
  ! -name '*.log' ! -name out ! -name err)
[ -z "$outside" ] || fail "written outside --out: $outside"
for f in /tmp/xkcd-evil-abs.png "$T/xkcd-evil-dotdot.png" "$T/a/xkcd-evil-dotdot.png"; do
  [ ! -e "$f" ] || fail "$f exists"
done
# the non-http schemes are refused, one line each
expect_err "xkcd 105: img is not an http(s) URL: 'file:///etc/passwd'"
expect_err "xkcd 106: img is not an http(s) URL: 'ftp://"
expect_err "xkcd 107: img is not an http(s) URL: 'gopher://x/?\[2J?\]0;pwned???.png'"
[ "$(grep -c 'imgpool: xkcd [0-9]*: ' "$T/err")" -eq 3 ] || fail "expected exactly three error lines"
# no escape, carriage return or other control byte from the server was printed
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/err" "$T/out"; then
  fail "control bytes reached the terminal"
fi
# the sidecar keeps the hostile title as data (JSON-escaped), the name does not
grep -q 'etc/passwd' "$T/a/b/dl/0100-"*.json || fail "sidecar lost the title"
exit 0
