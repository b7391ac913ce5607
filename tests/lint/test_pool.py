"""The pool (lint/pool.py): results in path order whatever process linted a file, the parent
answers what triage answers and lints a share of the rest, and the packed results over a pool
are the serial ones."""

from __future__ import annotations

import gc
import importlib.util
import os
import random
import time
from pathlib import Path

from redis_ci.lint import pool
from redis_ci.lint.engine import LintSettings, lint_paths_packed
from redis_ci.lint.packed import Output
from redis_ci.lint.rules import ALL_RULES

ROOT = Path(__file__).parent.parent.parent


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
