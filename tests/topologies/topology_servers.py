"""Real Redis topologies on loopback for the tests: cluster, sentinel, TLS, ACL.

Everything here starts Debian's `redis-server` (and `redis-server --sentinel`)
through the shared `RedisServer` helper (tests/redis_servers.py): child
processes in a temp dir, on ports the OS hands out, stopped again by the
fixtures. No mocks: the probe and redis-py talk to these processes.

- `Security`: the TLS files (`make_tls_files` of tests/redis_servers.py) and the
  ACL users a topology runs with.
- `Cluster`: six nodes (3 masters, 3 replicas), started unformed; `create()`
  forms it with `redis-cli --cluster create`; `kill_master()` /
  `wait_for_failover()` exercise a failover.
- `SentinelSet`: one master, two replicas, three sentinels; `failover()`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))  # the shared redis_servers helper
sys.path.insert(0, str(TESTS / "probe"))  # the probe tests' `redis-ci wait` runner

from redis_servers import RedisServer, TlsFiles, free_port, make_tls_files  # noqa: E402
from wait_runner import WaitResult  # noqa: E402
from wait_runner import run_wait as probe_run_wait  # noqa: E402

REDIS_CLI = shutil.which("redis-cli") or "redis-cli"
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0

# ACL users the topologies carry when `Security.acl` is set.
ADMIN_PASSWORD = "admin-S3cret-pw"  # the default user (the fixtures' own control connections)
CI_USER = "ci"
CI_PASSWORD = "ci-S3cret-pw"
NOPERM_USER = "pingonly"
NOPERM_PASSWORD = "pingonly-S3cret-pw"
SENTINEL_PASSWORD = "sentinel-S3cret-pw"  # the sentinels' own password (requirepass, sentinel-pass)
# What a CI job's user needs for `redis-ci wait` on any topology, and nothing more:
# its own key and channel prefix, the read-only introspection commands, no admin commands.
CI_USER_RULES = (
    "on >{pw} resetkeys ~redis-ci:* resetchannels &redis-ci:* -@all "
    "+ping +info +hello +auth +client|setname +role "
    "+set +get +del +publish +subscribe +unsubscribe "
    "+cluster|info +cluster|shards +cluster|slots +cluster|myid"
)
NOPERM_USER_RULES = "on >{pw} resetkeys resetchannels -@all +ping +hello +auth +client|setname"


def tls_server_config(tls: TlsFiles) -> list[str]:
    """Nodes talk to each other (replication, cluster bus, sentinel links) over TLS and present
    the client certificate (the server one is for serverAuth only)."""
    return [
        f"tls-client-cert-file {tls.client_cert}",
        f"tls-client-key-file {tls.client_key}",
        "tls-replication yes",
    ]


@dataclass(frozen=True)
class Security:
    """How a topology is protected: TLS files (client certificates required) and/or ACL users."""

    tls: TlsFiles | None = None
    acl: bool = False

    def server_config(self, sentinel: bool) -> list[str]:
        lines = tls_server_config(self.tls) if self.tls else []
        if self.acl and sentinel:  # sentinels keep no data: their own password, no ACL users
            lines.append(f"sentinel sentinel-pass {SENTINEL_PASSWORD}")
        elif self.acl:
            lines += [
                f"user {CI_USER} {CI_USER_RULES.format(pw=CI_PASSWORD)}",
                f"user {NOPERM_USER} {NOPERM_USER_RULES.format(pw=NOPERM_PASSWORD)}",
                # Replicas authenticate to their master as the (admin) default user.
                f"masterauth {ADMIN_PASSWORD}",
            ]
        return lines

    def cli_args(self) -> list[str]:
        """redis-cli flags: the client certificate and the admin password."""
        tls = self.tls
        args = ["--tls", "--cacert", tls.ca_cert, "--cert", tls.client_cert, "--key", tls.client_key] if tls else []
        return args + (["-a", ADMIN_PASSWORD, "--no-auth-warning"] if self.acl else [])

    def redis_py_tls(self) -> dict:
        tls = self.tls
        return {"ssl": True, "ssl_ca_certs": tls.ca_cert, "ssl_certfile": tls.client_cert,
                "ssl_keyfile": tls.client_key} if tls else {}

    def redis_py_kwargs(self) -> dict:
        """redis-py options for the fixtures' own (admin) connections."""
        kwargs = self.redis_py_tls()
        if self.acl:
            kwargs["password"] = ADMIN_PASSWORD
        return kwargs

    def wait_args(self, user: str | None = None, password: str | None = None) -> list[str]:
        """`redis-ci wait` flags: the client certificate, and the ACL user if given."""
        tls = self.tls
        args = ["--tls-ca-cert", tls.ca_cert, "--tls-cert", tls.client_cert, "--tls-key", tls.client_key] if tls else []
        if user:
            args += ["--username", user]
        if password:
            args += ["--password", password]
        return args

    @property
    def scheme(self) -> str:
        return "rediss" if self.tls else "redis"


