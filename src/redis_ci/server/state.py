"""The state directory: one folder per started instance, recording what it started.

`<root>/<id>/state.json` lists the instance's processes (pid plus the config file that
identifies them: a reused pid is never killed), its containers, and what a client needs;
the folder also holds the nodes' config files (0600: they may carry the password), logs
and data. `stop` removes exactly what the record names, then the folder, so a crashed
caller's leftovers can be removed later by id. The root is `$REDIS_CI_STATE_DIR`, else
`$XDG_RUNTIME_DIR/redis-ci`, else `<tmp>/redis-ci-<uid>`; it must be ours and private.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time

from redis_ci.errors import FatalError, UsageError

RECORD = "state.json"
ID_PREFIX = "r"


def state_root(environ=os.environ) -> str:
    root = environ.get("REDIS_CI_STATE_DIR")
    if not root:
        runtime = environ.get("XDG_RUNTIME_DIR")
        uid = os.getuid() if hasattr(os, "getuid") else 0
        if runtime and os.path.isdir(runtime):
            root = os.path.join(runtime, "redis-ci")
        else:
            import tempfile  # ~5 ms: only where there is no $XDG_RUNTIME_DIR

            root = os.path.join(tempfile.gettempdir(), f"redis-ci-{uid}")
    try:
        os.makedirs(root, mode=0o700, exist_ok=True)
        info = os.lstat(root)
    except OSError as exc:
        raise FatalError(f"cannot use the state directory {root}: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise FatalError(f"the state directory {root} is not a directory of this user: "
                         "set REDIS_CI_STATE_DIR to a private directory")
    if info.st_mode & 0o077:
        os.chmod(root, 0o700)
    return root


class Instance:
    """One started instance: its folder and its record (a dict saved as JSON)."""

    def __init__(self, root: str, record: dict):
        self.root = root
        self.record = record
        self._lock = threading.Lock()  # Docker nodes are created in parallel threads

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def directory(self) -> str:
        return os.path.join(self.root, self.id)

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def save(self) -> None:
        """Write the record atomically: a killed writer leaves the old record or the new one."""
        target = self.path(RECORD)
        temporary = target + ".tmp"
        with self._lock:
            with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
                json.dump(self.record, handle, indent=1)
            os.replace(temporary, target)

    def add(self, key: str, item) -> None:
        with self._lock:
            self.record.setdefault(key, []).append(item)
        self.save()

    def owner_alive(self) -> bool:
        """Whether the process that owns this instance (`run`, a pytest session) still runs;
        True for an instance `start` left for `stop` (no owner). A pid the system gave to
        another process since (its start time differs, where that is known) is not the owner."""
        owner = self.record.get("owner_pid")
        if owner is None:
            return True
        started = self.record.get("owner_started")
        return pid_alive(owner) and (started is None or process_start_time(owner) in (None, started))

    def remove_directory(self) -> None:
        import shutil

        shutil.rmtree(self.directory, ignore_errors=True)


def process_start_time(pid: int):
    """When the process started, in clock ticks since boot (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create(root: str, backend: str, owner_pid: int | None) -> Instance:
    """A new instance folder (0700) with its first record; the id is new and random."""
    for _ in range(20):
        instance_id = ID_PREFIX + os.urandom(4).hex()
        try:
            os.mkdir(os.path.join(root, instance_id), 0o700)
        except FileExistsError:
            continue
        instance = Instance(root, {"id": instance_id, "backend": backend, "created": time.time(),
                                   "owner_pid": owner_pid, "processes": [], "containers": [],
                                   "owner_started": process_start_time(owner_pid) if owner_pid else None})
        instance.save()
        return instance
    raise FatalError(f"cannot make a new instance folder in {root}")


def valid_id(text: str) -> bool:
    return text.startswith(ID_PREFIX) and text[1:].isalnum() and len(text) <= 40


def load(root: str, instance_id: str) -> Instance | None:
    if not valid_id(instance_id):
        raise UsageError(f"bad instance id {instance_id!r}: expected what `redis-ci start` printed as REDIS_CI_ID")
    directory = os.path.join(root, instance_id)
    try:
        with open(os.path.join(directory, RECORD), encoding="utf-8") as handle:
            record = json.load(handle)
    except FileNotFoundError:
        return Instance(root, {"id": instance_id, "processes": [], "containers": []}) if os.path.isdir(directory) else None
    except (OSError, ValueError):
        record = {"id": instance_id, "processes": [], "containers": []}  # half-written: stop by label and folder
    if not isinstance(record, dict) or record.get("id") != instance_id:
        record = {"id": instance_id, "processes": [], "containers": []}
    return Instance(root, record)


def instances(root: str) -> list:
    """Every instance recorded under root, oldest first."""
    found = []
    for name in sorted(os.listdir(root)):
        if valid_id(name) and os.path.isdir(os.path.join(root, name)):
            instance = load(root, name)
            if instance is not None:
                found.append(instance)
    return sorted(found, key=lambda instance: instance.record.get("created", 0))
