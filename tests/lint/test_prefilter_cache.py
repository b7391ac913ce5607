"""The prefilter changes no output (every fixture and corpus file, a generated repository mix,
hypothesis-generated workflows and rule selections: each rule's triggers are exact), and the
result cache gives the same output as linting again, whatever happens to its folder."""

from __future__ import annotations

import importlib.util
import marshal
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redis_ci.lint.cache import ResultCache
from redis_ci.lint.cache_key import content_hash, dependency_stamps
from redis_ci.lint.engine import (LintSettings, can_skip, check_workflow_bytes, lint_packed, prefilter_plan,
                                  skipped_by_bytes)
from redis_ci.lint.prefilter import triggered
from redis_ci.lint.packed import Output
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.rules.runner_quoting import RunnerQuoting

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


def _both(path: str, output: Output, rules: tuple = tuple(ALL_RULES)) -> tuple:
    # RC000 is in ALL_RULES: unused-suppression findings must survive the prefilter
    on = lint_packed(path, LintSettings(rules, None, output, prefilter=True))
    off = lint_packed(path, LintSettings(rules, None, output, prefilter=False))
    return on, off


def _lint_files() -> list:
    return sorted(str(path) for path in TESTS.rglob("*.y*ml") if "fixtures" in path.parts or "corpus" in path.parts)


@pytest.mark.parametrize("format_name", ["text", "json"])
def test_prefilter_changes_no_fixture_output(format_name):
    files = _lint_files()
    assert len(files) > 100
    file_level_only = 0
    for path in files:
        on, off = _both(path, Output(format_name))
        assert _same_but_file_level(on, off), path
        file_level_only += on != off
    assert file_level_only <= 6  # RC001/RC002 fixtures that never mention Redis (README: The prefilter)


def test_each_rule_left_out_of_a_file_says_nothing_there():
    """Rule by rule: a rule the triggers (and gates) leave out of a fixture or corpus file reports
    nothing about it when it runs there alone; and every rule is left out of some file."""
    files = _lint_files()
    left_out: set = set()
    for path in files:
        data = Path(path).read_bytes()
        plan = prefilter_plan(data, ALL_RULES)
        run = [] if plan is None else plan[0]
        for rule in ALL_RULES:
            if rule in run or rule.code == "RC000":  # RC000: the engine's, judged over every selected rule
                continue
            left_out.add(rule.code)
            alone = check_workflow_bytes(data, path, [rule])
            assert not alone.findings or (plan is None and rule.file_level), (path, rule.code, alone.findings[:1])
    assert left_out >= {rule.code for rule in ALL_RULES} - {"RC000", "RC003"}


def test_every_rule_declares_its_triggers():
    for rule in ALL_RULES:
        assert rule.triggers is not None and all(entry for entry in rule.triggers), rule.code
        words = [rule.triggers] if isinstance(rule.triggers, bytes) else list(rule.triggers)
        while words:
            word = words.pop()
            if isinstance(word, bytes):
                assert word == word.lower(), (rule.code, word)  # matched in the lowercased bytes
            else:
                words.extend(word)


def test_prefilter_changes_nothing_on_a_repository_mix_and_skips_every_ordinary_workflow(tmp_path):
    corpus = _bench_corpus().mixed_corpus(random.Random(11), 300)
    skipped = ordinary = 0
    for number, text in enumerate(corpus):
        path = tmp_path / f"ci-{number:03}.yml"
        path.write_text(text)
        data = text.encode()
        is_ordinary = "redis" not in text.lower()
        ordinary += is_ordinary
        skipped += can_skip(data)
        assert can_skip(data) == is_ordinary  # a postgres, mysql or mongo service with options too
        on, off = _both(str(path), Output("text"))
        assert on == off, text
    assert ordinary > 200 and "services:" in "".join(text for text in corpus if "redis" not in text.lower())