# --------------------------------------------------------------------------- processes


class Node(RedisServer):
    """A shared-helper RedisServer that also says where it is and whether it still runs."""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_serving(self, timeout: float = START_TIMEOUT) -> "Node":
        """Until PING answers (with the admin credentials and the client certificate)."""
        def pong() -> bool:
            with self.client(socket_timeout=1) as client:
                return client.ping()
        wait_until(pong, timeout, f"{self.address} to answer PING")
        return self


def make_node(directory: Path, security: Security, config: list[str], sentinel: bool = False) -> Node:
    """A node (not started) with the topology's TLS and ACL settings plus `config` lines."""
    lines = [
        "repl-diskless-sync-delay 0",  # replicas sync at once (default: 5 s delay)
        "shutdown-on-sigterm nosave now",  # stop at once, no waiting for replicas to catch up
        *security.server_config(sentinel),
        *config,
    ]
    return Node(
        directory,
        password=(SENTINEL_PASSWORD if sentinel else ADMIN_PASSWORD) if security.acl else "",
        tls=security.tls,
        tls_auth_clients=security.tls is not None,
        args=("--sentinel",) if sentinel else (),
        config="\n".join(lines) + "\n",
    )


def role(node: Node) -> str:
    """What the node says it is: master, slave or sentinel."""
    with node.client() as client:
        return client.execute_command("ROLE")[0].decode()


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll `predicate` until it returns a truthy value; fail the test with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except redis.RedisError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- cluster


# Small timeouts keep failover in tests to ~2 s (defaults: 15 s).
CLUSTER_NODE_TIMEOUT_MS = 1000


