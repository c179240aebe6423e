#!/bin/sh
# demo xkcd --offline: starts the local server itself, downloads 100-109
# sequentially and in parallel with the real downloader, same files both ways,
# and stops its server (no python process left behind).
. "$ROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 missing"
. "$ROOT/tests/integration/xkcd-lib.sh"
expect_exit 0 "$IMGPOOL" demo xkcd --offline --latency 20 --lang en
grep -q "local xkcd server: http://127.0.0.1:" "$T/out" || fail "no local server line"
grep -q "identical files: 10 of 10" "$T/out" "$T/err" || { cat "$T/out" "$T/err"; fail "runs differ"; }
grep -q "^thread 9 |" "$T/out" "$T/err" || fail "no timeline of the parallel run"
# Its own server is gone: nothing answers on its port any more (other tests
# and helpers may run servers of their own, so no counting by name).
port=$(sed -n 's|^local xkcd server: http://127.0.0.1:\([0-9]*\) .*|\1|p' "$T/out")
[ -n "$port" ] || fail "no port in the server line"
sleep 0.2
python3 -c "import socket, sys; s = socket.socket(); s.settimeout(2)
sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1]))) != 0 else 1)" "$port" || fail "server left running"
expect_exit 0 "$IMGPOOL" demo xkcd --show-code
grep -q "cli_xkcd_compare_main" "$T/out" || fail "--show-code lacks the core"

# --lang de: the table, the speed-up and the timelines in German too, from
# a run that worked and from one that failed (nothing answers on port 1);
# `imgpool xkcd --compare` itself stays English (35-xkcd-compare-interrupt.sh)
expect_exit 0 "$IMGPOOL" demo xkcd --offline --latency 20 --lang de
grep -q "identische Dateien: 10 von 10" "$T/out" || { cat "$T/out"; fail "de: runs differ"; }
grep -q "^Thread 9 |" "$T/out" || fail "de: no timeline of the parallel run"
if english_in_de "$T/out" >"$T/english"; then
  cat "$T/english"
  fail "English in demo xkcd --offline --lang de"
fi
# (the downloader's own options after --: a short first backoff, the same
# number of attempts, so the retries of each failure do not add seconds)
expect_exit 1 timeout 120 "$IMGPOOL" demo xkcd --range 100 --base-url http://127.0.0.1:1 --lang de \
  -- --retry-delay 0.02
grep -q "keine Beschleunigung: 1 von 1 Comics" "$T/out" || { cat "$T/out"; fail "de: no speed-up"; }
grep -q "keine Antwort von http://127.0.0.1:1 (libcurl: .*); Lauf parallel abgebrochen" "$T/err" \
  || { cat "$T/err"; fail "de: the site that did not answer"; }
if english_in_de "$T/out" >"$T/english"; then
  cat "$T/english"
  fail "English in a failed demo xkcd --lang de"
fi
# per-comic failures in German, worded from the downloader's typed result;
# libcurl's own words stay as a quoted detail (a cut image, retried)
start_server faults --fault 101:cut --fault 102:html --fault 103:badjson \
  --fault 104:img500:9 --fault 105:emptyimg
expect_exit 1 timeout 120 "$IMGPOOL" demo xkcd --range 100-105,404 --threads 4 \
  --base-url "$URL" --lang de -- --retry-delay 0.02
for want in \
  "^imgpool: Comic 101: Download des Bildes fehlgeschlagen (libcurl: [^)]*), nach 4 Versuchen$" \
  "^imgpool: Comic 102: die Antwort ist kein vollständiges Bild (PNG, JPEG, GIF, WebP)$" \
  "^imgpool: Comic 103: info.0.json ist kein passender xkcd-Datensatz$" \
  "^imgpool: Comic 104: Download des Bildes fehlgeschlagen (HTTP 500), nach 4 Versuchen$" \
  "^imgpool: Comic 105: übersprungen, der Datensatz nennt kein Bild$" \
  "^imgpool: Comic 404: gibt es nicht (HTTP 404)$"; do
  [ "$(grep -c -- "$want" "$T/err")" -eq 2 ] ||   # once per run
    { cat "$T/err"; fail "de: stderr lacks '$want' once per run"; }
done
sed 's/(libcurl: [^)]*)//' "$T/err" >"$T/err.de"
if grep -n 'xkcd [0-9]\|image\|skipped\|not found\|attempts' "$T/err.de" ||
   english_in_de "$T/err.de"; then
  fail "English in the per-comic failures of demo xkcd --lang de"
fi
stop_servers

# the demo's own complaints are German too: no server script, a bad range
expect_exit 1 env IMGPOOL_XKCD_SERVER=/nonexistent "$IMGPOOL" demo xkcd --offline --lang de
grep -qx "imgpool demo: tools/xkcd-server.py nicht gefunden (IMGPOOL_XKCD_SERVER setzen)" "$T/err" \
  || { cat "$T/err"; fail "de: the missing server script, not in German"; }
expect_exit 2 "$IMGPOOL" demo pool-map --from 30 --to 20 --lang de
says="imgpool demo pool-map: --to 20 muss über --from 30 liegen"
grep -qx "$says (siehe imgpool demo pool-map --help)" "$T/err" \
  || { cat "$T/err"; fail "de: a bad range, not in German"; }
# on a terminal, the progress line while the comics download is German too
python3 - "$IMGPOOL" >"$T/tty" <<'PY' || fail "demo xkcd on a terminal"
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen([sys.argv[1], "demo", "xkcd", "--offline", "--latency", "50", "--lang", "de"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:   # EIO: the demo ended, the terminal closed
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors="replace").replace("\r", "\n"))
sys.exit(p.wait(timeout=60))
PY
grep -q '^xkcd: geladen [0-9]*/10 .* Threads\{0,1\} ' "$T/tty" || { cat "$T/tty"; fail "de: no German progress line"; }
! grep -q 'downloaded\|thread' "$T/tty" || fail "de: English progress line"
