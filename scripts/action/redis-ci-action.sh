#!/usr/bin/env bash
# The body of the composite action (action.yml). Inputs arrive only as REDIS_CI_* environment
# variables, never as expressions pasted into the script (template injection).
#
#   REDIS_CI_URL REDIS_CI_PASSWORD REDIS_CI_TIMEOUT REDIS_CI_CHECKS REDIS_CI_OVERCOMMIT
#   REDIS_CI_SERVICE_ID REDIS_CI_START REDIS_CI_IMAGE REDIS_CI_VERSION REDIS_CI_ARGS
#   REDIS_CI_TOPOLOGY REDIS_CI_TLS_DIR
#
# Flow: mask the password -> check every input -> pick the probe (python3, else Node) ->
# (start|stop) -> overcommit -> the probe (which writes the step outputs and the summary) -> the
# `port` output, or on failure the container's log and health state.
# Bash builtins wherever they do the job: a fork costs ~1 ms, a python3 start tens of ms.
set -euo pipefail

readonly DEFAULT_URL="redis://localhost:6379/0"
readonly CHECK_NAMES=" ping pubsub rw info "
readonly PYTHON_TOO_OLD=86  # what probe.py exits with on a Python older than 3.9
# One label marks every container this action starts; the job label says whose it is.
readonly OWNER_LABEL="io.github.redis-ci.action=1"
# `start: docker` hands the password over in this file, never on a command line (the official
# images chown /data to their redis user before dropping root).
readonly CONTAINER_CONFIG="/data/redis-ci.conf"
ACTION_ROOT="${GITHUB_ACTION_PATH:-$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)}"
JOB_KEY="${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}-${GITHUB_JOB:-job}"
JOB_KEY="${JOB_KEY//[^A-Za-z0-9_.-]/_}"
STATE_DIR="${RUNNER_TEMP:-/tmp}/redis-ci-action-$JOB_KEY"

