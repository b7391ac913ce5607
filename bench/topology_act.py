"""A Redis Cluster in a CI job, from job start to the first step that uses it, under act.

Side by side, in one run, on the same runner image and Redis image:
- ours: the runner job `redis-ci generate workflow --topology cluster` writes (the action with
  `start: docker` + `topology: cluster`: six nodes, `redis-cli --cluster create`, then
  `redis-ci wait --cluster --replicas 1` with ping, pubsub and rw);
- hand-rolled: the usual snippet: six `docker run` nodes, `redis-cli --cluster create`, then
  `until redis-cli cluster info | grep -q cluster_state:ok; do sleep 1; done` on one node.
Both end with the same client step writing keys on every shard (tests/e2e/workflows/check_topology.py).
Job start is the job's first step printing its clock; ready is the client step's first line.

Run (root, Linux; prepares Docker/act/images through tests/e2e/setup.sh first):
    python3 bench/topology_act.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from redis_ci.generate.setup import Setup  # noqa: E402
from tests.e2e.actrun import WORKFLOWS, copy_project_repo, prepare_environment, run_act  # noqa: E402
from tests.e2e.test_topology_e2e import CLUSTER_PORTS, free_port_run, runnable_workflow, seconds_to_ready  # noqa: E402

CLIENT = 'python3 tests/e2e/workflows/check_topology.py --nodes "$REDIS_CLUSTER_NODES"'
HAND_ROLLED = """\
name: hand-rolled cluster
on: push
permissions: {{}}
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      REDIS_CLUSTER_NODES: {nodes}
    steps:
      - name: job-start
        run: echo "E2E-MARK job-start $(date +%s.%N)"
      - uses: actions/checkout@v5
        with:
          persist-credentials: false
      - name: Start a Redis Cluster
        run: |
          for port in {ports}; do
            docker run -d --name "bench-node-$port" --network host redis:8.2 --port "$port" --bind 127.0.0.1 \\
              --cluster-enabled yes --save "" >/dev/null
          done
          docker exec bench-node-{first} redis-cli --cluster create {nodes_spaced} --cluster-replicas 1 --cluster-yes
          until docker exec bench-node-{first} redis-cli -p {first} cluster info | grep -q cluster_state:ok; do sleep 1; done
      - name: The next step writes keys
        run: {client}
      - if: always()
        run: docker rm -f $(docker ps -aq --filter name=bench-node-) >/dev/null
"""


def hand_rolled(base: int) -> str:
    addresses = [f"127.0.0.1:{base + i}" for i in range(6)]
    return HAND_ROLLED.format(nodes=",".join(addresses), nodes_spaced=" ".join(addresses),
                              ports=" ".join(str(base + i) for i in range(6)), first=base, client=CLIENT)


def timed(repo: Path, runner_image: str, name: str, text: str) -> tuple:
    path = repo / WORKFLOWS / f"bench-{name}.yml"
    path.write_text(text)
    run = run_act(repo, str(path.relative_to(repo)), runner_image)
    if run.returncode != 0 or run.marks("shards") != ["3"]:
        sys.exit(f"{name} failed under act:\n{run.log[-4000:]}")
    return seconds_to_ready(run), run.finished_at - run.started_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runner_image = prepare_environment()
    results = {"ours": [], "hand-rolled": []}
    with tempfile.TemporaryDirectory() as directory:
        repo = copy_project_repo(Path(directory))
        for _ in range(args.runs):
            base = free_port_run(CLUSTER_PORTS)
            ours = runnable_workflow(Setup.checked(topology="cluster", action_ref="./", port=base), CLIENT)
            results["ours"].append(timed(repo, runner_image, "ours", ours))
            results["hand-rolled"].append(timed(repo, runner_image, "hand-rolled", hand_rolled(free_port_run(CLUSTER_PORTS))))
    print(f"{args.runs} runs each, medians (seconds)")
    print(f"{'setup':<12} {'job start -> cluster used':>26} {'whole act run':>14}")
    for name, runs in results.items():
        ready = statistics.median(r[0] for r in runs)
        whole = statistics.median(r[1] for r in runs)
        print(f"{name:<12} {ready:>26.2f} {whole:>14.2f}")
    ratio = statistics.median(r[0] for r in results["ours"]) / statistics.median(r[0] for r in results["hand-rolled"])
    print(f"ours / hand-rolled (job start -> cluster used): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
