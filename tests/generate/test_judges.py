"""Every combination of `generate` options, judged by the four real checkers, each run once per batch.

The workflows (plus `--into` results and two canaries that must fail) are written into one
temporary git repository; actionlint, zizmor, check-jsonschema and `redis-ci lint` run over all
of them at the same time (a process or two each, not one per file), and one parametrised test per
combination asserts its file drew no finding.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci.generate.render import render
from redis_ci.generate.setup import Setup

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
PINNED_ACTION = "redis-ci/redis-ci-action@0123456789abcdef0123456789abcdef01234567"

VERSIONS = {
    "redis": ("7.4", "6.2,7.4,8.2"),
    "valkey": ("8.0", "7.2,8.0,8.1"),
    "redis-stack": ("7.2.0-v10", "7.2.0-v10,7.4.0-v6"),
}
JOBS = {
    "runner": {},
    "port6380": {"port": 6380},
    "container": {"container_image": "python:3.13-slim"},
}


def _combinations():
    """(id, Setup.checked keyword arguments) for the full product of the options."""
    for image, version_mode, job, password, gate, language, action in itertools.product(
        VERSIONS, ("stable", "version", "versions"), JOBS, (None, "REDIS_PASSWORD"),
        ("wait", "health", "both"), ("none", "python", "node"), ("default", "pinned", "local"),
    ):
        options = dict(image=image, gate=gate, language=language, password_secret=password, **JOBS[job])
        if version_mode == "version":
            options["version"] = VERSIONS[image][0]
        elif version_mode == "versions":
            options["versions"] = VERSIONS[image][1]
        if action != "default":
            options["action_ref"] = PINNED_ACTION if action == "pinned" else "./"
        ident = "-".join([image, version_mode, job, "password" if password else "open", gate, language, action])
        yield ident, options
        legacy = _legacy_variant(options)
        if legacy is not None:
            yield f"{ident}-legacy", legacy


def _legacy_variant(options):
    """The `--runner-compat legacy` options of a combination, where they write something else."""
    from redis_ci.errors import UsageError

    legacy = dict(options, runner_compat="legacy")
    try:
        text = render(Setup.checked(**legacy), "workflow")
    except UsageError:
        return None  # refused with one line (a password in a container job, a health gate)
    same = text.splitlines()[1:] == render(Setup.checked(**options), "workflow").splitlines()[1:]
    return None if same else legacy


COMBINATIONS = dict(_combinations())

# `--into` cases: (fixture file, job, options) whose results must pass the judges too.
INTO_CASES = {
    "into-runner-wait": ("hand_written.yml", "build", {}),
    "into-runner-health-password": ("hand_written.yml", "build", {"gate": "health", "password_secret": "REDIS_PASSWORD"}),
    "into-services-env": ("with_services.yml", "tests", {"gate": "both"}),
    "into-container-job": ("container_job.yml", "tests", {"image": "valkey"}),
    "into-container-health": ("container_job.yml", "tests", {"gate": "health", "password_secret": "PW"}),
    "into-crlf": ("crlf.yml", "test", {}),
    "into-new-strategy": ("crlf.yml", "test", {"versions": "6.2,8.2"}),
    "into-matrix-axis": ("matrix_job.yml", "test", {"versions": "7.4,8.2", "gate": "both"}),
}

# The repository's own workflows and the shipped templates, judged in the same batch.
PROJECT_FILES = {
    str(path.relative_to(ROOT)): f"project-{path.parent.name}-{path.name}"
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")) + sorted((ROOT / "workflows-templates").glob("*.yml"))
}

# Must be flagged: proves each judge is really looking (a judge that never fails proves nothing).
CANARY_RISKY = """\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}" && redis-cli -h localhost ping
"""
CANARY_SCHEMA = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps: 5
"""


def _flagged_files(names, text):
    return {name for name in names if name in text}


@pytest.fixture(scope="session")
def judged(tmp_path_factory):
    """{judge: {file name: [problem text]}} for every generated file, each judge run once."""
    from redis_ci.generate.into import add_redis_to_job

    repo = tmp_path_factory.mktemp("generated")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for ident, options in COMBINATIONS.items():
        (workflows / f"{ident}.yml").write_text(render(Setup.checked(**options), "workflow"))
    for ident, (fixture, job, options) in INTO_CASES.items():
        target = workflows / f"{ident}.yml"
        shutil.copyfile(FIXTURES / fixture, target)
        target.write_bytes(add_redis_to_job(str(target), Setup.checked(job_name=job, **options)).encode())
    for source in PROJECT_FILES:
        shutil.copyfile(ROOT / source, workflows / PROJECT_FILES[source])
    (workflows / "canary-risky.yml").write_text(CANARY_RISKY)
    (workflows / "canary-schema.yml").write_text(CANARY_SCHEMA)
    names = sorted(path.name for path in workflows.iterdir())
    return _judge(repo, [f".github/workflows/{name}" for name in names])


