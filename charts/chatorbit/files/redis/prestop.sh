#!/bin/sh
# preStop of the redis container: when this member is the master and a replica is in sync, ask the
# sentinels for a failover and wait (at most PRESTOP_TIMEOUT seconds, default 30) until another
# member is master, so that a rolling update or a node drain hands the master over instead of
# leaving the group without one for down-after-milliseconds. Never fails: the pod stops anyway.
SCRIPT_NAME=prestop
. "$(dirname "$0")/common.sh"

PRESTOP_TIMEOUT="${PRESTOP_TIMEOUT:-30}"
role="$(rcli 127.0.0.1 "$REDIS_PORT" ROLE | head -n 1)" || exit 0
[ "$role" = master ] || exit 0
info="$(rcli 127.0.0.1 "$REDIS_PORT" INFO replication | tr -d '\r')" || exit 0
case "$info" in
  *state=online*) ;;
  *)
    log "master without a replica in sync: no failover"
    exit 0
    ;;
esac

deadline=$(($(now) + PRESTOP_TIMEOUT))
asked=""
while [ "$(now)" -lt "$deadline" ]; do
  if master="$(sentinel_master)" && ! is_self "${master% *}" "${master#* }"; then
    log "the sentinels promoted $master"
    exit 0
  fi
  if [ -z "$asked" ]; then
    for m in $MEMBERS; do
      if rcli "$(member_host "$m")" "$(member_sentinel_port "$m")" SENTINEL FAILOVER "$MASTER_NAME" >/dev/null; then
        asked="$(member_host "$m")"
        log "asked the sentinel on $asked for a failover"
        break
      fi
    done
  fi
  sleep 1
done
log "no failover within ${PRESTOP_TIMEOUT}s; stopping anyway"
exit 0