# Workflow commands with their title and message escaped as the runner's toolkit does: an input
# or a server's words with a line break in them cannot start a command of their own.
error() { command_line error "$1" "$2"; }
notice() { command_line notice "$1" "$2"; }
command_line() {
  local title
  escape_data "$2"  # a property: also : and ,
  title=${ESCAPED//:/%3A}
  title=${title//,/%2C}
  escape_data "$3"
  printf '::%s title=%s::%s\n' "$1" "$title" "$ESCAPED"
}

# One line of progress: a line break in an input or a server's words is shown as \r or \n.
say() {
  local cr='\r' lf='\n' line
  line=${1//$'\r'/"$cr"}
  line=${line//$'\n'/"$lf"}
  printf '%s\n' "$line"
}
fail_usage() { error "redis-ci action" "$1"; exit 2; }

# Untrusted text (a server log) must not be read as workflow commands.
print_untrusted() {
  local token="redis-ci-$RANDOM$RANDOM$RANDOM"
  echo "::stop-commands::$token"
  cat
  echo "::$token::"
}

on_windows() {
  case "${RUNNER_OS:-}:${OSTYPE:-}" in Windows:* | *:msys* | *:cygwin* | *:win32*) return 0 ;; esac
  return 1
}

on_macos() { [ "${RUNNER_OS:-}" = macOS ] || [[ "${OSTYPE:-}" == darwin* ]]; }

# Escape a workflow command's message (the runner decodes %25, %0D, %0A) into ESCAPED.
escape_data() {
  local text=${1//%/%25}
  text=${text//$'\r'/%0D}
  ESCAPED=${text//$'\n'/%0A}
}

# The whole password, then each of its lines: the runner matches a secret line by line.
mask_password() {
  local password=${REDIS_CI_PASSWORD:-} rest line
  [ -n "$password" ] || return 0
  escape_data "$password"
  echo "::add-mask::$ESCAPED"
  rest=${password//$'\r\n'/$'\n'}
  rest=${rest//$'\r'/$'\n'}
  [[ "$rest" == *$'\n'* ]] || return 0
  while [ -n "$rest" ]; do
    line=${rest%%$'\n'*}
    if [[ "$rest" == *$'\n'* ]]; then rest=${rest#*$'\n'}; else rest=""; fi
    if [ -n "$line" ]; then
      escape_data "$line"
      echo "::add-mask::$ESCAPED"
    fi
  done
}

# The port of a redis:// URL into URL_PORT (empty when the URL has none).
url_port() {
  local rest=${1#*://}
  rest=${rest##*@}
  rest=${rest%%/*}
  rest=${rest%%\?*}
  URL_PORT=""
  case "$rest" in *\]) ;; *:*) URL_PORT=${rest##*:} ;; esac
}

# Every input, before anything is started: a bad one must not leave a server running.
validate_inputs() {
  local timeout=${REDIS_CI_TIMEOUT:-60} checks=${REDIS_CI_CHECKS:-ping,pubsub} check rest
  if ! [[ "$timeout" =~ ^([0-9]+([.][0-9]*)?|[.][0-9]+)$ && "$timeout" =~ [1-9] ]]; then
    fail_usage "timeout must be a positive number of seconds (such as 60 or 2.5), not ${timeout}"
  fi
  [[ "$checks" =~ [^,[:space:]] ]] || fail_usage "checks must name at least one of ping, pubsub, rw, info"
  rest="$checks,"
  while [ -n "$rest" ]; do
    check=${rest%%,*}
    rest=${rest#*,}
    check=${check//[[:space:]]/}
    if [ -n "$check" ] && [[ "$CHECK_NAMES" != *" $check "* ]]; then
      fail_usage "checks: unknown check ${check} (choose from ping, pubsub, rw, info)"
    fi
  done
  case "${REDIS_CI_OVERCOMMIT:-true}" in
    true | false) ;;
    *) fail_usage "overcommit must be true or false, not ${REDIS_CI_OVERCOMMIT}" ;;
  esac
  case "${REDIS_CI_START:-}" in
    "" | docker | native | stop) ;;
    *) fail_usage "start must be empty, docker, native or stop, not ${REDIS_CI_START}" ;;
  esac
  case "${REDIS_CI_TOPOLOGY:-}" in
    "") [ -z "${REDIS_CI_TLS_DIR:-}" ] || fail_usage "tls-dir applies to a started topology (topology: cluster or sentinel)" ;;
    cluster | sentinel)
      case "${REDIS_CI_START:-}" in docker | stop) ;; *) fail_usage "topology: ${REDIS_CI_TOPOLOGY} needs start: docker" ;; esac
      ;;
    *) fail_usage "topology must be empty, cluster or sentinel, not ${REDIS_CI_TOPOLOGY}" ;;
  esac
  if [ -n "${REDIS_CI_VERSION:-}" ]; then
    [[ "$REDIS_CI_VERSION" =~ ^[0-9][A-Za-z0-9._-]{0,63}$ ]] \
      || fail_usage "version must be a server version such as 8.2 or 7.4.2, not ${REDIS_CI_VERSION}"
    case "${REDIS_CI_START:-}" in
      docker | native | stop) ;;
      *) fail_usage "version applies to start: docker or native (the server this action starts)" ;;
    esac
    [[ "${REDIS_CI_IMAGE:-}" != *@* ]] || fail_usage "version and an image pinned by digest (${REDIS_CI_IMAGE}) exclude each other"
  fi
  case "${REDIS_CI_START:-}" in
    docker | native)
      url_port "${REDIS_CI_URL:-}"
      if [ -n "$URL_PORT" ] && ! [[ "$URL_PORT" =~ ^[0-9]{1,5}$ && "$URL_PORT" -ge 1 && "$URL_PORT" -le 65535 ]]; then
        fail_usage "url: the port must be a number from 1 to 65535, not ${URL_PORT}"
      fi
      split_args
      if on_windows; then
        error "Redis needs a Linux job" "redis-ci: start: ${REDIS_CI_START} cannot run on Windows runners (no Linux containers, no redis-server). Start Redis as a service on ubuntu-latest, or leave start empty to wait here for a Redis that is already reachable."
        exit 1
      fi
      ;;
  esac
}

# Split shell-quoted `args` into SERVER_ARGS without eval, as a POSIX shell (and Python's shlex)
# does: single quotes keep everything, in double quotes a backslash escapes only " and \.
split_args() {
  SERVER_ARGS=()
  local text=${REDIS_CI_ARGS:-} word="" started="" quote="" ch i
  for ((i = 0; i < ${#text}; i++)); do
    ch=${text:i:1}
    if [ "$quote" = "'" ]; then
      if [ "$ch" = "'" ]; then quote=""; else word+=$ch; fi
    elif [ "$quote" = '"' ]; then
      if [ "$ch" = '"' ]; then
        quote=""
      elif [ "$ch" = "\\" ] && [[ "${text:i+1:1}" == [\"\\] ]]; then
        i=$((i + 1))
        word+=${text:i:1}
      else
        word+=$ch
      fi
    else
      case "$ch" in
        [[:space:]])
          if [ -n "$started" ]; then
            SERVER_ARGS+=("$word")
            word="" started=""
          fi
          ;;
        "'" | '"') quote=$ch started=1 ;;
        "\\")
          [ $((i + 1)) -lt ${#text} ] || fail_usage "args: cannot split ${REDIS_CI_ARGS} (a backslash at the end)"
          i=$((i + 1))
          word+=${text:i:1} started=1
          ;;
        *) word+=$ch started=1 ;;
      esac
    fi
  done
  [ -z "$quote" ] || fail_usage "args: cannot split ${REDIS_CI_ARGS} (unbalanced quotes?)"
  if [ -n "$started" ]; then SERVER_ARGS+=("$word"); fi
}

# --- the probe ------------------------------------------------------------------------------------
# The job's Python (>= 3.9; `python` on Windows) runs `redis-ci wait` from this checkout; without
# one, the Node probe (scripts/action/probe.js, the same checks and output) runs on a Node from
# PATH or the runner's own, mounted at /__e in container jobs: newest first, and in an Alpine
# container the musl builds.
node_candidates() {
  command -v node || command -v nodejs || true
  if [ -f /etc/alpine-release ]; then
    printf '%s\n' /__e/node24_alpine/bin/node /__e/node20_alpine/bin/node
  else
    printf '%s\n' /__e/node24/bin/node /__e/node20/bin/node /__e/node16/bin/node
  fi
}

# Sets PROBE (python or node) and PROBE_BIN. With `check` (before a start) the Python's version
# is checked now; otherwise the probe run tells (exit 86: too old, then Node is used).
choose_probe() {
  local when=$1 name candidate names=(python3 python)
  PROBE="" PROBE_BIN=""
  # Windows: `python` is the real one; a `python3` there may be the Store's stub that only opens the Store.
  if on_windows; then names=(python python3); fi
  for name in "${names[@]}"; do
    candidate="$(command -v "$name" || true)"
    [ -n "$candidate" ] || continue
    if [ "$when" = check ] && ! "$candidate" -S "$ACTION_ROOT/scripts/action/probe.py" --check 2>/dev/null; then
      continue
    fi
    PROBE=python PROBE_BIN=$candidate
    return 0
  done
  choose_node
}

choose_node() {
  local candidate
  PROBE="" PROBE_BIN=""
  while IFS= read -r candidate; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      PROBE=node PROBE_BIN=$candidate
      return 0
    fi
  done < <(node_candidates)
  error "No python3 or Node in this job" "redis-ci runs its probe with python3 (>= 3.9) or Node (>= 16), and this job has neither (on PATH, or the runner's Node under /__e): in a container job use an image that has one (node:22-slim, python:3.13-slim, most language images), or install python3 or nodejs before this step"
  exit 1
}

# Cluster and sentinel waits exist only in the Python probe.
require_python_for_topology() {
  if [ -n "${REDIS_CI_TOPOLOGY:-}" ] && [ "$PROBE" != python ]; then
    error "python3 needed for a topology" "topology: ${REDIS_CI_TOPOLOGY} is waited for by the Python probe, and this job has no python3 (>= 3.9): use a job image with python3, or one server (no topology)"
    exit 1
  fi
}

# run_probe ARGS...: `redis-ci wait ARGS` on the chosen probe; its exit code in PROBE_STATUS.
run_probe() {
  local command
  PROBE_STATUS=0
  if [ "$PROBE" = python ]; then
    command=("$PROBE_BIN" -S "$ACTION_ROOT/scripts/action/probe.py" wait "$@")
  else
    command=("$PROBE_BIN" "$ACTION_ROOT/scripts/action/probe.js" wait "$@")
  fi
  # The password reaches the probe through the environment, not its command line.
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    REDISCLI_AUTH="$REDIS_CI_PASSWORD" "${command[@]}" || PROBE_STATUS=$?
  else
    "${command[@]}" || PROBE_STATUS=$?
  fi
  if [ "$PROBE" = python ] && [ "$PROBE_STATUS" = "$PYTHON_TOO_OLD" ]; then
    choose_node
    run_probe "$@"
  fi
}

# A free TCP port on 127.0.0.1, from whichever runtime the probe uses.
free_port() {
  if [ "$PROBE" = python ]; then
    "$PROBE_BIN" -S -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    "$PROBE_BIN" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
  fi
}

# The port output: where Redis answered (empty for a unix socket).
write_port_output() {
  [ -n "${GITHUB_OUTPUT:-}" ] || return 0
  local port=""
  case "$URL" in
    unix:*) ;;
    *) url_port "$URL"; port=${URL_PORT:-6379} ;;
  esac
  # The multi-line syntax, as the probe writes its outputs: a value cannot start an entry of its own.
  local delimiter="redis_ci_$RANDOM$RANDOM$RANDOM$RANDOM"
  printf 'port<<%s\n%s\n%s\n' "$delimiter" "$port" "$delimiter" >>"$GITHUB_OUTPUT"
}

# --- start: docker | native | stop -----------------------------------------------------------------
# (`redis-ci start/stop` takes these over; what stays here is input handling and the wait.)

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
      say "removing a leftover redis-ci container from an earlier job: $id"
      docker rm -f "$id" >/dev/null
    fi
  done
}

# `version` picks the image tag: redis:8.2 + version 7.4 -> redis:7.4 (a registry port stays).
apply_version_to_image() {
  [ -n "${REDIS_CI_VERSION:-}" ] || return 0
  local name=$REDIS_CI_IMAGE last
  last=${name##*/}
  if [[ "$last" == *:* ]]; then name=${name%:*}; fi
  REDIS_CI_IMAGE="$name:$REDIS_CI_VERSION"
}

# redis.conf's quoting of one value into QUOTED (its parser reads \n, \r, \t, \" and \\).
config_quote() {
  local value=${1//\\/\\\\}
  value=${value//\"/\\\"}
  value=${value//$'\n'/\\n}
  value=${value//$'\r'/\\r}
  QUOTED="\"${value//$'\t'/\\t}\""
}

start_docker() {
  command -v docker >/dev/null 2>&1 || fail_usage "start: docker needs the Docker CLI on the runner"
  remove_stale_containers
  local name network port config_dir output
  name="redis-ci-$JOB_KEY-$RANDOM"
  local create=(docker create --name "$name"
    --label "$OWNER_LABEL" --label "io.github.redis-ci.job=$JOB_KEY"
    --label "io.github.redis-ci.runner=${RUNNER_NAME:-local}")
  network="$(job_network)"
  if [ -n "$network" ]; then
    create+=(--network "$network" --network-alias "$name")
    URL="redis://$name:6379/0"
  else
    url_port "${REDIS_CI_URL:-}"
    create+=(--publish "127.0.0.1:${URL_PORT}:6379")
  fi
  # ${a[@]+"${a[@]}"}: an empty array under `set -u` on macOS's bash 3.2.
  local server_args=(${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"})
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    # The image's entrypoint runs redis-server for a leading *.conf; the file is copied in below.
    server_args=("$CONTAINER_CONFIG" ${server_args[@]+"${server_args[@]}"})
  fi
  say "starting $REDIS_CI_IMAGE as container $name"
  if ! "${create[@]}" "$REDIS_CI_IMAGE" ${server_args[@]+"${server_args[@]}"} >/dev/null; then
    error "Redis not started" "docker create $REDIS_CI_IMAGE failed (Docker's reason is above): is the image name right?"
    exit 1
  fi
  SERVICE_ID="$name"
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    # Not on the command line (docker inspect .Args, ps): a 0600 file, removed once copied.
    config_dir="$(mktemp -d "${RUNNER_TEMP:-/tmp}/redis-ci-config.XXXXXX")"
    config_quote "$REDIS_CI_PASSWORD"
    (umask 077 && printf 'requirepass %s\n' "$QUOTED" >"$config_dir/redis-ci.conf")
    if ! output="$(docker cp "$config_dir/redis-ci.conf" "$name:$CONTAINER_CONFIG" 2>&1)"; then
      rm -rf "$config_dir"
      printf '%s\n' "$output" | print_untrusted
      error "Redis not started" "cannot copy the server's config into container $name (Docker's reason is above)"
      exit 1
    fi
    rm -rf "$config_dir"
  fi
  if ! docker start "$name" >/dev/null; then
    error "Redis not started" "docker start $name failed (Docker's reason is above): is the port free?"
    exit 1
  fi
  if [ -z "$network" ]; then
    port="$(docker port "$name" 6379/tcp | head -n 1)"
    URL="redis://127.0.0.1:${port##*:}/0"
  fi
}

install_redis_server() {
  if on_macos; then
    brew install redis >/dev/null
  else
    local sudo=()
    [ "$EUID" = 0 ] || sudo=(sudo -n)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 \
      || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
    # The package starts its own service on 6379; this action runs the server it was asked for.
    "${sudo[@]}" systemctl stop redis-server >/dev/null 2>&1 || true
  fi
}

start_native() {
  local server port version
  server="$(command -v redis-server || command -v valkey-server || true)"
  if [ -z "$server" ]; then
    echo "redis-server is not on PATH: installing it"
    install_redis_server
    server="$(command -v redis-server)"
  fi
  version="$("$server" --version)"  # Redis server v=7.0.15 sha=...
  version=${version#*v=}
  version=${version%% *}
  if [ -n "${REDIS_CI_VERSION:-}" ] && [ "$version" != "$REDIS_CI_VERSION" ] && [[ "$version" != "$REDIS_CI_VERSION".* ]]; then
    error "Redis version not available natively" "start: native found $server $version, not version ${REDIS_CI_VERSION}: this runner's package manager offers no other; use start: docker for a given version"
    exit 1
  fi
  url_port "${REDIS_CI_URL:-}"
  port="${URL_PORT:-$(free_port)}"
  mkdir -p "$STATE_DIR"
  local config=""
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    # Through stdin, so the password is not on the process's command line.
    config_quote "$REDIS_CI_PASSWORD"
    config="requirepass $QUOTED"
  fi
  say "starting ${server##*/} $version on 127.0.0.1:$port"
  printf '%s\n' "$config" | "$server" - --port "$port" --bind 127.0.0.1 --daemonize yes \
    --dir "$STATE_DIR" --pidfile "$STATE_DIR/redis-$port.pid" --logfile "$STATE_DIR/redis-$port.log" \
    ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
  URL="redis://127.0.0.1:$port/0"
  NATIVE_LOG="$STATE_DIR/redis-$port.log"
}

stop_started() {
  local id pidfile pid _ stopped=0 ids=()
  if command -v docker >/dev/null 2>&1; then
    while read -r id; do
      [ -n "$id" ] && ids+=("$id")
    done < <(docker ps -aq --filter "label=$OWNER_LABEL" --filter "label=io.github.redis-ci.job=$JOB_KEY")
    # All frozen first, then removed: a sentinel or replica still running while another node is
    # removed looks the removed one's name up, and Docker's DNS sends the miss to the machine's resolver.
    [ "${#ids[@]}" -eq 0 ] || docker pause "${ids[@]}" >/dev/null 2>&1 || true
    for id in ${ids[@]+"${ids[@]}"}; do
      docker rm -f -v "$id" >/dev/null && stopped=$((stopped + 1))
    done
  fi
  for pidfile in "$STATE_DIR"/redis-*.pid; do
    [ -f "$pidfile" ] || continue
    read -r pid <"$pidfile"
    if kill "$pid" 2>/dev/null; then
      stopped=$((stopped + 1))
      # Stopped means gone: the port is free for whatever runs next (at most 5 s).
      for _ in {1..100}; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
    fi
    rm -f "$pidfile"
  done
  # What `redis-ci start` recorded of a topology: its containers carry this job's labels and are
  # gone by now (above).
  rm -rf "$STATE_DIR/server"
  echo "redis-ci: stopped $stopped Redis server(s) started by this job"
}

enable_overcommit() {
  [ "${REDIS_CI_OVERCOMMIT:-true}" = true ] || return 0
  [[ "${OSTYPE:-}" == linux* ]] || return 0
  local current=unknown
  { read -r current </proc/sys/vm/overcommit_memory; } 2>/dev/null || true
  [ "$current" = 1 ] && return 0
  local sudo=()
  [ "$EUID" = 0 ] || sudo=(sudo -n)
  if echo 1 | "${sudo[@]}" tee /proc/sys/vm/overcommit_memory >/dev/null 2>&1; then
    say "vm.overcommit_memory set to 1 (was $current): Redis forks (BGSAVE, replication) cannot fail for memory"
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
    escape_data "Redis container $SERVICE_ID ($state): last 50 log lines"
    echo "::group::$ESCAPED"
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
  mask_password
  SERVER_ARGS=()
  validate_inputs
  URL="${REDIS_CI_URL:-}"
  SERVICE_ID="${REDIS_CI_SERVICE_ID:-}"
  NATIVE_LOG=""
  PROBE_ARGS=()
  case "${REDIS_CI_START:-}" in
    "")
      choose_probe later
      URL="${URL:-$DEFAULT_URL}"
      ;;
    docker)
      choose_probe check
      require_python_for_topology
      apply_version_to_image
      if [ -n "${REDIS_CI_TOPOLOGY:-}" ]; then
        # shellcheck source=start-topology.sh source-path=SCRIPTDIR
        . "$ACTION_ROOT/scripts/action/start-topology.sh"
        start_topology
      else
        start_docker
      fi
      ;;
    native)
      choose_probe check
      start_native
      ;;
    stop)
      stop_started
      return 0
      ;;
  esac
  enable_overcommit

  run_probe --url "$URL" --timeout "${REDIS_CI_TIMEOUT:-60}" --checks "${REDIS_CI_CHECKS:-ping,pubsub}" \
    ${PROBE_ARGS[@]+"${PROBE_ARGS[@]}"}
  if [ "$PROBE_STATUS" != 0 ]; then
    diagnose
    exit "$PROBE_STATUS"
  fi
  write_port_output
}

# Sourced (the tests call its functions), nothing runs; run, it is the action.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
