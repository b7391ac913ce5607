"""The result cache's index (lint/cache.py) and the warm path: a run served from the cache
imports no rule, no model and no PyYAML; two writers at once never corrupt the index nor make
a wrong hit; the catalogue the warm path selects from is the rules' own."""

from __future__ import annotations

import importlib.util
import json
import marshal
import multiprocessing
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from redis_ci.lint.cache import ResultCache
from redis_ci.lint.cache_key import MAGIC, content_hash
from redis_ci.lint.catalogue import CATALOGUE
from redis_ci.lint.rules import ALL_RULES
from redis_ci.lint.selection import select_rules

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = b"s" * 32

WORKFLOW = """on: push
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis
    steps:
      - run: redis-cli -h localhost ping
"""
ORDINARY = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"


def _packed(path: str, text: str = "") -> tuple:
    return (path, None, (), (), {}, text, {})


def test_the_catalogue_is_the_rules_own():
    assert [(info.code, info.name, info.severity, info.enabled_by_default, info.fixable) for info in CATALOGUE] == \
        [(rule.code, rule.name, rule.severity, rule.enabled_by_default, rule.fixable) for rule in ALL_RULES]
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "rule_catalogue.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    for select, ignore, extend in (([], [], []), (["ALL"], ["RC2"], []), (["RC1", "merge-key"], [], ["RC000"])):
        assert [info.code for info in select_rules(CATALOGUE, select, ignore, extend)] == \
            [rule.code for rule in select_rules(ALL_RULES, select, ignore, extend)]


def _modules_after(args: list, cwd: Path) -> tuple[int, set]:
    """The exit code of `redis-ci lint ARGS` run in a fresh interpreter, and the modules it
    imported beyond those the interpreter had at start (a site hook may import some)."""
    probe = ("import sys\nbefore = set(sys.modules)\nfrom redis_ci.cli import run_command\n"
             "code = run_command(sys.argv[1:])\nimport json\nsys.stdout.flush()\n"
             "print(json.dumps([code, sorted(set(sys.modules) - before)]), file=sys.stderr)\n")
    code, modules = _run_lint_under(probe, args, cwd)
    return code, set(modules)


