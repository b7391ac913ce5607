"""`redis-ci run -- COMMAND` on real servers: the command's environment and exit code, a stop in
every case (exit, SIGTERM, a failed start), leftovers of a `kill -9` removed later, parallel
runs, an existing $REDIS_URL, and the two seed scenarios of issue 16."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import redis
from redis_servers import RedisServers, free_port
from server_helpers import SRC, cli, processes_naming

SHOW_ENV = "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('REDIS')}))"


def run_popen(env, *args, **extra):
    return subprocess.Popen([sys.executable, "-m", "redis_ci", "run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env.with_(**extra))


def test_the_command_gets_redis_and_its_exit_code_is_run_s(env):
    script = "import os, redis, sys; r = redis.from_url(os.environ['REDIS_URL']); r.set('k', 'v'); sys.exit(7)"
    done = cli("run", "--native", "--password-env", "PW", "--", sys.executable, "-c", script,
               env=env.with_(PW="pw with space"))
    assert done.returncode == 7, done.stderr
    assert env.leftovers() == {}


def test_cluster_variables_reach_the_command(env):
    done = cli("run", "--native", "--topology", "cluster", "--", sys.executable, "-c", SHOW_ENV, env=env.vars)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert len(shown["REDIS_CLUSTER_NODES"].split(",")) == 6
    assert shown["REDIS_URL"].split("//")[1].removesuffix("/0") == shown["REDIS_CLUSTER_NODES"].split(",")[0]
    assert env.leftovers() == {}


def test_sigterm_reaches_the_command_and_everything_stops(env):
    child = run_popen(env, "--native", "--", "sh", "-c",
                      'trap "echo got-term; exit 5" TERM; echo started; while :; do sleep 0.05; done')
    assert child.stdout.readline() == "started\n"
    assert processes_naming(str(env.state))
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 5, err
    assert out == "got-term\n"
    assert env.leftovers() == {}


def test_sigterm_during_the_start_stops_what_was_started(env):
    child = run_popen(env, "--native", "--topology", "cluster", "--", "true")
    time.sleep(0.6)  # the nodes run, the cluster forms (it is ready after ~2 s)
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=30)
    assert child.returncode == 128 + signal.SIGTERM
    assert env.leftovers() == {}


def kill_nine_run(env) -> str:
    """A `run` killed with SIGKILL while its command runs; returns the instance id it left."""
    child = run_popen(env, "--native", "--", "sh", "-c", 'echo "$REDIS_CI_ID $$"; exec sleep 60')
    instance_id, sleeper = child.stdout.readline().split()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    os.kill(int(sleeper), signal.SIGKILL)  # the command outlives its killed parent: ours to end
    child.stdout.close()
    child.stderr.close()
    assert env.instances() == [instance_id] and processes_naming(str(env.state))
    return instance_id


def test_stop_after_a_killed_run_removes_exactly_what_it_started(env, tmp_path):
    servers = RedisServers(tmp_path / "bystander")
    try:
        bystander = servers.start()
        instance_id = kill_nine_run(env)
        done = cli("stop", instance_id, env=env.vars)
        assert done.returncode == 0 and "1 process(es)" in done.stderr, done.stderr
        assert env.leftovers() == {}
        assert bystander.client().ping()  # only what the run started
    finally:
        servers.close()


def test_the_next_run_removes_what_a_killed_run_left(env):
    kill_nine_run(env)
    done = cli("run", "--native", "--", "true", env=env.vars)
    assert done.returncode == 0 and "left by a process that was killed" in done.stderr
    assert env.leftovers() == {}
    kill_nine_run(env)
    assert cli("stop", "--orphans", env=env.vars).returncode == 0
    assert env.leftovers() == {}


def test_two_runs_in_parallel_do_not_collide(env):
    script = "import os, redis, time; r = redis.from_url(os.environ['REDIS_URL']); r.set('who', os.getpid()); " \
             "time.sleep(1); print(os.environ['REDIS_URL'], r.get('who').decode() == str(os.getpid()))"
    children = [run_popen(env, "--native", "--", sys.executable, "-c", script) for _ in range(2)]
    results = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0], results
    urls = [out.split()[0] for out, _ in results]
    assert urls[0] != urls[1] and all(out.split()[1] == "True" for out, _ in results)
    assert env.leftovers() == {}


def test_an_existing_redis_url_is_waited_on_not_replaced(env, tmp_path):
    servers = RedisServers(tmp_path / "service")
    try:
        service = servers.start()
        done = cli("run", "--", sys.executable, "-c", SHOW_ENV, env=env.with_(REDIS_URL=service.url))
        assert done.returncode == 0, done.stderr
        assert "waiting on it instead of starting" in done.stderr and "ready" in done.stderr
        assert json.loads(done.stdout)["REDIS_URL"] == service.url  # stdout is the command's alone
        assert env.instances() == []
        started = cli("run", "--start", "always", "--native", "--", sys.executable, "-c", SHOW_ENV,
                      env=env.with_(REDIS_URL=service.url))
        assert started.returncode == 0 and service.url not in started.stdout
    finally:
        servers.close()
    assert env.leftovers() == {}


def test_a_redis_url_that_does_not_serve_fails_with_the_reason_and_skips_the_command(env, tmp_path):
    marker = tmp_path / "ran"
    done = cli("run", "--timeout", "1", "--", "touch", str(marker),
               env=env.with_(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    assert done.returncode == 1 and "refused" in done.stderr
    assert not marker.exists()


def test_seed_a_suite_needing_redis_on_6381_without_docker(env, tmp_path):
    """Issue 16's first seed: tests expect Redis on 6381, Docker is not there. In a private network
    namespace (its own loopback, so port 6381 is free whatever else runs on this machine)."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_needs_redis.py").write_text(textwrap.dedent("""
        import redis

        def test_redis_on_6381():
            client = redis.Redis(port=6381)
            assert client.set("seed", "1") and client.get("seed") == b"1"
    """))
    command = [sys.executable, "-m", "redis_ci", "run", "--native", "--port", "6381", "--",
               sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)]
    script = 'ip link set lo up && exec "$@"'
    done = subprocess.run(["unshare", "--map-root-user", "--net", "sh", "-c", script, "sh", *command], capture_output=True, text=True,
                          timeout=120, cwd=suite,
                          env=env.with_(DOCKER_HOST="unix:///nonexistent/docker.sock", PYTHONPATH=str(SRC)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert env.leftovers() == {}
    # The same suite without redis-ci: nothing on 6381, it fails (the seed is real).
    bare = subprocess.run(["unshare", "--map-root-user", "--net", "sh", "-c", script, "sh", *command[command.index("--") + 1:]],
                          capture_output=True, text=True, timeout=120, cwd=suite, env=env.vars)
    assert bare.returncode == 1 and "Connection refused" in bare.stdout


def test_seed_an_app_gated_by_wait_fails_fast_with_the_reason(env, tmp_path):
    """Issue 16's second seed: `redis-ci wait --timeout 5 && app` when Redis is down."""
    marker = tmp_path / "app-started"
    port = free_port()
    begun = time.monotonic()
    done = subprocess.run(["sh", "-c", f'"$0" -m redis_ci wait --url redis://127.0.0.1:{port}/0 --timeout 5 '
                                       f'&& touch {marker}', sys.executable],
                          capture_output=True, text=True, timeout=30, env=env.vars)
    elapsed = time.monotonic() - begun
    assert done.returncode == 1 and not marker.exists()
    assert elapsed < 5 + 1.5, elapsed
    assert f"127.0.0.1:{port}" in done.stderr and "refused" in done.stderr