@dataclass
class Cluster:
    """Six cluster-enabled nodes: unformed after `start()`, a cluster after `create()`."""

    directory: Path
    security: Security = field(default_factory=Security)
    size: int = 6
    nodes: list[Node] = field(default_factory=list)
    started_at: float = 0.0  # time.monotonic() when the last node was spawned

    def start(self) -> "Cluster":
        for index in range(self.size):
            self.nodes.append(make_node(self.directory / f"node-{index}", self.security, [
                "cluster-enabled yes",
                f"cluster-config-file {self.directory / f'node-{index}' / 'nodes.conf'}",
                f"cluster-node-timeout {CLUSTER_NODE_TIMEOUT_MS}",
                f"cluster-port {free_port()}",
                *(["tls-cluster yes"] if self.security.tls else []),
                # A replica of a dead master takes over at once, however stale it is.
                "cluster-replica-validity-factor 0",
            ]))
        for node in self.nodes:
            node.start(wait="")
        self.started_at = time.monotonic()
        for node in self.nodes:
            node.wait_serving()
        return self

    @property
    def seeds(self) -> list[str]:
        return [node.address for node in self.nodes]

    def create(self, timeout: float = 30.0) -> "Cluster":
        """`redis-cli --cluster create --cluster-replicas 1`, then wait until every node says ok."""
        subprocess.run(
            [REDIS_CLI, *self.security.cli_args(), "--cluster", "create", *self.seeds,
             "--cluster-replicas", "1", "--cluster-yes"],
            check=True, capture_output=True, timeout=timeout,
        )
        self.wait_state_ok(timeout)
        # redis-cli may return before every replica took its role: the tests compare roles.
        wait_until(lambda: len(self.masters()) == self.size // 2, timeout, "every replica to take its role")
        return self

    def info(self, node: Node) -> dict:
        with node.client() as client:
            return client.cluster("INFO")

    def wait_state_ok(self, timeout: float = 30.0) -> None:
        def all_ok():
            return all(self.info(node)["cluster_state"] == "ok" for node in self.nodes if node.running)
        wait_until(all_ok, timeout, "cluster_state:ok on every node")

    def masters(self) -> list[Node]:
        return [node for node in self.nodes if node.running and role(node) == "master"]

    def kill_master(self) -> Node:
        """SIGKILL one master that has a replica; returns it (for restarts)."""
        master = self.masters()[0]
        master.kill()
        return master

    def wait_for_failover(self, timeout: float = 20.0) -> None:
        """Until a replica has been promoted in place of the dead master and every node says ok."""
        wait_until(lambda: len(self.masters()) == 3, timeout, "a replica to take over")
        self.wait_state_ok(timeout)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


# --------------------------------------------------------------------------- sentinel


MASTER_NAME = "mymaster"
SENTINEL_DOWN_AFTER_MS = 500
SENTINEL_FAILOVER_TIMEOUT_MS = 3000


@dataclass
class SentinelSet:
    """One master, two replicas and three sentinels watching the master as MASTER_NAME."""

    directory: Path
    security: Security = field(default_factory=Security)
    replica_count: int = 2
    sentinel_count: int = 3
    master: Node | None = None
    replicas: list[Node] = field(default_factory=list)
    sentinels: list[Node] = field(default_factory=list)

    def start(self) -> "SentinelSet":
        self.master = make_node(self.directory / "master", self.security, []).start()
        for index in range(self.replica_count):
            self.replicas.append(make_node(self.directory / f"replica-{index}", self.security,
                                           [f"replicaof {LOOPBACK} {self.master.port}"]).start())
        self.wait_replicas_in_sync()
        for index in range(self.sentinel_count):
            config = [
                f"sentinel monitor {MASTER_NAME} {LOOPBACK} {self.master.port} 2",
                f"sentinel down-after-milliseconds {MASTER_NAME} {SENTINEL_DOWN_AFTER_MS}",
                f"sentinel failover-timeout {MASTER_NAME} {SENTINEL_FAILOVER_TIMEOUT_MS}",
                f"sentinel parallel-syncs {MASTER_NAME} {self.replica_count}",
            ]
            if self.security.acl:
                config.append(f"sentinel auth-pass {MASTER_NAME} {ADMIN_PASSWORD}")
            self.sentinels.append(make_node(self.directory / f"sentinel-{index}", self.security, config,
                                            sentinel=True).start())
        self.wait_sentinels_agree()
        return self

    @property
    def sentinel_addresses(self) -> str:
        return ",".join(sentinel.address for sentinel in self.sentinels)

    @property
    def data_nodes(self) -> list[Node]:
        return [self.master, *self.replicas]

    def master_address_seen_by(self, sentinel: Node) -> tuple[str, int]:
        with sentinel.client() as client:
            host, port = client.sentinel_get_master_addr_by_name(MASTER_NAME)
            return host, int(port)

    def current_master(self) -> Node:
        if not self.sentinels:
            return self.master
        _, port = self.master_address_seen_by(self.sentinels[0])
        return next(node for node in self.data_nodes if node.port == port)

    def wait_sentinels_agree(self, timeout: float = 20.0) -> None:
        """Until every sentinel knows both replicas and names one master."""
        def agreed():
            addresses = {self.master_address_seen_by(sentinel) for sentinel in self.sentinels}
            if len(addresses) != 1:
                return False
            for sentinel in self.sentinels:
                with sentinel.client() as client:
                    state = client.sentinel_master(MASTER_NAME)
                    if state["num-slaves"] < self.replica_count:
                        return False
            return True
        wait_until(agreed, timeout, "the sentinels to agree")

    def wait_replicas_in_sync(self, timeout: float = 20.0) -> None:
        def in_sync():
            with self.current_master().client() as client:
                info = client.info("replication")
            return info.get("connected_slaves", 0) == self.replica_count and all(
                info[f"slave{index}"]["state"] == "online" for index in range(self.replica_count)
            )
        wait_until(in_sync, timeout, "the replicas to be online")

    def failover(self, timeout: float = 20.0) -> Node:
        """SENTINEL FAILOVER; returns the new master once every sentinel names it."""
        old_master = self.current_master()

        def failover_accepted():
            # NOGOODSLAVE until the sentinel has polled the replicas once: ask again.
            with self.sentinels[0].client() as client:
                return client.execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
        wait_until(failover_accepted, timeout, "a sentinel to accept SENTINEL FAILOVER")

        def moved():
            addresses = {self.master_address_seen_by(sentinel) for sentinel in self.sentinels}
            return len(addresses) == 1 and addresses.pop()[1] != old_master.port
        wait_until(moved, timeout, "every sentinel to name a new master")
        new_master = self.current_master()
        wait_until(lambda: role(new_master) == "master", timeout, "the new master to take the role")
        return new_master

    def stop(self) -> None:
        for process in [*self.sentinels, *self.data_nodes]:
            if process is not None:
                process.stop()


# --------------------------------------------------------------------------- the probe


def run_wait(*args: str, env: dict | None = None) -> WaitResult:
    """`python3 -m redis_ci wait ARGS --format json` through the probe tests' runner (a clean
    environment plus `env`): `.json` is the report, `.seconds` the wall time."""
    return probe_run_wait(*args, "--format", "json", env=env)
