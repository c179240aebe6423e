#!/bin/sh
# xkcd 100-109: parallel and sequential downloads give identical files; the
# server saw overlapping requests only in parallel mode (counted server-side);
# a rerun downloads nothing; "latest" ranges resolve.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

start_server main --latency 100
B="--base-url $URL -q"

expect_exit 0 "$IMGPOOL" xkcd 100-109 $B --threads 10 --out "$T/par"
par_max=$(server_stat "$URL" max_concurrent)
[ "$(server_stat "$URL" requests)" -eq 20 ] || fail "parallel: expected 20 requests"
reset_stats "$URL"
expect_exit 0 "$IMGPOOL" xkcd 100-109 $B --sequential --out "$T/seq"
seq_max=$(server_stat "$URL" max_concurrent)
[ "$par_max" -ge 2 ] || fail "parallel run never overlapped requests (max $par_max)"
[ "$seq_max" -eq 1 ] || fail "sequential run overlapped requests (max $seq_max)"
server_stat "$URL" user_agents | grep -q '"imgpool/' || fail "User-Agent does not name imgpool"

# the same 20 files, byte for byte, with the real formats (7 JPEG, 3 PNG)
(cd "$T/par" && ls) >"$T/par.ls"
(cd "$T/seq" && ls) >"$T/seq.ls"
cmp -s "$T/par.ls" "$T/seq.ls" || fail "different file names: $(diff "$T/par.ls" "$T/seq.ls")"
[ "$(grep -c '\.json$' "$T/par.ls")" -eq 10 ] || fail "expected 10 sidecars"
[ "$(grep -c '\.jpg$' "$T/par.ls")" -eq 7 ] || fail "expected 7 JPEGs"
[ "$(grep -c '\.png$' "$T/par.ls")" -eq 3 ] || fail "expected 3 PNGs"
for f in $(cat "$T/par.ls"); do
  cmp -s "$T/par/$f" "$T/seq/$f" || fail "$f differs between parallel and sequential"
done
[ -f "$T/par/0100-family_circus.jpg" ] || fail "no 0100-family_circus.jpg"
[ -f "$T/par/0108-m_c_hammer_slide.png" ] || fail "no 0108-m_c_hammer_slide.png"
python3 - "$T/par" <<'EOF' || fail "sidecars are wrong"
import json, os, sys
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    if name.endswith(".json"):
        s = json.load(open(os.path.join(d, name)))
        assert s["file"] in os.listdir(d), name
        assert os.path.getsize(os.path.join(d, s["file"])) == s["bytes"], name
        assert s["title"] and s["alt"] and s["url"].endswith("/%d/" % s["num"]), name
s = json.load(open(os.path.join(d, "0100-family_circus.json")))
assert s["date"] == "2006-05-10" and s["alt"] == "This was my friend David's idea", s
EOF
no_temp_files "$T/par"

# a rerun fetches nothing: not even the JSON
reset_stats "$URL"
expect_exit 0 "$IMGPOOL" xkcd 100-109 --base-url "$URL" --out "$T/par"
[ "$(server_stat "$URL" requests)" -eq 0 ] || fail "rerun made requests"
expect_err "0 downloaded, 10 already there"
# a damaged file is fetched again, the others not
echo damaged >"$T/par/0105-parallel_universe.jpg"
reset_stats "$URL"
expect_exit 0 "$IMGPOOL" xkcd 100-109 --base-url "$URL" --out "$T/par"
[ "$(server_stat "$URL" requests)" -eq 2 ] || fail "expected 2 requests for one damaged comic"
cmp -s "$T/par/0105-parallel_universe.jpg" "$T/seq/0105-parallel_universe.jpg" ||
  fail "damaged comic not restored"
# --force fetches everything again
reset_stats "$URL"
expect_exit 0 "$IMGPOOL" xkcd 100-109 $B --out "$T/par" --force
[ "$(server_stat "$URL" requests)" -eq 20 ] || fail "--force did not download again"

# latest-2-latest: the server's latest is comic 3000
expect_exit 0 "$IMGPOOL" xkcd latest-2-latest $B --out "$T/latest"
[ "$(ls "$T/latest" | grep -c '^299[89]-\|^3000-')" -eq 6 ] || fail "latest-2-latest: $(ls "$T/latest")"

# range errors are usage errors, before any request
reset_stats "$URL"
expect_exit 2 "$IMGPOOL" xkcd 109-100 $B --out "$T/bad"
expect_err "backwards"
expect_exit 2 "$IMGPOOL" xkcd 100 --threads 0 $B
[ "$(server_stat "$URL" requests)" -eq 0 ] || fail "a usage error made requests"
exit 0
