#!/bin/sh
# Starts this member's redis-sentinel, monitoring the current master: the one the other sentinels
# name; if none answers, a member that runs as master; if none runs, the first member of MEMBERS
# (whose redis-server starts as the master). Other members wait for one of those, and give up
# after BOOTSTRAP_TIMEOUT seconds (exit 1).
# Environment: see common.sh, and SENTINEL_DIR (writable: Sentinel rewrites its config file),
# REDIS_BIND, QUORUM, DOWN_AFTER_MS, FAILOVER_TIMEOUT_MS.
SCRIPT_NAME=start-sentinel
. "$(dirname "$0")/common.sh"

SENTINEL_DIR="${SENTINEL_DIR:-/sentinel}"
REDIS_BIND="${REDIS_BIND:-* -::*}"
QUORUM="${QUORUM:-2}"
DOWN_AFTER_MS="${DOWN_AFTER_MS:-5000}"
FAILOVER_TIMEOUT_MS="${FAILOVER_TIMEOUT_MS:-60000}"

first="$(first_member)"
deadline=$(($(now) + BOOTSTRAP_TIMEOUT))
while :; do
  if master="$(sentinel_master)"; then
    log "the sentinels name $master as master"
    break
  elif master="$(running_member master)"; then
    log "no sentinel answers; $master runs as master"
    break
  elif [ "$first" = "$SELF_HOST:$REDIS_PORT:$SENTINEL_PORT" ]; then
    master="$SELF_HOST $REDIS_PORT"
    log "no sentinel answers and no master runs: monitoring this member (first member)"
    break
  elif [ "$(now)" -ge "$deadline" ]; then
    log "no master found after ${BOOTSTRAP_TIMEOUT}s; giving up"
    exit 1
  fi
  log "no sentinel answers and no master runs yet; waiting for the first member, $(member_host "$first")"
  sleep 2
done

mkdir -p "$SENTINEL_DIR"
conf="$SENTINEL_DIR/sentinel.conf"
umask 077
{
  printf '%s\n' "port $SENTINEL_PORT"
  printf '%s\n' "bind $REDIS_BIND"
  printf '%s\n' "dir $SENTINEL_DIR"
  printf '%s\n' "sentinel resolve-hostnames yes"
  printf '%s\n' "sentinel announce-hostnames yes"
  printf '%s\n' "sentinel announce-ip $SELF_HOST"
  printf '%s\n' "sentinel announce-port $SENTINEL_PORT"
  printf '%s\n' "sentinel monitor $MASTER_NAME $master $QUORUM"
  printf '%s\n' "sentinel down-after-milliseconds $MASTER_NAME $DOWN_AFTER_MS"
  printf '%s\n' "sentinel failover-timeout $MASTER_NAME $FAILOVER_TIMEOUT_MS"
  printf '%s\n' "sentinel parallel-syncs $MASTER_NAME 1"
  if [ -n "${REDIS_PASSWORD:-}" ]; then
    printf '%s\n' "sentinel auth-pass $MASTER_NAME $(conf_quote "$REDIS_PASSWORD")"
    # Clients AUTH with it, and the sentinels AUTH with it to each other.
    printf '%s\n' "requirepass $(conf_quote "$REDIS_PASSWORD")"
  else
    printf '%s\n' "protected-mode no"
  fi
} >"$conf"
exec redis-sentinel "$conf"
