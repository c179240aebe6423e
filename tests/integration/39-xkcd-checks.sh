#!/bin/sh
# Issue 13 items 5-7: a network failure while resolving "latest" is a
# failure (exit 1), not a usage error; an unwritable --out is refused before
# the first request; a record without an "img" key is a schema error (exit
# 1), while an empty img or the bare comics/ folder is "no image" (exit 0).
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

# 5. latest, nobody listening: exit 1, naming what failed
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 1 "$IMGPOOL" xkcd latest-2-latest --base-url "http://127.0.0.1:$port" \
  --out "$T/latest" --retries 0
expect_err "latest comic: .*[Cc]onnect"
# a bad range is still a usage error, found before any request
expect_exit 2 "$IMGPOOL" xkcd latest-x --base-url "http://127.0.0.1:$port" --out "$T/latest"
# --max-memory below what a worker needs: the pool-limit group's check, as
# for folders (18-hostile-images.sh), before any request or folder, with
# --compare (no pool of its own) too
for cmp in "" --compare; do
  expect_exit 2 "$IMGPOOL" xkcd 100 $cmp --max-memory 4M --base-url "http://127.0.0.1:$port" \
    --out "$T/mm"
  expect_err "^imgpool: --max-memory 4M is below what a worker needs to start .* use at least [0-9]*M"
  [ ! -e "$T/mm" ] || fail "--max-memory 4M made the output folder"
done

start_server main --fault 101:emptyimg:missing --fault 102:emptyimg:empty --fault 103:emptyimg
# 6. an unwritable --out: one message, and the server saw nothing
mkdir "$T/ro"
chmod 555 "$T/ro"
as_user=""
if [ "$(id -u)" -eq 0 ]; then   # root writes anywhere: be somebody else
  command -v setpriv >/dev/null || skip "root without setpriv: cannot test an unwritable --out"
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
  chmod 755 "$T"
fi
reset_stats "$URL"
expect_exit 1 $as_user "$IMGPOOL" xkcd 100-109 --base-url "$URL" --out "$T/ro"
expect_err "cannot write to output folder '$T/ro'"
[ "$(grep -c '^imgpool: ' "$T/err")" -eq 1 ] || { cat "$T/err"; fail "expected one message"; }
[ "$(server_stat "$URL" requests)" -eq 0 ] || fail "requests were made for an unwritable --out"

# 7. no "img" key: a schema error; "" and the bare folder: no image
expect_exit 1 "$IMGPOOL" xkcd 100-103 --base-url "$URL" --out "$T/schema"
expect_err "xkcd 101: info.0.json: not an xkcd record (no \"img\" string)"
expect_err "xkcd 102: skipped: the record names no image"
expect_err "xkcd 103: skipped: img names a folder"
expect_err "4 comics: 1 downloaded, 0 already there, 0 not found, 2 without image, 1 failed"
expect_exit 0 "$IMGPOOL" xkcd 102-103 --base-url "$URL" --out "$T/schema"
exit 0
