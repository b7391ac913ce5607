"""Nodes as processes of redis-server (or valkey-server) from PATH.

Each node reads its config file from the instance folder (0600: it may hold the password);
its stdout and stderr go to `<name>.log` beside it. A node runs in its own session, so a
Ctrl-C in the terminal reaches the command `run` runs, not the servers: `run` stops them
itself, after the command. A process is identified by its config file's path on its
command line: a pid the system gave to another process since is never signalled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from redis_ci.server.nodes import HOST

STOP_SECONDS = 5.0


class NativeNodes:
    """Starts and watches the nodes of one instance as local processes."""

    def __init__(self, instance, binary: str, server_args: list):
        self.instance = instance
        self.binary = binary
        self.server_args = server_args
        self.processes = {}  # node name -> Popen

    class Paths:
        """Where the nodes' files are, as the servers see them (host paths)."""

        bind = True

        @staticmethod
        def host(name: str) -> str:
            return HOST

        def __init__(self, instance, tls_dir: str):
            self.instance = instance
            self.data_dir = instance.path("data")
            self.tls = tuple(os.path.join(tls_dir, name) for name in ("ca.crt", "redis.crt", "redis.key")) \
                if tls_dir else None

        def config(self, name: str) -> str:
            return self.instance.path(f"{name}.conf")

    def start(self, nodes) -> None:
        os.makedirs(self.instance.path("data"), mode=0o700, exist_ok=True)
        for node in nodes:
            descriptor = os.open(node.config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open(descriptor, "w", encoding="utf-8") as handle:
                handle.write(node.config)
            command = [self.binary, node.config_path]
            command += ["--sentinel"] if node.kind == "sentinel" else self.server_args
            with open(self.log_path(node), "ab") as log:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                           cwd=self.instance.directory, start_new_session=True, close_fds=True)
            self.processes[node.name] = process
            self.instance.add("processes", {"pid": process.pid, "config": node.config_path, "name": node.name})

    def log_path(self, node) -> str:
        return self.instance.path(f"{node.name}.log")

    def exited(self, node) -> str:
        """Why the node is gone ("" while it runs): its exit status and last log lines."""
        process = self.processes[node.name]
        if process.poll() is None:
            return ""
        tail = log_tail(self.log_path(node))
        if "proc-title-template" in tail:
            tail += " (this server is older than Redis 6.2, which is end of life: use --docker for a current one)"
        return f"{node.name} exited with status {process.returncode}: {tail}"

    def pid(self, node) -> int:
        return self.processes[node.name].pid

    def address(self, node) -> str:
        return HOST


def log_tail(path: str, lines: int = 5) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "(empty log)"


def command_line(pid: int) -> str:
    """The process's command line, or "" when it is gone (Linux /proc, else `ps`)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return ""
    except OSError:
        return ""
    try:
        return subprocess.run(["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def stop_processes(items: list) -> int:
    """SIGTERM every recorded process that is still the node started with its config file
    (a reused pid is left alone), then wait until all are gone (SIGKILL after STOP_SECONDS), so
    their ports are free on return. All at once: Redis acts on SIGTERM at its next cron tick
    (up to 100 ms), so one by one would cost a cluster 0.6 s. Returns how many were running."""
    signalled = []
    for item in items:
        pid, config_path = item.get("pid", 0), item.get("config", "")
        if not pid or not config_path or config_path not in command_line(pid):
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        signalled.append(pid)
    deadline = time.monotonic() + STOP_SECONDS
    waiting = list(signalled)
    while waiting:
        waiting = [pid for pid in waiting if gone(pid) is False]
        if waiting and time.monotonic() > deadline:
            for pid in waiting:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + STOP_SECONDS
        if waiting:
            time.sleep(0.005)
    return len(signalled)


def gone(pid: int):
    """True once the process has exited (reaping it when it is our child)."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            return True
    except ChildProcessError:
        pass  # not our child (a `start` whose caller exited): look at /proc or signal 0
    line = command_line(pid)
    if not line:
        return True
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    return True  # a zombie whose parent has not reaped it: it holds no port
        except (OSError, IndexError):
            return True
    return False
