"""One behaviour table, two probes: the Python probe (`python3 -m redis_ci wait`) and the action's
Node probe (scripts/action/probe.js) against the same fault servers and real redis-server
processes. Both must agree on the exit code, the failure kind, final-ness, the deadline and
redaction, and print the same text, JSON, outputs and summary up to timings.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

import fault_servers
from github_files import parse_file_commands
from node_probe import NODE_PROBE, node_binary, run_node_wait
from redis_servers import free_port, make_tls_files
from wait_runner import PASSWORD, run_wait

TIMEOUT = 1.0
READY_TIMEOUT = 10.0  # a ready case never waits it out; the machine may be busy
SLACK = 0.5  # the promise: exit by timeout + 0.5 s (the JSON's elapsed_ms is held to it)
LOAD_SLACK = 1.5  # the wall time a test sees, interpreter start-up included, on a shared 2-core machine
PROBES = {"python": run_wait, "node": run_node_wait}
ACL_USER = "ci-user"
ACL_PASSWORD = "acl-pw-Zq8_secret"
ODD_PASSWORD = "mu\u0308lti\nline \"pw\" 100%"


def case(name, make, rc, kind=None, final=False, timeout=None, secret=PASSWORD):
    """`make(ctx)` -> the probe's arguments (besides --timeout/--format) for this case; `kind` a
    tuple where the server itself decides between kinds (then each probe may meet either)."""
    timeout = timeout or (READY_TIMEOUT if rc == 0 else TIMEOUT)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return pytest.param(SimpleNamespace(make=make, rc=rc, kinds=kinds, final=final, timeout=timeout, secret=secret),
                        id=name)


CASES = [
    case("ready-plain", lambda c: ["--url", c.plain.url, "--checks", "ping,pubsub,rw,info"], 0),
    case("ready-password", lambda c: ["--url", c.password.url, "--checks", "ping,pubsub,rw,info"], 0),
    case("ready-acl-user", lambda c: ["--url", f"redis://127.0.0.1:{c.acl.port}/0", "--username", ACL_USER,
                                      "--password", ACL_PASSWORD, "--checks", "ping,pubsub,rw,info"], 0,
         secret=ACL_PASSWORD),
    case("ready-tls", lambda c: ["--url", f"rediss://127.0.0.1:{c.tls.port}", "--tls-ca-cert", c.tls_files.ca_cert], 0),
    case("ready-tls-client-cert-localhost", lambda c: ["--url", f"rediss://:{PASSWORD}@localhost:{c.mtls.port}/0",
                                             "--tls-ca-cert", c.tls_files.ca_cert, "--tls-cert", c.tls_files.client_cert,
                                             "--tls-key", c.tls_files.client_key], 0),
    case("ready-unix-socket-db", lambda c: ["--url", f"unix://{c.unix.unix_socket}?db=3", "--checks", "ping,rw"], 0),
    case("ready-min-version", lambda c: ["--url", c.plain.url, "--min-version", "6.2"], 0),
    case("ready-after-loading", lambda c: ["--url", c.fault(fault_servers.loading_then_pong(0.5)).url,
                                           "--checks", "ping"], 0, timeout=5.0),
    case("refused", lambda c: ["--url", f"redis://127.0.0.1:{free_port()}"], 1, "refused"),
    case("refused-unix", lambda c: ["--url", f"unix://{c.tmp}/no.sock"], 1, "refused"),
    case("timeout-never-answers", lambda c: ["--url", c.fault(fault_servers.never_answer).url], 1, "timeout"),
    case("timeout-trickle", lambda c: ["--url", c.fault(fault_servers.trickle_pong).url, "--checks", "ping"], 1,
         "timeout", timeout=2.0),
    case("tls-unknown-ca", lambda c: ["--url", f"rediss://127.0.0.1:{c.tls.port}"], 1, "tls", final=True, timeout=5.0),
    case("tls-other-ca", lambda c: ["--url", f"rediss://127.0.0.1:{c.tls.port}", "--tls-ca-cert", c.other_ca],
         1, "tls", final=True, timeout=5.0),
    case("tls-to-plain-port", lambda c: ["--url", f"rediss://127.0.0.1:{c.plain.port}", "--tls-insecure"], 1, "tls"),
    case("tls-client-cert-missing", lambda c: ["--url", f"rediss://:{PASSWORD}@127.0.0.1:{c.mtls.port}",
                                               "--tls-ca-cert", c.tls_files.ca_cert], 1, ("tls", "closed")),
    case("plain-to-tls-port", lambda c: ["--url", f"redis://127.0.0.1:{c.tls.port}"], 1, "closed"),
    case("auth-no-password", lambda c: ["--url", f"redis://127.0.0.1:{c.password.port}"], 1, "auth", final=True,
         timeout=5.0),
    case("auth-wrong-password", lambda c: ["--url", f"redis://:{PASSWORD}x@127.0.0.1:{c.password.port}"], 1, "auth",
         final=True, timeout=5.0),
    case("auth-password-not-configured", lambda c: ["--url", f"redis://:{PASSWORD}@127.0.0.1:{c.plain.port}"], 1,
         "auth", final=True, timeout=5.0),
    case("auth-acl-wrong-password", lambda c: ["--url", f"redis://{ACL_USER}:nope@127.0.0.1:{c.acl.port}"], 1, "auth",
         final=True, timeout=5.0),
    case("noperm-acl-user", lambda c: ["--url", f"redis://127.0.0.1:{c.acl.port}", "--username", "pinger",
                                       "--password", PASSWORD], 1, "noperm", final=True, timeout=5.0),
    case("auth-scripted-noauth", lambda c: ["--url", c.fault(fault_servers.answer_every_command(
        "-NOAUTH Authentication required.")).url], 1, "auth", final=True, timeout=5.0),
    case("protected-mode", lambda c: ["--url", c.fault(fault_servers.greet_and_close(
        fault_servers.PROTECTED_MODE_TEXT)).url], 1, "protected-mode", final=True, timeout=5.0),
    case("readonly-replica", lambda c: ["--url", c.replica.url, "--checks", "ping,rw"], 1, "readonly"),
    case("oom", lambda c: ["--url", c.oom.url, "--checks", "ping,rw"], 1, "oom"),
    case("masterdown", lambda c: ["--url", c.masterdown.url, "--checks", "ping,rw"], 1, "masterdown"),
    case("protocol-garbage", lambda c: ["--url", c.fault(fault_servers.answer_garbage).url], 1, "protocol"),
    case("closed-at-once", lambda c: ["--url", c.fault(fault_servers.close_at_once).url], 1, "closed"),
    case("unknown-error-reply", lambda c: ["--url", c.fault(fault_servers.answer_every_command(
        "-WEIRDNESS something odd")).url], 1, "error"),
    case("error-echoes-the-password", lambda c: ["--url", f"redis://:{PASSWORD}@127.0.0.1:" + str(c.fault(
        fault_servers.answer_every_command(f"-WEIRD AUTH {PASSWORD} is odd")).port)], 1, "error"),
    case("pubsub-undelivered", lambda c: ["--url", c.fault(fault_servers.round_robin_proxy(c.pair)).url], 1,
         "pubsub-undelivered"),
    case("version-too-old", lambda c: ["--url", c.plain.url, "--min-version", "99.1"], 1, "version", final=True,
         timeout=5.0),
    case("module-missing", lambda c: ["--url", c.password.url, "--module", "search"], 1, "module-missing",
         final=True, timeout=5.0),
    case("usage-bad-timeout", lambda c: ["--url", c.plain.url, "--timeout", "soon"], 2),
    case("usage-bad-checks", lambda c: ["--url", c.plain.url, "--checks", "ping,nope"], 2),
    case("usage-bad-port-in-url", lambda c: ["--url", f"redis://:{PASSWORD}@127.0.0.1:notaport/0"], 2),
    case("usage-bad-scheme", lambda c: ["--url", f"http://:{PASSWORD}@127.0.0.1/0"], 2),
    case("usage-tls-on-unix", lambda c: ["--url", "unix:///tmp/x.sock", "--tls"], 2),
    case("usage-missing-ca-file", lambda c: ["--url", "rediss://127.0.0.1", "--tls-ca-cert", f"{c.tmp}/none.crt"], 2),
]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """The servers every case may use, started once for the table."""
    from redis_servers import RedisServers

    tmp = tmp_path_factory.mktemp("parity")
    servers = RedisServers(tmp / "redis")
    tls_files = make_tls_files(tmp / "tls")
    faults = []

    def fault(behaviour):
        server = fault_servers.FaultServer(behaviour)
        faults.append(server)
        return server

    plain = servers.start()
    first, second = servers.start(), servers.start()
    context = SimpleNamespace(
        tmp=tmp, tls_files=tls_files, fault=fault, plain=plain,
        password=servers.start(password=PASSWORD),
        acl=servers.start(config=f"user {ACL_USER} on >{ACL_PASSWORD} ~* &* +@all\nuser pinger on >{PASSWORD} +ping\n"),
        tls=servers.start(tls=tls_files),
        mtls=servers.start(tls=tls_files, tls_auth_clients=True, password=PASSWORD),
        unix=servers.start(unix_socket=True),
        replica=servers.start(args=["--replicaof", "127.0.0.1", str(plain.port)]),
        oom=servers.start(args=["--maxmemory", "1", "--maxmemory-policy", "noeviction"]),
        masterdown=servers.start(args=["--replicaof", "127.0.0.1", str(free_port()), "--replica-serve-stale-data", "no"]),
        other_ca=make_tls_files(tmp / "other", common_name="another CA").ca_cert,
    )
    context.pair = [first.port, second.port]  # a balancer per probe: they alternate its connections
    yield context
    for server in faults:
        server.close()
    servers.close()


def run_both(args: dict, envs: dict) -> dict:
    """Both probes at once (each retryable case waits out its whole timeout)."""
    with ThreadPoolExecutor(len(PROBES)) as pool:
        futures = {name: pool.submit(runner, *args[name], env=envs[name]) for name, runner in PROBES.items()}
        return {name: future.result() for name, future in futures.items()}


def actions_env(tmp_path, name: str) -> dict:
    output, summary = tmp_path / f"{name}-output", tmp_path / f"{name}-summary"
    output.write_text("")
    summary.write_text("")
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}


def everything_printed(result, env: dict) -> str:
    """stdout, stderr without the mask commands, and the two Actions files."""
    stderr = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("::add-mask::"))
    files = "".join(open(env[name]).read() for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"))
    return result.stdout + stderr + files


# A long wait's periodic line (issue 14): when it comes depends on the machine's speed.
HEARTBEAT = "redis-ci wait: still waiting for "


def normalized(text: str) -> str:
    """Text with what differs between runs (ports, times, attempts) made equal."""
    text = re.sub(r":\d{2,5}\b", ":PORT", text)  # servers made per probe
    text = re.sub(r"\d+\.\d+", "N", text)
    text = re.sub(r"\d+ attempts?", "N attempts", text)
    return re.sub(r"[0-9a-f]{16}", "NONCE", text)


@pytest.mark.parametrize("spec", CASES)
def test_both_probes_agree(spec, ctx, tmp_path):
    # Servers made per probe (a round-robin balancer must not be shared); a case's own flags win.
    args = {name: ["--timeout", str(spec.timeout), "--format", "json", *spec.make(ctx)] for name in PROBES}
    envs = {name: actions_env(tmp_path, name) for name in PROBES}
    results = run_both(args, envs)
    verdicts = {}
    for name, result in results.items():
        assert result.returncode == spec.rc, (name, result)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, (name, result)
        assert spec.secret not in everything_printed(result, envs[name]), (name, result)
        assert result.seconds < spec.timeout + LOAD_SLACK, (name, f"deadline not held: {result.seconds:.3f} s")
        if spec.rc == 2:
            assert result.stdout == "" and len(result.stderr.splitlines()) == 1, (name, result)
            verdicts[name] = result.stderr
            continue
        report = result.json
        error = report["last_error"]
        final = "::error title=Redis not ready::redis gave up at once" in result.stderr
        assert report["elapsed_ms"] < (spec.timeout + SLACK) * 1000, (name, report)
        kind = error and (error["kind"] if len(spec.kinds) == 1 else spec.kinds)
        verdicts[name] = (report["ready"], kind, final, sorted(report["checks"]),
                          [line for line in result.stderr.splitlines() if line.startswith("::add-mask::")])
        if spec.rc == 1:
            assert error["kind"] in spec.kinds and final == spec.final, (name, report)
            if final:
                assert report["attempts"] == 1 and result.seconds < spec.timeout, (name, result)
            else:
                assert report["elapsed_ms"] >= spec.timeout * 1000 - 50, (name, report)
    assert verdicts["node"] == verdicts["python"]


TEXT_CASES = ["ready-password", "refused", "auth-wrong-password", "error-echoes-the-password", "module-missing",
              "usage-bad-timeout", "timeout-never-answers"]


@pytest.mark.parametrize("spec", [param for param in CASES if param.id in TEXT_CASES])
@pytest.mark.parametrize("in_actions", [False, True], ids=["terminal", "actions"])
def test_same_text_outputs_and_summary(spec, in_actions, ctx, tmp_path):
    """Line for line the same text on stdout and stderr, $GITHUB_OUTPUT and the summary."""
    args = {name: ["--timeout", str(spec.timeout), *spec.make(ctx)] for name in PROBES}
    envs = {name: actions_env(tmp_path, name) if in_actions else {} for name in PROBES}
    results = run_both(args, envs)
    seen = {}
    for name, result in results.items():
        files = []
        if in_actions:  # outputs as the runner reads them (either syntax), the summary as written
            files = [repr(dict(parse_file_commands(open(envs[name]["GITHUB_OUTPUT"]).read()))),
                     open(envs[name]["GITHUB_STEP_SUMMARY"]).read()]
        stderr = "".join(line for line in result.stderr.splitlines(True) if not line.startswith(HEARTBEAT))
        seen[name] = [normalized(text) for text in (result.stdout, stderr, *files)]
        assert result.returncode == spec.rc
    assert seen["node"] == seen["python"]


def test_same_json_keys_and_types(ctx):
    """The JSON contract, byte for byte up to timings: key order, spacing, floats."""
    outputs = {name: runner("--url", ctx.plain.url, "--format", "json", "--checks", "ping,pubsub,rw,info").stdout
               for name, runner in PROBES.items()}
    assert normalized(outputs["node"]) == normalized(outputs["python"])
    assert json.loads(outputs["node"])["checks"]["info"]["ms"] > 0


def test_multi_line_password_masked_line_by_line_in_both(redis_servers, tmp_path):
    server = redis_servers.start(args=["--requirepass", ODD_PASSWORD])
    masks = {}
    for name, runner in PROBES.items():
        env = actions_env(tmp_path, name)
        result = runner("--url", f"redis://127.0.0.1:{server.port}", env=dict(env, REDISCLI_AUTH=ODD_PASSWORD))
        assert result.returncode == 0, result
        masks[name] = [line for line in result.stderr.splitlines() if line.startswith("::add-mask::")]
        for line in ODD_PASSWORD.splitlines():
            assert line not in everything_printed(result, env)
    assert masks["node"] == masks["python"]
    assert len(masks["node"]) == 4  # the raw password whole and its two lines, and its URL-encoded form


def test_node_kinds_and_hints_are_the_python_ones():
    from redis_ci.probe.failures import KINDS

    printed = subprocess.run([node_binary(), str(NODE_PROBE), "--print-kinds"], capture_output=True, text=True,
                             check=True).stdout
    node = json.loads(printed)
    topology_only = {"not-cluster", "not-sentinel", "slots-uncovered", "cluster-down", "cluster-disagree",
                     "sentinel-disagree", "no-master", "no-quorum", "replicas-missing"}
    assert set(node) == set(KINDS) - topology_only
    for name, kind in node.items():
        assert (kind["final"], kind["hint"], kind["actionsHint"]) == (
            KINDS[name].final, KINDS[name].hint, KINDS[name].actions_hint), name


@pytest.mark.parametrize("flag", [["--cluster"], ["--sentinel", "127.0.0.1:26379"], ["--node", "127.0.0.1:7001"]])
def test_node_probe_refuses_topologies_in_one_line(flag):
    result = run_node_wait("--url", "redis://127.0.0.1:7000", *flag, "--timeout", "1")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"redis-ci wait: error: {flag[0]} needs the Python probe (python3 >= 3.9 in the job): "
        "the Node probe waits for one server only"]
