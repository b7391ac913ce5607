"""A test step's view of a cluster or sentinel set in the e2e workflows: write keys as a client does.

Run inside the act job (stdlib only, independent of the probe):
    python3 check_topology.py --nodes host:port,... [--password-env NAME] [--tls-dir DIR] [--keys N]
    python3 check_topology.py --sentinels host:port,... --master-name NAME [--password-env NAME]
SETs N keys at the first node (with --sentinels: at the master the first sentinel names) and
follows each MOVED to the node it names (as every cluster client does), reads each key back there,
and prints `E2E-MARK` lines: `shard <address> <keys>` per node that took writes, `shards <count>`,
and `problem <text>`; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import sys
import time

from check_redis import command


class Nodes:
    """One connection per node address, opened on first use (TLS and AUTH as asked)."""

    def __init__(self, password: str, tls_dir: str):
        self.password = password
        self.context = None
        if tls_dir:
            self.context = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))
            self.context.load_cert_chain(os.path.join(tls_dir, "redis.crt"), os.path.join(tls_dir, "redis.key"))
        self.open: dict[str, socket.socket] = {}

    def __call__(self, address: str) -> socket.socket:
        if address not in self.open:
            host, port = address.rsplit(":", 1)
            sock = socket.create_connection((host, int(port)), timeout=5)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=host)
            if self.password:
                command(sock, "AUTH", self.password)
            self.open[address] = sock
        return self.open[address]


def main() -> int:
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--nodes")
    where.add_argument("--sentinels")
    parser.add_argument("--master-name", default="mymaster")
    parser.add_argument("--password-env", default="")
    parser.add_argument("--tls-dir", default="")
    parser.add_argument("--keys", type=int, default=30)
    args = parser.parse_args()
    print(f"E2E-MARK first-test-step {time.time():.3f}", flush=True)
    nodes = Nodes(os.environ[args.password_env] if args.password_env else "", args.tls_dir)
    if args.sentinels:
        # The sentinels have no password of their own (TLS like the data nodes).
        sentinel = Nodes("", args.tls_dir)(args.sentinels.split(",")[0])
        seed = ":".join(command(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", args.master_name))
        print(f"E2E-MARK master {seed}")
    else:
        seed = args.nodes.split(",")[0]
    written: dict[str, int] = {}
    problems = []
    for number in range(args.keys):
        key, value = f"e2e:{number}", f"value-{number}"
        address = seed
        reply = command(nodes(address), "SET", key, value)
        if isinstance(reply, str) and reply.startswith("ERR MOVED "):
            address = reply.split()[-1]  # "MOVED <slot> <host:port>"
            reply = command(nodes(address), "SET", key, value)
        if reply != "OK":
            problems.append(f"SET {key} at {address} answered {reply!r}")
            continue
        got = command(nodes(address), "GET", key)
        if got != value:
            problems.append(f"GET {key} at {address} answered {got!r}")
        written[address] = written.get(address, 0) + 1
    for address, count in sorted(written.items()):
        print(f"E2E-MARK shard {address} {count}")
    print(f"E2E-MARK shards {len(written)}")
    for problem in problems:
        print(f"E2E-MARK problem {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