NOT_REDIS = {
    # RC301 judges every service: a postgres service on macOS is reported without any Redis
    "services_on_macos": ("on: push\njobs:\n  t:\n    runs-on: macos-latest\n    services:\n"
                          "      db:\n        image: postgres:16\n    steps:\n      - run: make\n", "RC301"),
    "container_on_windows": ("on: push\njobs:\n  t:\n    runs-on: windows-2025\n    container: node:22\n"
                             "    steps:\n      - run: make\n", "RC301"),
    "single_quoted_health_cmd": ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n"
                                 "      db:\n        image: postgres:16\n        options: --health-cmd 'pg_isready'\n"
                                 "    steps:\n      - run: make\n", "RC004"),
    "anchored_options": ("x: &o --health-cmd 'pg_isready'\non: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
                         "    services:\n      db: {image: postgres, options: *o}\n    steps:\n      - run: make\n", "RC004"),
    "sysctl_on_postgres": ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n      db:\n"
                           "        image: postgres:16\n        options: --sysctl vm.overcommit_memory=1\n"
                           "    steps:\n      - run: make\n", "RC303"),
    "escaped_redis_image": ('on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n      kv:\n'
                            '        image: "\\x72edis"\n    steps:\n      - run: make\n', "RC401"),
    "folded_escape_redis_image": ('on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n      kv:\n'
                                  '        image: "re\\\n          dis"\n    steps:\n      - run: make\n', "RC401"),
    "bare_ping_loop": ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: until echo PING "
                       "| nc db 9999 | grep -q PONG; do sleep 1; done\n", "RC105"),
    "label_in_cache_env": ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n      memo:\n"
                           "        image: memcached:1.6\n        ports: ['11211:11211']\n    env:\n"
                           "      CACHE_HOST: memo\n    steps:\n      - run: make\n", "RC203"),
}


@pytest.mark.parametrize("name", sorted(NOT_REDIS))
def test_rules_that_judge_any_container_still_see_the_file(tmp_path, name):
    path = tmp_path / "ci.yml"
    text, code = NOT_REDIS[name]
    path.write_text(text)
    on, off = _both(str(path), Output("text"))
    assert on == off
    assert f": {code} " in on[5], on[5]


def test_ordinary_container_values_are_passed_over():
    """Double-quoted health commands (and single quotes inside them) read alike by a shell and
    the runner: RC004's gate says so before the model is built, and the file is skipped."""
    ordinary = ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    container:\n      image: node:22\n"
                "      options: --cpus 2\n    services:\n      mongo:\n        image: mongo:7\n"
                "        options: >-\n          --health-cmd \"mongosh --eval 'db.runCommand({ping: 1})'\"\n"
                "          --health-interval 2s\n    steps:\n      - run: npm test\n")
    assert can_skip(ordinary.encode())
    assert not can_skip(ordinary.replace('"', "'", 2).encode())  # single-quoted: the runner splits it


def test_size_and_bad_bytes_are_reported_for_every_file(tmp_path):
    big = tmp_path / "big.yml"
    big.write_bytes(b"on: push\n" + b"# padding\n" * 60_000)
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"on: push\nname: caf\xe9\n")
    for path, code in ((big, "RC003"), (bad, "RC001")):
        on, _off = _both(str(path), Output("text"))
        assert code in on[5], path
    assert can_skip(b"on: push\nname: caf\xc3\xa9\n")  # valid UTF-8 without Redis is skipped


def test_a_bad_ignore_comment_is_reported_whatever_rules_run(tmp_path):
    path = tmp_path / "ci.yml"
    path.write_text("on: push\n# redis-ci: ignroe RC004\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
                    "    steps:\n      - run: make\n")
    for rules in (tuple(ALL_RULES), (RunnerQuoting,)):
        on, off = _both(str(path), Output("text"), rules)
        assert on == off and on[2], rules


# ---- generated workflows: the prefilter gives what every rule gives --------------------------

RUNNERS = ["ubuntu-latest", "macos-latest", "windows-2025", "ubuntu-slim", "[self-hosted, macOS]", "${{ matrix.os }}"]
IMAGES = ["redis:7", "postgres:16", "mongo:7", '"\\x72edis:8"', "bitnamilegacy/postgresql:16", "valkey/valkey:8",
          "${{ matrix.image }}", "memcached:1.6", "redis:6.0", "bitnami/redis:7.2"]
VALUES = ["--health-cmd pg_isready", '--health-cmd "pg_isready" --health-interval 2s', "--health-cmd 'pg_isready'",
          "'--health-cmd \"mysqladmin ping\"'", '"--health-cmd \\"x y\\""', ">-\n          --health-cmd \"a b\"\n"
          "          --health-retries 5", "|\n          --health-cmd x\n          --health-retries 5", ">\n          --a b",
          '--health-cmd "redis-cli ping" --health-interval 10s', "--sysctl vm.overcommit_memory=1", "--name fixed",
          "--entrypoint sh", 'sh -c "exec x"', '"a ""b"""', "--health-cmd \"mongosh --eval 'db.x()'\"", "*anchor",
          "it's", "a\\ b"]
