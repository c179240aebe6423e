#!/bin/sh
# GNU parallel over ssh: 4 shards spread over the machines in SSHLOGIN, all
# writing into one shared (e.g. NFS) folder. SSHLOGIN=":" runs them locally.
#   SSHLOGIN=server1,server2 IN=/nfs/photos OUT=/nfs/small sh tools/examples/gnu-parallel.sh
set -eu
IMGPOOL=${IMGPOOL:-imgpool}
SSHLOGIN=${SSHLOGIN:-server1,server2}
IN=${IN:-/nfs/photos}
OUT=${OUT:-/nfs/photos-small}
SHARDS=${SHARDS:-4}
status=0
seq 1 "$SHARDS" | parallel --will-cite --sshlogin "$SSHLOGIN" --halt never \
  "$IMGPOOL" -r "$IN" --resize "'1024x1024>'" --format jpg --quality 85 -q -o "$OUT" \
  --shard {}/"$SHARDS" --report "$OUT/.report-{}.json" || status=$?
# parallel exits with the number of failed shards: merge what there is anyway.
"$IMGPOOL" report merge "$OUT"/.report-*.json
exit "$status"
