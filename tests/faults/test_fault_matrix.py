"""The fault matrix: one row per way a peer, a resolver or the user's input can go wrong, run
against every probe in probes.PROBES, inside GitHub Actions' environment (--format json,
$GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY).

Every row asserts the kind (or ready, or a usage error), whether it stopped at once, that the
deadline held (exit by timeout + 0.5 s), that every output stays small (whatever the peer
sent), that $GITHUB_OUTPUT parses as the runner reads it with exactly the four outputs, and,
where the row has a password, that no form of it appears anywhere but in `::add-mask::`; and
that every line printed starts as the probe writes it (no URL, path or server text starts a
workflow command), also outside Actions for the injection rows.
DNS rows resolve through a loopback DNS server in a private mount namespace.
"""

from __future__ import annotations

import json
import re
from collections import namedtuple
from urllib.parse import quote

import fault_servers
import pytest
from github_files import parse_file_commands
from redis_servers import free_port

from probes import PROBES, run_probe, start_up_seconds

TIMEOUT = 1.0
SLACK = 0.5  # the promise: the process exits by timeout + 0.5 s (plus its start-up, measured per row)
MAX_OUTPUT_BYTES = 64 * 1024  # stdout + stderr, and the step summary, whatever the peer sent
OUTPUT_KEYS = ["ready", "redis-version", "elapsed-ms", "url"]
# A password with spaces, a tab, a quote, a backslash, non-ASCII and two lines.
ODD_PASSWORD = 'Zq7 secret\tpä"ss\\wd\nsecond-Yk9 line'
SPACED_PASSWORD = "Zq7 spaced  secret\tone"
# A second line with a backslash and non-ASCII: its repr and JSON forms differ from it; then a
# third after U+0085 (a line break to Python and terminals, not to the runner: masked as it is).
ESCAPED_LINE_PASSWORD = "Zq7 first line\ns\\wd \u00fcn\u00ef\u0085third part"
# A line break, then text a runner would read as a workflow command (and a %, which its data escapes).
INJECTED = "%0A::warning::forged%0D::notice::forged%25"

Case = namedtuple("Case", "name kind final setup says", defaults=(False, None, ""))
Case.__doc__ = """One row: its name, the expected kind ("ready" when it must succeed, "usage" for
exit 2), whether it must stop at once, `setup(peers) -> Setup` (what to run it against), and
words the message (or the usage error) must hold."""

Setup = namedtuple("Setup", "args env resolv_conf password", defaults=((), {}, None, ""))


def url_of(server) -> str:
    return f"redis://127.0.0.1:{server.port}/0"


def fault(behaviour, *extra):
    return lambda peers: Setup(("--url", url_of(peers.fault(behaviour)), *extra))


def echoed_password(echo, password):
    def setup(peers):
        server = peers.fault(fault_servers.echo_auth_in_error(echo))
        return Setup(("--url", url_of(server)), {"REDISCLI_AUTH": password}, password=password)
    return setup


def echoed_in_reply(echo, marker=b"$"):
    def setup(peers):
        server = peers.fault(fault_servers.echo_auth_in_reply(echo, marker))
        return Setup(("--url", url_of(server), "--checks", "ping"), {"REDISCLI_AUTH": ESCAPED_LINE_PASSWORD},
                     password=ESCAPED_LINE_PASSWORD)
    return setup


def dns(mode, host="no-such-host.invalid", **options):
    def setup(peers):
        port = peers.redis().port if mode == "answer" else 6379
        return Setup(("--url", f"redis://{host}:{port}/0", "--checks", "ping"),
                     resolv_conf=peers.dns(mode, **options))
    return setup


