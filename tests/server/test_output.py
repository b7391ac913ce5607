"""What `start` prints: env lines that `sh` reads back exactly, GitHub files no value can add a
line to, and no password anywhere unless `run` asks for it."""

from __future__ import annotations

import io
import json

import pytest
from github_files import parse_file_commands
from server_helpers import parse_env_lines

from redis_ci.errors import FatalError
from redis_ci.server import output

RECORD = {"id": "r0123abcd", "url": "rediss://127.0.0.1:7000/0", "backend": "native", "topology": "cluster",
          "cluster_nodes": ["127.0.0.1:7000", "127.0.0.1:7001"], "sentinels": [], "master_name": "",
          "tls_dir": "/tmp/with space/it's \"tls\" $HOME", "server": "Redis 7.0.15", "ready_ms": 3.2,
          "processes": [{"pid": 12}], "containers": []}


def test_env_lines_read_back_exactly_by_sh():
    found = output.variables(RECORD)
    assert parse_env_lines(output.render_env(found)) == found
    assert found["REDIS_TLS_CA_CERT"] == "/tmp/with space/it's \"tls\" $HOME/ca.crt"


def test_the_password_only_when_asked_and_url_encoded():
    password = "p@ss:/w rd%"
    assert password not in json.dumps(output.variables(RECORD))
    found = output.variables(RECORD, password)
    assert found["REDIS_URL"] == "rediss://:p%40ss%3A%2Fw%20rd%25@127.0.0.1:7000/0"
    assert found["REDIS_PASSWORD"] == password


def test_a_value_with_line_breaks_cannot_add_an_output(tmp_path):
    record = dict(RECORD, url="redis://127.0.0.1:1/0\nready=true\nghadelimiter_x")
    environ = {"GITHUB_ENV": str(tmp_path / "env"), "GITHUB_OUTPUT": str(tmp_path / "out")}
    output.append_github(environ, output.variables(record))
    outputs = dict(parse_file_commands((tmp_path / "out").read_text()))
    assert outputs["url"] == record["url"] and "ready" not in outputs
    assert dict(parse_file_commands((tmp_path / "env").read_text()))["REDIS_CI_ID"] == "r0123abcd"


def test_github_format_outside_actions_is_refused_before_anything():
    with pytest.raises(FatalError, match="GITHUB_ENV is not set"):
        output.check_github({})


def test_json_names_processes_and_the_client_env():
    stream = io.StringIO()
    output.emit(RECORD, "json", stream)
    view = json.loads(stream.getvalue())
    assert view["processes"] == [12] and view["env"]["REDIS_CLUSTER_NODES"] == "127.0.0.1:7000,127.0.0.1:7001"
