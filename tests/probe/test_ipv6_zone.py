"""An IPv6 zone in a URL (`redis://[fe80::1%25lo]`, RFC 6874) reaches the socket as a zone, not as
a host name to look up. The probe runs in network and mount namespaces of its own: its connect
goes nowhere, and /etc/resolv.conf names a resolver on that namespace's loopback
(tests/faults/dns_server.py), which counts the queries a host-name lookup would send."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent

# Runs inside the namespaces: lo up, the loopback resolver, resolv.conf over the real one, the probe.
INSIDE = """
import json, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from dns_server import LoopbackDns
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
dns = LoopbackDns("nxdomain")
conf = Path(tempfile.mkdtemp()) / "resolv.conf"
dns.resolv_conf(conf)
subprocess.run(["mount", "--bind", str(conf), "/etc/resolv.conf"], check=True)
done = subprocess.run([sys.executable, "-m", "redis_ci", "wait", "--url", sys.argv[2], "--timeout", "0.5",
                       "--format", "json"], capture_output=True, text=True, timeout=30)
dns.close()
print(json.dumps({"code": done.returncode, "report": json.loads(done.stdout), "queries": dns.queries}))
"""


def wait_in_namespaces(url: str) -> dict:
    done = subprocess.run(["unshare", "--net", "--mount", sys.executable, "-c", INSIDE, str(TESTS / "faults"), url],
                          capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(ROOT / "src"),
                                                                           "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_zone_written_25_is_a_zone_not_a_name_to_look_up():
    outcome = wait_in_namespaces("redis://[fe80::1%25lo]:1/0")
    assert outcome["queries"] == 0
    assert outcome["code"] == 1 and outcome["report"]["last_error"]["kind"] != "dns", outcome
    assert "fe80::1%lo" in outcome["report"]["last_error"]["message"]
