"""Issue 13.11: any file GitHub accepts (512,000 bytes) is linted in bounded CPU time and memory.
The shapes that were quadratic (every Redis of a job scanning every step: services x steps,
steps that start Redis x sleeps) are written just under the limit and linted by a real
process, which measures its own CPU time and peak memory around the lint (not wall time: the
machine is shared). Before the fix the sleep shape took 38 s of CPU; the bound is generous
(5 s CPU, 200 MB), the goal (1 s) is bench territory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci.lint.yaml_nodes import MAX_WORKFLOW_BYTES

ROOT = Path(__file__).parent.parent.parent
CPU_BOUND_S = 5.0
MEMORY_BOUND_MB = 200

MEASURE = """
import json, resource, sys
from redis_ci.cli import main
import redis_ci.lint.engine, redis_ci.lint.rules, redis_ci.lint.render  # imports are not the file's cost
before = resource.getrusage(resource.RUSAGE_SELF)
code = main(["lint", "--no-cache", "--format", "json", "-o", sys.argv[2], sys.argv[1]])
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(json.dumps({"code": code, "cpu": cpu, "rss_mb": (after.ru_maxrss - before.ru_maxrss) / 1024}))
"""


def services_and_steps(services: int, steps: int, run: str, gate_last: bool = False) -> str:
    lines = ["on: push", "jobs:", "  test:", "    runs-on: ubuntu-latest", "    services:"]
    for number in range(services):
        lines += [f"      redis{number}:", "        image: redis:7", "        ports: ['6379:6379']"]
    lines.append("    steps:")
    lines += [f"      - run: {run}" for _ in range(steps)]
    if gate_last:
        lines.append("      - run: redis-ci wait")
    return "\n".join(lines) + "\n"


def started_in_steps(starts: int) -> str:
    lines = ["on: push", "jobs:", "  test:", "    runs-on: ubuntu-latest", "    steps:"]
    for number in range(starts):
        lines += [f"      - run: docker run -d -p {6379 + number % 100}:6379 redis:7", "      - run: sleep 1"]
    return "\n".join(lines) + "\n"


def aliased_wide_step(keys: int) -> str:
    """One step of `keys` keys, anchored, then aliased as every other step: the builder must
    index that mapping once, not once per alias (the budget counts the keys it reads)."""
    wide = ", ".join(f"k{number}: v" for number in range(keys))
    lines = ["on: push", "jobs:", "  test:", "    runs-on: ubuntu-latest", "    steps:",
             f"      - &wide {{run: redis-cli ping, {wide}}}"]
    lines += ["      - *wide"] * keys
    return "\n".join(lines) + "\n"


def one_script(unit: str, lines: bool):
    """make(n): a job with a Redis service and one `run: |` script of n times unit, each on its
    own line or all on one line: the shapes where a pattern scanned to the end of the script
    from each occurrence (an unclosed `${{`, an `until` with no `done`) or a walk went back to
    the start of the line or script from each `redis-cli`."""
    head = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    services:\n      redis:\n"
            "        image: redis:7\n        ports: ['6379:6379']\n    steps:\n      - run: |\n")
    if lines:
        return lambda n: head + f"          {unit}\n" * n
    return lambda n: head + "          redis-cli ping " + unit * n + "\n"


def service_options(unit: str):
    return lambda n: ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    services:\n      redis:\n"
                      "        image: redis:7\n        options: " + unit * n + "\n    steps:\n      - run: redis-cli ping\n")


def largest(make, *sizes) -> str:
    """make(n) for the largest n (from a doubling search) whose text GitHub still accepts."""
    low, high = 1, 2
    while len(make(high)) <= MAX_WORKFLOW_BYTES:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if len(make(middle)) <= MAX_WORKFLOW_BYTES else (low, middle)
    return make(low)


SHAPES = {
    "services_x_sleeps": lambda: largest(lambda n: services_and_steps(n, 3 * n, "sleep 1")),
    "services_x_clients_then_gate": lambda: largest(lambda n: services_and_steps(n, 3 * n, "redis-cli ping", True)),
    "services_x_preparation_steps": lambda: largest(lambda n: services_and_steps(n, 3 * n, "sudo sysctl -w a=1")),
    "docker_run_starts_x_sleeps": lambda: largest(started_in_steps),
    "aliased_wide_step": lambda: largest(aliased_wide_step),
    "nesting_at_the_limit_repeated": lambda: largest(lambda n: "on: push\njobs:\n" + "".join(
        f"  j{k}: " + "[" * 60 + "redis" + "]" * 60 + "\n" for k in range(n))),
    "unclosed_expressions_in_a_script": lambda: largest(one_script("${{ ", lines=False)),
    "unclosed_expressions_after_redis_cli_lines": lambda: largest(one_script("redis-cli ${{ x", lines=True)),
    "unclosed_expressions_in_service_options": lambda: largest(service_options("--health-cmd ${{ ")),
    "closed_expressions_in_service_options": lambda: largest(service_options("-e A=${{ env.A }} ")),
    "until_without_done": lambda: largest(one_script("until redis-cli ping; ", lines=False)),
    "until_lines_without_done": lambda: largest(one_script("until redis-cli ping", lines=True)),
    "unbounded_loops_on_one_line": lambda: largest(one_script("until redis-cli ping; do sleep 1; done; ", lines=False)),
    "unbounded_loops_in_one_quote": lambda: largest(lambda n: one_script("x", lines=True)(1) + "          sh -c '\n"
                                                      + "          until redis-cli ping; do sleep 1; done\n" * n),
    "redis_cli_calls_on_one_line": lambda: largest(one_script("redis-cli -h 'x ", lines=False)),
    "redis_cli_lines_located": lambda: largest(one_script("redis-cli -h x ping", lines=True)),
    "redis_urls_in_container_commands": lambda: largest(one_script("REDIS_URL=redis://${{ docker ", lines=False)),
    "nc_options_without_host_and_port": lambda: largest(lambda n: one_script("x", lines=True)(1) + "          nc "
                                                        + "-z " * n + "\n"),
    "redis_cli_calls_in_a_tcp_health_check": lambda: largest(lambda n: service_options("x")(1).replace(
        "options: x", "options: --health-cmd \"" + "redis-cli " * n + "/dev/tcp/x/6379\"")),
    "nc_words_in_a_health_check": lambda: largest(lambda n: service_options("x")(1).replace(
        "options: x", "options: --health-cmd \"" + "nc " * n + "\"")),
    "package_managers_after_redis_cli": lambda: largest(lambda n: one_script("x", lines=True)(1)
                                                        + "          redis-cli ping; " + "apt-get install " * n + "\n"),
    "package_managers_before_redis_server": lambda: largest(lambda n: one_script("x", lines=True)(1) + "          "
                                                            + "apt-get " * n + "redis-server " * (n // 2) + "\n"),
    "stopped_redis_servers_on_one_line": lambda: largest(one_script("stop redis-server ", lines=False)),
    "unclosed_expressions_in_a_docker_run": lambda: largest(lambda n: one_script("x", lines=True)(1)
                                                            + "          docker run -d redis " + "${{ " * n + "\n"),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_a_worst_case_file_under_githubs_limit_is_linted_in_bounded_cpu_and_memory(tmp_path, name):
    text = SHAPES[name]()
    assert MAX_WORKFLOW_BYTES * 0.9 < len(text.encode()) <= MAX_WORKFLOW_BYTES
    path = tmp_path / "worst.yml"
    path.write_text(text)
    report = tmp_path / "report.json"
    try:  # a quadratic shape runs for minutes: over the bound long before this ends it
        completed = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(report)], capture_output=True,
                                   text=True, timeout=60, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: still linting after 60 s ({len(text):,} bytes)")
    assert completed.returncode == 0, completed.stderr
    measured = json.loads(completed.stdout.splitlines()[-1])
    assert measured["code"] in (0, 1)
    json.loads(report.read_text())  # a whole report
    assert measured["cpu"] < CPU_BOUND_S, f"{name}: {measured['cpu']:.2f} s CPU for {len(text):,} bytes"
    assert measured["rss_mb"] < MEMORY_BOUND_MB, f"{name}: {measured['rss_mb']:.0f} MB"
