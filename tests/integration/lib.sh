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
expect_err() { grep -q -- "$1" "$T/err" || { cat "$T/err"; fail "stderr lacks '$1'"; }; }
is_asan() { case "$BUILD" in *asan*) return 0;; esac; return 1; }
