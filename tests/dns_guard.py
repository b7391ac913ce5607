"""The tests' DNS rule, checked on every CI run: no lookup reaches the machine's resolver.

With CI set (as `.ci/run` sets it), the session records every DNS packet sent to an address
outside 127.0.0.0/8 (tcpdump on every interface, which also sees Docker's containers and the
queries Docker's DNS forwards) and fails when there is any: every name a test needs resolves
on loopback (/etc/hosts, Docker's DNS, tests/faults/dns_server.py), and pip installs from the
wheels scripts/setup-tests.sh downloaded. The report names each query and the test that was
running. Outside CI the guard is off unless REDIS_CI_DNS_GUARD=1 (it needs root
and tcpdump; scripts/setup-tests.sh installs it).

This is how the leaks it guards against were found: act asking api.nektosact.com for notices
(tests/e2e/actrun.py), and sentinels on a Docker network looking up a peer being removed
(server/docker.py pauses every container first).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time

MAX_PACKETS = 100_000  # tcpdump stops by itself after this many (bounded whatever the suite does)
_QUERY = re.compile(r"^(\d\d:\d\d:\d\d)\.\d+ .*? (?:A|AAAA|PTR|SRV|TXT|MX|CNAME|ANY|HTTPS|SOA|NS)\? (\S+?)\.? \(")


def _wanted() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("REDIS_CI_DNS_GUARD") == "1"


class DnsGuard:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="redis-ci-dns-guard-")
        self.capture = os.path.join(self.folder, "dns.txt")
        self.started: list = []  # (HH:MM:SS, test id), in order
        tcpdump = shutil.which("tcpdump")
        if tcpdump is None:
            raise RuntimeError("the DNS guard needs tcpdump (scripts/setup-tests.sh installs it)")
        with open(self.capture, "wb") as out, open(os.path.join(self.folder, "stderr.txt"), "wb") as err:
            self.process = subprocess.Popen(
                [tcpdump, "-i", "any", "-n", "-l", "-s", "512", "-c", str(MAX_PACKETS),
                 "port 53 and not dst net 127.0.0.0/8 and not src net 127.0.0.0/8"],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # tcpdump says "listening on" once it captures
            with open(os.path.join(self.folder, "stderr.txt"), "rb") as err:
                said = err.read()
            if b"listening on" in said:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"tcpdump could not start: {said.decode(errors='replace').strip()[:300]}")
            time.sleep(0.05)
        raise RuntimeError("tcpdump did not start listening within 10 s")

    def test_started(self, nodeid: str) -> None:
        self.started.append((time.strftime("%H:%M:%S"), nodeid))

    def leaks(self) -> list:
        """[(time, name, the test running then)] of every query for a name not allowed."""
        time.sleep(0.2)  # tcpdump writes a packet a moment after it is seen
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with open(self.capture, encoding="utf-8", errors="replace") as capture:
            found = [(seen, name, self.running_at(seen)) for seen, name in queries_in(capture)]
        shutil.rmtree(self.folder, ignore_errors=True)
        return list(dict.fromkeys(found))

    def running_at(self, seen: str) -> str:
        return next((test for when, test in reversed(self.started) if when <= seen), "(before any test)")


def queries_in(lines) -> list:
    """[(HH:MM:SS, name)] of the queries (not answers) in tcpdump's lines, once per second and
    name (a packet is seen on each interface it crosses)."""
    found = []
    for line in lines:
        match = _QUERY.match(line)
        if match is None:
            continue
        seen, name = match.groups()
        found.append((seen, name))
    return list(dict.fromkeys(found))


_guard: DnsGuard | None = None


def pytest_sessionstart(session):
    global _guard
    if _wanted() and _guard is None:
        _guard = DnsGuard()


def pytest_runtest_logstart(nodeid, location):
    if _guard is not None:
        _guard.test_started(nodeid)


def pytest_sessionfinish(session, exitstatus):
    global _guard
    if _guard is None:
        return
    leaks, _guard = _guard.leaks(), None
    if leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"\nDNS guard: {len(leaks)} DNS quer(ies) left the machine (tests/dns_guard.py):"]
        lines += [f"  {seen} {name}  during {test}" for seen, name, test in leaks[:50]]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True)
        session.exitstatus = 1
