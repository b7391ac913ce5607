"""Linting many files on every core, results in path order.

The parent goes through the files in order and hands each to `triage` (when given): a file
it answers (the prefilter passes over it by its bytes: a read and a few searches, cheaper than
sending it to a worker and its result back) is done. The others, the files rules must look
at, go in chunks to a pool of forked workers, one fewer than the cores, as soon as a chunk is
full (the workers start while the parent still triages). Then the parent lints too: from the
end of the chunk list, each chunk no worker has started yet (`Future.cancel` succeeds), so no
core waits at the end and one fork fewer is paid. Up to PARALLEL_MIN_FILES such files start
no pool: forking and collecting (~15-20 ms) would cost more than it saves.
"""

from __future__ import annotations

import gc
import os
import sys

# Up to this many files that rules must look at (1-6 ms each), a pool costs more than it saves.
PARALLEL_MIN_FILES = 32
# Chunks per process (estimated from the share of files seen so far): small enough that the
# last ones do not keep one core busy alone, large enough that sending them costs little. When
# the parent has stolen all it can, it waits for the worker's chunk and the ones the executor has
# queued for it (not cancellable): ~2 chunks, 60-90 ms with 16 dense files a chunk, 40-45 with 8
# (bench/README.md); sending a chunk and collecting it costs ~0.1 ms (paths out, packed results back).
CHUNKS_PER_PROCESS = 24
MAX_CHUNK = 8
# Linting a dense file makes and drops thousands of objects the collector tracks (nodes, the
# model, findings), almost none in a cycle. At the default thresholds (700, 10, 10) the youngest
# generation is collected about once a file and, every ~100 files, the oldest walks everything
# the imports made (rules, patterns, PyYAML): ~4 % of a dense file's instructions in one process,
# more of its time (the walk misses the caches; bench/README.md). While files are linted, what
# exists is frozen (gc.freeze: never garbage; forked workers inherit it and do not write to those
# pages either) and the youngest generation is collected every GC_YOUNG_THRESHOLD allocations.
# Cycles (a hostile file's aliases) are still collected. `redis-ci lint` (command.py) sets its
# own thresholds before it imports the engine; this covers every caller (tests, bench, the fixer).
GC_YOUNG_THRESHOLD = 20_000


def worker_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# A worker's lint_one, given once when it starts (with fork, not even pickled): a chunk then
# sends only its paths, not the function and its settings (~2.6 kB, ~0.2 ms there and back).
_worker_lint_one = None


def _start_worker(lint_one) -> None:
    global _worker_lint_one
    _worker_lint_one = lint_one


def _lint_chunk(paths: list) -> list:
    return [_worker_lint_one(path) for path in paths]


def map_in_order(lint_one, files: list[str], workers: int | None = None,
                 triage=None) -> list:
    """[lint_one(path) for path in files], on `workers` cores (default: all); triage(path) ->
    the result, or None when lint_one must look at the file (the same result lint_one gives)."""
    workers = worker_count() if workers is None else workers
    threshold = gc.get_threshold()
    # `redis-ci lint` froze before it imported the engine, model and rules: those are frozen now.
    # A caller that froze keeps it so; one that did not (tests, bench/lint_cpu.py) gets it undone.
    unfreeze = gc.get_freeze_count() == 0
    gc.freeze()
    gc.set_threshold(max(threshold[0], GC_YOUNG_THRESHOLD), *threshold[1:])
    try:
        if workers < 2 or len(files) <= PARALLEL_MIN_FILES:
            return [lint_one(path) for path in files]
        try:
            return _Pooled(lint_one, files, workers).run(triage)
        except (OSError, ImportError):  # no semaphores here (some sandboxes): lint in this process
            return [lint_one(path) for path in files]
    finally:
        gc.set_threshold(*threshold)
        if unfreeze:
            gc.unfreeze()


class _Pooled:
    def __init__(self, lint_one, files: list, workers: int):
        self.lint_one, self.files, self.workers = lint_one, files, workers
        self.results: list = [None] * len(files)
        self.chunks: list = []  # (indices, future)
        self.pool = None

    def run(self, triage) -> list:
        waiting: list = []  # indices rules must look at, not sent yet
        try:
            for index, path in enumerate(self.files):
                answered = triage(path) if triage is not None else None
                if answered is not None:
                    self.results[index] = answered
                    continue
                waiting.append(index)
                if len(waiting) > PARALLEL_MIN_FILES or self.pool is not None:
                    size = self._chunk_size(len(waiting) + sum(len(chunk) for chunk, _ in self.chunks), index + 1)
                    while len(waiting) >= size:
                        self._send(waiting[:size])
                        del waiting[:size]
            if self.pool is None:  # few enough: no pool
                for index in waiting:
                    self.results[index] = self.lint_one(self.files[index])
                return self.results
            if waiting:
                self._send(waiting)
            self._steal_and_collect()
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
        return self.results

    def _chunk_size(self, found: int, seen: int) -> int:
        expected = found * len(self.files) // seen  # files rules must look at, all told
        return max(1, min(MAX_CHUNK, expected // (self.workers * CHUNKS_PER_PROCESS)))

    def _send(self, indices: list) -> None:
        if self.pool is None:
            from concurrent.futures import ProcessPoolExecutor
            import multiprocessing

            # fork: workers inherit the imported rules instead of importing them again
            context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
            self.pool = ProcessPoolExecutor(self.workers - 1, mp_context=context, initializer=_start_worker,
                                            initargs=(self.lint_one,))
        paths = [self.files[index] for index in indices]
        self.chunks.append((indices, self.pool.submit(_lint_chunk, paths)))

    def _steal_and_collect(self) -> None:
        for indices, future in reversed(self.chunks):
            if not future.cancel():
                break  # a worker has it, and every chunk before it
            for index in indices:
                self.results[index] = self.lint_one(self.files[index])
        for indices, future in self.chunks:
            if not future.cancelled():
                for index, result in zip(indices, future.result()):
                    self.results[index] = result
