#!/bin/sh
# Probes of the Redis Sentinel pods: probe.sh redis-live | redis-ready | sentinel-live | sentinel-ready
#   redis-live      redis-server answers (PONG, or busy loading / without a master)
#   redis-ready     it serves: PONG, and a replica's link to its master is up
#   sentinel-live   redis-sentinel answers PING
#   sentinel-ready  it knows the master of MASTER_NAME
SCRIPT_NAME=probe
. "$(dirname "$0")/common.sh"

case "${1:-}" in
  redis-live)
    reply="$(timeout 3 redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_PORT" PING 2>/dev/null)" || exit 1
    case "$reply" in
      PONG | LOADING* | MASTERDOWN*) exit 0 ;;
      *) echo "redis-server answered: $reply" >&2; exit 1 ;;
    esac
    ;;
  redis-ready)
    [ "$(rcli 127.0.0.1 "$REDIS_PORT" PING)" = PONG ] || { echo "redis-server does not answer PING" >&2; exit 1; }
    info="$(rcli 127.0.0.1 "$REDIS_PORT" INFO replication | tr -d '\r')" || exit 1
    case "$info" in
      *role:slave*)
        case "$info" in
          *master_link_status:up*) exit 0 ;;
          *) echo "replica without a link to its master" >&2; exit 1 ;;
        esac
        ;;
    esac
    ;;
  sentinel-live)
    [ "$(rcli 127.0.0.1 "$SENTINEL_PORT" PING)" = PONG ] || exit 1
    ;;
  sentinel-ready)
    [ -n "$(rcli 127.0.0.1 "$SENTINEL_PORT" SENTINEL GET-MASTER-ADDR-BY-NAME "$MASTER_NAME")" ] || exit 1
    ;;
  *)
    echo "usage: probe.sh redis-live|redis-ready|sentinel-live|sentinel-ready" >&2
    exit 2
    ;;
esac