CASES = [
    Case("refused", "refused", setup=lambda peers: Setup(("--url", f"redis://127.0.0.1:{free_port()}/0"))),
    Case("unix socket missing", "refused", setup=lambda peers: Setup(("--url", f"unix://{peers.tmp_path}/no.sock"))),
    Case("never answers", "timeout", setup=fault(fault_servers.never_answer)),
    Case("trickles a byte a second", "timeout", setup=fault(fault_servers.trickle_pong, "--checks", "ping")),
    Case("HTTP instead of RESP", "protocol", setup=fault(fault_servers.answer_garbage)),
    Case("closes at once", "closed", setup=fault(fault_servers.close_at_once)),
    Case("protected mode", "protected-mode", True,
         fault(fault_servers.greet_and_close(fault_servers.PROTECTED_MODE_TEXT))),
    Case("NOAUTH", "auth", True, fault(fault_servers.answer_every_command("-NOAUTH Authentication required."))),
    Case("LOADING throughout", "loading",
         setup=fault(fault_servers.answer_every_command("-LOADING Redis is loading the dataset in memory"))),
    Case("LOADING, then PONG", "ready", setup=fault(fault_servers.loading_then_pong(0.3), "--checks", "ping")),
    Case("unknown error reply", "error", setup=fault(fault_servers.answer_every_command("-WEIRDNESS odd"))),
    Case("reply nested 100,000 deep", "protocol", setup=fault(fault_servers.answer_nested(100_000)), says="nested"),
    Case("PING answered with a 60 MB bulk string", "protocol",
         setup=fault(fault_servers.answer_huge_bulk(60_000_000), "--checks", "ping")),
    Case("a 100 KB -ERR line", "protocol",
         setup=fault(fault_servers.answer_every_command("-ERR " + "e" * 100_000))),
    Case("--db 99 (out of range)", "bad-db", True,
         lambda peers: Setup(("--url", url_of(peers.redis()), "--db", "99"))),
    Case("URL /99 (out of range)", "bad-db", True,
         lambda peers: Setup(("--url", f"redis://127.0.0.1:{peers.redis().port}/99"))),
    # a made-up host name, refused before any lookup; behind a loopback resolver all the same, so
    # that a probe which stopped refusing it would ask that one, not the machine's
    Case("URL host with a space", "usage", says="bad host 'bad host'", setup=lambda peers: Setup(
        ("--url", "redis://bad host:6379/0"), resolv_conf=peers.dns("nxdomain"))),
    Case("--host with a space", "usage", setup=lambda peers: Setup(("--host", "bad host"),
                                                                    resolv_conf=peers.dns("nxdomain"))),
    Case("URL port :0", "usage", setup=lambda peers: Setup(("--url", "redis://127.0.0.1:0/0")), says="bad port 0"),
    Case("--port 0", "usage", setup=lambda peers: Setup(("--port", "0"))),
    Case("$GITHUB_OUTPUT injection through the URL", "refused",
         setup=lambda peers: Setup(("--url", f"unix://{peers.tmp_path}/x%0Aready=true%0Aurl=evil"))),
    Case("workflow commands injected through a unix URL", "refused",
         setup=lambda peers: Setup(("--url", f"unix://{peers.tmp_path}/x{INJECTED}"))),
    Case("workflow commands injected through an error reply", "error",
         setup=fault(fault_servers.answer_every_command("-WEIRD x\n::warning::forged\r::notice::forged"))),
    Case("echoed password with whitespace (raw)", "auth", True, echoed_password(lambda pw: pw, SPACED_PASSWORD)),
    Case("echoed password, collapsed to one line", "auth", True,
         echoed_password(lambda pw: " ".join(pw.split()), SPACED_PASSWORD)),
    Case("echoed multi-line password, collapsed", "auth", True,
         echoed_password(lambda pw: " ".join(pw.split()), ODD_PASSWORD)),
    Case("echoed multi-line password, URL-encoded", "auth", True,
         echoed_password(lambda pw: quote(pw, safe=""), ODD_PASSWORD)),
    Case("echoed multi-line password, JSON-escaped", "auth", True,
         echoed_password(lambda pw: json.dumps(pw)[1:-1], ODD_PASSWORD)),
    Case("echoed multi-line password, one line of it", "auth", True,
         echoed_password(lambda pw: pw.splitlines()[1], ODD_PASSWORD)),
    Case("a line of the password (backslash, non-ASCII) in a bulk reply", "protocol",
         setup=echoed_in_reply(lambda pw: "reply " + pw.splitlines()[1] + " end")),
    Case("a line of the password (backslash, non-ASCII) in a simple-string reply", "protocol",
         setup=echoed_in_reply(lambda pw: "reply " + pw.splitlines()[1] + " end", b"+")),
    Case("wrong password on a real server", "auth", True,
         lambda peers: Setup(("--url", url_of(peers.redis(password="right-one"))), {"REDISCLI_AUTH": ODD_PASSWORD},
                             password=ODD_PASSWORD)),
    Case("DNS: the name does not exist", "dns", setup=dns("nxdomain")),
    Case("DNS: the resolver never answers", "dns", setup=dns("hang", host="hangs.redis-ci.test"), says="did not finish"),
    Case("DNS: a slow answer, in time", "ready", setup=dns("answer", host="slow.redis-ci.test", delay=0.3)),
    Case("DNS: an answer after the deadline", "dns", setup=dns("answer", host="late.redis-ci.test", delay=3.0)),
]


def leaked_forms(password: str) -> list:
    """The forms of `password` that must appear nowhere (written here, not taken from the
    product, so the test does not share its blind spots)."""
    parts = [password] + (password.splitlines() if "\n" in password else [])
    forms = set()
    for part in parts:
        forms |= {part, " ".join(part.split()), quote(part, safe=""), quote(part), json.dumps(part)[1:-1],
                  json.dumps(part, ensure_ascii=False)[1:-1], repr(part)[1:-1], repr(part.encode())[2:-1]}
    return sorted(form for form in forms if len(form.strip()) >= 4)


