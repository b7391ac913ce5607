# shellcheck shell=bash
# shellcheck disable=SC2034  # URL, SERVICE_ID, PROBE_ARGS are read by redis-ci-action.sh
# `start: docker` with `topology: cluster|sentinel`: `redis-ci start` (src/redis_ci/server/, run with
# the job's Python, PROBE_BIN, which a topology needs anyway) starts the nodes and returns once the
# whole topology serves; this file only passes the inputs.
# Sourced by redis-ci-action.sh (uses its error/fail_usage/print_untrusted/job_network/
# remove_stale_containers/url_port, OWNER_LABEL, JOB_KEY, STATE_DIR, ACTION_ROOT and PROBE_BIN);
# sets URL, SERVICE_ID and PROBE_ARGS for the
# `redis-ci wait` that gates the job (at once: the start already waited) and writes its outputs.
#
#   REDIS_CI_TOPOLOGY  cluster (6 nodes: 3 masters, 3 replicas) or sentinel (1 master, 2 replicas,
#                      3 sentinels monitoring it as `mymaster`)
#   REDIS_CI_URL       its port is the first node's port (default 7000 cluster, 6379 sentinel);
#                      node i listens on port+i, sentinel i on port+20000+i
#   REDIS_CI_TLS_DIR   ca.crt, redis.crt and redis.key: TLS only, client certificates required,
#                      for clients, the cluster bus and replication
#
# Runner job: the nodes share the runner's network and announce 127.0.0.1. Container job: they
# join the job's network as redis-node-<i> / redis-sentinel-<i> and announce those names (what
# `generate --tls` certificates name). Every container carries this action's labels, so
# `start: stop` (and the next job on a self-hosted runner) removes them like any other.

start_topology() {
  if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then
    local file
    for file in ca.crt redis.crt redis.key; do
      [ -r "$REDIS_CI_TLS_DIR/$file" ] || fail_usage "tls-dir: $REDIS_CI_TLS_DIR/$file is missing (ca.crt, redis.crt and redis.key are needed)"
    done
  fi
  remove_stale_containers
  local network port started status=0
  network="$(job_network)"
  url_port "${REDIS_CI_URL:-}"
  port=$URL_PORT
  if [ -z "$port" ]; then
    case "$REDIS_CI_TOPOLOGY" in cluster) port=7000 ;; sentinel) port=6379 ;; esac
  fi
  local start=(start --docker "$REDIS_CI_IMAGE" --topology "$REDIS_CI_TOPOLOGY" --port "$port"
    --timeout "${REDIS_CI_TIMEOUT:-60}" --format env
    --label "$OWNER_LABEL" --label "io.github.redis-ci.job=$JOB_KEY"
    --label "io.github.redis-ci.runner=${RUNNER_NAME:-local}")
  if [ -n "$network" ]; then start+=(--network "$network"); fi
  if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then start+=(--tls-dir "$REDIS_CI_TLS_DIR"); fi
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then start+=(--password-env REDIS_CI_PASSWORD); fi
  if [ -n "${REDIS_CI_ARGS:-}" ]; then start+=(--args "$REDIS_CI_ARGS"); fi
  say "starting a Redis ${REDIS_CI_TOPOLOGY} ($REDIS_CI_IMAGE) with redis-ci start"
  mkdir -p "$STATE_DIR"
  started="$(REDIS_CI_STATE_DIR="$STATE_DIR/server" PYTHONPATH="$ACTION_ROOT/src" "$PROBE_BIN" -m redis_ci "${start[@]}" 2>"$STATE_DIR/start.err")" || status=$?
  print_untrusted <"$STATE_DIR/start.err"  # its progress; a server log may be quoted in it
  if [ "$status" != 0 ]; then
    error "Redis not started" "$(tail -n 1 "$STATE_DIR/start.err" | tr -d '\r')"
    exit "$status"
  fi
  # Our own output: KEY=value lines, every value shell-quoted by shlex.quote.
  eval "$started"
  URL=$REDIS_URL
  SERVICE_ID="redis-ci-$REDIS_CI_ID-node-0"
  case "$REDIS_CI_TOPOLOGY" in
    cluster) PROBE_ARGS=(--cluster --node "${REDIS_CLUSTER_NODES#*,}" --replicas 1) ;;
    sentinel) PROBE_ARGS=(--sentinel "$REDIS_SENTINELS" --master-name "$REDIS_MASTER_NAME" --replicas 2) ;;
  esac
  if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then
    PROBE_ARGS+=(--tls-ca-cert "$REDIS_CI_TLS_DIR/ca.crt" --tls-cert "$REDIS_CI_TLS_DIR/redis.crt" --tls-key "$REDIS_CI_TLS_DIR/redis.key")
  fi
}