def _shellchecked(path: str) -> bool:
    """Files whose `run:` scripts go through shellcheck (via actionlint): one per distinct set of
    scripts (they vary with language, gate and job kind only), plus every non-generated file."""
    ident = Path(path).stem
    return ident not in COMBINATIONS or (ident.startswith("redis-stable-") and ident.endswith("-default"))


def _judge(repo: Path, paths: list[str]) -> dict:
    """Run the four judges at once (both cores), each over the whole batch; collect by file name."""
    names = [Path(path).name for path in paths]
    # shellcheck costs a process per script: 12 s for the full batch, so only where scripts differ.
    deep = [path for path in paths if _shellchecked(path)]
    shallow = [path for path in paths if not _shellchecked(path)]
    # zizmor refuses a whole strict run on one schema-invalid file, so that canary is left out.
    zizmor_paths = [path for path in paths if not path.endswith("canary-schema.yml")]
    half = len(paths) // 2
    commands = {
        "actionlint": [
            ["actionlint", "-format", "{{json .}}", *deep],
            ["actionlint", "-shellcheck=", "-format", "{{json .}}", *shallow],
        ],
        "zizmor": [
            ["zizmor", "--offline", "--strict-collection", "--config", str(ROOT / "zizmor.yml"), "--format", "json",
             *zizmor_paths],
        ],
        "check-jsonschema": [
            ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", "-o", "json", *part]
            for part in (paths[:half], paths[half:])
        ],
        "redis-ci lint": [[sys.executable, "-m", "redis_ci", "lint", "--format", "json", *paths]],
    }
    running = {
        judge: [subprocess.Popen(c, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cs]
        for judge, cs in commands.items()
    }
    outputs = {judge: [process.communicate(timeout=240) for process in processes] for judge, processes in running.items()}
    results = {judge: {} for judge in commands}

    def record(judge, path, problem):
        results[judge].setdefault(Path(path).name, []).append(problem)

    for process, (stdout, stderr) in zip(running["actionlint"], outputs["actionlint"]):
        assert process.returncode in (0, 1), stderr  # 1: findings; anything else: actionlint itself failed
        for error in json.loads(stdout or "[]"):
            record("actionlint", error["filepath"], error["message"])
    for stdout, stderr in outputs["zizmor"]:
        assert stdout.strip().startswith("["), stderr
        for finding in json.loads(stdout):
            for name in _flagged_files(names, json.dumps(finding)):
                record("zizmor", name, finding["ident"])
    for stdout, stderr in outputs["check-jsonschema"]:
        report = json.loads(stdout)
        for error in report.get("errors", []) + report.get("parse_errors", []):
            record("check-jsonschema", error["filename"], error.get("message", ""))
    for stdout, stderr in outputs["redis-ci lint"]:
        assert stdout.strip().startswith("{"), stderr
        for finding in json.loads(stdout)["findings"]:
            record("redis-ci lint", finding["path"], f"{finding['line']}: {finding['code']} {finding['message']}")
    return results


JUDGES = ("actionlint", "zizmor", "check-jsonschema", "redis-ci lint")


def findings(judged, name):
    """{judge: its findings} for one file, judges that found nothing left out."""
    return {judge: judged[judge][name] for judge in JUDGES if judged[judge].get(name)}


@pytest.mark.parametrize("ident", list(COMBINATIONS) + list(INTO_CASES))
def test_generated_workflow_passes_every_judge(judged, ident):
    assert findings(judged, f"{ident}.yml") == {}


@pytest.mark.parametrize("source", sorted(PROJECT_FILES))
def test_project_workflow_and_template_pass_every_judge(judged, source):
    assert findings(judged, PROJECT_FILES[source]) == {}


@pytest.mark.parametrize("judge", ("actionlint", "zizmor", "redis-ci lint"))
def test_risky_canary_is_flagged(judged, judge):
    assert judged[judge].get("canary-risky.yml")


@pytest.mark.parametrize("judge", ("actionlint", "check-jsonschema"))
def test_schema_canary_is_flagged(judged, judge):
    assert judged[judge].get("canary-schema.yml")

