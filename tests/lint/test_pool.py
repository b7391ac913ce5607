"""The pool (lint/pool.py): results in path order whatever process linted a file, the parent
answers what triage answers and lints a share of the rest, and the packed results over a pool
are the serial ones. Real forked workers throughout: one killed with SIGKILL, one stopped, one
that raises, a ^C in the parent; after each, every worker pid is gone (reaped, no zombie)."""

from __future__ import annotations

import functools
import gc
import importlib.util
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from redis_ci.lint import pool
from redis_ci.lint.engine import LintSettings, lint_packed, lint_paths, lint_paths_packed
from redis_ci.lint.packed import Output
from redis_ci.lint.rules import ALL_RULES

ROOT = Path(__file__).parent.parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
PARENT = os.getpid()


def _slow_lint(path: str) -> tuple:
    time.sleep(0.002)  # long enough that the worker cannot take every chunk before the parent looks
    return path, os.getpid()


def _even_triage(path: str):
    return (path, "triage") if int(path) % 2 == 0 else None


def test_results_keep_path_order_and_the_parent_takes_a_share():
    files = [str(number) for number in range(300)]
    results = pool.map_in_order(_slow_lint, files, workers=2, triage=_even_triage)
    assert [path for path, _who in results] == files
    assert all(who == "triage" for path, who in results if int(path) % 2 == 0)
    linted_by = {who for path, who in results if int(path) % 2 == 1}
    assert os.getpid() in linted_by and len(linted_by) == 2  # the parent and one worker (2 cores)


def test_few_files_for_the_rules_start_no_pool():
    files = [str(number) for number in range(200)]
    only_some = lambda path: None if int(path) < pool.PARALLEL_MIN_FILES else (path, "triage")  # noqa: E731
    results = pool.map_in_order(_slow_lint, files, workers=2, triage=only_some)
    assert {who for _path, who in results[:pool.PARALLEL_MIN_FILES]} == {os.getpid()}
    assert [path for path, _who in results] == files


def _bench_corpus():
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_pooled_repository_mix_gives_the_serial_results(tmp_path):
    for number, text in enumerate(_bench_corpus().mixed_corpus(random.Random(3), 240, redis_share=0.4)):
        (tmp_path / f"ci-{number:03}.yml").write_text(text)
    settings = LintSettings(tuple(ALL_RULES), None, Output("text"))
    serial = lint_paths_packed([str(tmp_path)], settings, workers=1)
    pooled = lint_paths_packed([str(tmp_path)], settings, workers=2)
    assert pooled == serial
    assert sum(1 for packed in serial if packed[3]) > pool.PARALLEL_MIN_FILES  # the pool did start


def _collector_settings(path: str) -> tuple:
    return path, gc.get_threshold()[0], gc.get_freeze_count() > 0


def test_files_are_linted_with_fewer_collections_and_the_settings_come_back():
    gc.unfreeze()  # as a caller that never froze (`redis-ci lint` run in-process by another test does)
    before = gc.get_threshold(), gc.get_freeze_count()
    for workers in (1, 2):
        files = [str(number) for number in range(80)]
        results = pool.map_in_order(_collector_settings, files, workers=workers)
        assert [path for path, _threshold, _frozen in results] == files
        assert all(threshold >= pool.GC_YOUNG_THRESHOLD and frozen for _path, threshold, frozen in results)
        assert (gc.get_threshold(), gc.get_freeze_count()) == before


