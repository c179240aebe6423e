#!/bin/sh
# The pool demos: pool-map (exact big fib in input order) and image-pool.
set -u
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$IMGPOOL" demo list 2>&1 | grep -q '^  pool-map ' || fail "imgpool demo list: $(cat "$t/list" 2>/dev/null)"

# pool-map: fib(1000..1099) exactly, in input order, computed independently
"$IMGPOOL" demo pool-map --timeline --full >"$t/out" || fail "pool-map run"
python3 -c "
a, b = 0, 1
for n in range(1100):
    if n >= 1000: print('fib(%d) = %d' % (n, a))
    a, b = b, a + b" >"$t/want"
grep '^fib(' "$t/out" >"$t/got"
cmp -s "$t/want" "$t/got" || { diff "$t/want" "$t/got" | head -5; fail "pool-map results"; }
f1000=43466557686937456435688527675040625802564660517371780402481729089536555417949051890403879840079255169295922593080322634775209689623239873322471161642996440906533187938298969649928516003704476137795166849228875
grep -qx "fib(1000) = $f1000" "$t/got" || fail "fib(1000), the issue's value"
[ ${#f1000} -eq 209 ] || fail "fib(1000) has 209 digits"
[ "$(sed -n 's/^fib(1099) = //p' "$t/got" | tr -d '\n' | wc -c)" -eq 230 ] || fail "fib(1099) has 230 digits"
grep -q '^1 and N processes give identical results$' "$t/out" || fail "1 vs N"
grep -Eq '^4 processes: wall [0-9.]+ s, CPU in tasks [0-9.]+ s, speed-up [0-9.]+x$' "$t/out" || fail "timings"
[ "$(grep -c '^worker [0-3] |' "$t/out")" -eq 4 ] || fail "timeline: a row per worker"
"$IMGPOOL" demo pool-map --from 20 --to 25 --procs 3 >"$t/out" || fail "small range"
[ "$(grep '^fib(' "$t/out" | tr '\n' ' ')" = "fib(20) = 6765 fib(21) = 10946 fib(22) = 17711 fib(23) = 28657 fib(24) = 46368 " ] \
  || fail "range(20, 25)"

# image-pool: the folder job, every image gets an output
[ -d "$ROOT/samples" ] || { echo "no samples/ folder"; exit 77; }
"$IMGPOOL" demo image-pool --dir "$ROOT/samples" --out "$t/o" --procs 2 -- --resize 50% >"$t/out" 2>"$t/err" \
  || { cat "$t/err"; fail "image-pool run"; }
n_in=$(ls "$ROOT/samples" | wc -l)
n_out=$(ls "$t/o" | wc -l)
[ "$n_in" -gt 0 ] && [ "$n_in" -eq "$n_out" ] || fail "$n_in inputs, $n_out outputs"
for f in "$ROOT"/samples/*; do
  stem=$(basename "$f"); stem=${stem%.*}
  ls "$t/o/$stem".* >/dev/null 2>&1 || fail "no output for $f"
done
grep -q "files: $n_in processed" "$t/err" || fail "job summary: $(cat "$t/err")"
grep -Eq '^2 processes: +wall' "$t/out" && grep -Eq '^1 process: +wall' "$t/out" || fail "both runs timed"
"$IMGPOOL" demo image-pool --dir "$t/nonexistent" --out "$t/o2" >/dev/null 2>&1 && fail "a missing folder fails"

# image-pool --lang de: the folder job's own lines in German too, worded from
# the typed records (a decoder's words stay a quoted detail). No English
# note, skip, error or summary line may be left.
english='files: .* processed|s wall|first errors|interrupted after|note '"'"'|skipped '"'"'|cannot (read|decode|write)|worker'
mkdir "$t/de"
cp "$ROOT/samples/bounce.gif" "$ROOT/samples/photo.jpg" "$t/de/"   # an animated GIF: a note
echo "just notes" >"$t/de/notes.txt"                                  # not an image: skipped
LANG=C "$IMGPOOL" demo image-pool --lang de --dir "$t/de" --out "$t/o3" --procs 2 >"$t/out" 2>"$t/err" \
  || { cat "$t/err"; fail "image-pool --lang de run"; }
grep -qx "imgpool: Hinweis zu '$t/de/bounce.gif': animiertes GIF, nur das erste Bild verwendet" "$t/err" \
  || fail "German note: $(cat "$t/err")"
grep -qx "imgpool: '$t/de/notes.txt' übersprungen: kein Bild" "$t/err" || fail "German skip: $(cat "$t/err")"
grep -qx 'imgpool: 3 Dateien: 2 verarbeitet, 1 übersprungen, 0 fehlgeschlagen' "$t/err" \
  || fail "German summary: $(cat "$t/err")"
grep -Eqx 'imgpool: [0-9.]+ s Laufzeit, [0-9.]+ Dateien/s, 2 Arbeitsprozesse, [0-9.]+ s CPU-Zeit in den Arbeitsprozessen, CPU/Laufzeit [0-9.]+' "$t/err" \
  || fail "German times: $(cat "$t/err")"
grep -Eq "$english" "$t/err" && fail "English left: $(grep -E "$english" "$t/err")"
# Bad files: a JPEG cut short (libjpeg's words quoted) and text named .png.
head -c 3000 "$ROOT/samples/photo.jpg" >"$t/de/cut.jpg"
echo "not a picture" >"$t/de/fake.png"
LANG=C "$IMGPOOL" demo image-pool --lang de --dir "$t/de" --out "$t/o4" >"$t/out" 2>"$t/err" \
  && fail "a failed file fails the demo"
grep -q "^imgpool: kann '$t/de/cut.jpg' nicht dekodieren (JPEG: .*Premature end of JPEG file)$" "$t/err" \
  || fail "German decode error: $(cat "$t/err")"
grep -qx "imgpool: kann '$t/de/fake.png' nicht dekodieren: kein Bild (der Inhalt passt nicht zur Endung .png)" \
  "$t/err" || fail "German not-an-image error: $(cat "$t/err")"
grep -q '^der Auftrag ist fehlgeschlagen (Status 1): keine Zeiten$' "$t/out" || fail "demo's own line"
grep -Eq "$english" "$t/err" && fail "English left: $(grep -E "$english" "$t/err")"
# Ctrl-C after the first error: the summary of the interrupted run, with its
# first errors, in German. The bad file is the largest, so it goes first.
mkdir "$t/slow"
python3 "$ROOT/tests/integration/mkimg.py" png 1000 1000 "$t/slow/img-00.png"
for i in 1 2 3 4 5 6 7 8 9 10 11; do cp "$t/slow/img-00.png" "$t/slow/img-$i.png"; done
head -c $(( $(stat -c %s "$t/slow/img-00.png") + 4096 )) /dev/zero >"$t/slow/big.png"
# A file of its own: the background shell may open it later than the loop
# below first looks, and the last run's err already says "nicht dekodieren"
# (under load, the interrupt then came before the demo had started).
LANG=C setsid "$IMGPOOL" demo image-pool --lang de --dir "$t/slow" --out "$t/o5" -- --resize 300% \
  >"$t/out" 2>"$t/err5" &
pid=$!
n=0
until grep -q "nicht dekodieren" "$t/err5" 2>/dev/null; do
  n=$((n+1)); [ $n -lt 600 ] || { kill -KILL -"$pid"; fail "no error line: $(cat "$t/err5")"; }
  sleep 0.1
done
kill -INT -"$pid"
wait "$pid"
grep -Eq '^imgpool: abgebrochen nach [0-9]+ Dateien: ' "$t/err5" || fail "German interrupted: $(cat "$t/err5")"
grep -qx 'imgpool: erste Fehler:' "$t/err5" || fail "German first errors: $(cat "$t/err5")"
grep -q "^  kann '.*big.png' nicht dekodieren: kein Bild (der Inhalt passt nicht zur Endung .png)$" "$t/err5" \
  || fail "German first error: $(cat "$t/err5")"
grep -Eq "$english" "$t/err5" && fail "English left: $(grep -E "$english" "$t/err5")"
# On a terminal the folder job draws its progress bar, in German too;
# script(1) gives it a terminal.
mkdir "$t/tty"
for i in 0 1 2; do cp "$t/slow/img-00.png" "$t/tty/img-$i.png"; done
LANG=C timeout 120 script -qec "'$IMGPOOL' demo image-pool --lang de --dir '$t/tty' --out '$t/o6' \
  -- --resize 200%" /dev/null >"$t/tty.out" 2>&1 || fail "demo on a terminal: $(cat "$t/tty.out")"
tr '\r' '\n' <"$t/tty.out" | grep -Eq '^\[[#-]+\] +[0-9]+/3 +[0-9]+%  [0-9.]+ Bilder/s  Rest ' \
  || fail "no German progress bar: $(tr '\r' '\n' <"$t/tty.out" | head -5)"
grep -Eq 'img/s|ETA|failed' "$t/tty.out" && fail "English progress bar: $(grep -E 'img/s|ETA' "$t/tty.out")"
echo ok
