# shellcheck shell=bash
# shellcheck disable=SC2034  # URL, SERVICE_ID, PROBE_ARGS are read by redis-ci-action.sh
# `start: docker` with `topology: cluster|sentinel`: several Redis containers from one image.
# Sourced by redis-ci-action.sh (uses its error/fail_usage/job_network/remove_stale_containers/
# config_quote, OWNER_LABEL, JOB_KEY, STATE_DIR and SERVER_ARGS); sets URL, SERVICE_ID and PROBE_ARGS for the
# `redis-ci wait` that gates the job.
#
#   REDIS_CI_TOPOLOGY  cluster (6 nodes: 3 masters, 3 replicas) or sentinel (1 master, 2 replicas,
#                      3 sentinels monitoring it as `mymaster`)
#   REDIS_CI_URL       its port is the first node's port (default 7000 cluster, 6379 sentinel);
#                      node i listens on port+i, sentinel i on port+20000+i
#   REDIS_CI_TLS_DIR   ca.crt, redis.crt and redis.key: TLS only (port 0), client certificates
#                      required, for clients, the cluster bus and replication
#
# Where the nodes are, and why. Cluster clients follow MOVED/CLUSTER SLOTS to the address each
# node announces, and sentinel clients connect to the address the sentinels announce, so every
# announced address must be one the job's own steps can reach:
#   - runner job: the nodes share the runner's network (--network host), listen on 127.0.0.1 and
#     announce 127.0.0.1:port. Fixed addresses, nothing exposed beyond loopback.
#   - container job: 127.0.0.1 is the job container itself, so the nodes join the job's network
#     with the aliases redis-node-<i> / redis-sentinel-<i> and announce those names
#     (cluster-announce-hostname + cluster-preferred-endpoint-type hostname, Redis >= 7.0;
#     replica-announce-ip and sentinel announce-hostnames, Redis >= 6.2). Names, not container
#     IPs: they are fixed before the containers exist, so TLS certificates can name them.

readonly TOPOLOGY_MASTER_NAME="mymaster"
readonly TOPOLOGY_TLS_MOUNT="/data/tls"  # the official image chowns /data to its redis user
TOPOLOGY_NAMES=()

# Everything a node needs to speak TLS on `port` (plain: nothing to add).
tls_server_args() {
  local port=$1
  if [ -z "${REDIS_CI_TLS_DIR:-}" ]; then
    printf '%s\0' --port "$port"
    return
  fi
  printf '%s\0' --port 0 --tls-port "$port" --tls-replication yes \
    --tls-cert-file "$TOPOLOGY_TLS_MOUNT/redis.crt" --tls-key-file "$TOPOLOGY_TLS_MOUNT/redis.key" \
    --tls-ca-cert-file "$TOPOLOGY_TLS_MOUNT/ca.crt"
}

# redis-cli's connection options inside a node container.
cli_connection_args() {
  [ -n "${REDIS_CI_TLS_DIR:-}" ] || return 0
  printf '%s\0' --tls --cacert "$TOPOLOGY_TLS_MOUNT/ca.crt" \
    --cert "$TOPOLOGY_TLS_MOUNT/redis.crt" --key "$TOPOLOGY_TLS_MOUNT/redis.key"
}

# create_node NAME ALIAS ENTRYPOINT [arguments...]: a labelled container (ENTRYPOINT empty: the
# image's own), certificates copied in before it starts (docker cp reads this job's files, which a
# -v mount from a container job or under act would not find on the Docker host).
create_node() {
  local name=$1 alias=$2 entrypoint=$3
  shift 3
  local create=(docker create --name "$name"
    --label "$OWNER_LABEL" --label "io.github.redis-ci.job=$JOB_KEY"
    --label "io.github.redis-ci.runner=${RUNNER_NAME:-local}")
  if [ -n "$TOPOLOGY_NETWORK" ]; then
    create+=(--network "$TOPOLOGY_NETWORK" --network-alias "$alias")
  else
    create+=(--network host)
  fi
  if [ -n "$entrypoint" ]; then create+=(--entrypoint "$entrypoint"); fi
  TOPOLOGY_NAMES+=("$name")
  if ! "${create[@]}" "$REDIS_CI_IMAGE" "$@" >/dev/null; then
    error "Redis not started" "docker create $REDIS_CI_IMAGE for $alias failed (Docker's reason is above): is the image name right?"
    exit 1
  fi
  if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then
    copy_into "$name" "$REDIS_CI_TLS_DIR/." "$TOPOLOGY_TLS_MOUNT"
  fi
}

