"""Helpers for the tests of `redis-ci start/stop/run` and the pytest plugin: the CLI from this
checkout, what is left of a test's instances (processes, containers, folders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
LABEL = "io.github.redis-ci.instance"
PREFIX = "redis-ci-r"  # the containers' names: redis-ci-<instance id>-<node>


def cli(*args, env=None, timeout=120, input=None):
    """`python3 -m redis_ci ...` from this checkout, output as text."""
    return subprocess.run([sys.executable, "-m", "redis_ci", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, input=input)


def processes_naming(text: str) -> list:
    """Live (not zombie) processes whose command line contains text."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                line = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", "rb") as handle:
                zombie = handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
        except (OSError, IndexError):
            continue
        if text in line and not zombie and int(entry) != os.getpid():
            found.append(int(entry))
    return found


def containers(instance_id: str = "") -> list:
    label = f"label={LABEL}={instance_id}" if instance_id else f"label={LABEL}"
    return subprocess.run(["docker", "ps", "-aq", "--filter", label], capture_output=True, text=True,
                          check=True).stdout.split()


class Env:
    """The environment of one test's commands, with its own state directory."""

    def __init__(self, root: Path):
        self.state = root / "state"
        self.vars = {key: value for key, value in os.environ.items()
                     if not key.startswith(("GITHUB_", "REDIS", "PYTEST_ADDOPTS"))}
        self.vars.update(PYTHONPATH=str(SRC), REDIS_CI_STATE_DIR=str(self.state))

    def with_(self, **extra) -> dict:
        return {**self.vars, **extra}

    def instances(self) -> list:
        return sorted(path.name for path in self.state.iterdir()) if self.state.exists() else []

    def record(self, instance_id: str) -> dict:
        return json.loads((self.state / instance_id / "state.json").read_text())

    def leftovers(self, *ids: str) -> dict:
        """What is still there of this test's instances, and of the containers of `ids`
        (empty when nothing is)."""
        left = {}
        deadline = time.monotonic() + 5
        while True:
            left = {"instances": self.instances(), "processes": processes_naming(str(self.state)),
                    "containers": [container for instance_id in ids for container in containers(instance_id)]}
            if not any(left.values()) or time.monotonic() > deadline:
                return {key: value for key, value in left.items() if value}
            time.sleep(0.05)


def parse_env_lines(text: str) -> dict:
    """KEY=value lines as `eval` in sh would read them."""
    script = text + 'python3 -c "import json, os; print(json.dumps(dict(os.environ)))"\n'
    shown = subprocess.run(["sh", "-c", "set -a\n" + script], capture_output=True, text=True, check=True,
                           env={"PATH": os.environ["PATH"]}).stdout
    values = json.loads(shown)
    return {key: values[key] for key in values if key.startswith("REDIS")}


def make_tls_dir(directory: Path, names: list) -> Path:
    """ca.crt, redis.crt (server and client use, for `names` as subjectAltName entries) and
    redis.key in directory: the --tls-dir contract."""
    directory.mkdir()
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=redis-ci test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *key, "-keyout", "redis.key", "-out", "redis.csr", "-subj", "/CN=redis")
    (directory / "redis.ext").write_text(
        f"basicConstraints=CA:FALSE\nsubjectAltName={','.join(names)}\n"
        "extendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
    openssl("x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "redis.crt", "-days", "2", "-extfile", "redis.ext")
    for name in ("ca.key", "redis.csr", "redis.ext", "ca.srl"):
        (directory / name).unlink(missing_ok=True)
    return directory


