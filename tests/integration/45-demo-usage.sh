#!/bin/sh
# A demo's usage error is found before the demo prints anything: exit 2,
# nothing on stdout (no explanation), and one line on stderr naming the
# demo, the bad argument and where to look; for what a demo hands on to
# another parser (xkcd's range and the downloader's options after --, the
# folder job's options after --), that parser's own message names it first.
. "$ROOT/tests/integration/lib.sh"

# usage_error SAYS NAME ARGS...: `imgpool demo NAME ARGS...` is a usage
# error whose stderr holds SAYS.
usage_error() {
  says=$1; shift
  expect_exit 2 "$IMGPOOL" demo "$@"
  [ ! -s "$T/out" ] || { cat "$T/out"; fail "demo $*: printed before its usage error"; }
  expect_err "$says"
  expect_err "imgpool demo $1 --help"
}

# the driver's own checks: relations between options, bad numbers, extras
usage_error "imgpool demo fib-procs: --to 31 must not be below --from 35" \
  fib-procs --from 35 --to 31 --lang en
usage_error "imgpool demo pool-map: --to 100 must be above --from 100" \
  pool-map --from 100 --to 100 --lang en
usage_error "imgpool demo race: --ms needs a number from 1 to 60000, not 'many'" \
  race --ms many --lang en
usage_error "imgpool demo race: --ms needs a value" race --lang en --ms
usage_error "imgpool demo primes: unexpected argument 'extra'" primes extra --lang en
usage_error "imgpool demo primes: unknown option '--bogus'" primes --bogus --lang en
usage_error "imgpool demo fib-procs: --lang takes de or en, not 'fr'" fib-procs --lang fr
# in the chosen language, wherever --lang stands
usage_error "imgpool demo fib-procs: --to 31 darf nicht unter --from 35 liegen (siehe" \
  fib-procs --from 35 --to 31 --lang de

# the chosen language holds for what is found before --lang, too
usage_error "imgpool demo primes: unbekannte Option '--bogus' (siehe" primes --bogus --lang de

# tour takes --lang and --help only; it rejects the rest the same way
LANG=C usage_error "imgpool demo tour: unknown option '--bogus'" tour --bogus
usage_error "imgpool demo tour: unexpected argument 'extra'" tour extra --lang en
LANG=C usage_error "imgpool demo tour: --lang needs a value" tour --lang
usage_error "imgpool demo tour: --lang takes de or en, not 'fr'" tour --lang fr
usage_error "imgpool demo tour: --lang takes de or en, not ''" tour --lang=
usage_error "imgpool demo tour: unbekannte Option '--bogus' (siehe" tour --bogus --lang de
LANG=de_DE.UTF-8 usage_error "imgpool demo tour: --lang nimmt de oder en, nicht 'fr'" \
  tour --lang fr
expect_exit 0 "$IMGPOOL" demo tour --help --lang de
grep -q '^Aufruf: imgpool demo tour ' "$T/out" && grep -q '^  --lang de|en ' "$T/out" ||
  { cat "$T/out"; fail "tour --help"; }
grep -q '^== imgpool demo' "$T/out" && fail "tour --help ran a demo"
# no such demo: named in the chosen language, then the list
expect_exit 2 "$IMGPOOL" demo nosuch --lang de
expect_err "imgpool demo: keine Demo namens 'nosuch' (siehe imgpool demo --help)"
[ ! -s "$T/out" ] || fail "demo nosuch printed on stdout"

# what the demo hands on: checked by the parser that will read it
usage_error "range 'abc'" xkcd --range abc --lang en
usage_error "'ftp://example.com'" xkcd --base-url ftp://example.com --lang en
usage_error "unknown option '--bogus'" xkcd --offline --lang en -- --retries 1 --bogus
usage_error "invalid value for --retry-delay: 'x'" xkcd --lang en -- --retry-delay x
mkdir "$T/tmp"
TMPDIR="$T/tmp" usage_error "unknown option '--bogus'" image-pool --lang en -- --gray --bogus
[ -z "$(ls -A "$T/tmp")" ] || fail "image-pool: a usage error left $(ls -A "$T/tmp")"
usage_error "geometry 'nonsense'" image-pool --lang en -- --resize nonsense
many=$(seq 65 | sed 's/.*/--gray/' | tr '\n' ' ')
# shellcheck disable=SC2086   # one argument per word
usage_error "at most 64 arguments after --, not 65" image-pool --lang en -- $many

# the job's --help after -- answers, and nothing runs
expect_exit 0 "$IMGPOOL" demo image-pool --lang en -- --help
grep -q '^Usage: imgpool \[OPTIONS\] DIR|FILE' "$T/out" || { cat "$T/out"; fail "the job's help"; }
grep -q '^== imgpool demo' "$T/out" && fail "image-pool -- --help ran the demo"
expect_exit 0 "$IMGPOOL" demo xkcd --offline --lang en -- --help
grep -q '^Usage: imgpool xkcd RANGE' "$T/out" || { cat "$T/out"; fail "the downloader's help"; }
grep -q '^== imgpool demo\|^local xkcd server' "$T/out" && fail "xkcd -- --help ran the demo"
exit 0
