"""Time to a ready 6-node Redis Cluster: `redis-ci wait --cluster` beside the common shell loop.

Run by hand (not a test):  python3 bench/cluster_ready.py [--runs 5]

Two scenarios, each on six fresh cluster-enabled `redis-server` nodes (tests/topologies):
- created: timed from the last node's start; the gates and `redis-cli --cluster create
  --cluster-replicas 1 --cluster-yes` start together;
- failover: on a formed cluster (cluster-node-timeout 1000 ms), timed from the SIGKILL of a
  master that is not the seed, until a replica serves its slots.
Gates, side by side: `redis-ci wait --cluster` (seed + `--node` for the rest, as a job runs it)
and the shell loop `until redis-cli cluster info | grep -q cluster_state:ok; do sleep 1; done`
against the seed. A harness thread polls every node every ~2 ms for the truth: every running
node says `cluster_state:ok` and three running masters serve. "lag" is a gate's exit minus the
truth (negative: it passed too early); "early" counts runs where a gate passed before the truth.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "topologies"))

from topology_servers import REDIS_CLI, Cluster  # noqa: E402

GATE_TIMEOUT = 60
PROBE_ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
for variable in ("REDIS_URL", "REDISCLI_AUTH", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
    PROBE_ENV.pop(variable, None)


def gates(cluster: Cluster) -> dict:
    seed, *others = cluster.nodes
    return {
        "redis-ci wait --cluster": [
            sys.executable, "-m", "redis_ci", "wait", "--cluster", "--url", f"redis://{seed.address}",
            "--node", ",".join(node.address for node in others), "--timeout", str(GATE_TIMEOUT),
        ],
        "redis-cli loop (1 s)": [
            "timeout", str(GATE_TIMEOUT), "bash", "-c",
            f"until {REDIS_CLI} -h 127.0.0.1 -p {seed.port} cluster info 2>/dev/null "
            f"| grep -q cluster_state:ok; do sleep 1; done",
        ],
    }


def whole(cluster: Cluster, clients: dict) -> bool:
    """The truth: every running node says cluster_state:ok and three running masters serve."""
    try:
        running = [node for node in cluster.nodes if node.running]
        if not all(clients[node.port].cluster("INFO")["cluster_state"] == "ok" for node in running):
            return False
        roles = [clients[node.port].execute_command("ROLE")[0] for node in running]
        return roles.count(b"master") == 3
    except redis.RedisError:
        return False


def race(cluster: Cluster, begin, started_at=None) -> dict:
    """Start the gates, then `begin()` (create the cluster, or kill a master); returns the seconds
    from `started_at` (default: the moment `begin` is called) to the truth and to each gate's exit."""
    clients = {node.port: node.client() for node in cluster.nodes}
    truth: dict = {}
    processes = {name: subprocess.Popen(argv, env=PROBE_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for name, argv in gates(cluster).items()}
    started = started_at or time.monotonic()
    begin()

    def watch() -> None:
        while not whole(cluster, clients):
            time.sleep(0.002)
        truth["at"] = time.monotonic()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    results = {}
    pending = dict(processes)
    while pending:
        for name, process in list(pending.items()):
            if process.poll() is not None:
                results[name] = (time.monotonic(), process.returncode, whole(cluster, clients))
                del pending[name]
        time.sleep(0.001)
    watcher.join(GATE_TIMEOUT)
    for client in clients.values():
        client.close()
    row = {"truth": truth["at"] - started}
    for name, (at, returncode, was_whole) in results.items():
        if returncode != 0:
            raise RuntimeError(f"{name} exited {returncode}")
        row[name] = (at - started, at - truth["at"], not was_whole)
    return row


def creation_run(directory: Path) -> dict:
    """From the last node's start: gates and `redis-cli --cluster create` start together."""
    cluster = Cluster(directory)
    try:
        cluster.start()
        creator = []

        def create() -> None:
            creator.append(subprocess.Popen(
                [REDIS_CLI, "--cluster", "create", *cluster.seeds, "--cluster-replicas", "1", "--cluster-yes"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        row = race(cluster, create, started_at=cluster.started_at)
        creator[0].wait(GATE_TIMEOUT)
        return row
    finally:
        cluster.stop()


def failover_run(directory: Path) -> dict:
    """From a master's SIGKILL (not the seed) until a replica serves its slots."""
    cluster = Cluster(directory)
    try:
        cluster.start().create()
        victim = next(node for node in cluster.masters() if node is not cluster.nodes[0])
        return race(cluster, victim.kill)
    finally:
        cluster.stop()


def report(title: str, rows: list) -> None:
    names = [name for name in rows[0] if name != "truth"]
    print(f"\n{title}: {len(rows)} runs, seconds (median)")
    print(f"{'gate':<26}{'ready at':>10}{'lag':>10}{'early':>8}")
    print(f"{'(truth: every node ok)':<26}{statistics.median(row['truth'] for row in rows):>10.3f}")
    for name in names:
        ready = statistics.median(row[name][0] for row in rows)
        lag = statistics.median(row[name][1] for row in rows)
        early = sum(1 for row in rows if row[name][2])
        print(f"{name:<26}{ready:>10.3f}{lag * 1000:>8.0f}ms{early:>5}/{len(rows)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scenarios = {
        "created (from the last node's start)": creation_run,
        "failover (from a master's SIGKILL)": failover_run,
    }
    with tempfile.TemporaryDirectory(prefix="cluster-ready-") as root:
        for title, scenario in scenarios.items():
            rows = []
            for index in range(args.runs):
                rows.append(scenario(Path(root) / f"{scenario.__name__}-{index}"))
                row = rows[-1]
                print(f"{title} run {index + 1}: truth {row['truth']:.3f} s; "
                      + "; ".join(f"{name} {row[name][0]:.3f} s" for name in row if name != "truth"), flush=True)
            report(title, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
