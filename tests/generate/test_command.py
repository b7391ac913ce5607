"""`redis-ci generate` as a user meets it: kinds that agree, templates that do not drift,
files written atomically, `--into` that leaves every other byte alone, one-line errors."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from in_process import run_generate
from redis_ci import write
from redis_ci.generate.render import indent, render
from redis_ci.generate.setup import Setup

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
TEMPLATES = ROOT / "workflows-templates"

# Each template and the exact command that writes it (README: "produced by generate").
TEMPLATE_COMMANDS = {
    "redis-python": "generate workflow --language python",
    "redis-node": "generate workflow --language node",
    "valkey-container-job": "generate workflow --image valkey --container-job python:3.13-slim --language python",
    "redis-version-matrix": "generate workflow --versions 6.2,7.4,8.2 --language python",
}


def body(text: str) -> list[str]:
    """The generated lines without the `# Written by ...` header."""
    return text.splitlines()[1:]


def _kind_settings():
    for image in ("redis", "valkey", "redis-stack"):
        for container in (None, "node:22"):
            for password in (None, "PW"):
                for gate in ("wait", "health", "both"):
                    yield dict(image=image, container_image=container, password_secret=password, gate=gate)


@pytest.mark.parametrize("options", list(_kind_settings()), ids=lambda o: "-".join(str(v) for v in o.values()))
def test_service_steps_and_job_are_the_workflow_text(options):
    setup = Setup.checked(language="node", **options)
    workflow = render(setup, "workflow")
    job = body(render(setup, "job"))
    assert "\n".join(indent(job, 2)) in workflow
    assert "\n".join(indent(body(render(setup, "service")), 4)) in workflow
    steps = body(render(setup, "steps"))
    if steps[0].startswith("# Nothing to add"):
        assert "Wait for Redis" not in workflow and "overcommit_memory" not in workflow
    else:
        assert "\n".join(indent(steps, 6)) in workflow


@pytest.mark.parametrize("name", sorted(TEMPLATE_COMMANDS))
def test_template_is_exactly_what_its_command_writes(name):
    result = subprocess.run(
        [sys.executable, "-m", "redis_ci", *TEMPLATE_COMMANDS[name].split()], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    template = (TEMPLATES / f"{name}.yml").read_text()
    assert result.stdout == template, (
        f"workflows-templates/{name}.yml drifted from its generator; rewrite it with "
        f"`redis-ci {TEMPLATE_COMMANDS[name]} -o workflows-templates/{name}.yml`"
    )
    assert template.startswith(f"# Written by `redis-ci {TEMPLATE_COMMANDS[name]}`.\n")


def test_every_template_has_a_command_and_properties():
    assert sorted(path.stem for path in TEMPLATES.glob("*.yml")) == sorted(TEMPLATE_COMMANDS)
    for name in TEMPLATE_COMMANDS:
        properties = json.loads((TEMPLATES / f"{name}.properties.json").read_text())
        assert set(properties) >= {"name", "description", "iconName", "categories"}
        assert properties["name"] and properties["description"] and properties["iconName"]
        assert isinstance(properties["categories"], list) and properties["categories"]


def test_output_writes_the_same_text_as_stdout(tmp_path, capsys):
    code, printed, _ = run_generate(["generate", "job", "--gate", "both"], capsys)
    assert code == 0
    target = tmp_path / "job.yml"
    code, out, err = run_generate(["generate", "job", "--gate", "both", "--output", str(target)], capsys)
    assert (code, out, err) == (0, "", "")
    assert target.read_text() == printed
    assert os.listdir(tmp_path) == ["job.yml"]


def test_output_replaces_by_rename_and_keeps_the_mode(tmp_path, capsys):
    target = tmp_path / "ci.yml"
    target.write_text("old\n")
    target.chmod(0o600)
    inode = target.stat().st_ino
    code, _, _ = run_generate(["generate", "workflow", "-o", str(target)], capsys)
    assert code == 0
    assert target.read_text().startswith("# Written by `redis-ci generate workflow`.")
    assert target.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, capsys):
    target = tmp_path / "ci.yml"
    target.write_text("old\n")

    def disk_full(_descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, "fsync", disk_full)
    code, out, err = run_generate(["generate", "job", "-o", str(target)], capsys)
    assert (code, out) == (3, "")
    assert err == f"redis-ci generate: error: cannot write {target}: No space left on device\n"
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["ci.yml"]


def test_output_into_a_missing_directory_is_one_line_exit_3(tmp_path, capsys):
    code, out, err = run_generate(["generate", "job", "-o", str(tmp_path / "no" / "such" / "x.yml")], capsys)
    assert (code, out) == (3, "")
    assert err.count("\n") == 1 and "cannot write" in err


INTO_FIXTURES = [
    ("hand_written.yml", "build", []),
    ("hand_written.yml", "other", ["--gate", "health", "--password-secret", "PW"]),
    ("with_services.yml", "tests", ["--gate", "both", "--image", "valkey"]),
    ("container_job.yml", "tests", ["--password-secret", "PW"]),
    ("crlf.yml", "test", ["--versions", "7.4,8.2"]),
    ("matrix_job.yml", "test", ["--versions", "7.4,8.2", "--image", "valkey"]),
]


@pytest.mark.parametrize("fixture, job, options", INTO_FIXTURES)
def test_into_only_inserts_lines(tmp_path, capsys, fixture, job, options):
    target = tmp_path / fixture
    original = (FIXTURES / fixture).read_bytes()
    target.write_bytes(original)
    code, out, err = run_generate(["generate", "--into", str(target), "--job", job, *options], capsys)
    assert code == 0, err
    assert out == ""
    before = original.decode().splitlines(keepends=True)
    after = target.read_bytes().decode().splitlines(keepends=True)
    operations = {op for op, *_ in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()}
    assert operations == {"equal", "insert"}, "".join(difflib.unified_diff(before, after))
    inserted = "".join(after)
    assert "redis" in inserted and len(after) > len(before)
    # The result is Redis-complete: a second run refuses and leaves the file alone.
    edited = target.read_bytes()
    code, _, err = run_generate(["generate", "--into", str(target), "--job", job], capsys)
    assert code == 2 and "already has Redis" in err
    assert target.read_bytes() == edited


def test_into_keeps_a_byte_order_mark_and_crlf(tmp_path, capsys):
    target = tmp_path / "bom.yml"
    original = b"\xef\xbb\xbf" + (FIXTURES / "crlf.yml").read_bytes()
    target.write_bytes(original)
    code, _, err = run_generate(["generate", "--into", str(target), "--job", "test"], capsys)
    assert code == 0, err
    edited = target.read_bytes()
    assert edited.startswith(b"\xef\xbb\xbfname: CRLF\r\n")
    assert b"\n" not in edited.replace(b"\r\n", b"")
    assert edited.endswith(b"      - run: make test")


REFUSALS = {
    "missing job": ("hand_written.yml", "nope", [], "has no job 'nope'"),
    "already has Redis": ("has_redis.yml", "test", [], "already has Redis"),
    "reusable workflow": ("reusable_call.yml", "call", [], "reusable workflow"),
    "flow-style job": ("flow_job.yml", "test", [], "not a block mapping"),
    "not YAML": ("not_yaml.yml", "test", [], "cannot be edited"),
    "matrix axis taken": ("matrix_taken.yml", "test", ["--versions", "7.4,8.2"], "already has redis-version"),
    "port in a container job": ("container_job.yml", "tests", ["--port", "6380"], "container job"),
    "macOS in the matrix": ("macos_job.yml", "test", [], "services need a Linux runner"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_into_refuses_with_one_line_and_leaves_the_file(tmp_path, capsys, case):
    fixture, job, options, message = REFUSALS[case]
    target = tmp_path / fixture
    original = (FIXTURES / fixture).read_bytes()
    target.write_bytes(original)
    code, out, err = run_generate(["generate", "--into", str(target), "--job", job, *options], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message in err, err
    assert target.read_bytes() == original
    assert os.listdir(tmp_path) == [fixture]


def test_into_a_missing_file_is_exit_3(tmp_path, capsys):
    code, _, err = run_generate(["generate", "--into", str(tmp_path / "none.yml"), "--job", "test"], capsys)
    assert code == 3 and err.count("\n") == 1 and "cannot read" in err


def test_container_image_pinned_by_digest_is_accepted(capsys):
    digest = "python@sha256:" + "0123456789abcdef" * 4
    code, out, err = run_generate(["generate", "job", "--container-job", digest], capsys)
    assert code == 0, err
    assert f"image: {digest}" in out


BAD_OPTIONS = [
    [],
    ["cake"],
    ["job", "--image", "memcached"],
    ["job", "--version", "latest"],
    ["job", "--version", "6.0"],
    ["job", "--version", "5"],
    ["job", "--version", "alpine"],
    ["job", "--version", "LATEST"],
    ["job", "--image", "valkey", "--version", "latest-alpine"],
    ["job", "--image", "redis-stack", "--version", "7.2"],
    ["job", "--image", "redis-stack", "--versions", "6.2,7.4"],
    ["job", "--version", "8.2", "--versions", "7.4,8.2"],
    ["job", "--versions", "8.2"],
    ["job", "--versions", "8.2,8.2"],
    ["job", "--version", "8.2 ; rm -rf /"],
    ["job", "--port", "70000"],
    ["job", "--port", "abc"],
    ["job", "--container-job", "python"],
    ["job", "--container-job", "python:latest"],
    ["job", "--container-job", "python:slim"],
    ["job", "--container-job", "python:3.13", "--port", "6380"],
    ["job", "--password-secret", "my secret"],
    ["job", "--password-secret", "GITHUB_TOKEN"],
    ["job", "--gate", "sleep"],
    ["job", "--action-ref", "not a ref"],
    ["job", "--action-ref", "owner/repo"],
    ["job", "--action-ref", "owner/some-other-action@v1"],
    ["job", "--job", "bad name!"],
    ["job", "--language", "cobol"],
    ["job", "--into", "x.yml", "--job", "test"],
    ["--into", "x.yml"],
    ["--into", "x.yml", "--job", "test", "--output", "y.yml"],
    ["--into", "x.yml", "--job", "test", "--container-job", "python:3.13"],
    ["--into", "x.yml", "--job", "test", "--language", "python"],
    ["job", "--container-job", "python@sha256:xyz"],
]


@pytest.mark.parametrize("argv", BAD_OPTIONS, ids=lambda argv: " ".join(argv) or "nothing")
def test_bad_options_are_one_line_and_exit_2(capsys, argv):
    code, out, err = run_generate(["generate", *argv], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "error:" in err, err


def test_readme_example_is_the_generator_output():
    readme = (ROOT / "README.md").read_text()
    assert f"```yaml\n{render(Setup.checked(), 'job')}```" in readme


@pytest.mark.parametrize("tag, says", [
    ("banana", "'banana' is not a version"),
    ("latest", "'latest' moves under you"),
    ("latest-alpine", "'latest-alpine' moves under you"),
])
def test_a_tag_that_is_no_version_is_told_so_and_a_moving_one_that_it_moves(capsys, tag, says):
    code, _, err = run_generate(["generate", "job", "--version", tag], capsys)
    assert code == 2 and says in err, err
