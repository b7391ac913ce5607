"""The prefilter changes no output (every fixture, a generated repository mix), and the result
cache gives the same output as linting again, whatever happens to its folder."""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci.lint.cache import ResultCache, dependency_stamps
from redis_ci.lint.engine import LintSettings, can_skip, lint_packed
from redis_ci.lint.packed import Output
from redis_ci.lint.rules import ALL_RULES

TESTS = Path(__file__).parent
ROOT = TESTS.parent.parent


def _bench_corpus():
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILE_LEVEL = {"RC001", "RC002"}  # what the prefilter leaves unsaid about a file that never mentions Redis


def _same_but_file_level(on: tuple, off: tuple) -> bool:
    """Identical, or: skipped (nothing said) where the full lint said only RC001/RC002."""
    return on == off or (on[3] == () and {row[0] for row in off[3]} <= FILE_LEVEL)


def _both(path: str, output: Output) -> tuple:
    rules = tuple(ALL_RULES)  # RC000 too: unused-suppression findings must survive the prefilter
    on = lint_packed(path, LintSettings(rules, None, output, prefilter=True))
    off = lint_packed(path, LintSettings(rules, None, output, prefilter=False))
    return on, off


@pytest.mark.parametrize("format_name", ["text", "json"])
def test_prefilter_changes_no_fixture_output(format_name):
    files = sorted(str(path) for path in TESTS.rglob("*.y*ml") if "fixtures" in path.parts or "corpus" in path.parts)
    assert len(files) > 100
    file_level_only = 0
    for path in files:
        on, off = _both(path, Output(format_name))
        assert _same_but_file_level(on, off), path
        file_level_only += on != off
    assert file_level_only <= 6  # RC001/RC002 fixtures that never mention Redis (README: The prefilter)


def test_prefilter_changes_nothing_on_a_repository_mix_and_skips_most_of_it(tmp_path):
    corpus = _bench_corpus().mixed_corpus(random.Random(11), 300)
    skipped = 0
    for number, text in enumerate(corpus):
        path = tmp_path / f"ci-{number:03}.yml"
        path.write_text(text)
        data = text.encode()
        skipped += can_skip(data)
        on, off = _both(str(path), Output("text"))
        assert on == off, text
    ordinary = sum(1 for text in corpus if "redis" not in text.lower())
    assert skipped >= ordinary * 0.6, (skipped, ordinary)


NOT_REDIS = {
    # RC301 judges every service: a postgres service on macOS is reported without any Redis
    "services_on_macos": "on: push\njobs:\n  t:\n    runs-on: macos-latest\n    services:\n"
                         "      db:\n        image: postgres:16\n    steps:\n      - run: make\n",
    "container_on_windows": "on: push\njobs:\n  t:\n    runs-on: windows-2025\n    container: node:22\n"
                            "    steps:\n      - run: make\n",
}


@pytest.mark.parametrize("name", sorted(NOT_REDIS))
def test_rules_that_judge_any_container_still_see_the_file(tmp_path, name):
    path = tmp_path / "ci.yml"
    path.write_text(NOT_REDIS[name])
    on, off = _both(str(path), Output("text"))
    assert on == off
    assert "RC301" in on[5]


def test_size_and_bad_bytes_are_reported_for_every_file(tmp_path):
    big = tmp_path / "big.yml"
    big.write_bytes(b"on: push\n" + b"# padding\n" * 60_000)
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"on: push\nname: caf\xe9\n")
    for path, code in ((big, "RC003"), (bad, "RC001")):
        on, _off = _both(str(path), Output("text"))
        assert code in on[5], path
    assert can_skip(b"on: push\nname: caf\xc3\xa9\n")  # valid UTF-8 without Redis is skipped