def _run_lint_under(probe: str, args: list, cwd: Path):
    """Run `probe` (a script that runs `redis-ci lint ARGS` and prints a JSON line last on
    stderr) in a fresh interpreter that imports this checkout; that JSON line, read."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run([sys.executable, "-c", probe, "lint", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)
    return json.loads(done.stderr.strip().splitlines()[-1])


HEAVY = ("yaml", "redis_ci.lint.model", "redis_ci.lint.rules", "redis_ci.lint.engine", "redis_ci.lint.yaml_nodes",
         "dataclasses", "typing", "shutil", "hashlib")


def test_a_warm_run_imports_no_rule_model_or_yaml(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "redis.yml").write_text(WORKFLOW)
    (folder / "build.yml").write_text(ORDINARY)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    cold_code, cold = _modules_after(cache, tmp_path)
    assert cold_code == 1 and {"yaml", "redis_ci.lint.model", "redis_ci.lint.rules"} <= cold  # it can see them
    warm_code, warm = _modules_after(cache, tmp_path)
    assert warm_code == 1
    assert [name for name in sorted(warm) if name.startswith(HEAVY)] == []
    (folder / "build.yml").write_text(ORDINARY + "# edited\n")  # one miss: now the rules are needed
    _, edited = _modules_after(cache, tmp_path)
    assert "redis_ci.lint.rules" in edited


def test_a_warm_run_with_a_yaml_config_imports_no_yaml_either(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "redis.yml").write_text(WORKFLOW)
    config = tmp_path / ".github" / "redis-ci.yml"
    config.write_text("severity:\n  RC101: info\n")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    _modules_after(cache, tmp_path)
    code, warm = _modules_after(cache, tmp_path)
    assert code == 1 and "yaml" not in warm
    config.write_text("severity: [not, a, mapping\n")  # edited: parsed again, and its error is still exit 2
    code, broken = _modules_after(cache, tmp_path)
    assert code == 2 and "yaml" in broken
    config.write_text("severity:\n  RC101: info\n")
    code, again = _modules_after(cache, tmp_path)
    assert code == 1 and "yaml" not in again


# Not needed to lint files with no cache, so not imported at start-up (bench/lint_speed.py's
# start-up line): dataclasses (it imports inspect, ast and dis: ~9 ms), typing (~3 ms),
# argparse with gettext and locale (~8 ms: command.quick_arguments reads the usual command
# lines), random (runner/hold.py needs it for annotations only).
COLD_UNNEEDED = ("dataclasses", "inspect", "ast", "dis", "typing", "argparse", "gettext", "locale", "random")
def _importers_after(args: list, cwd: Path) -> tuple[int, dict]:
    """The exit code of `redis-ci lint ARGS` run in a fresh interpreter, and for each module an
    import statement named in it, the modules whose code did (already imported or not: this
    machine's python3 loads typing from a site hook before any of ours)."""
    probe = ("import builtins, sys\nimporters = {}\nreal_import = builtins.__import__\n"
             "def recording(name, globals=None, locals=None, fromlist=(), level=0):\n"
             "    if level == 0 and globals:\n"
             "        importers.setdefault(name, set()).add(globals.get('__name__'))\n"
             "    return real_import(name, globals, locals, fromlist, level)\n"
             "builtins.__import__ = recording\n"
             "from redis_ci.cli import run_command\ncode = run_command(sys.argv[1:])\n"
             "builtins.__import__ = real_import\nimport json\nsys.stdout.flush()\n"
             "print(json.dumps([code, {name: sorted(who) for name, who in importers.items()}]), file=sys.stderr)\n")
    code, importers = _run_lint_under(probe, args, cwd)
    return code, importers


def _dense_workflow() -> str:
    """bench/lint_speed.py's start-up file: the first of its Redis-dense corpus."""
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.workflow(random.Random(7), 0)


@pytest.mark.parametrize("options", [["--no-cache"], ["--cache-dir", "cold-cache"], ["--no-cache", "--format", "json"],
                                     ["--no-cache", "--format", "sarif"], ["--no-cache", "--format", "github"]],
                         ids=" ".join)
def test_a_cold_run_of_one_dense_file_imports_no_dataclasses_typing_or_argparse(tmp_path, options):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "ci-0000.yml").write_text(_dense_workflow())
    code, importers = _importers_after([*options, ".github/workflows/ci-0000.yml"], tmp_path)
    assert code == 1 and {"yaml", "redis_ci.lint.model", "redis_ci.lint.rules"} <= set(importers)  # it linted
    assert "redis_ci.lint.engine" in importers["redis_ci.lint.rules"]  # the recorder names importers
    unneeded = {name: sorted(set(who) - set(COLD_UNNEEDED)) for name, who in importers.items() if name in COLD_UNNEEDED}
    assert not {importer for who in unneeded.values() for importer in who}, unneeded


def _writer(folder: str, worker: int, rounds: int, paths: list) -> None:
    for number in range(rounds):
        cache = ResultCache(folder, SETTINGS)
        for path in paths[worker::2]:
            data = Path(path).read_bytes()
            cache.put(path, content_hash(data), (), _packed(path, f"{worker}:{number}"))
        cache.save()


