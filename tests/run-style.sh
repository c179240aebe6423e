#!/bin/sh
# The written style .editorconfig states, checked where a compiler cannot:
# C lines at most 100 characters, no tabs in C, no trailing blanks, a final
# newline. Prints each offending line as FILE:LINE: what, and fails if any.
set -eu
cd "$(dirname "$0")/.."
{ git ls-files '*.c' '*.h' '*.inc' 2>/dev/null || find src include tests tools \( -name '*.[ch]' -o -name '*.inc' \); } | python3 -c '
import sys
bad = 0
files = sys.stdin.read().split()
for f in files:
    text = open(f, encoding="utf-8").read()
    for n, line in enumerate(text.split("\n"), 1):
        why = []
        if len(line) > 100: why.append("%d characters (at most 100)" % len(line))
        if "\t" in line: why.append("a tab (indent with 4 spaces)")
        if line != line.rstrip(): why.append("trailing blanks")
        for w in why:
            print("%s:%d: %s" % (f, n, w)); bad += 1
    if text and not text.endswith("\n"):
        print("%s: no newline at the end" % f); bad += 1
if bad:
    print("style: %d problem(s); see .editorconfig" % bad); sys.exit(1)
print("style: %d C files, 0 problems" % len(files))
'