def redis_ci(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "redis_ci", "lint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def repository(tmp_path):
    folder = tmp_path / "repo" / ".github" / "workflows"
    folder.mkdir(parents=True)
    corpus = _bench_corpus().mixed_corpus(random.Random(5), 90, redis_share=0.5)
    for number, text in enumerate(corpus):
        (folder / f"ci-{number:02}.yml").write_text(text)
    return tmp_path / "repo"


def _entries(folder: Path) -> list:
    return sorted(folder.glob("*.entry")) if folder.exists() else []


def test_a_warm_cache_gives_the_same_output_and_survives_corruption(repository, tmp_path):
    cache = tmp_path / "cache"
    fresh = redis_ci("--no-cache", cwd=repository)
    assert fresh.returncode == 1 and fresh.stdout.count("\n") > 50
    assert not cache.exists()
    cold = redis_ci("--cache-dir", str(cache), cwd=repository)
    entries = _entries(cache)
    assert len(entries) == 90
    warm = redis_ci("--cache-dir", str(cache), cwd=repository)
    for result in (cold, warm):
        assert (result.returncode, result.stdout, result.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    entries[0].write_bytes(b"\x00garbage")
    entries[1].write_bytes(entries[1].read_bytes()[:20])  # truncated
    entries[2].write_bytes(b"")
    again = redis_ci("--cache-dir", str(cache), cwd=repository)
    assert (again.returncode, again.stdout, again.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert not list(cache.glob("*.tmp"))


def test_what_changes_the_result_changes_the_key(repository, tmp_path):
    cache = tmp_path / "cache"
    redis_ci("--cache-dir", str(cache), cwd=repository)
    first = len(_entries(cache))
    json_run = redis_ci("--cache-dir", str(cache), "--format", "json", cwd=repository)
    assert json_run.stdout.startswith("{") and len(_entries(cache)) == 2 * first
    selected = redis_ci("--cache-dir", str(cache), "--select", "RC201", cwd=repository)
    assert {line.split(": ")[1].split()[0] for line in selected.stdout.splitlines() if ": RC" in line} == {"RC201"}
    (repository / ".github" / "redis-ci.yml").write_text("severity:\n  RC201: info\n")
    configured = redis_ci("--cache-dir", str(cache), "--select", "RC201", cwd=repository)
    assert " RC201 [*] info: " in configured.stdout and " RC201 [*] error: " in selected.stdout
    workflow = repository / ".github" / "workflows" / "ci-00.yml"
    workflow.write_text(workflow.read_text() + "# edited\n")
    edited = redis_ci("--cache-dir", str(cache), "--select", "RC201", cwd=repository)
    assert edited.stdout == configured.stdout


def test_two_processes_at_once_share_the_folder(repository, tmp_path):
    cache = tmp_path / "cache"
    expected = redis_ci("--no-cache", cwd=repository)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "redis_ci", "lint", "--cache-dir", str(cache)]
    running = [subprocess.Popen(command, cwd=repository, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(3)]
    for process in running:
        out, err = process.communicate(timeout=120)
        assert (process.returncode, out, err) == (expected.returncode, expected.stdout, expected.stderr)
    assert len(_entries(cache)) == 90 and not list(cache.glob("*.tmp"))


def test_an_entry_whose_compose_file_changed_is_a_miss(tmp_path):
    compose = tmp_path / "compose.yml"
    compose.write_text("services:\n  redis:\n    image: redis:7\n")
    missing = tmp_path / "compose.override.yml"
    cache = ResultCache(str(tmp_path / "cache"))
    packed = ("ci.yml", None, (), (), {}, "", {})
    cache.put("k", packed, dependency_stamps([str(compose), str(missing)]))
    assert cache.get("k") == packed
    compose.write_text("services:\n  redis:\n    image: redis:8\n")
    assert cache.get("k") is None
    cache.put("k", packed, dependency_stamps([str(compose), str(missing)]))
    missing.write_text("services: {}\n")  # a file that appears changes the result too
    assert cache.get("k") is None


def test_the_folder_is_bounded_oldest_first(tmp_path):
    cache = ResultCache(str(tmp_path / "cache"))
    for number in range(40):
        cache.put(f"k{number:02}", (f"p{number}", None, (), (), {}, "x" * 1000, {}))
        os.utime(tmp_path / "cache" / f"k{number:02}.entry", ns=(number * 10**9, number * 10**9))
    stale, fresh = tmp_path / "cache" / ".k.1.tmp", tmp_path / "cache" / ".k.2.tmp"  # killed writers
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (0, 0))
    cache.trim(max_bytes=20_000)
    assert not stale.exists() and fresh.exists()
    kept = sorted(path.name for path in _entries(tmp_path / "cache"))
    assert 10 <= len(kept) <= 15
    assert kept[-1] == "k39.entry" and "k00.entry" not in kept


def test_packed_results_render_as_the_results_do():
    """What workers send back (packed.py) loses nothing any format shows."""
    from redis_ci.lint.engine import lint_file
    from redis_ci.lint.packed import PackedResult, joined_report, pack
    from redis_ci.lint.render import render
    from redis_ci.lint.report import statistics

    files = sorted(str(path) for path in (TESTS / "fixtures").rglob("*.yml") if not path.name.endswith(".fixed.yml"))
    results = [lint_file(path, ALL_RULES) for path in files]
    assert sum(len(result.findings) for result in results) > 100
    for format_name in ("text", "github", "json", "sarif"):
        packed = [PackedResult(pack(result, Output(format_name))) for result in results]
        if format_name in ("text", "github"):
            assert joined_report(format_name, packed) == render(format_name, results, ALL_RULES)
        assert render(format_name, packed, ALL_RULES) == render(format_name, results, ALL_RULES)
    packed = [PackedResult(pack(result, Output("none"))) for result in results]
    assert statistics(packed, as_json=True) == statistics(results, as_json=True)
