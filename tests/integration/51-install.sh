#!/bin/sh
# make install puts the binary, man page and bash completion where the
# README says; the man page renders without warnings; completion completes.
. "$ROOT/tests/integration/lib.sh"
make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/usr/local >"$T/log" 2>&1 || { cat "$T/log"; fail "make install failed"; }
for f in bin/imgpool share/man/man1/imgpool.1 share/bash-completion/completions/imgpool \
         share/imgpool/xkcd-server.py share/imgpool/xkcd-records.jsonl; do
  [ -f "$T/root/usr/local/$f" ] || fail "missing $f"
done
# the installed stand-in server finds its installed records by itself
python3 "$T/root/usr/local/share/imgpool/xkcd-server.py" --port-file "$T/port" >"$T/srv.log" 2>&1 &
srv=$!
n=0
while [ ! -s "$T/port" ] && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.1; done
kill "$srv"; wait "$srv" 2>/dev/null
grep -q "^xkcd-server: 50 real records" "$T/srv.log" || { cat "$T/srv.log"; fail "installed server lacks its records"; }
"$T/root/usr/local/bin/imgpool" --version | grep -q '^imgpool [0-9]' || fail "installed binary does not run"
if command -v groff >/dev/null; then
  groff -man -ww -z "$T/root/usr/local/share/man/man1/imgpool.1" 2>"$T/warn"
  [ ! -s "$T/warn" ] || { cat "$T/warn"; fail "man page warnings"; }
fi
# Every option the binary's --help (and xkcd --help) lists is in the man page
# and the completion.
{ "$IMGPOOL" --help; "$IMGPOOL" xkcd --help; } | grep -o -- '--[a-z][a-z-]*' | sort -u | while read -r opt; do
  grep -q -- "$(echo "$opt" | sed 's/-/\\\\-/g')" "$ROOT/doc/imgpool.1" || fail "man page lacks $opt"
  grep -q -- "$opt" "$ROOT/tools/completion/imgpool.bash" || fail "completion lacks $opt"
done || exit 1
command -v bash >/dev/null || exit 0
out=$(bash -c '. "$1"; COMP_WORDS=(imgpool --form); COMP_CWORD=1; _imgpool; echo "${COMPREPLY[@]}"' _ \
  "$T/root/usr/local/share/bash-completion/completions/imgpool")
[ "$out" = "--format" ] || fail "completion of --form gave '$out'"
