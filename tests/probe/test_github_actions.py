"""Inside GitHub Actions: mask first, grouped progress, ::error, $GITHUB_OUTPUT and the step
summary, asserted field by field; and the password appears in no output anywhere."""

from __future__ import annotations

import pytest

from github_files import parse_file_commands
from wait_runner import PASSWORD, run_wait
from redis_servers import free_port


@pytest.fixture
def actions_env(tmp_path):
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("earlier=kept\n")
    summary.write_text("")
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}


def read_outputs(env: dict) -> dict:
    """The probe's outputs, read as the runner reads the file (after the line that was there)."""
    entries = parse_file_commands(open(env["GITHUB_OUTPUT"]).read())
    assert entries[0] == ("earlier", "kept")  # appended, never overwritten
    return dict(entries[1:])


def test_ready_outputs_and_summary(password_server, actions_env):
    result = run_wait("--url", password_server.url, env=actions_env)
    assert result.returncode == 0, result
    lines = result.stderr.splitlines()
    assert lines[0] == f"::add-mask::{PASSWORD}"  # before anything else is printed
    assert lines[1] == f"::group::redis-ci wait: redis://:***@127.0.0.1:{password_server.port}/0 (ping, pubsub; timeout 60 s)"
    assert lines[-1] == "::endgroup::"
    assert result.stdout.startswith(f"redis ready at 127.0.0.1:{password_server.port} (Redis ")

    outputs = read_outputs(actions_env)
    assert list(outputs) == ["ready", "redis-version", "elapsed-ms", "url"]
    assert outputs["ready"] == "true"
    assert outputs["redis-version"] == password_server.client().info()["redis_version"]
    assert 0 < float(outputs["elapsed-ms"]) < 5000
    assert outputs["url"] == f"redis://:***@127.0.0.1:{password_server.port}/0"

    summary = open(actions_env["GITHUB_STEP_SUMMARY"]).read()
    assert summary.startswith(f"### ✅ Redis ready at `127.0.0.1:{password_server.port}`\n")
    version = password_server.client().info()["redis_version"]
    assert f"\nRedis {version} (standalone, master): ready after " in summary and " ms, 1 attempt.\n" in summary
    assert "| check | result | time |\n|---|---|---|\n" in summary
    assert "| ping | ok | " in summary and "| pubsub | ok | " in summary


def test_not_ready_error_annotation_outputs_and_summary(actions_env):
    port = free_port()
    result = run_wait("--url", f"redis://localhost:{port}", "--timeout", "0.5", env=actions_env)
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert lines[0].startswith("::group::redis-ci wait: ")
    assert lines[1] == f"redis-ci wait: localhost:{port}: refused: cannot connect to localhost:{port}: Connection refused"
    assert lines.index("::endgroup::") == 2
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith(f"::error title=Redis not ready::redis not ready at localhost:{port} after ")
    assert "refused" in errors[0] and "(hint: nothing listens" in errors[0] and "ports:" in errors[0]

    outputs = read_outputs(actions_env)
    assert outputs == {
        "ready": "false",
        "redis-version": "",
        "elapsed-ms": outputs["elapsed-ms"],
        "url": f"redis://localhost:{port}/0",
    }
    assert float(outputs["elapsed-ms"]) >= 450

    summary = open(actions_env["GITHUB_STEP_SUMMARY"]).read()
    assert summary.startswith(f"### ❌ Redis not ready at `localhost:{port}`\n")
    assert f"\nnot ready after {float(outputs['elapsed-ms']):.1f} ms, " in summary
    assert "**refused**: cannot connect" in summary
    assert "| ping | cannot connect to" in summary
    assert "| pubsub | not run: an earlier check failed | 0.00 ms |" in summary


def test_json_format_keeps_stdout_pure_in_actions(plain_server, actions_env):
    result = run_wait("--url", plain_server.url, "--format", "json", env=actions_env)
    assert result.returncode == 0
    assert result.json["ready"] is True  # stdout parses: workflow commands went to stderr
    assert read_outputs(actions_env)["ready"] == "true"


def test_outside_actions_no_workflow_commands(tmp_path, plain_server):
    env = {"GITHUB_OUTPUT": str(tmp_path / "out")}  # without GITHUB_ACTIONS=true nothing is written
    result = run_wait("--url", plain_server.url, env=env)
    assert "::" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


