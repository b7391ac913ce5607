"""`generate --runner-compat`: which runners each form needs, said where it matters."""

from __future__ import annotations

import itertools

import pytest
import yaml

from in_process import run_generate
from redis_ci.errors import UsageError
from redis_ci.generate.render import render
from redis_ci.generate.setup import Setup


SETUPS = [
    dict(image=image, container_image=container, password_secret=password, gate=gate)
    for image, container, password, gate in itertools.product(
        ("redis", "valkey", "redis-stack"), (None, "python:3.13-slim"), (None, "PW"), ("wait", "health", "both"))
]


@pytest.mark.parametrize("options", SETUPS, ids=lambda o: "-".join(str(v) for v in o.values()))
def test_every_command_says_which_runners_take_it(options):
    lines = render(Setup.checked(**options), "workflow").splitlines()
    writes_command = options["image"] != "redis-stack" and bool(options["password_secret"] or options["container_image"])
    assert any(line.strip().startswith("command:") for line in lines) == writes_command
    for index, line in enumerate(lines):
        if line.strip().startswith("command:"):
            comment = " ".join(lines[index - 2:index])
            assert "v2.333.0+" in comment and "act" in comment and "--runner-compat legacy" in comment


@pytest.mark.parametrize("options", SETUPS, ids=lambda o: "-".join(str(v) for v in o.values()))
def test_legacy_never_writes_command_or_entrypoint(options):
    try:
        setup = Setup.checked(**options, runner_compat="legacy")
    except UsageError as exc:  # refused: a password in a container job, or a health gate with one
        assert options["password_secret"] and options["image"] != "redis-stack", exc
        return
    job = yaml.safe_load(render(setup, "workflow"))["jobs"]["test"]
    for service in (job.get("services") or {}).values():
        assert not {"command", "entrypoint"} & set(service)
    if setup.starts_in_step:
        assert "services" not in job
        starts = [step for step in job["steps"] if (step.get("with") or {}).get("start") == "docker"]
        stops = [step for step in job["steps"] if (step.get("with") or {}).get("start") == "stop"]
        assert len(starts) == 1 and starts[0]["with"]["password"] == "${{ secrets.PW }}"
        assert len(stops) == 1 and stops[0]["if"] == "always()" and job["steps"][-1] is stops[0]


@pytest.mark.parametrize("argv, message", [
    (["generate", "job", "--runner-compat", "legacy", "--password-secret", "PW", "--container-job", "python:3.13-slim"],
     "cannot give a service a password in a container job"),
    (["generate", "job", "--runner-compat", "legacy", "--password-secret", "PW", "--gate", "health"],
     "--gate health/both do not apply"),
    (["generate", "service", "--runner-compat", "legacy", "--password-secret", "PW"],
     "not as a service: generate steps, job or workflow"),
    (["generate", "job", "--runner-compat", "old"], "invalid choice"),
])
def test_refusals_are_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run_generate(argv, capsys)
    assert code == 2 and out == "" and message in err
    assert len(err.strip().splitlines()) <= 2  # argparse adds its usage line for a bad choice


def test_the_header_names_the_flag(capsys):
    code, out, _ = run_generate(["generate", "steps", "--runner-compat", "legacy", "--password-secret", "PW"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "# Written by `redis-ci generate steps --password-secret PW --runner-compat legacy`."
    assert "start: docker" in out and "start: stop" in out
