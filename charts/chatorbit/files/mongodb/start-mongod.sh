#!/bin/sh
# Starts mongod as a member of the replica set REPLICA_SET, through the official image's
# entrypoint (which creates the root user from MONGO_INITDB_ROOT_* in a new data directory).
# mongod refuses a keyfile that its group or others can read, and a Secret volume with an fsGroup
# is group-readable: copy it to a private file first.
set -eu
: "${REPLICA_SET:?REPLICA_SET is not set}"
KEYFILE_SOURCE="${KEYFILE_SOURCE:-/keyfile-secret/keyfile}"
KEYFILE="${KEYFILE:-/run/mongodb/keyfile}"

rm -f "$KEYFILE"
(umask 077 && cat "$KEYFILE_SOURCE" >"$KEYFILE")
chmod 0400 "$KEYFILE"
exec docker-entrypoint.sh mongod --replSet "$REPLICA_SET" --bind_ip_all --port 27017 \
  --keyFile "$KEYFILE" --dbpath /data/db
