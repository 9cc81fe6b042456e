#!/bin/sh
# Starts this member's redis-server, as a replica of the current master or as the master:
#  1. The sentinels name a master that is another member: replica of it.
#  2. The sentinels name this member (it is restarting before they noticed it was gone): with data
#     of its own (persistence) it goes on as the master; otherwise, while a replica runs, it waits
#     for the sentinels to promote that replica (which holds the data) and then replicates from it;
#     with no replica running there is nothing to lose and it starts as the master.
#  3. No sentinel answers (a new group, or every sentinel restarted): replica of a member that runs
#     as master; with none, the first member of MEMBERS starts as the master and the others wait.
# Gives up after BOOTSTRAP_TIMEOUT seconds (exit 1), so that Kubernetes restarts it.
# Environment: see common.sh, and DATA_DIR, CONF_DIR, REDIS_BIND, PERSISTENCE (yes/no).
SCRIPT_NAME=start-redis
. "$(dirname "$0")/common.sh"

DATA_DIR="${DATA_DIR:-/data}"
CONF_DIR="${CONF_DIR:-/conf}"
REDIS_BIND="${REDIS_BIND:-* -::*}"
PERSISTENCE="${PERSISTENCE:-no}"

has_data() {
  [ "$PERSISTENCE" = yes ] && { [ -s "$DATA_DIR/dump.rdb" ] || [ -d "$DATA_DIR/appendonlydir" ]; }
}

first="$(first_member)"
deadline=$(($(now) + BOOTSTRAP_TIMEOUT))
replicaof=""
while :; do
  if master="$(sentinel_master)"; then
    # shellcheck disable=SC2086 # "host port"
    set -- $master
    if ! is_self "$1" "$2"; then
      replicaof="$1 $2"
      log "the sentinels name $1:$2 as master: starting as its replica"
      break
    fi
    if has_data; then
      log "the sentinels name this member as master and it has data: starting as master"
      break
    fi
    if replica="$(running_member slave)"; then
      if [ "$(now)" -ge "$deadline" ]; then
        log "the sentinels still name this member as master after ${BOOTSTRAP_TIMEOUT}s; giving up"
        exit 1
      fi
      log "the sentinels still name this member (restarted without data) as master; waiting for them to promote a replica (${replica% *} is one)"
    else
      log "the sentinels name this member as master and no replica is running: starting as master"
      break
    fi
  elif master="$(running_member master)"; then
    # shellcheck disable=SC2086
    set -- $master
    replicaof="$1 $2"
    log "no sentinel answers; $1:$2 runs as master: starting as its replica"
    break
  elif [ "$first" = "$SELF_HOST:$REDIS_PORT:$SENTINEL_PORT" ]; then
    log "no sentinel answers and no master runs: starting as master (first member)"
    break
  elif [ "$(now)" -ge "$deadline" ]; then
    log "no master found after ${BOOTSTRAP_TIMEOUT}s (waiting for the first member, $(member_host "$first")); giving up"
    exit 1
  else
    log "no sentinel answers and no master runs yet; waiting for the first member, $(member_host "$first")"
  fi
  sleep 2
done

mkdir -p "$CONF_DIR"
conf="$CONF_DIR/redis.conf"
umask 077
{
  printf '%s\n' "port $REDIS_PORT"
  printf '%s\n' "bind $REDIS_BIND"
  printf '%s\n' "dir $DATA_DIR"
  # The sentinels and the other members find this one by its stable host name.
  printf '%s\n' "replica-announce-ip $SELF_HOST"
  printf '%s\n' "replica-announce-port $REDIS_PORT"
  printf '%s\n' "repl-diskless-sync yes"
  printf '%s\n' "repl-diskless-sync-delay 1"
  if [ "$PERSISTENCE" = yes ]; then
    printf '%s\n' "appendonly yes"
  else
    printf '%s\n' "appendonly no"
    printf '%s\n' 'save ""'
  fi
  if [ -n "${REDIS_PASSWORD:-}" ]; then
    printf '%s\n' "requirepass $(conf_quote "$REDIS_PASSWORD")"
    printf '%s\n' "masterauth $(conf_quote "$REDIS_PASSWORD")"
  else
    printf '%s\n' "protected-mode no"
  fi
  if [ -n "$replicaof" ]; then
    printf '%s\n' "replicaof $replicaof"
  fi
} >"$conf"
exec redis-server "$conf"