def test_two_writers_at_once_never_break_the_index_nor_make_a_wrong_hit(tmp_path):
    paths = []
    for number in range(40):
        path = tmp_path / f"ci-{number:02}.yml"
        path.write_text(f"on: push\n# {number}\n")
        paths.append(str(path))
    folder = str(tmp_path / "cache")
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    writers = [context.Process(target=_writer, args=(folder, worker, 30, paths)) for worker in (0, 1)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    (index,) = Path(folder).glob("*.index")
    magic, settings, entries = marshal.loads(index.read_bytes())
    assert (magic, settings) == (MAGIC, SETTINGS) and not list(Path(folder).glob("*.tmp"))
    cache = ResultCache(folder, SETTINGS)
    hits = 0
    for number, path in enumerate(paths):
        hit = cache.get(path)
        if hit is not None:  # a lost update is a miss; a hit is the writer's own entry for these bytes
            hits += 1
            assert hit[0] == path and hit[5].split(":")[0] == str(number % 2)
    assert hits >= 20  # the last save of each writer kept at least its own
    Path(paths[0]).write_text("on: push\n# changed\n")
    assert ResultCache(folder, SETTINGS).get(paths[0]) is None


def test_a_save_keeps_what_another_run_saved_meanwhile(tmp_path):
    one, two = tmp_path / "one.yml", tmp_path / "two.yml"
    one.write_text("on: push\n")
    two.write_text("on: pull_request\n")
    folder = str(tmp_path / "cache")
    first, second = ResultCache(folder, SETTINGS), ResultCache(folder, SETTINGS)
    assert first.get(str(one)) is None and second.get(str(two)) is None  # both have read the (empty) index
    first.put(str(one), content_hash(one.read_bytes()), (), _packed(str(one)))
    first.save()
    second.put(str(two), content_hash(two.read_bytes()), (), _packed(str(two)))
    second.save()
    later = ResultCache(folder, SETTINGS)
    assert later.get(str(one)) == _packed(str(one)) and later.get(str(two)) == _packed(str(two))


def test_an_entry_is_for_its_path_bytes_and_folder(tmp_path, monkeypatch):
    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\n")
    folder = str(tmp_path / "cache")
    monkeypatch.chdir(tmp_path)
    cache = ResultCache(folder, SETTINGS)
    cache.put("ci.yml", content_hash(workflow.read_bytes()), (), _packed("ci.yml"))
    cache.put(str(workflow), content_hash(workflow.read_bytes()), (), _packed(str(workflow)))
    cache.save()
    assert ResultCache(folder, SETTINGS).get("ci.yml") == _packed("ci.yml")
    assert ResultCache(folder, SETTINGS).get("./ci.yml") is None  # another spelling is another report
    assert ResultCache(folder, b"t" * 32).get("ci.yml") is None  # other settings: another index
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # an absolute path's URI depends on the current folder
    assert ResultCache(folder, SETTINGS).get(str(workflow)) is None
    monkeypatch.chdir(tmp_path)
    assert ResultCache(folder, SETTINGS).get(str(workflow)) == _packed(str(workflow))
    workflow.write_text("on: push\n\n")
    assert ResultCache(folder, SETTINGS).get("ci.yml") is None


def test_an_index_over_the_bound_drops_its_oldest_entries(tmp_path):
    folder = tmp_path / "cache"
    paths = []
    for number in range(30):
        path = tmp_path / f"ci-{number:02}.yml"
        path.write_text(f"on: push\n# {number}\n")
        paths.append(str(path))
    for number, path in enumerate(paths):  # one run per file: the first written are the oldest
        cache = ResultCache(str(folder), SETTINGS, max_bytes=20_000)
        cache.put(path, content_hash(Path(path).read_bytes()), (), _packed(path, f"{number:04}" * 250))
        cache.save()
    (index,) = folder.glob("*.index")
    assert index.stat().st_size <= 20_000
    cache = ResultCache(str(folder), SETTINGS)
    kept = [path for path in paths if cache.get(path) is not None]
    assert 10 <= len(kept) < 20 and kept == paths[-len(kept):]


def test_an_unwritable_cache_folder_is_no_error(tmp_path):
    (tmp_path / "ci.yml").write_text(WORKFLOW)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("GITHUB_ACTIONS", None)
    runs = [subprocess.run([sys.executable, "-m", "redis_ci", "lint", *args, "ci.yml"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
            for args in (["--no-cache"], ["--cache-dir", str(blocker / "cache")])]
    assert runs[0].returncode == 1 and (runs[0].stdout, runs[0].stderr) == (runs[1].stdout, runs[1].stderr)


def test_a_settled_file_whose_stat_is_unchanged_is_not_read_again(tmp_path, monkeypatch):
    from redis_ci.lint import cache as cache_module

    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\n")
    folder = str(tmp_path / "cache")
    fresh = ResultCache(folder, SETTINGS)
    fresh.put(str(workflow), content_hash(workflow.read_bytes()), (), _packed(str(workflow)), os.stat(workflow))
    assert [entry[3] for entry in fresh._fresh.values()] == [None]  # written just now: its stat proves nothing yet
    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)  # as if it had not changed for long
    stored = ResultCache(folder, SETTINGS)
    stored.put(str(workflow), content_hash(workflow.read_bytes()), (), _packed(str(workflow)), os.stat(workflow))
    stored.save()

    def unreadable(path):
        raise OSError("read")

    with monkeypatch.context() as patch:
        patch.setattr(cache_module, "read_bytes", unreadable)
        assert ResultCache(folder, SETTINGS).get(str(workflow)) == _packed(str(workflow))  # no read
    before = os.stat(workflow).st_ctime_ns
    for _ in range(200):  # a write moves ctime on; same size, other bytes
        workflow.write_text("on: pull\n")
        if os.stat(workflow).st_ctime_ns != before:
            break
    assert ResultCache(folder, SETTINGS).get(str(workflow)) is None
    workflow.write_text("on: push\n")  # the old bytes again: a hit through the hash
    assert ResultCache(folder, SETTINGS).get(str(workflow)) == _packed(str(workflow))
