# Sourced by the 3*-xkcd-* tests, after lib.sh: the local xkcd server
# (tools/xkcd-server.py) on a free loopback port, and what it saw.
# ($T/out and $T/err are lib.sh's capture files: download elsewhere.)
# The server's records are the project's fixture (tools/xkcd-records.jsonl).
RECORDS="$ROOT/tools/xkcd-records.jsonl"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
# loopback only, whatever proxy the environment names
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
unset IMGPOOL_XKCD_BASE_URL

SERVER_PIDS=""
stop_servers() {
  for p in $SERVER_PIDS; do kill "$p" 2>/dev/null; done
  for p in $SERVER_PIDS; do wait "$p" 2>/dev/null; done
  SERVER_PIDS=""
}
trap 'stop_servers; chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT

# start_server NAME [SERVER OPTIONS...]: starts a server, waits (at most
# 30 s) for its port, and sets URL (http://127.0.0.1:PORT or https://...).
start_server() {
  name=$1; shift
  python3 "$ROOT/tools/xkcd-server.py" --records "$RECORDS" --port-file "$T/$name.port" \
    "$@" >"$T/$name.log" 2>&1 &
  SERVER_PIDS="$SERVER_PIDS $!"
  n=0
  while [ ! -s "$T/$name.port" ]; do
    n=$((n+1)); [ $n -lt 300 ] || { cat "$T/$name.log"; fail "server $name did not start"; }
    sleep 0.1
  done
  URL=$(sed -n 's|^xkcd-server: .* on \(.*\)/$|\1|p' "$T/$name.log")
  [ -n "$URL" ] || { cat "$T/$name.log"; fail "server $name printed no URL"; }
}

# server_stat URL KEY [CAFILE]: one value from the server's /_stats.
server_stat() {
  python3 - "$@" <<'EOF'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[3]) if len(sys.argv) > 3 else None
v = json.load(urllib.request.urlopen(sys.argv[1] + "/_stats", context=ctx, timeout=10))
print(json.dumps(v[sys.argv[2]]) if isinstance(v[sys.argv[2]], (dict, list)) else v[sys.argv[2]])
EOF
}
# reset_stats URL: zeroes the server's counters.
reset_stats() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/_stats?reset=1", timeout=10).read()' "$1"
}
# path_hits URL PATH: how many requests the server saw for PATH.
path_hits() {
  python3 - "$1" "$2" <<'EOF'
import json, sys, urllib.request
v = json.load(urllib.request.urlopen(sys.argv[1] + "/_stats", timeout=10))
print(v["paths"].get(sys.argv[2], 0))
EOF
}
# no_temp_files DIR: fails if a temp file was left behind.
no_temp_files() {
  left=$(find "$1" -name '.*imgpool*')
  [ -z "$left" ] || fail "temp files left behind: $left"
}
