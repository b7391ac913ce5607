"""Bad usage is one line on stderr and exit 2; URL and flag parsing, and the redacted URL."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wait_runner import run_wait
from redis_ci.errors import UsageError
from redis_ci.probe.target import build_target, parse_url


@pytest.mark.parametrize(
    "args, words",
    [
        (("--url", "http://localhost:6379"), "scheme"),
        (("--url", "redis://localhost:notaport"), "bad URL"),
        (("--url", "redis://localhost:99999"), "bad URL"),
        (("--url", "redis://localhost:6379/abc"), "database"),
        (("--url", "redis://:6379"), "no host"),
        (("--url", "unix://"), "socket path"),
        (("--port", "0"), "bad port"),
        (("--port", "six"), "bad port"),
        (("--db", "-1"), "database"),
        (("--checks", "ping,bogus"), "bad --checks"),
        (("--checks", ""), "bad --checks"),
        (("--checks", "min-version"), "bad --checks"),
        (("--timeout", "soon"), "bad --timeout"),
        (("--timeout", "0"), "bad --timeout"),
        (("--timeout", "nan"), "bad --timeout"),
        (("--min-version", "seven"), "bad --min-version"),
        (("--module", ""), "--module"),
        (("--tls-ca-cert", "/no/such/ca.pem"), "no such file"),
        (("--tls-key", "/no/such/key.pem"), "--tls-key needs --tls-cert"),
        (("--url", "unix:///tmp/x.sock", "--tls"), "unix"),
        (("--format", "yaml"), "invalid choice"),
        (("--no-such-flag",), "unrecognized"),
    ],
)
def test_bad_usage_is_one_line_exit_2(args, words):
    result = run_wait(*args)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert words in result.stderr


def test_bad_certificate_file_is_usage_error(tmp_path):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    result = run_wait("--tls-cert", str(bogus))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result
    assert "cannot load the TLS certificates" in result.stderr


def test_bad_url_message_redacts_password():
    with pytest.raises(UsageError) as caught:
        parse_url("redis://user:hunter2@localhost:port/0")
    assert "hunter2" not in str(caught.value) and "user:***@" in str(caught.value)


def flags(**given):
    names = ("url host port username password db tls tls_ca_cert tls_cert tls_key tls_insecure").split()
    values = dict.fromkeys(names)
    values.update(tls=False, tls_insecure=False)
    values.update(given)
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("redis://localhost", dict(host="localhost", port=6379, db=0, tls=None)),
        ("redis://h:1234/5", dict(host="h", port=1234, db=5)),
        ("rediss://user:p%40ss@h:6380", dict(username="user", password="p@ss", port=6380)),
        ("redis://:secret@[::1]:7000/2", dict(host="::1", port=7000, password="secret", db=2)),
        ("redis://[fe80::1%25eth0]:7000", dict(host="fe80::1%eth0", port=7000)),  # RFC 6874 zone
        ("valkey://cache:6379", dict(host="cache")),
        ("unix:///run/redis.sock?db=4", dict(unix_path="/run/redis.sock", db=4)),
        ("redis://h?db=3", dict(db=3)),
    ],
)
def test_parse_url(url, expected):
    target = parse_url(url)
    for field, value in expected.items():
        assert getattr(target, field) == value, (field, target)


def test_rediss_means_tls():
    assert parse_url("rediss://h").tls is not None and parse_url("valkeys://h").tls is not None


def test_flags_override_url_parts():
    target = build_target(
        flags(url="redis://u:p@h:1/1", host="other", port="2", username="v", password="q", db="3"), environ={}
    )
    assert (target.host, target.port, target.username, target.password, target.db) == ("other", 2, "v", "q", 3)


def test_default_url_then_redis_url_environment():
    assert build_target(flags(), environ={}).redacted_url() == "redis://localhost:6379/0"
    assert build_target(flags(), environ={"REDIS_URL": "redis://cache:7000/1"}).redacted_url() == "redis://cache:7000/1"
    assert build_target(flags(url="redis://a"), environ={"REDIS_URL": "redis://b"}).host == "a"


def test_rediscli_auth_only_when_no_password_given():
    assert build_target(flags(), environ={"REDISCLI_AUTH": "env"}).password == "env"
    assert build_target(flags(url="redis://:url@h"), environ={"REDISCLI_AUTH": "env"}).password == "url"
    assert build_target(flags(password="flag"), environ={"REDISCLI_AUTH": "env"}).password == "flag"


def test_host_flag_turns_unix_url_into_tcp():
    target = build_target(flags(url="unix:///tmp/r.sock", host="h"), environ={})
    assert (target.unix_path, target.host, target.port) == ("", "h", 6379)


@pytest.mark.parametrize(
    "url, redacted",
    [
        ("redis://:secret@h:1/0", "redis://:***@h:1/0"),
        ("redis://user:secret@h:1/2", "redis://user:***@h:1/2"),
        ("rediss://h", "rediss://h:6379/0"),
        ("redis://[::1]:7000", "redis://[::1]:7000/0"),
        ("unix://:secret@/tmp/r.sock?db=2", "unix://:***@/tmp/r.sock?db=2"),
    ],
)
def test_redacted_url(url, redacted):
    assert parse_url(url).redacted_url() == redacted