ENV = ["CACHE_HOST: db", "REDIS_URL: redis://localhost:6379", "BROKER_URL: db:5672", "RQ_HOST: db",
       "POSTGRES_PASSWORD: x", "REDIS_PASSWORD: x", "CI: true"]
RUNS = ["make test", "redis-cli -h db ping", "sleep 5", "docker run -d -p 6379:6379 redis:7",
        "docker compose up -d", "until redis-cli ping; do sleep 1; done", "nc -z localhost 6379",
        "echo \"::group::x\"", "python -c 'print(1)'", "until echo PING | nc db 1 | grep -q PONG; do sleep 1; done",
        "while true; do ping -c1 db && break; done"]


def _names_redis(text: str) -> bool:
    return any(word.decode() in text.lower() for word in (b"redis", b"valkey", b"6379", b"keydb", b"dragonfly", b"compose"))


@st.composite
def workflows(draw) -> str:
    # half of them without a word about Redis: the files the prefilter may pass over
    plain = draw(st.booleans())

    def pick(pool: list) -> str:
        return draw(st.sampled_from([item for item in pool if not (plain and _names_redis(item))]))

    lines = []
    if draw(st.booleans()):
        lines.append(f"x-anchor: &anchor {pick(VALUES[:5])}")
    if draw(st.integers(0, 4)) == 0:
        lines.append(f"# redis-ci: {pick(['ignore RC004', 'ignore RC301', 'disable-file', 'ignroe'])}")
    lines += ["on: push", "jobs:"]
    for job in range(draw(st.integers(1, 2))):
        lines += [f"  j{job}:", f"    runs-on: {pick(RUNNERS)}"]
        if draw(st.booleans()):
            lines += ["    strategy:", "      matrix:", f"        os: [{pick(RUNNERS[:4])}]",
                      f"        image: [{pick(IMAGES[:3])}]"]
        container = draw(st.integers(0, 2))
        if container == 1:
            lines.append("    container: node:22")
        elif container == 2:
            lines += ["    container:", "      image: node:22", f"      options: {pick(VALUES)}"]
        services = [(pick(["db", "redis", "cache", "kv"]), pick(IMAGES), pick(["options", "command", "entrypoint", "ports"]),
                     pick(VALUES), draw(st.booleans())) for _ in range(draw(st.integers(0, 2)))]
        if services:
            lines.append("    services:")
        for label, image, key, value, flow in services:
            if flow and "\n" not in value:
                lines.append(f"      {label}: {{image: {image}, {key}: {value}}}")
            else:
                lines += [f"      {label}:", f"        image: {image}", f"        {key}: {value}"]
        if draw(st.booleans()):
            lines += ["    env:"] + [f"      {pick(ENV)}" for _ in range(draw(st.integers(0, 2)))] + ["      CI: true"]
        lines.append("    steps:")
        for _ in range(draw(st.integers(1, 3))):
            lines.append(f"      - run: {pick(RUNS)}")
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 5)) == 0:  # a syntax error now and then
        text = text.replace("jobs:", "jobs: [", 1)
    return text


CODES = [rule.code for rule in ALL_RULES]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=workflows(), selected=st.one_of(st.just(frozenset(CODES)), st.frozensets(st.sampled_from(CODES), min_size=1)))
def test_generated_workflows_give_what_every_rule_gives(tmp_path, text, selected):
    path = tmp_path / "ci.yml"
    path.write_text(text)
    rules = tuple(rule for rule in ALL_RULES if rule.code in selected)
    on, off = _both(str(path), Output("json"), rules)
    assert _same_but_file_level(on, off), (text, on[3], off[3])
    if on != off:  # skipped: only a file that names no Redis may lose RC001/RC002
        assert "redis" not in text.lower() and can_skip(text.encode(), rules)
    if skipped_by_bytes(text.encode(), rules):  # what the pool's triage answers in the parent
        assert can_skip(text.encode(), rules) and bool(triggered(text.encode(), rules)) is False


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


def _indexes(folder: Path) -> list:
    return sorted(folder.glob("*.index")) if folder.exists() else []


def _results_of(index: bytes) -> dict:
    """path -> (hash, dependencies, packed result) of an index (not the stats it saw)."""
    _magic, _settings, entries = marshal.loads(index)
    return {where: (entry[0], entry[1], marshal.loads(entry[2])) for where, entry in entries.items()}


