"""A step's view of Redis in the e2e workflows: outputs as the action set them, and a client.

Run inside the act job (stdlib only, independent of the probe's own RESP code):
    python3 check_redis.py --url redis://host:port [--password-env NAME] [--expect-config k=v ...]
Reads the action's outputs from READY, REDIS_VERSION, ELAPSED_MS, OUTPUT_URL when set, prints
`E2E-MARK` lines the tests parse, and exits 1 with the reason when anything is off.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from urllib.parse import urlsplit


def command(sock: socket.socket, *words: str) -> object:
    payload = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
    sock.sendall(payload.encode())
    return read_reply(sock.makefile("rb"))


def read_reply(stream) -> object:
    line = stream.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind in (b"+", b"-"):
        return ("ERR " if kind == b"-" else "") + rest
    if kind == b":":
        return int(rest)
    if kind == b"$":
        return None if rest == "-1" else stream.read(int(rest) + 2)[:-2].decode()
    if kind == b"*":
        return [read_reply(stream) for _ in range(int(rest))]
    raise ValueError(f"not RESP: {line!r}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--password-env", default="")
    parser.add_argument("--expect-config", action="append", default=[])
    args = parser.parse_args()
    print(f"E2E-MARK first-test-step {time.time():.3f}", flush=True)
    problems = []
    if "READY" in os.environ:
        for name in ("READY", "REDIS_VERSION", "ELAPSED_MS", "OUTPUT_URL"):
            print(f"E2E-MARK output {name}={os.environ[name]}")
        if os.environ["READY"] != "true":
            problems.append(f"ready output is {os.environ['READY']!r}")
        if not os.environ["REDIS_VERSION"][:1].isdigit():
            problems.append(f"redis-version output is {os.environ['REDIS_VERSION']!r}")
        float(os.environ["ELAPSED_MS"])
    target = urlsplit(args.url)
    with socket.create_connection((target.hostname, target.port or 6379), timeout=5) as sock:
        if args.password_env:
            reply = command(sock, "AUTH", os.environ[args.password_env])
            print(f"E2E-MARK auth {reply}")
        reply = command(sock, "PING")
        print(f"E2E-MARK ping {reply}")
        if reply != "PONG":
            problems.append(f"PING answered {reply!r}")
        for expected in args.expect_config:
            key, _, value = expected.partition("=")
            got = command(sock, "CONFIG", "GET", key)
            shown = got[1] if isinstance(got, list) and len(got) == 2 else repr(got)
            print(f"E2E-MARK config {key}={shown}")
            if got != [key, value]:
                problems.append(f"CONFIG GET {key} is {got!r}, expected {value!r}")
    for problem in problems:
        print(f"E2E-MARK problem {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
