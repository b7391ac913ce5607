#!/usr/bin/env bash
# The body of the composite action (action.yml). Inputs arrive only as REDIS_CI_* environment
# variables, never as expressions pasted into the script (template injection).
#
#   REDIS_CI_URL REDIS_CI_PASSWORD REDIS_CI_TIMEOUT REDIS_CI_CHECKS REDIS_CI_OVERCOMMIT
#   REDIS_CI_SERVICE_ID REDIS_CI_START REDIS_CI_IMAGE REDIS_CI_ARGS REDIS_CI_TOPOLOGY REDIS_CI_TLS_DIR
#
# Flow: refuse Windows -> (start|stop) -> overcommit -> `redis-ci wait` (which writes the step
# outputs and the summary) -> on failure, the container's log and health state.
set -euo pipefail

readonly DEFAULT_URL="redis://localhost:6379/0"
# One label marks every container this action starts; the job label says whose it is.
readonly OWNER_LABEL="io.github.redis-ci.action=1"
ACTION_ROOT="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}"
JOB_KEY="$(printf '%s' "${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}-${GITHUB_JOB:-job}" | tr -c 'A-Za-z0-9_.-' '_')"
STATE_DIR="${RUNNER_TEMP:-/tmp}/redis-ci-action-$JOB_KEY"

error() { printf '::error title=%s::%s\n' "$1" "$2"; }
notice() { printf '::notice title=%s::%s\n' "$1" "$2"; }
fail_usage() { error "redis-ci action" "$1"; exit 2; }

# Untrusted text (a server log) must not be read as workflow commands.
print_untrusted() {
  local token
  token="redis-ci-$RANDOM$RANDOM$RANDOM"
  echo "::stop-commands::$token"
  cat
  echo "::$token::"
}

refuse_windows() {
  case "${RUNNER_OS:-$(uname -s)}" in
    Windows | MINGW* | MSYS* | CYGWIN*)
      error "Redis needs a Linux job" "redis-ci: Windows runners cannot run Redis service or Linux containers. Run this job on ubuntu-latest (services: need Linux), or use start: native on macOS."
      exit 1
      ;;
  esac
}

# The probe is stdlib Python: the runner's (or job container's) python3 is the one dependency.
require_python() {
  if ! command -v python3 >/dev/null 2>&1; then
    error "python3 not found" "redis-ci runs its probe with python3 (>= 3.9), which this job does not have: in a container job use an image with python3 (e.g. python:3.13-slim) or install it before this step"
    exit 1
  fi
}

# Split shell-quoted `args` into words without eval (quotes and "" survive, nothing is executed).
split_args() {
  SERVER_ARGS=()
  [ -n "${REDIS_CI_ARGS:-}" ] || return 0
  local words word
  words="$(mktemp)"
  if ! python3 -c 'import shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' \
    "$REDIS_CI_ARGS" >"$words" 2>/dev/null; then
    rm -f "$words"
    fail_usage "args: cannot split $REDIS_CI_ARGS (unbalanced quotes?)"
  fi
  while IFS= read -r -d '' word; do
    SERVER_ARGS+=("$word")
  done <"$words"
  rm -f "$words"
}

# host and port of a redis:// URL; the port is empty when the URL has none.
url_host() { local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; printf '%s' "${rest%:*}"; }
url_port() {
  local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}
  case "$rest" in *:*) printf '%s' "${rest##*:}" ;; esac
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# This step's own container, if it runs in one: Docker mounts /etc/hostname from the container's
# directory (the hostname itself may be anything, e.g. act sets "vm").
own_container() {
  local id
  id="$(sed -n 's|.*/containers/\([0-9a-f]\{64\}\)/hostname .*|\1|p' /proc/self/mountinfo 2>/dev/null | head -n 1)"
  printf '%s' "${id:-${HOSTNAME:-}}"
}

# A job container (container: set) reaches a container we start through the job's network,
# not through a port published on the runner's loopback.
job_network() {
  local networks self
  self="$(own_container)"
  [ -n "$self" ] || return 0
  networks="$(docker inspect --type container --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' \
    "$self" 2>/dev/null)" || return 0
  printf '%s' "$networks" | tr ' ' '\n' | grep -vx -e '' -e host -e bridge | head -n 1 || true
}