# What the runner splits a step's output into lines on (.NET's ReadLine), and the lines we write:
# any other start means text we did not write began a line (and might be a workflow command).
RUNNER_LINE_BREAK = re.compile(r"\r\n|\r|\n")
OUR_LINE_STARTS = ("::add-mask::", "::group::redis-ci wait: ", "::endgroup::", "::error title=Redis not ready::",
                   "::warning::redis-ci wait: ", "redis-ci wait: ", "redis ready at ", "redis not ready at ",
                   "redis gave up at once at ", "  hint: ", "{")


def assert_lines_ours(text: str, where: str) -> None:
    """Every line starts as we write it, and a workflow command's data escapes % (as %25), so the
    runner's unescaping gives back what we meant."""
    for line in RUNNER_LINE_BREAK.split(text.removesuffix("\n")) if text else ():
        assert line.startswith(OUR_LINE_STARTS), (line, where)
        if line.startswith("::"):
            data = line.split("::", 2)[2]
            assert not re.search("%(?!25|0D|0A)", data), (line, where)


def strings_of(value):
    """Every string in a parsed JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_of(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_of(item)]
    return []


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_fault(case, probe, peers, tmp_path):
    setup = case.setup(peers)
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), **setup.env}
    start_up = start_up_seconds(probe)
    run = run_probe(probe, ("--timeout", str(TIMEOUT), "--format", "json", *setup.args), env, setup.resolv_conf)
    where = (f"{case.name}: exit {run.returncode}, {run.seconds:.2f} s (start-up {start_up:.2f} s before), "
             f"stdout {run.stdout[:300]!r}, stderr {run.stderr[:600]!r}")

    if run.seconds >= TIMEOUT + SLACK + start_up:  # a load spike during the run? measure once more
        start_up = max(start_up, start_up_seconds(probe))
    assert run.seconds < TIMEOUT + SLACK + start_up, "deadline not held: " + where
    if run.report is not None:  # on the probe's own clock, which the machine's load does not stretch
        assert run.report["elapsed_ms"] < (TIMEOUT + SLACK) * 1000, "deadline not held: " + where
    assert len(run.stdout) + len(run.stderr) <= MAX_OUTPUT_BYTES, where
    assert "Traceback" not in run.stderr, where
    assert_lines_ours(run.stdout, where)
    assert_lines_ours(run.stderr, where)
    if case.kind == "usage":
        assert run.returncode == 2 and run.stdout == "" and run.stderr.count("\n") == 1, where
        assert case.says in run.stderr, where
        return

    report = run.report
    assert report is not None, where
    if case.kind == "ready":
        assert run.returncode == 0 and report["ready"] is True and report["last_error"] is None, where
    else:
        assert run.returncode == 1 and report["ready"] is False, where
        assert report["last_error"]["kind"] == case.kind, where
        assert case.says in report["last_error"]["message"], where
        if case.final:
            assert report["attempts"] == 1 and report["elapsed_ms"] < TIMEOUT * 1000, where
        else:
            assert report["elapsed_ms"] >= TIMEOUT * 1000 - 50, where  # it kept trying to the deadline

    outputs = parse_file_commands(output.read_text())  # as the runner reads it: exactly our four
    assert [name for name, _ in outputs] == OUTPUT_KEYS, outputs
    assert dict(outputs)["ready"] == ("true" if case.kind == "ready" else "false")
    summary_text = summary.read_text()
    assert len(summary_text.encode()) <= MAX_OUTPUT_BYTES, where
    forged = [line for line in RUNNER_LINE_BREAK.split(summary_text) if line.lstrip().startswith("::")]
    assert not forged, (forged, where)  # Markdown breaks at CR and LF too: no text of theirs starts a line

    if setup.password:
        printed = RUNNER_LINE_BREAK.split(run.stderr)  # as the runner reads them (not at U+0085)
        masks = [line for line in printed if line.startswith("::add-mask::")]
        assert masks[0] == "::add-mask::" + setup.password.replace("%", "%25").replace("\n", "%0A")
        for line in setup.password.splitlines():
            assert "::add-mask::" + line.replace("%", "%25") in masks, (line, masks)
        rest = "\n".join(line for line in printed if line not in masks)
        for text in (run.stdout, rest, summary_text, output.read_text(), *strings_of(report)):
            for form in leaked_forms(setup.password):
                assert form not in text, (case.name, form, text[:2000])


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
@pytest.mark.parametrize("case", [case for case in CASES if "injected" in case.name], ids=lambda case: case.name)
def test_no_line_forged_outside_actions(case, probe, peers):
    """Outside GitHub Actions too (text output, a terminal or a CI log): a line break in a path or
    a server's words is shown escaped, never starts a line."""
    run = run_probe(probe, ("--timeout", "0.5", *case.setup(peers).args))
    where = f"{case.name}: exit {run.returncode}, stdout {run.stdout[:300]!r}, stderr {run.stderr[:600]!r}"
    assert run.returncode == 1 and run.stderr.count("\n") >= 2, where
    assert_lines_ours(run.stdout, where)
    assert_lines_ours(run.stderr, where)