def password_scenarios(password_server, plain_server, tls_server, tls_files):
    port = password_server.port
    return [
        ("--url", password_server.url),
        ("--url", password_server.url, "--format", "json", "--checks", "ping,pubsub,rw,info"),
        ("--url", f"redis://:{PASSWORD}@127.0.0.1:{port}/0", "--min-version", "99.0"),
        ("--url", f"redis://default:{PASSWORD}x@127.0.0.1:{port}/0", "--format", "json"),  # wrong password
        ("--url", f"redis://:{PASSWORD}@127.0.0.1:{plain_server.port}/0"),  # no password configured
        ("--url", f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0", "--timeout", "0.3"),
        ("--url", f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0", "--timeout", "0.3", "--format", "json"),
        ("--host", "127.0.0.1", "--port", str(port), "--password", PASSWORD, "--format", "json"),
        ("--url", f"rediss://:{PASSWORD}@127.0.0.1:{tls_server.port}", "--tls-ca-cert", tls_files.ca_cert),
        ("--url", f"redis://:{PASSWORD}@127.0.0.1:notaport/0"),  # usage error
        ("--url", f"redis://:{PASSWORD}@127.0.0.1:{port}/0", "--checks", "nope"),  # usage error
    ]


def test_password_never_in_any_output(password_server, plain_server, tls_server, tls_files, tmp_path):
    for number, args in enumerate(password_scenarios(password_server, plain_server, tls_server, tls_files)):
        output, summary = tmp_path / f"out{number}", tmp_path / f"summary{number}"
        env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
        for environment in (env, {}):
            result = run_wait(*args, env=environment)
            stderr = [line for line in result.stderr.splitlines() if not line.startswith("::add-mask::")]
            texts = [result.stdout, "\n".join(stderr)]
            texts += [path.read_text() for path in (output, summary) if path.exists()]
            for text in texts:
                assert PASSWORD not in text, (args, text)
            assert result.returncode in (0, 1, 2) and "Traceback" not in result.stderr, (args, result)


def test_password_from_environment_masked_and_never_printed(password_server, actions_env):
    env = dict(actions_env, REDISCLI_AUTH=PASSWORD)
    result = run_wait("--url", f"redis://127.0.0.1:{password_server.port}", "--format", "json", env=env)
    assert result.returncode == 0
    assert result.stderr.splitlines()[0] == f"::add-mask::{PASSWORD}"
    assert result.json["url"] == f"redis://:***@127.0.0.1:{password_server.port}/0"
    assert PASSWORD not in result.stdout


def test_odd_password_masked_raw_and_url_encoded(redis_servers, actions_env):
    odd = "p@ss w%rd:x/1"
    server = redis_servers.start(password=odd)
    encoded = "p%40ss%20w%25rd%3Ax%2F1"
    result = run_wait("--url", f"redis://:{encoded}@127.0.0.1:{server.port}/0", env=actions_env)
    assert result.returncode == 0, result
    masks = [line for line in result.stderr.splitlines() if line.startswith("::add-mask::")]
    # the runner decodes %25 back to %, so it masks exactly the raw and the URL-encoded password
    assert masks == ["::add-mask::p@ss w%25rd:x/1", "::add-mask::p%2540ss%2520w%2525rd%253Ax%252F1"]
    rest = result.stdout + "\n".join(line for line in result.stderr.splitlines() if line not in masks)
    rest += open(actions_env["GITHUB_OUTPUT"]).read() + open(actions_env["GITHUB_STEP_SUMMARY"]).read()
    assert odd not in rest and encoded not in rest


def test_topology_json_is_scrubbed_string_by_string():
    """A password that JSON escapes (a quote, a backslash, non-ASCII) is still redacted."""
    import io

    from redis_ci.probe.report import Reporter
    from redis_ci.probe.target import REDACTED, parse_url

    secret = 'pä"ss\\word'
    reporter = Reporter(parse_url("redis://localhost:6379/0"), ["ping"], "json", {}, io.StringIO(), io.StringIO(),
                        secrets=(secret,))
    tree = {"nodes": [{"address": "a:1", "lacks": [f"AUTH {secret} refused"]}], "ok": False, "count": 3}
    assert reporter.scrub_tree(tree) == {
        "nodes": [{"address": "a:1", "lacks": [f"AUTH {REDACTED} refused"]}], "ok": False, "count": 3}