# copy_into NAME SOURCE DESTINATION: Docker's own words only when it fails (no `-q` before Docker 24).
copy_into() {
  local output
  if ! output="$(docker cp "$2" "$1:$3" 2>&1)"; then
    printf '%s\n' "$output"
    error "Redis not started" "cannot copy $2 into container $1 (Docker's reason is above)"
    exit 1
  fi
}

# All at once: Docker attaches each container to its network in turn, ~0.3 s apiece on a bridge.
start_nodes() {
  local name pid pids=()
  for name in "${TOPOLOGY_NAMES[@]}"; do
    docker start "$name" >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || { error "Redis not started" "docker start failed (Docker's reason is above)"; exit 1; }
  done
}

# A node that exited at once (a refused option, a busy port) is reported with its own log.
require_running() {
  local name
  for name in "${TOPOLOGY_NAMES[@]}"; do
    if [ "$(docker inspect --format '{{.State.Running}}' "$name")" != true ]; then
      SERVICE_ID="$name"
      diagnose
      error "Redis not started" "$name exited at once: its log is above (a busy port, or an option the server in $REDIS_CI_IMAGE does not know: topologies in container jobs need Redis >= 7.0)"
      exit 1
    fi
  done
}

# host_of I: the address node (or sentinel) I announces, as the job's steps reach it.
host_of() {
  if [ -n "$TOPOLOGY_NETWORK" ]; then printf '%s-%s' "$1" "$2"; else printf '127.0.0.1'; fi
}

common_node_args() {  # common_node_args PORT
  # No snapshots; replicas sync at once (diskless, no 5 s wait for more replicas to join).
  printf '%s\0' --save "" --appendonly no --repl-diskless-sync yes --repl-diskless-sync-delay 0
  if [ -n "$TOPOLOGY_NETWORK" ]; then
    printf '%s\0' --protected-mode no
  else
    printf '%s\0' --bind 127.0.0.1
  fi
  tls_server_args "$1"
}

# The data nodes' password (requirepass, and masterauth for replicas) is a config file copied into
# each container, never a command-line argument (docker inspect .Args, ps).
readonly TOPOLOGY_AUTH_CONFIG="/data/redis-ci-auth.conf"
auth_config_args() {
  [ -z "${REDIS_CI_PASSWORD:-}" ] || printf '%s\0' "$TOPOLOGY_AUTH_CONFIG"
}

write_auth_config() {
  [ -n "${REDIS_CI_PASSWORD:-}" ] || return 0
  mkdir -p "$STATE_DIR"
  AUTH_CONFIG_FILE="$STATE_DIR/redis-ci-auth.conf"
  config_quote "$REDIS_CI_PASSWORD"
  # shellcheck disable=SC2153  # QUOTED is config_quote's result
  (umask 077 && printf 'requirepass %s\nmasterauth %s\n' "$QUOTED" "$QUOTED" >"$AUTH_CONFIG_FILE")
}

# create_data_node NAME ALIAS ARGS...: a redis-server node, its password file copied in.
create_data_node() {
  local name=$1 alias=$2 auth=()
  shift 2
  mapfile -t -d "" auth < <(auth_config_args)
  create_node "$name" "$alias" "" redis-server ${auth[@]+"${auth[@]}"} "$@"
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then copy_into "$name" "$AUTH_CONFIG_FILE" "$TOPOLOGY_AUTH_CONFIG"; fi
}

