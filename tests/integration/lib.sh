# Sourced by the integration tests: temp folder, failure helpers, image maker.
set -u
T=$(mktemp -d)
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
MKIMG="python3 $ROOT/tests/integration/mkimg.py"

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*"; exit 77; }
# expect_exit CODE CMD...: runs CMD, output in $T/out and $T/err
expect_exit() {
  want=$1; shift
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  [ "$got" -eq "$want" ] || { cat "$T/err"; fail "'$*' exited $got, expected $want"; }
}
# lost_update_runs LABEL CMD...: runs a lost-update demo (shared-memory,
# race) 5 times; in every run the locked count must be exact and the
# unlocked line well formed. Sets lost to the number of runs that lost updates.
lost_update_runs() {
  label=$1; shift
  lost=0
  for i in 1 2 3 4 5; do
    expect_exit 0 "$@"
    line=$(grep '^without lock:' "$T/out") || fail "$label: no unlocked line"
    echo "$label run $i: $line"
    n=$(echo "$line" | sed -n 's/.*expected [0-9]* (\([0-9]*\) updates lost)$/\1/p')
    [ -n "$n" ] || fail "$label: unlocked line: $line"
    [ "$n" -gt 0 ] && lost=$((lost + 1))
    grep -Eq '^with lock: +counter = ([0-9]+), expected \1 \(0 updates lost\)$' "$T/out" ||
      fail "$label: locked not exact"
  done
  return 0
}
# fifo_reader FIFO OUT: copies what is written into FIFO to OUT, in the
# background (the reader's pid in $_pid; it gives up after 20 s without data).
# Returns once the reader holds the FIFO open: imgpool opens a FIFO without
# blocking and fails at once if nobody reads, so a reader still starting up
# would make the test race.
fifo_reader() {
  rm -f "$2.ready"
  python3 - "$1" "$2" <<'PY' &
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)   # counts as a reader at once
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "wb") as out:
    p = select.poll()
    p.register(fd, select.POLLIN)
    while p.poll(20000):          # data, or the writer closed (HUP); [] after 20 s
        try:
            b = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if not b:
            break
        out.write(b)
PY
  _pid=$!
  _i=0
  while [ ! -e "$2.ready" ] && [ $_i -lt 400 ]; do sleep 0.05; _i=$((_i + 1)); done
  [ -e "$2.ready" ] || fail "the reader of $1 did not start"
  return 0
}
expect_err() { grep -q -- "$1" "$T/err" || { cat "$T/err"; fail "stderr lacks '$1'"; }; }
# need_pillow [MODULE]: sets py to a python3 that imports PIL (and PIL.MODULE),
# or skips the test.
need_pillow() {
  py=""
  for p in python3 /usr/bin/python3; do
    if "$p" -c "import PIL${1:+.$1}" 2>/dev/null; then py=$p; return 0; fi
  done
  skip "Pillow${1:+ with $1} not installed (python3-pil)"
}
is_asan() { case "$BUILD" in *asan*) return 0;; esac; return 1; }

# make_workload DIR N: N copies of a 1000x1000 PNG, slow enough with
# --resize 300% that a run can be interrupted in the middle.
make_workload() {
  mkdir -p "$1"
  $MKIMG png 1000 1000 "$1/img-00.png"
  i=1
  while [ $i -lt "$2" ]; do cp "$1/img-00.png" "$1/img-$(printf %02d $i).png"; i=$((i+1)); done
}
# wait_for_file PATTERN_DIR: waits (at most 60 s) until DIR has a file.
wait_for_output() {
  n=0
  while [ -z "$(ls "$1" 2>/dev/null)" ]; do
    n=$((n+1)); [ $n -lt 600 ] || fail "no output appeared in $1"
    sleep 0.1
  done
}
# png_complete FILE: the file ends with an IEND chunk (not cut short).
png_complete() {
  python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(0 if d.startswith(b"\x89PNG") and d[-8:-4]==b"IEND" else 1)' "$1"
}
# english_in_de FILE: prints the lines of a demo's `--lang de` output that hold
# an English word of the demos' texts (the "== imgpool demo NAME ==" headers
# aside); true if there is one.
english_in_de() {
  grep -nE '\b(the|with|without|from|parent|child|joined|expected|lost|messages|answer|sending|woke|sleeping|finished|hand-overs|wall|speed-up|Timeline|observe|iterations|process(es)?|more \(|is (not )?prime|thread [ab0-9]+:?|ready|asleep|holding|waiting|comics?|requests?|downloaded|identical|sequential|stopped|failed)\b' \
    "$1" | grep -v '^[0-9]*:== imgpool demo [a-z-]* ==$'
}
# exif_tag [GROUP:]NAME FILE: the tag's value as exiftool reads it (-n: as a
# number), empty if absent; one exiftool run per file, kept in FILE.tags.
exif_tag() {
  [ -f "$2.tags" ] || exiftool -n -s -G1 -a "$2" >"$2.tags" || fail "exiftool cannot read $2"
  case $1 in *:*) g="[${1%%:*}]" n=${1#*:};; *) g="" n=$1;; esac
  awk -v g="$g" -v n="$n" '$2 == n && (g == "" || $1 == g) { sub(/^[^:]*: /, ""); print; exit }' "$2.tags"
}