def _gone(pid: int) -> bool:
    """pid is neither running nor a zombie (kill(pid, 0) succeeds on a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _workers_of(results) -> set:
    return {who for _path, who in results if who not in (PARENT, "triage")}


def _dense_repository(folder: Path, count: int) -> None:
    rng = random.Random(11)
    for number in range(count):
        (folder / f"ci-{number:03}.yml").write_text(_bench_corpus().workflow(rng, number))


def test_a_pooled_dense_corpus_and_the_fixtures_give_the_serial_results(tmp_path):
    _dense_repository(tmp_path, 90)
    fixtures = sorted(FIXTURES.glob("*/*.yml"))
    for number, source in enumerate(fixtures):
        (tmp_path / f"fixture-{number:03}.yml").write_bytes(source.read_bytes())
    for output in (Output("text"), Output("json")):  # rendered text, and rows only
        settings = LintSettings(tuple(ALL_RULES), None, output)
        assert lint_paths_packed([str(tmp_path)], settings, workers=2) == lint_paths_packed(
            [str(tmp_path)], settings, workers=1)
    # FileResults do not marshal: they come back pickled
    serial = lint_paths([str(tmp_path)], ALL_RULES, workers=1)
    pooled = lint_paths([str(tmp_path)], ALL_RULES, workers=3)
    assert [(r.path, r.findings, r.lines) for r in pooled] == [(r.path, r.findings, r.lines) for r in serial]


def _dies_in_a_worker(how: int, record: Path, path: str) -> tuple:
    """The first file from 20 on that a worker lints kills it (with `how`: SIGKILL, SIGSTOP);
    the parent is slow, so the workers get there first."""
    if os.getpid() == PARENT:
        time.sleep(0.005)
    elif int(path) >= 20:
        (record / f"{os.getpid()}-{path}").touch()
        os.kill(os.getpid(), how)
    return path, os.getpid()


def _killed(record: Path) -> dict:
    return {int(name.split("-")[0]): int(name.split("-")[1]) for name in os.listdir(record)}


def test_a_worker_killed_mid_run_loses_no_file_and_is_reaped(tmp_path):
    files = [str(number) for number in range(300)]
    started = time.monotonic()
    results = pool.map_in_order(functools.partial(_dies_in_a_worker, signal.SIGKILL, tmp_path), files, workers=3)
    assert time.monotonic() - started < 20
    assert [path for path, _who in results] == files
    killed = _killed(tmp_path)
    assert killed and all(results[index][1] == PARENT for index in killed.values())  # linted again here
    assert all(_gone(pid) for pid in killed.keys() | _workers_of(results))


def test_a_stalled_worker_is_killed_and_its_files_linted_here(tmp_path):
    files = [str(number) for number in range(200)]
    started = time.monotonic()
    results = pool.ForkPool(functools.partial(_dies_in_a_worker, signal.SIGSTOP, tmp_path), files, 2,
                            stall_s=2.0).run(None)
    assert time.monotonic() - started < 20
    assert [path for path, _who in results] == files
    stopped = _killed(tmp_path)
    assert len(stopped) == 1 and all(results[index][1] == PARENT for index in stopped.values())
    assert all(_gone(pid) for pid in stopped)


def _fails_on_40(pid_folder: Path, path: str) -> tuple:
    (pid_folder / str(os.getpid())).touch()
    if os.getpid() == PARENT:
        time.sleep(0.005)  # slow: a worker gets to file 40 first
    if path == "40":
        raise ValueError("file 40")
    return path, os.getpid()


def test_an_error_in_a_worker_is_raised_as_serially_and_no_worker_is_left(tmp_path):
    files = [str(number) for number in range(200)]
    with pytest.raises(ValueError, match="file 40"):
        pool.map_in_order(functools.partial(_fails_on_40, tmp_path), files, workers=2)
    workers = {int(name.name) for name in tmp_path.iterdir()} - {PARENT}
    assert workers and all(_gone(pid) for pid in workers)


def _interrupted_in_the_parent(pid_folder: Path, path: str) -> tuple:
    (pid_folder / str(os.getpid())).touch()
    if os.getpid() == PARENT:
        deadline = time.monotonic() + 10
        while len(os.listdir(pid_folder)) < 3 and time.monotonic() < deadline:  # both workers busy
            time.sleep(0.005)
        os.kill(PARENT, signal.SIGINT)  # a real ^C: KeyboardInterrupt at the next bytecode
    time.sleep(0.002)
    return path, os.getpid()


def test_a_keyboard_interrupt_in_the_parent_leaves_no_worker(tmp_path):
    files = [str(number) for number in range(300)]
    with pytest.raises(KeyboardInterrupt):
        pool.map_in_order(functools.partial(_interrupted_in_the_parent, tmp_path), files, workers=3)
    workers = {int(name.name) for name in tmp_path.iterdir()} - {PARENT}
    assert len(workers) == 2 and all(_gone(pid) for pid in workers)


def test_the_fallback_without_fork_gives_the_serial_results(tmp_path):
    _dense_repository(tmp_path, 40)
    files = sorted(str(path) for path in tmp_path.iterdir())
    settings = LintSettings(tuple(ALL_RULES), None, Output("text"))
    lint_one = functools.partial(lint_packed, settings=settings)
    triage = functools.partial(lint_packed, settings=settings, light_only=True)
    spawned = pool.map_with_executor(lint_one, files, 2, triage, multiprocessing.get_context("spawn"))
    assert spawned == [lint_one(path) for path in files]


def test_workers_import_neither_concurrent_futures_nor_multiprocessing(tmp_path):
    _dense_repository(tmp_path, 60)
    probe = ("import sys; from redis_ci.lint.engine import lint_paths_packed, LintSettings; "
             "from redis_ci.lint.packed import Output; from redis_ci.lint.rules import ALL_RULES; "
             f"lint_paths_packed([{str(tmp_path)!r}], LintSettings(tuple(ALL_RULES), None, Output('text')), workers=2); "
             "print(sorted(name for name in ('concurrent.futures', 'multiprocessing', 'threading') if name in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                               env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
