#!/bin/sh
# The xkcd part of `make bench`: downloads of comics 100-109 from the local
# test server with a fixed latency per request (default 200 ms), as a
# markdown table for the README.
#   tools/bench-xkcd.sh [BINARY] [LATENCY_MS] [RUNS]
# Rows: one comic's chain (JSON, then its image) with curl, the reference;
# imgpool --sequential; imgpool --threads 10; curl --parallel on the same
# URLs (all JSONs at once, then all images at once); and imgpool --threads 10
# with processing in the pool (--gray --resize 50% --procs 2); then the
# pipeline on 100-139, where comics outnumber threads, with and without
# processing. Each is the median of RUNS runs (default 3). Targets: parallel
# within 1.5x of one chain, sequential about 10x; processing adds at most 20%
# to the downloads.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/imgpool}
latency=${2:-200}
runs=${3:-3}
command -v curl >/dev/null 2>&1 || { echo "bench-xkcd: needs curl (tools/deps.sh bench)" >&2; exit 1; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1

T=$(mktemp -d)
spid=""
trap '[ -z "$spid" ] || kill "$spid" 2>/dev/null; rm -rf "$T"' EXIT
python3 "$root/tools/xkcd-server.py" --latency "$latency" --warm 100-139 \
  --port-file "$T/port" >"$T/server.log" 2>&1 &
spid=$!
n=0
while [ ! -s "$T/port" ]; do
  n=$((n+1)); [ $n -lt 300 ] || { cat "$T/server.log" >&2; exit 1; }
  sleep 0.1
done
url="http://127.0.0.1:$(cat "$T/port")"

# median_time CMD...: runs CMD $runs times (output discarded), prints the
# median wall time in seconds.
median_time() {
  i=0
  : >"$T/times"
  while [ $i -lt "$runs" ]; do
    rm -rf "$T/dl"
    a=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "bench-xkcd: failed: $*" >&2; exit 1; }
    b=$(date +%s.%N)
    echo "$a $b" | awk '{ printf "%.4f\n", $2 - $1 }' >>"$T/times"
    i=$((i+1))
  done
  sort -n "$T/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

chain() {   # one comic the way a client must: the JSON names the image
  img=$(curl -sf "$url/100/info.0.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["img"])')
  curl -sf -o "$T/one" "$img"
}
curl_parallel() {   # the same 20 requests, as parallel as curl can make them
  mkdir -p "$T/dl"
  set --
  for c in 100 101 102 103 104 105 106 107 108 109; do
    set -- "$@" -o "$T/dl/$c.json" "$url/$c/info.0.json"
  done
  curl -sf --parallel --parallel-immediate --parallel-max 10 "$@"
  python3 - "$T/dl" >"$T/dl/images.cfg" <<'PY'
import json, os, sys
for c in range(100, 110):
    img = json.load(open(os.path.join(sys.argv[1], "%d.json" % c)))["img"]
    print('url = "%s"\noutput = "%s/%d.img"' % (img, sys.argv[1], c))
PY
  curl -sf --parallel --parallel-immediate --parallel-max 10 --config "$T/dl/images.cfg"
}

t_chain=$(median_time chain)
t_seq=$(median_time "$bin" xkcd 100-109 --base-url "$url" --out "$T/dl" --sequential -q)
t_par=$(median_time "$bin" xkcd 100-109 --base-url "$url" --out "$T/dl" --threads 10 -q)
t_curl=$(median_time curl_parallel)
t_proc=$(median_time "$bin" xkcd 100-109 --base-url "$url" --out "$T/dl" --threads 10 -q \
  --gray --resize 50% --procs 2)

t_dl40=$(median_time "$bin" xkcd 100-139 --base-url "$url" --out "$T/dl" --threads 10 -q)
t_proc40=$(median_time "$bin" xkcd 100-139 --base-url "$url" --out "$T/dl" --threads 10 -q \
  --gray --resize 50% --procs 2)

row() { echo "$1 $2 $t_chain" | awk '{ printf "| %s | %.2f s | %.1fx |\n", $1, $2, $2 / $3 }' | sed 's/_/ /g'; }
echo "xkcd 100-109 from the local server, ${latency} ms per request, median of $runs runs, $(nproc) CPUs:"
echo
echo "| run | wall | vs one chain |"
echo "| --- | ---: | ---: |"
row "one_comic_(JSON,_then_image),_curl" "$t_chain"
row "imgpool_xkcd_--sequential" "$t_seq"
row "imgpool_xkcd_--threads_10" "$t_par"
row "curl_--parallel_(10_JSONs,_then_10_images)" "$t_curl"
row "imgpool_xkcd_--threads_10_--gray_--resize_50%_--procs_2" "$t_proc"
row "100-139:_imgpool_xkcd_--threads_10" "$t_dl40"
row "100-139:_imgpool_xkcd_--threads_10_--gray_--resize_50%_--procs_2" "$t_proc40"
echo
echo "$t_par $t_chain $t_seq $t_proc $t_dl40 $t_proc40" | awk '{
  printf "parallel / one chain = %.2f (target <= 1.5); sequential / one chain = %.1f (about 10);\n", $1 / $2, $3 / $2
  printf "download+process / download = %.2f for 10 comics on 10 threads (all downloads end\n", $4 / $1
  printf "together: nothing left to hide the last tasks behind), %.2f for 40 on 10 (target <= 1.2)\n", $6 / $5 }'
