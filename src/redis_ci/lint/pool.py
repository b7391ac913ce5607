"""Linting many files on every core, results in path order.

The parent goes through the files in order and hands each to `triage` (when given): a file
it answers (the prefilter passes over it by its bytes: a read and a few searches, cheaper than
sending it to a worker and its result back) is done. The others, the files rules must look
at, wait in a queue. Once more than PARALLEL_MIN_FILES wait (fewer: forking and collecting
would cost more than it saves), the parent forks one worker fewer than the cores and goes on
triaging; workers take chunks from the front of the queue, and when triage is done the parent
lints too, a file at a time from the back, looking at the workers between files. A chunk is
cut when it is sent, smaller as the queue empties, so at the end no core waits for another
more than about a file.

On Linux the workers are plain `os.fork` children: they inherit every import, lint_one and the
file list (nothing is imported, pickled or spawned to start them; concurrent.futures and
multiprocessing cost the parent ~20-60 ms of imports and threads that pickle). Each has two
pipes: a chunk's indices go out, the chunk's results come back (marshal; pickle when they are
not plain data, as FileResults are). A worker that dies or stalls has its unanswered files
linted again in the parent (a file that crashes the worker then fails the run as it would
serially). Elsewhere (no fork, or not Linux: macOS's fork is unsafe) a ProcessPoolExecutor.
"""

from __future__ import annotations

import gc
import marshal
import os
import select
import signal
import sys
import time
from collections import deque

# Up to this many files that rules must look at (1-6 ms each), a pool costs more than it saves.
PARALLEL_MIN_FILES = 32
# A chunk is cut as a worker is given it: the queue's length / (processes * CHUNKS_PER_PROCESS),
# 1 to MAX_CHUNK files. Sending a chunk and its results back costs ~0.1 ms (two writes, two
# reads, marshal), so chunks can be small; the end wait is at most IN_FLIGHT such chunks.
CHUNKS_PER_PROCESS = 4
MAX_CHUNK = 8
# Chunks a worker holds: the next one waits in its pipe when it ends one (the parent looks at
# the workers only between its own files, 1-6 ms apart).
IN_FLIGHT = 2
# A worker that holds chunks and sends nothing for this long is killed and its files linted
# here (a file's worst case is bounded well below: tests/lint/test_worst_case_cost.py).
STALL_S = 120.0
# Results of a chunk of dense files are ~50-100 kB: a larger pipe spares the worker waiting for
# the parent to read (Linux's F_SETPIPE_SZ; the default is 64 kB).
PIPE_BYTES = 1 << 20
READ_BYTES = 1 << 18
_HEADER = 5  # a frame: kind (1 byte: 0 marshal, 1 pickle), length (4 bytes), the payload
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


def can_fork() -> bool:
    return sys.platform == "linux" and hasattr(os, "fork")


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
        if can_fork():
            return ForkPool(lint_one, files, workers).run(triage)
        return map_with_executor(lint_one, files, workers, triage)
    finally:
        gc.set_threshold(*threshold)
        if unfreeze:
            gc.unfreeze()


class _Worker:
    __slots__ = ("pid", "tasks", "results", "received", "held", "heard")

    def __init__(self, pid: int, tasks: int, results: int):
        self.pid, self.tasks, self.results = pid, tasks, results  # tasks -1: closed, no more work
        self.received = bytearray()
        self.held: deque = deque()  # chunks sent and not answered, in the order they were sent
        self.heard = 0.0  # when it last answered (or was given work while idle)


