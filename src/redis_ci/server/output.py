"""What `start` prints, and the environment `run` gives its command.

Variables: REDIS_URL (the first node: a cluster seed, or the sentinels' master as it starts
out), REDIS_CI_ID (for `redis-ci stop`), REDIS_CLUSTER_NODES, REDIS_SENTINELS and
REDIS_MASTER_NAME (as `generate --topology` names them), REDIS_TLS_CA_CERT / _CERT / _KEY.
Printed output never holds the password (it stays in the variable --password-env named);
`run`'s command gets it in REDIS_URL and REDIS_PASSWORD. Formats: `env` (shell-quoted
KEY=value lines, for `eval`), `json`, `github` (appended to $GITHUB_ENV and $GITHUB_OUTPUT
with the multi-line syntax and a random delimiter, so no value can add a line of its own).
"""

from __future__ import annotations

import json
import os
import shlex
from urllib.parse import quote

from redis_ci.errors import FatalError

FORMATS = ("env", "json", "github")
# $GITHUB_OUTPUT names (the action's outputs) for the variables.
OUTPUT_NAMES = {"REDIS_URL": "url", "REDIS_CI_ID": "id", "REDIS_CLUSTER_NODES": "cluster-nodes",
                "REDIS_SENTINELS": "sentinels", "REDIS_MASTER_NAME": "master-name"}


def variables(record: dict, password: str = "") -> dict:
    """The client's variables; with `password`, REDIS_URL carries it (for `run`'s command)."""
    url = record["url"]
    if password:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://:{quote(password, safe='')}@{rest}"
    found = {"REDIS_URL": url, "REDIS_CI_ID": record["id"]}
    if record.get("cluster_nodes"):
        found["REDIS_CLUSTER_NODES"] = ",".join(record["cluster_nodes"])
    if record.get("sentinels"):
        found["REDIS_SENTINELS"] = ",".join(record["sentinels"])
        found["REDIS_MASTER_NAME"] = record["master_name"]
    if record.get("tls_dir"):
        tls_dir = record["tls_dir"]
        found.update(REDIS_TLS_CA_CERT=f"{tls_dir}/ca.crt", REDIS_TLS_CERT=f"{tls_dir}/redis.crt",
                     REDIS_TLS_KEY=f"{tls_dir}/redis.key")
    if password:
        found["REDIS_PASSWORD"] = password
    return found


def render_env(found: dict) -> str:
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in found.items())


def render_json(record: dict, found: dict) -> str:
    view = {key: record.get(key) for key in ("id", "backend", "topology", "url", "cluster_nodes", "sentinels",
                                             "master_name", "server", "ready_ms")}
    view["env"] = found
    view["processes"] = [item.get("pid") for item in record.get("processes", [])]
    view["containers"] = record.get("containers", [])
    return json.dumps(view) + "\n"


def delimited(key: str, value: str) -> str:
    """`key<<DELIMITER\\nvalue\\nDELIMITER\\n` with a delimiter that is not in the value."""
    while True:
        delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
        if delimiter not in value:
            return f"{key}<<{delimiter}\n{value}\n{delimiter}\n"


def check_github(environ) -> None:
    for variable in ("GITHUB_ENV", "GITHUB_OUTPUT"):
        if not environ.get(variable):
            raise FatalError(f"--format github: ${variable} is not set (this is not a GitHub Actions step)")


def append_github(environ, found: dict) -> list:
    """Append the variables to $GITHUB_ENV and the outputs to $GITHUB_OUTPUT; the files written."""
    written = []
    for variable, entries in (("GITHUB_ENV", found.items()),
                              ("GITHUB_OUTPUT", ((OUTPUT_NAMES[key], value) for key, value in found.items()
                                                 if key in OUTPUT_NAMES))):
        path = environ.get(variable)
        if not path:
            raise FatalError(f"--format github: ${variable} is not set (this is not a GitHub Actions step)")
        text = "".join(delimited(key, value) for key, value in entries)
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise FatalError(f"cannot append to ${variable} ({path}): {exc.strerror}") from None
        written.append(path)
    return written


def emit(record: dict, fmt: str, stdout, environ=os.environ) -> None:
    found = variables(record)
    if fmt == "json":
        stdout.write(render_json(record, found))
    elif fmt == "github":
        append_github(environ, found)
        stdout.write(render_env(found))
    else:
        stdout.write(render_env(found))
    stdout.flush()
