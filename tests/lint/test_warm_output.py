"""A run served from the result cache prints byte for byte what a cold run prints, in every
format, with --statistics and with the step summary, whether the cache reads each file's bytes
(fresh stats, as after a CI checkout) or trusts a settled file's stat; a damaged entry is a
miss wherever its findings are read."""

from __future__ import annotations

import importlib.util
import marshal
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTLED_S = 2.1  # cache.SETTLED_NS and a little: a file this old gets its stat recorded

COMPOSE = """\
services:
  cache:
    image: redis
    ports:
      - "6379:6379"
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1s
"""
COMPOSE_WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: sudo sysctl -w vm.overcommit_memory=1
      - run: docker compose up -d --wait
      - run: npm test
        env:
          REDIS_URL: redis://localhost:6379
"""
FORMATS = [["--format", "text"], ["--format", "github"], ["--format", "json"], ["--format", "sarif"],
           ["--statistics"], ["--format", "json", "--statistics"], ["--format", "text", "--color", "always"]]


def _bench_corpus():
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """A repository mix with a compose file (findings in another file), settled: its files'
    stats get recorded by a run that saves."""
    root = tmp_path_factory.mktemp("warm") / "repo"
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for number, text in enumerate(_bench_corpus().mixed_corpus(random.Random(3), 40, redis_share=0.4)):
        (folder / f"ci-{number:02}.yml").write_text(text)
    (folder / "compose.yml").write_text(COMPOSE_WORKFLOW)
    (root / "docker-compose.yml").write_text(COMPOSE)
    time.sleep(SETTLED_S)
    return root


def lint(cwd: Path, *args: str, summary: Path | None = None) -> tuple:
    """(exit code, stdout, stderr, the step summary written) of `python -X importtime -m
    redis_ci lint ARGS`, and the redis_ci modules it imported (import lines left out of stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA",
                 "NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    if summary is not None:  # with the commit to link each finding to
        env.update(GITHUB_STEP_SUMMARY=str(summary), GITHUB_SERVER_URL="https://github.com",
                   GITHUB_REPOSITORY="owner/repo", GITHUB_SHA="0123abc")
        summary.write_text("")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "redis_ci", "lint", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=120)
    lines = done.stderr.decode().splitlines(keepends=True)
    modules = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    stderr = "".join(line for line in lines if not line.startswith("import time:"))
    written = summary.read_text() if summary is not None else None
    return (done.returncode, done.stdout, stderr, written), modules


def _cold_then_warm(cwd: Path, cache: Path, args: list, summary: Path | None = None) -> tuple:
    started_ns = time.time_ns()
    expected, _ = lint(cwd, "--no-cache", *args, summary=summary)
    assert expected[0] == 1 and expected[1]
    cold, cold_modules = lint(cwd, "--cache-dir", str(cache), *args, summary=summary)
    assert cold == expected and "redis_ci.lint.engine" in cold_modules
    (index,) = [path for path in cache.glob("*.index") if path.stat().st_mtime_ns >= started_ns]
    saved = index.stat().st_ino
    warm, warm_modules = lint(cwd, "--cache-dir", str(cache), *args, summary=summary)
    assert warm == expected
    assert index.stat().st_ino == saved  # served from the cache: no save renamed a new index into place
    if "sarif" not in args:  # SARIF documents the rules that ran: it imports them (and PyYAML)
        assert "yaml" not in warm_modules and "redis_ci.lint.rule" not in warm_modules
    return expected


@pytest.mark.parametrize("args", FORMATS, ids=" ".join)
def test_a_warm_run_prints_what_a_cold_run_prints(repository, tmp_path, args):
    _cold_then_warm(repository, tmp_path / "cache", args)


@pytest.mark.parametrize("args", [["--format", "github"], ["--format", "text"]], ids=" ".join)
def test_a_warm_run_writes_the_same_step_summary(repository, tmp_path, args):
    expected = _cold_then_warm(repository, tmp_path / "cache", args, summary=tmp_path / "summary.md")
    assert "](https://github.com/owner/repo/blob/0123abc/docker-compose.yml#L" in expected[3]  # a compose finding's link


def test_absolute_paths_and_explicit_files(repository, tmp_path):
    folder = repository / ".github" / "workflows"
    _cold_then_warm(repository, tmp_path / "cache", [str(folder)])
    _cold_then_warm(tmp_path, tmp_path / "cache", ["--format", "sarif", str(folder / "compose.yml"), str(folder)])


def _index(cache: Path) -> Path:
    (index,) = cache.glob("*.index")
    return index


def test_warm_runs_read_or_trust_the_stat_and_say_the_same(repository, tmp_path):
    """Settled files: the cold run records their stats (a warm run reads no workflow); then
    touched: each is read and hashed (a hit) until a run that saves records the new stats."""
    cache = tmp_path / "cache"
    expected, _ = lint(repository, "--no-cache")
    assert lint(repository, "--cache-dir", str(cache))[0] == expected
    seen = {where: entry[3] for where, entry in marshal.loads(_index(cache).read_bytes())[2].items()}
    assert len(seen) == 41 and None not in seen.values()
    assert lint(repository, "--cache-dir", str(cache))[0] == expected
    folder = repository / ".github" / "workflows"
    for path in folder.iterdir():
        os.utime(path)  # ctime moves on: stats no longer match, bytes do
    before = _index(cache).read_bytes()
    assert lint(repository, "--cache-dir", str(cache))[0] == expected
    assert _index(cache).read_bytes() == before  # every file a hit through its hash: nothing written
    time.sleep(SETTLED_S)
    edited = folder / "ci-00.yml"
    original = edited.read_text()
    edited.write_text(original + "# edited\n")
    try:
        lint(repository, "--cache-dir", str(cache))  # a miss: this run saves, and records the settled stats
        entries = marshal.loads(_index(cache).read_bytes())[2]
        assert entries[".github/workflows/ci-00.yml"][3] is None  # just written: its stat proves nothing yet
        others = {where: entry[3] for where, entry in entries.items() if not where.endswith("ci-00.yml")}
        assert len(others) == 40 and all(stat is not None and stat != seen[where] for where, stat in others.items())
    finally:
        edited.write_text(original)
    assert lint(repository, "--cache-dir", str(cache))[0] == expected


def test_a_damaged_detail_is_a_miss_where_findings_are_read(repository, tmp_path):
    cache = tmp_path / "cache"
    for args in (["--format", "json"], ["--format", "text"]):
        expected, _ = lint(repository, "--no-cache", *args)
        lint(repository, "--cache-dir", str(cache), *args)
    for index in cache.glob("*.index"):
        magic, settings, entries = marshal.loads(index.read_bytes())
        damaged = {where: (*entry[:2], b"\0damaged", *entry[3:]) for where, entry in entries.items()}
        index.write_bytes(marshal.dumps((magic, settings, damaged)))
    for args in (["--format", "json"], ["--format", "text"]):
        expected, _ = lint(repository, "--no-cache", *args)
        got, modules = lint(repository, "--cache-dir", str(cache), *args)
        assert got == expected
        # json reads the rows: every entry a miss, linted again; text reads the rendered head only
        assert ("redis_ci.lint.pool" in modules) == (args[1] == "json")