remove_stale_containers() {
  # A container left by an earlier job on this runner (self-hosted runners keep them). Only a
  # named runner runs one job at a time; without RUNNER_NAME another job's container may be live.
  [ -n "${RUNNER_NAME:-}" ] || return 0
  local id
  for id in $(docker ps -aq --filter "label=$OWNER_LABEL" --filter "label=io.github.redis-ci.runner=$RUNNER_NAME"); do
    if [ "$(docker inspect --format '{{index .Config.Labels "io.github.redis-ci.job"}}' "$id")" != "$JOB_KEY" ]; then
      echo "removing a leftover redis-ci container from an earlier job: $id"
      docker rm -f "$id" >/dev/null
    fi
  done
}

start_docker() {
  command -v docker >/dev/null 2>&1 || fail_usage "start: docker needs the Docker CLI on the runner"
  remove_stale_containers
  local name network port
  name="redis-ci-$JOB_KEY-$RANDOM"
  local run=(docker run --detach --name "$name"
    --label "$OWNER_LABEL" --label "io.github.redis-ci.job=$JOB_KEY"
    --label "io.github.redis-ci.runner=${RUNNER_NAME:-local}")
  network="$(job_network)"
  if [ -n "$network" ]; then
    run+=(--network "$network" --network-alias "$name")
    URL="redis://$name:6379/0"
  else
    port="$(url_port "${REDIS_CI_URL:-}")"
    run+=(--publish "127.0.0.1:${port:-}:6379")
  fi
  # ${a[@]+"${a[@]}"}: an empty array under `set -u` on macOS's bash 3.2.
  local server_args=(${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"})
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    server_args+=(--requirepass "$REDIS_CI_PASSWORD")
  fi
  echo "starting $REDIS_CI_IMAGE as container $name"
  if ! "${run[@]}" "$REDIS_CI_IMAGE" ${server_args[@]+"${server_args[@]}"} >/dev/null; then
    error "Redis not started" "docker run $REDIS_CI_IMAGE failed (Docker's reason is above): is the image name right and the port free?"
    exit 1
  fi
  if [ -z "$network" ]; then
    port="$(docker port "$name" 6379/tcp | head -n 1)"
    URL="redis://127.0.0.1:${port##*:}/0"
  fi
  SERVICE_ID="$name"
}

install_redis_server() {
  if [ "${RUNNER_OS:-}" = macOS ] || [ "$(uname -s)" = Darwin ]; then
    brew install redis >/dev/null
  else
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo -n)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 \
      || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
    # The package starts its own service on 6379; this action runs the server it was asked for.
    "${sudo[@]}" systemctl stop redis-server >/dev/null 2>&1 || true
  fi
}

start_native() {
  local server
  server="$(command -v redis-server || command -v valkey-server || true)"
  if [ -z "$server" ]; then
    echo "redis-server is not on PATH: installing it"
    install_redis_server
    server="$(command -v redis-server)"
  fi
  local port
  port="$(url_port "${REDIS_CI_URL:-}")"
  port="${port:-$(free_port)}"
  mkdir -p "$STATE_DIR"
  local config=""
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    # Through stdin, so the password is not on the process's command line.
    local quoted=${REDIS_CI_PASSWORD//\\/\\\\}
    config="requirepass \"${quoted//\"/\\\"}\""
  fi
  echo "starting $("$server" --version | cut -d' ' -f1-3) on 127.0.0.1:$port"
  printf '%s\n' "$config" | "$server" - --port "$port" --bind 127.0.0.1 --daemonize yes \
    --dir "$STATE_DIR" --pidfile "$STATE_DIR/redis-$port.pid" --logfile "$STATE_DIR/redis-$port.log" \
    ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
  URL="redis://127.0.0.1:$port/0"
  NATIVE_LOG="$STATE_DIR/redis-$port.log"
}

stop_started() {
  local id pidfile stopped=0
  if command -v docker >/dev/null 2>&1; then
    for id in $(docker ps -aq --filter "label=$OWNER_LABEL" --filter "label=io.github.redis-ci.job=$JOB_KEY"); do
      docker rm -f "$id" >/dev/null && stopped=$((stopped + 1))
    done
  fi
  local pid _
  for pidfile in "$STATE_DIR"/redis-*.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill "$pid" 2>/dev/null; then
      stopped=$((stopped + 1))
      # Stopped means gone: the port is free for whatever runs next (at most 5 s).
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
    fi
    rm -f "$pidfile"
  done
  echo "redis-ci: stopped $stopped Redis server(s) started by this job"
}

enable_overcommit() {
  [ "${REDIS_CI_OVERCOMMIT:-true}" = true ] || return 0
  [ "$(uname -s)" = Linux ] || return 0
  local current
  current="$(cat /proc/sys/vm/overcommit_memory 2>/dev/null || echo unknown)"
  [ "$current" = 1 ] && return 0
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo -n)
  if echo 1 | "${sudo[@]}" tee /proc/sys/vm/overcommit_memory >/dev/null 2>&1; then
    echo "vm.overcommit_memory set to 1 (was $current): Redis forks (BGSAVE, replication) cannot fail for memory"
  else
    notice "Memory overcommit" "vm.overcommit_memory is $current and cannot be changed here (a container job or no sudo): persistence forks may fail and writes then get MISCONF; start Redis with --save \"\" to switch persistence off."
  fi
}

# The server's side of a failure: its state, health and last log lines.
diagnose() {
  local log=""
  if [ -n "${SERVICE_ID:-}" ] && command -v docker >/dev/null 2>&1; then
    local state
    state="$(docker inspect --format '{{.State.Status}}{{if .State.Health}}, health {{.State.Health.Status}}{{else}}, no health check{{end}}' "$SERVICE_ID" 2>&1 || true)"
    log="$(docker logs --tail 50 "$SERVICE_ID" 2>&1 || true)"
    echo "::group::Redis container $SERVICE_ID ($state): last 50 log lines"
    printf '%s\n' "$log" | print_untrusted
    echo "::endgroup::"
    error "Redis container" "container $SERVICE_ID is $state; its log is in the group above"
  elif [ -n "${NATIVE_LOG:-}" ] && [ -f "$NATIVE_LOG" ]; then
    log="$(tail -n 50 "$NATIVE_LOG")"
    echo "::group::redis-server log (last 50 lines)"
    printf '%s\n' "$log" | print_untrusted
    echo "::endgroup::"
  fi
  case "$log" in
    *"Memory overcommit must be enabled"*)
      notice "Memory overcommit warning in the Redis log" "harmless at startup, but a BGSAVE fork can fail and writes then get MISCONF. On runner jobs this action sets vm.overcommit_memory=1 (overcommit: true); in container jobs pass --save \"\" to the server."
      ;;
  esac
}

