# shellcheck shell=sh
# Shared by the Redis Sentinel scripts of the chatorbit chart (sourced, not run).
#
# Environment (set by the StatefulSet; the chart's tests set it for processes on loopback):
#   MASTER_NAME        the name the sentinels monitor the master under
#   SELF_HOST          this member's stable host name (announced to the others)
#   REDIS_PORT         redis-server port of this member (default 6379)
#   SENTINEL_PORT      redis-sentinel port of this member (default 26379)
#   MEMBERS            every member, first one first, as space-separated host:redisPort:sentinelPort
#   REDIS_PASSWORD     requirepass/masterauth of the data nodes and requirepass of the sentinels
#   BOOTSTRAP_TIMEOUT  seconds to wait for a master before giving up (exit 1: the pod restarts)
set -eu
# No globbing: MEMBERS and replies are split on spaces, never expanded.
set -f
# As PID 1 of its container a shell ignores SIGTERM unless it traps it (until it execs the server).
trap 'exit 143' TERM INT

: "${MASTER_NAME:?MASTER_NAME is not set}"
: "${SELF_HOST:?SELF_HOST is not set}"
: "${MEMBERS:?MEMBERS is not set}"
REDIS_PORT="${REDIS_PORT:-6379}"
SENTINEL_PORT="${SENTINEL_PORT:-26379}"
BOOTSTRAP_TIMEOUT="${BOOTSTRAP_TIMEOUT:-120}"
# redis-cli reads the password from REDISCLI_AUTH, so it never shows in `ps`.
if [ -n "${REDIS_PASSWORD:-}" ]; then
  REDISCLI_AUTH="$REDIS_PASSWORD"
  export REDISCLI_AUTH
fi

log() {
  printf "%s %s: %s\n" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${SCRIPT_NAME:-redis}" "$*" >&2
}

# rcli HOST PORT ARGS...: one command, raw reply on stdout; fails (quietly) when the server
# cannot be reached within 3 s or answers with an error.
rcli() {
  _host="$1"
  _port="$2"
  shift 2
  _out="$(timeout 3 redis-cli --no-auth-warning --raw -h "$_host" -p "$_port" "$@" 2>/dev/null)" || return 1
  case "$_out" in
    ERR* | NOAUTH* | WRONGPASS* | LOADING* | MASTERDOWN* | BUSY* | NOPERM*) return 1 ;;
  esac
  printf '%s\n' "$_out"
}

# The first member is the one that starts as master when no master exists yet.
first_member() {
  for _m in $MEMBERS; do
    printf '%s\n' "$_m"
    return 0
  done
}

member_host() { printf '%s\n' "${1%%:*}"; }
member_redis_port() {
  _rest="${1#*:}"
  printf '%s\n' "${_rest%%:*}"
}
member_sentinel_port() { printf '%s\n' "${1##*:}"; }

is_self() {
  [ "$1" = "$SELF_HOST" ] && [ "$2" = "$REDIS_PORT" ]
}

# sentinel_master: "host port" of the master most sentinels name; fails when no sentinel answers.
sentinel_master() {
  _answers=""
  for _m in $MEMBERS; do
    _h="$(member_host "$_m")"
    _sp="$(member_sentinel_port "$_m")"
    _reply="$(rcli "$_h" "$_sp" SENTINEL GET-MASTER-ADDR-BY-NAME "$MASTER_NAME")" || continue
    # Two lines (host, port), or an empty/nil reply from a sentinel that does not know the name.
    _addr="$(printf '%s\n' "$_reply" | sed -n '1h;2{H;x;s/\n/ /;p;}')"
    case "$_addr" in
      *" "[0-9]*) _answers="$_answers$_addr
" ;;
    esac
  done
  [ -n "$_answers" ] || return 1
  printf '%s' "$_answers" | sort | uniq -c | sort -k1,1nr -s | head -n 1 | sed 's/^ *[0-9]* //'
}

# running_member ROLE: "host port" of the first member whose redis-server has that role
# (master or slave); fails if none.
running_member() {
  for _m in $MEMBERS; do
    _h="$(member_host "$_m")"
    _rp="$(member_redis_port "$_m")"
    _role="$(rcli "$_h" "$_rp" ROLE | head -n 1)" || continue
    if [ "$_role" = "$1" ]; then
      printf '%s %s\n' "$_h" "$_rp"
      return 0
    fi
  done
  return 1
}

# conf_quote VALUE: VALUE as a double-quoted redis.conf argument.
conf_quote() {
  printf '"%s"\n' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

now() { date +%s; }
