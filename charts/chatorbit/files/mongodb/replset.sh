#!/bin/sh
# The "replset" container of every MongoDB member: runs one reconciliation pass of the replica set
# (replset.js) every INTERVAL seconds (default 10), for the life of the pod.
set -eu
trap 'exit 0' TERM INT
INTERVAL="${INTERVAL:-10}"
while :; do
  mongosh --nodb --quiet --norc --file "$(dirname "$0")/replset.js" || echo "replset: the pass failed; trying again in ${INTERVAL}s" >&2
  # In the background, so that the trap runs as soon as SIGTERM arrives.
  sleep "$INTERVAL" &
  wait $! || true
done
