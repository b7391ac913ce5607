"""`generate --topology cluster|sentinel [--tls]`: the steps that start a topology and gate the job.

A service cannot run several Redis processes with their arguments portably, so a topology job has
no `services:`. The action starts the nodes in a step (`start: docker` with `topology:`, from the
official image; scripts/action/start-topology.sh) where the job's own steps can reach them, and
holds the job until the whole topology serves (`redis-ci wait --cluster` / `--sentinel`):

- runner job: the nodes share the runner's network and announce 127.0.0.1:port;
- container job: they join the job's network and announce their names (redis-node-<i>,
  redis-sentinel-<i>), because 127.0.0.1 is the job container itself.

Cluster clients follow MOVED to the announced addresses, sentinel clients connect where the
sentinels say the master is: those are the addresses written here, for the tests' environment and
for the certificates `--tls` makes.
"""

from __future__ import annotations

from typing import List

from redis_ci import recipe
from redis_ci.generate.setup import Setup

Lines = List[str]

# What scripts/action/start-topology.sh starts (a test holds the two equal).
NODE_ALIAS = "redis-node"
SENTINEL_ALIAS = "redis-sentinel"
NODE_COUNT = {"cluster": 6, "sentinel": 3}
SENTINEL_COUNT = 3
SENTINEL_PORT_OFFSET = 20000
MASTER_NAME = "mymaster"
# Under $RUNNER_TEMP: out of the workspace, so tests and caches never pick the keys up.
TLS_DIRECTORY = "redis-tls"
CERTIFICATE_DAYS = 1
# EC P-256: made in milliseconds (RSA key generation takes a while and prints progress dots).
KEY = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"


def _host(setup: Setup, alias: str, index: int) -> str:
    return f"{alias}-{index}" if setup.is_container_job else recipe.RUNNER_JOB_HOST


def node_addresses(setup: Setup) -> list[str]:
    """host:port of every data node, the first one first."""
    return [f"{_host(setup, NODE_ALIAS, i)}:{setup.port + i}" for i in range(NODE_COUNT[setup.topology])]


def sentinel_addresses(setup: Setup) -> list[str]:
    return [
        f"{_host(setup, SENTINEL_ALIAS, i)}:{setup.port + SENTINEL_PORT_OFFSET + i}" for i in range(SENTINEL_COUNT)
    ]


def seed_url(setup: Setup) -> str:
    """The first node's URL: a cluster seed, or the sentinels' master as it starts out."""
    scheme = "rediss" if setup.tls else "redis"
    return f"{scheme}://{node_addresses(setup)[0]}/0"


def certificate_names(setup: Setup) -> list[str]:
    """Every address a client may be sent to, as subjectAltName entries."""
    if not setup.is_container_job:
        return [f"IP:{recipe.RUNNER_JOB_HOST}", "DNS:localhost"]
    addresses = node_addresses(setup) + (sentinel_addresses(setup) if setup.topology == "sentinel" else [])
    return [f"DNS:{address.rsplit(':', 1)[0]}" for address in addresses]


def client_env(setup: Setup) -> Lines:
    """The job's `env:` entries telling the tests where the topology is."""
    lines = []
    if setup.topology == "cluster":
        lines += [
            "# A seed node; cluster clients discover the others (and follow MOVED to the addresses below).",
            f"REDIS_URL: {seed_url(setup)}",
            f"REDIS_CLUSTER_NODES: {','.join(node_addresses(setup))}",
        ]
    else:
        lines += [
            "# Ask the sentinels for the master: REDIS_URL is where it starts out, not where it stays.",
            f"REDIS_SENTINELS: {','.join(sentinel_addresses(setup))}",
            f"REDIS_MASTER_NAME: {MASTER_NAME}",
            f"REDIS_URL: {seed_url(setup)}",
        ]
    if setup.password_expression:
        lines += [
            "# The data nodes' password, kept out of the URL so no character in it needs escaping.",
            f"REDIS_PASSWORD: {setup.password_expression}",
        ]
    return lines