def _results(path: Path) -> dict:
    return _results_of(path.read_bytes())


def test_a_warm_cache_gives_the_same_output_and_survives_corruption(repository, tmp_path):
    cache = tmp_path / "cache"
    fresh = redis_ci("--no-cache", cwd=repository)
    assert fresh.returncode == 1 and fresh.stdout.count("\n") > 50
    assert not cache.exists()
    cold = redis_ci("--cache-dir", str(cache), cwd=repository)
    indexes = _indexes(cache)
    assert len(indexes) == 1  # one file for the whole run, not one per workflow
    whole = indexes[0].read_bytes()
    warm = redis_ci("--cache-dir", str(cache), cwd=repository)
    for result in (cold, warm):
        assert (result.returncode, result.stdout, result.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert indexes[0].read_bytes() == whole  # a warm run writes nothing
    for broken in (b"\x00garbage", whole[:len(whole) // 2], b"", whole[:-1]):  # garbage, truncated, empty
        indexes[0].write_bytes(broken)
        again = redis_ci("--cache-dir", str(cache), cwd=repository)
        assert (again.returncode, again.stdout, again.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
        assert _results(indexes[0]) == _results_of(whole)  # linted again and written whole
    assert not list(cache.glob("*.tmp"))


def test_what_changes_the_result_changes_the_key(repository, tmp_path):
    cache = tmp_path / "cache"
    redis_ci("--cache-dir", str(cache), cwd=repository)
    assert len(_indexes(cache)) == 1
    json_run = redis_ci("--cache-dir", str(cache), "--format", "json", cwd=repository)
    assert json_run.stdout.startswith("{") and len(_indexes(cache)) == 2
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
    (index,) = _indexes(cache)
    assert not list(cache.glob("*.tmp"))
    warm = redis_ci("--cache-dir", str(cache), cwd=repository)
    assert (warm.returncode, warm.stdout, warm.stderr) == (expected.returncode, expected.stdout, expected.stderr)
    assert index.stat().st_size == _indexes(cache)[0].stat().st_size  # all 90 were in it: nothing written


def _stored(folder: Path, settings: bytes, path: Path, packed: tuple, dependencies=()) -> None:
    cache = ResultCache(str(folder), settings)
    cache.put(str(path), content_hash(path.read_bytes()), dependency_stamps(dependencies), packed)
    cache.save()


def test_an_entry_whose_compose_file_changed_is_a_miss(tmp_path):
    compose = tmp_path / "compose.yml"
    compose.write_text("services:\n  redis:\n    image: redis:7\n")
    missing = tmp_path / "compose.override.yml"
    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\n")
    folder, settings = tmp_path / "cache", b"k" * 32
    packed = (str(workflow), None, (), (), {}, "", {})
    _stored(folder, settings, workflow, packed, [str(compose), str(missing)])
    assert ResultCache(str(folder), settings).get(str(workflow)) == packed
    compose.write_text("services:\n  redis:\n    image: redis:8\n")
    assert ResultCache(str(folder), settings).get(str(workflow)) is None
    _stored(folder, settings, workflow, packed, [str(compose), str(missing)])
    missing.write_text("services: {}\n")  # a file that appears changes the result too
    assert ResultCache(str(folder), settings).get(str(workflow)) is None


def test_the_folder_is_bounded_least_recently_used_first(tmp_path):
    folder = tmp_path / "cache"
    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\n")
    for number in range(40):  # 40 settings keys (formats, selections, configs), one index each
        _stored(folder, bytes([number]) * 32, workflow, (str(workflow), None, (), (), {}, "x" * 1000, {}))
        os.utime(folder / f"{(bytes([number]) * 32).hex()}.index", ns=(number * 10**9, number * 10**9))
    stale, fresh = folder / ".k.1.tmp", folder / ".k.2.tmp"  # killed writers
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (0, 0))
    newest = ResultCache(str(folder), bytes([39]) * 32, max_bytes=20_000)
    newest.trim()
    assert not stale.exists() and fresh.exists()
    kept = _indexes(folder)
    assert sum(path.stat().st_size for path in kept) <= 20_000 and len(kept) >= 10
    assert (folder / f"{(bytes([39]) * 32).hex()}.index") in kept
    assert (folder / f"{(bytes([0]) * 32).hex()}.index") not in kept


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
