"""A tiny DNS server on a loopback address, for the DNS cases of the fault matrix.

It listens on UDP port 53 of a random 127.53.x.y address (each test its own, so parallel runs
do not collide) and answers every query one way: `nxdomain` (the name does not exist),
`hang` (never answers: the socket is bound and never read), or `answer` (after `delay`
seconds, an A record for `address`; AAAA queries get an empty answer). `resolv_conf` writes
a resolv.conf naming it, which `probes.run_probe(..., resolv_conf=...)` bind-mounts over
/etc/resolv.conf in a private mount namespace: no query leaves the machine.
"""

from __future__ import annotations

import errno
import random
import socket
import struct
import threading

TYPE_A = 1


class LoopbackDns:
    def __init__(self, mode: str, address: str = "127.0.0.1", delay: float = 0.0):
        assert mode in ("nxdomain", "hang", "answer"), mode
        self.mode, self.address, self.delay = mode, address, delay
        self.queries = 0
        self.closing = threading.Event()
        self.sock = self._bind()
        self.ip = self.sock.getsockname()[0]
        if mode != "hang":
            self.thread = threading.Thread(target=self._serve, daemon=True)
            self.thread.start()

    @staticmethod
    def _bind() -> socket.socket:
        for _ in range(50):  # a random loopback address whose port 53 is free (binding 53 needs root)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((f"127.53.{random.randint(0, 255)}.{random.randint(1, 254)}", 53))
                return sock
            except OSError as exc:
                sock.close()
                if exc.errno != errno.EADDRINUSE:
                    raise
        raise RuntimeError("no free loopback address for the DNS server")

    def resolv_conf(self, path) -> str:
        path.write_text(f"nameserver {self.ip}\noptions timeout:10 attempts:3\n")
        return str(path)

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.closing.is_set():
            try:
                query, client = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            threading.Thread(target=self._answer, args=(query, client), daemon=True).start()

    def _answer(self, query: bytes, client) -> None:
        if self.delay and self.closing.wait(self.delay):
            return
        question_end = 12
        while query[question_end] != 0:  # the QNAME labels
            question_end += 1 + query[question_end]
        question_end += 5  # the zero label, QTYPE, QCLASS
        qtype = struct.unpack("!H", query[question_end - 4:question_end - 2])[0]
        question = query[12:question_end]
        if self.mode == "nxdomain":
            flags, answers = 0x8183, b""  # response, recursion desired and available, NXDOMAIN
        else:
            flags, answers = 0x8180, b""
            if qtype == TYPE_A:
                answers = b"\xc0\x0c" + struct.pack("!HHIH", TYPE_A, 1, 0, 4) + socket.inet_aton(self.address)
        header = query[:2] + struct.pack("!HHHHH", flags, 1, 1 if answers else 0, 0, 0)
        try:
            self.sock.sendto(header + question + answers, client)
        except OSError:
            pass

    def close(self) -> None:
        self.closing.set()
        self.sock.close()