def tls_step(setup: Setup) -> Lines:
    """A step making a throwaway CA and one certificate (server and client) for every node name."""
    if not setup.tls:
        return []
    return [
        "# Throwaway certificates, made fresh in every run: nothing secret to store, nothing to expire.",
        f"# $RUNNER_TEMP/{TLS_DIRECTORY} keeps ca.crt and redis.crt + redis.key, the nodes' certificate, which",
        "# is also the tests' client certificate (the nodes require one).",
        "- name: Make throwaway TLS certificates for Redis",
        "  run: |",
        f'    mkdir -p "$RUNNER_TEMP/{TLS_DIRECTORY}" && cd "$RUNNER_TEMP/{TLS_DIRECTORY}"',
        f"    openssl req -x509 {KEY} -nodes -days {CERTIFICATE_DAYS} -subj '/CN=redis-ci throwaway CA' \\",
        "      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \\",
        "      -keyout ca.key -out ca.crt",
        f"    openssl req {KEY} -nodes -subj '/CN=redis' -keyout redis.key -out redis.csr",
        "    # Strict verifiers (Python >= 3.13) want the key identifiers and key usages.",
        "    printf '%s\\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature \\",
        "      extendedKeyUsage=serverAuth,clientAuth authorityKeyIdentifier=keyid subjectKeyIdentifier=hash \\",
        f"      subjectAltName={','.join(certificate_names(setup))} >redis.cnf",
        f"    openssl x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days {CERTIFICATE_DAYS} \\",
        "      -extfile redis.cnf -out redis.crt",
        "    rm ca.key ca.srl redis.csr redis.cnf",
    ]


def docker_cli_step(setup: Setup) -> Lines:
    """Container jobs: the action drives Docker through the socket the runner mounts into the job
    container, with the `docker` CLI, which slim language images lack."""
    if not setup.is_container_job:
        return []
    return [
        "# The action starts the nodes through the Docker socket the runner mounts into container jobs; it needs",
        f"# the docker CLI, which {setup.container_image} may lack (skipped when the image has it).",
        "- name: Install the Docker CLI for the Redis nodes",
        "  run: |",
        "    if ! command -v docker >/dev/null; then",
        "      if command -v apt-get >/dev/null; then",
        "        apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io >/dev/null",
        "      else",
        "        apk add --no-cache docker-cli >/dev/null",
        "      fi",
        "    fi",
        "    docker version --format 'Docker CLI {{.Client.Version}}, engine {{.Server.Version}}'",
    ]


def start_step(setup: Setup) -> Lines:
    """The action step that starts the nodes and waits until the whole topology serves."""
    if setup.topology == "cluster":
        lines = [
            "# Starts 6 nodes and runs `redis-cli --cluster create` (3 masters, a replica each), then holds the",
            "# next steps until every node says cluster_state:ok, all 16384 slots are served, every node agrees",
            "# on the slot map and every master has its replica; `rw` writes a key on every master.",
            "- name: Start a Redis Cluster and wait until it serves every slot",
        ]
    else:
        lines = [
            f"# Starts a master with 2 replicas and 3 sentinels monitoring it as {MASTER_NAME}, then holds the next",
            "# steps until every sentinel names the same master, it answers as master and both replicas are in sync.",
            "- name: Start Redis with Sentinel and wait until it serves",
        ]
    lines += [
        recipe.action_uses(setup.action_ref),
        "  with:",
        "    start: docker",
        f"    topology: {setup.topology}",
        f"    image: {setup.image_reference}",
        "    # The first node's address; the others follow it (the job's env lists them all).",
        f"    url: {seed_url(setup)}",
        "    checks: ping,pubsub,rw",
    ]
    if setup.password_expression:
        lines.append(f"    password: {setup.password_expression}")
    if setup.tls:
        lines.append(f"    tls-dir: ${{{{ runner.temp }}}}/{TLS_DIRECTORY}")
    if setup.is_container_job:
        lines += recipe.overcommit_off_inputs("the nodes keep no snapshots.")
    return lines


def stop_step(setup: Setup) -> Lines:
    """The last step: remove the node containers whatever happened (self-hosted runners keep them)."""
    return recipe.stop_step(setup.action_ref)


def start_steps(setup: Setup) -> Lines:
    """What goes before the first step that needs Redis: certificates, the Docker CLI, the start."""
    return tls_step(setup) + docker_cli_step(setup) + start_step(setup)


def steps(setup: Setup) -> Lines:
    """`generate steps --topology ...`: the start steps, and the clean-up that goes last."""
    return start_steps(setup) + ["# Put this one after your tests:"] + stop_step(setup)