class ForkPool:
    """One run over files with forked workers (Linux). Every child is reaped before run() returns
    or raises, KeyboardInterrupt included."""

    def __init__(self, lint_one, files: list, workers: int, stall_s: float = STALL_S):
        self.lint_one, self.files, self.processes, self.stall_s = lint_one, files, workers, stall_s
        self.results: list = [None] * len(files)
        self.queue: deque = deque()  # indices rules must look at, given to no process yet
        self.mine: list = []  # indices a lost worker held: the parent lints them
        self.workers: list = []  # live ones (pid not yet reaped)
        self.started = False
        self.triaging = True
        self.expected = 0  # files still to come into the queue, estimated while triaging

    def run(self, triage) -> list:
        clean = False
        try:
            self._triage(triage)
            self.triaging, self.expected = False, 0
            while self.queue or self.mine or any(worker.held for worker in self.workers):
                if self.mine or self.queue:
                    index = self.mine.pop() if self.mine else self.queue.pop()
                    self.results[index] = self.lint_one(self.files[index])
                    self._look(0)
                else:
                    self._look(1.0)  # the workers' last chunks: wait for them (bounded by STALL_S)
            clean = True
        finally:
            self._stop(kill=not clean)
        return self.results

    def _triage(self, triage) -> None:
        found = 0
        for index, path in enumerate(self.files):
            answered = triage(path) if triage is not None else None
            if answered is not None:
                self.results[index] = answered
                continue
            self.queue.append(index)
            found += 1
            if self.started:
                self.expected = found * (len(self.files) - index - 1) // (index + 1)
                self._look(0)
            elif found > PARALLEL_MIN_FILES:
                self._start()

    def _start(self) -> None:
        self.started = True
        for _ in range(self.processes - 1):
            try:
                self._fork()
            except OSError:  # no more processes here: lint with those there are
                break
        self._look(0)

    def _fork(self) -> None:
        tasks_read, tasks_write = os.pipe()
        try:
            results_read, results_write = os.pipe()
        except OSError:
            os.close(tasks_read)
            os.close(tasks_write)
            raise
        _enlarge(results_write)
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code (its finally blocks, atexit)
            code = 0
            try:
                for fd in [fd for worker in self.workers for fd in (worker.tasks, worker.results)] + [
                        tasks_write, results_read]:
                    os.close(fd)  # else a sibling's EOF would never come
                _serve(self.lint_one, self.files, tasks_read, results_write)
            except BaseException:  # noqa: B036 (the parent lints what it held again, and fails as it would)
                code = 1
            finally:
                os._exit(code)
        self.workers.append(_Worker(pid, tasks_write, results_read))
        os.close(tasks_read)
        os.close(results_write)

    def _look(self, timeout: float) -> None:
        """Read what workers sent (waiting up to timeout for something), give them more work."""
        busy = [worker for worker in self.workers if worker.held]
        if busy:
            ready, _, _ = select.select([worker.results for worker in busy], [], [], timeout)
            for worker in busy:
                if worker.results in ready:
                    self._receive(worker)
            now = time.monotonic()
            for worker in busy:
                if worker.held and now - worker.heard > self.stall_s:
                    self._lose(worker)
        for worker in list(self.workers):
            if self.queue:
                self._give(worker)
            elif not self.triaging and worker.tasks >= 0:
                # no more work: it reads what it holds, then EOF, and exits as soon as it is done
                # (a worker's exit takes 2-6 ms here, the parent need not wait for it at the end)
                os.close(worker.tasks)
                worker.tasks = -1

    def _receive(self, worker: _Worker) -> None:
        try:
            data = os.read(worker.results, READ_BYTES)
        except OSError:
            data = b""
        if not data:  # it died (killed, crashed): the parent lints what it held
            self._lose(worker)
            return
        received = worker.received
        received += data
        while len(received) >= _HEADER:
            length = int.from_bytes(received[1:_HEADER], "little")
            if len(received) < _HEADER + length:
                break
            payload = received[_HEADER:_HEADER + length]
            if received[0] == 0:
                results = marshal.loads(payload)
            else:
                import pickle

                results = pickle.loads(payload)
            del received[:_HEADER + length]
            for index, result in zip(worker.held.popleft(), results):
                self.results[index] = result
            worker.heard = time.monotonic()

    def _give(self, worker: _Worker) -> None:
        while len(worker.held) < IN_FLIGHT and self.queue and worker.tasks >= 0 and worker in self.workers:
            left = len(self.queue) + self.expected
            size = max(1, min(MAX_CHUNK, left // (self.processes * CHUNKS_PER_PROCESS), len(self.queue)))
            chunk = [self.queue.popleft() for _ in range(size)]
            payload = marshal.dumps(chunk)
            if not worker.held:
                worker.heard = time.monotonic()
            worker.held.append(chunk)
            try:  # a few hundred bytes, at most IN_FLIGHT of them in the pipe: never blocks
                os.write(worker.tasks, len(payload).to_bytes(4, "little") + payload)
            except OSError:  # it died (EPIPE)
                self._lose(worker)

    def _lose(self, worker: _Worker) -> None:
        """A worker that died or stalled: killed, reaped, and what it held is the parent's."""
        for chunk in worker.held:
            self.mine.extend(chunk)
        worker.held.clear()
        os.kill(worker.pid, signal.SIGKILL)  # not reaped yet, so the pid is still ours
        self._reap(worker)

    def _reap(self, worker: _Worker) -> None:
        self.workers.remove(worker)
        for fd in (worker.tasks, worker.results):
            if fd >= 0:
                os.close(fd)
        os.waitpid(worker.pid, 0)

    def _stop(self, kill: bool) -> None:
        """Every worker ended and reaped. After a clean run they are idle and EOF ends them; on
        an exception (KeyboardInterrupt too) all are killed first, then reaped."""
        if kill:
            for worker in self.workers:
                os.kill(worker.pid, signal.SIGKILL)
        while self.workers:
            self._reap(self.workers[-1])


def _enlarge(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:  # over /proc/sys/fs/pipe-max-size, or not supported: the default size works
        pass


def _serve(lint_one, files: list, tasks: int, results: int) -> None:
    """A worker's loop: a chunk's indices in, its results out, until the parent closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C reaches the whole group: the parent ends us
    while True:
        header = _read_exactly(tasks, 4)
        if header is None:
            return
        chunk = marshal.loads(_read_exactly(tasks, int.from_bytes(header, "little")))
        linted = [lint_one(files[index]) for index in chunk]
        try:  # exact built-in types round-trip (a bytearray would come back as bytes: none here)
            kind, payload = 0, marshal.dumps(linted)
        except ValueError:  # not plain data (FileResults, from engine.lint_paths)
            import pickle

            kind, payload = 1, pickle.dumps(linted, protocol=pickle.HIGHEST_PROTOCOL)
        frame = memoryview(bytes((kind,)) + len(payload).to_bytes(4, "little") + payload)
        while frame:
            frame = frame[os.write(results, frame):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    """size bytes from fd, or None at EOF (the parent is done or gone)."""
    data = b""
    while len(data) < size:
        more = os.read(fd, size - len(data))
        if not more:
            return None
        data += more
    return data


# Where there is no fork: the parent triages, then the files rules must look at go in chunks to
# a ProcessPoolExecutor of one worker per core (spawned: lint_one must pickle, and is sent with
# every chunk, so chunks are larger) and it waits.
def map_with_executor(lint_one, files: list[str], workers: int, triage=None, context=None) -> list:
    results = [triage(path) if triage is not None else None for path in files]
    left = [index for index, result in enumerate(results) if result is None]
    if len(left) <= PARALLEL_MIN_FILES:
        for index in left:
            results[index] = lint_one(files[index])
        return results
    size = max(1, len(left) // (workers * CHUNKS_PER_PROCESS))
    chunks = [left[start:start + size] for start in range(0, len(left), size)]
    try:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=context) as executor:
            linted = list(executor.map(_lint_chunk, [lint_one] * len(chunks),
                                       [[files[index] for index in chunk] for chunk in chunks]))
    except (OSError, ImportError):  # no semaphores here (some sandboxes): lint in this process
        linted = [_lint_chunk(lint_one, [files[index] for index in chunk]) for chunk in chunks]
    for chunk, chunk_results in zip(chunks, linted):
        for index, result in zip(chunk, chunk_results):
            results[index] = result
    return results


def _lint_chunk(lint_one, paths: list) -> list:
    return [lint_one(path) for path in paths]