start_cluster() {
  local base=$1 i port host args=() seeds=() ips=()
  for i in 0 1 2 3 4 5; do
    port=$((base + i))
    host="$(host_of redis-node "$i")"
    mapfile -t -d "" args < <(common_node_args "$port")
    # 2 s: a master whose shard was short of a quorum while the nodes met waits this long before it
    # says cluster_state:ok (5 s at most), and a test that kills a node sees its failover sooner.
    args+=(--cluster-enabled yes --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 2000)
    if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then args+=(--tls-cluster yes); fi
    if [ -n "$TOPOLOGY_NETWORK" ]; then
      args+=(--cluster-announce-hostname "$host" --cluster-preferred-endpoint-type hostname)
    else
      args+=(--cluster-announce-ip "$host")
    fi
    create_data_node "redis-ci-$JOB_KEY-node-$i" "redis-node-$i" "${args[@]}" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
    seeds+=("$host:$port")
  done
  echo "starting a Redis Cluster of 6 nodes ($REDIS_CI_IMAGE) at ${seeds[*]}"
  start_nodes
  require_running
  # CLUSTER MEET takes IP addresses: the nodes' own on the job network, or loopback.
  for i in 0 1 2 3 4 5; do
    if [ -n "$TOPOLOGY_NETWORK" ]; then
      ips+=("$(docker inspect --format "{{(index .NetworkSettings.Networks \"$TOPOLOGY_NETWORK\").IPAddress}}" "${TOPOLOGY_NAMES[$i]}"):$((base + i))")
    else
      ips+=("127.0.0.1:$((base + i))")
    fi
  done
  create_cluster "${ips[@]}"
  URL="$(topology_scheme)://${seeds[0]}/0"
  SERVICE_ID="${TOPOLOGY_NAMES[0]}"
  PROBE_ARGS=(--cluster --node "$(IFS=,; echo "${seeds[*]:1}")" --replicas 1)
}

topology_scheme() { if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then echo rediss; else echo redis; fi; }

# `docker exec` with the password in the environment (never on a command line).
node_exec() {
  local exec=(docker exec)
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then exec+=(-e REDISCLI_AUTH); fi
  REDISCLI_AUTH="${REDIS_CI_PASSWORD:-}" "${exec[@]}" "$@"
}

# redis-cli --cluster create from inside the first node, once every node answers PING (they start
# in milliseconds; 10 s per node is a generous bound, not a readiness wait: `redis-ci wait` is that).
create_cluster() {
  local cli=() output
  mapfile -t -d "" cli < <(cli_connection_args)
  # One exec for all nodes: each `docker exec` costs ~0.1 s.
  # shellcheck disable=SC2016  # expanded by the container's sh
  if ! node_exec -e "REDIS_CI_NODES=$*" "${TOPOLOGY_NAMES[0]}" sh -c 'for node in $REDIS_CI_NODES; do
      tries=0
      until redis-cli "$@" -h "${node%:*}" -p "${node##*:}" ping 2>/dev/null | grep -q PONG; do
        tries=$((tries + 1)); [ "$tries" -lt 100 ] || { echo "$node does not answer PING"; exit 1; }; sleep 0.1
      done
    done' sh ${cli[@]+"${cli[@]}"}; then
    error "Redis Cluster not created" "a node did not answer PING within 10 s of its start (which one: above)"
    exit 1
  fi
  if ! output="$(node_exec "${TOPOLOGY_NAMES[0]}" redis-cli ${cli[@]+"${cli[@]}"} --cluster create "$@" \
    --cluster-replicas 1 --cluster-yes 2>&1)"; then
    printf '%s\n' "$output" | print_untrusted
    error "Redis Cluster not created" "redis-cli --cluster create failed (its output is above)"
    exit 1
  fi
  echo "redis-cli --cluster create: 16384 slots on 3 masters, each with a replica"
}

# The sentinels' configuration file (they rewrite it, so it is a file, not arguments); written
# here and copied in, so the password never appears on a command line.
sentinel_config() {  # sentinel_config PORT ANNOUNCE MASTER_HOST MASTER_PORT
  echo "port 0"
  if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then
    printf '%s\n' "tls-port $1" "tls-replication yes" "tls-cert-file $TOPOLOGY_TLS_MOUNT/redis.crt" \
      "tls-key-file $TOPOLOGY_TLS_MOUNT/redis.key" "tls-ca-cert-file $TOPOLOGY_TLS_MOUNT/ca.crt"
  else
    echo "port $1"
  fi
  if [ -n "$TOPOLOGY_NETWORK" ]; then
    printf '%s\n' "protected-mode no" "sentinel resolve-hostnames yes" "sentinel announce-hostnames yes"
  else
    echo "bind 127.0.0.1"
  fi
  echo "sentinel announce-ip $2"
  echo "sentinel monitor $TOPOLOGY_MASTER_NAME $3 $4 2"
  echo "sentinel down-after-milliseconds $TOPOLOGY_MASTER_NAME 5000"
  echo "sentinel failover-timeout $TOPOLOGY_MASTER_NAME 10000"
  if [ -n "${REDIS_CI_PASSWORD:-}" ]; then
    local quoted=${REDIS_CI_PASSWORD//\\/\\\\}
    echo "sentinel auth-pass $TOPOLOGY_MASTER_NAME \"${quoted//\"/\\\"}\""
  fi
}

start_sentinel() {
  local base=$1 i port host name master_host args=() sentinels=() config
  master_host="$(host_of redis-node 0)"
  for i in 0 1 2; do
    port=$((base + i))
    host="$(host_of redis-node "$i")"
    mapfile -t -d "" args < <(common_node_args "$port")
    if [ "$i" != 0 ]; then
      args+=(--replicaof "$master_host" "$base" --replica-announce-ip "$host")
    fi
    create_data_node "redis-ci-$JOB_KEY-node-$i" "redis-node-$i" "${args[@]}" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
  done
  mkdir -p "$STATE_DIR"
  config="$STATE_DIR/sentinel.conf"
  for i in 0 1 2; do
    port=$((base + 20000 + i))
    host="$(host_of redis-sentinel "$i")"
    (umask 077 && sentinel_config "$port" "$host" "$master_host" "$base" >"$config")
    name="redis-ci-$JOB_KEY-sentinel-$i"
    # Straight to the server: an entrypoint script may put its own flags before the config file.
    create_node "$name" "redis-sentinel-$i" redis-server /data/sentinel.conf --sentinel
    copy_into "$name" "$config" /data/sentinel.conf
    sentinels+=("$host:$port")
  done
  rm -f "$config"
  echo "starting Redis with Sentinel ($REDIS_CI_IMAGE): master $master_host:$base, 2 replicas, sentinels ${sentinels[*]}"
  start_nodes
  require_running
  URL="$(topology_scheme)://$master_host:$base/0"
  SERVICE_ID="${TOPOLOGY_NAMES[0]}"
  # The sentinels themselves have no password (only the data nodes do).
  PROBE_ARGS=(--sentinel "$(IFS=,; echo "${sentinels[*]}")" --master-name "$TOPOLOGY_MASTER_NAME" --replicas 2)
}

start_topology() {
  command -v docker >/dev/null 2>&1 || fail_usage "start: docker needs the Docker CLI on the runner"
  if [ -n "${REDIS_CI_TLS_DIR:-}" ]; then
    local file
    for file in ca.crt redis.crt redis.key; do
      [ -r "$REDIS_CI_TLS_DIR/$file" ] || fail_usage "tls-dir: $REDIS_CI_TLS_DIR/$file is missing (ca.crt, redis.crt and redis.key are needed)"
    done
    PROBE_ARGS_TLS=(--tls-ca-cert "$REDIS_CI_TLS_DIR/ca.crt" --tls-cert "$REDIS_CI_TLS_DIR/redis.crt" --tls-key "$REDIS_CI_TLS_DIR/redis.key")
  fi
  remove_stale_containers
  write_auth_config
  TOPOLOGY_NETWORK="$(job_network)"
  local port
  url_port "${REDIS_CI_URL:-}"
  port=$URL_PORT
  case "$REDIS_CI_TOPOLOGY" in
    cluster) start_cluster "${port:-7000}" ;;
    sentinel) start_sentinel "${port:-6379}" ;;
  esac
  if [ -n "${AUTH_CONFIG_FILE:-}" ]; then rm -f "$AUTH_CONFIG_FILE"; fi
  PROBE_ARGS+=(${PROBE_ARGS_TLS[@]+"${PROBE_ARGS_TLS[@]}"})
}