main() {
  refuse_windows
  require_python
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    echo "::add-mask::$REDIS_CI_PASSWORD"
  fi
  case "${REDIS_CI_OVERCOMMIT:-true}" in true | false) ;; *) fail_usage "overcommit must be true or false, not ${REDIS_CI_OVERCOMMIT}" ;; esac
  URL="${REDIS_CI_URL:-}"
  SERVICE_ID="${REDIS_CI_SERVICE_ID:-}"
  NATIVE_LOG=""
  PROBE_ARGS=()
  case "${REDIS_CI_TOPOLOGY:-}" in
    "") [ -z "${REDIS_CI_TLS_DIR:-}" ] || fail_usage "tls-dir applies to a started topology (topology: cluster or sentinel)" ;;
    cluster | sentinel)
      case "${REDIS_CI_START:-}" in docker | stop) ;; *) fail_usage "topology: ${REDIS_CI_TOPOLOGY} needs start: docker" ;; esac
      ;;
    *) fail_usage "topology must be empty, cluster or sentinel, not ${REDIS_CI_TOPOLOGY}" ;;
  esac
  case "${REDIS_CI_START:-}" in
    "") URL="${URL:-$DEFAULT_URL}" ;;
    docker)
      split_args
      if [ -n "${REDIS_CI_TOPOLOGY:-}" ]; then
        # shellcheck source=start-topology.sh source-path=SCRIPTDIR
        . "$ACTION_ROOT/scripts/action/start-topology.sh"
        start_topology
      else
        start_docker
      fi
      ;;
    native) split_args; start_native ;;
    stop) stop_started; return 0 ;;
    *) fail_usage "start must be empty, docker, native or stop, not ${REDIS_CI_START}" ;;
  esac
  enable_overcommit

  local probe=(python3 -m redis_ci wait --url "$URL" --timeout "${REDIS_CI_TIMEOUT:-60}" --checks "${REDIS_CI_CHECKS:-ping,pubsub}"
    ${PROBE_ARGS[@]+"${PROBE_ARGS[@]}"})
  local status=0
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    REDISCLI_AUTH="$REDIS_CI_PASSWORD" PYTHONPATH="$ACTION_ROOT/src" "${probe[@]}" || status=$?
  else
    PYTHONPATH="$ACTION_ROOT/src" "${probe[@]}" || status=$?
  fi
  if [ "$status" != 0 ]; then
    diagnose
    exit "$status"
  fi
}

main "$@"
