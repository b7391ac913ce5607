"""Real Debian `redis-server` processes on free loopback ports, for any test or bench script.

    servers = RedisServers(tmp_path)           # or the `redis_servers` pytest fixture
    plain = servers.start()                    # started, waits until its log says it is ready
    secret = servers.start(password="s3cret")  # requirepass
    tls = servers.start(tls=make_tls_files(tmp_path / "tls"))
    late = servers.new().start_later(0.3)      # starts in the background after 0.3 s
    replica = servers.start(args=["--replicaof", "127.0.0.1", str(plain.port)])
    sentinel = servers.start(config=f"sentinel monitor m 127.0.0.1 {plain.port} 1\n", args=["--sentinel"])
    plain.kill(); plain.pause(); plain.resume(); servers.close()

Each server binds 127.0.0.1 only, keeps no data on disk unless asked (`--save ''`,
`dir` in its own temp directory) and logs to `server.log` there. `RedisServers.close()`
(the fixture's teardown, and atexit as a last resort) stops every process it started.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import threading
import time
from collections import namedtuple
from pathlib import Path

# What the log says once the server serves (a Sentinel never says the first).
READY_LOG_LINES = ("Ready to accept connections", "Sentinel ID is")
START_SECONDS = 10.0

TlsFiles = namedtuple("TlsFiles", "ca_cert ca_key server_cert server_key client_cert client_key")
TlsFiles.__doc__ = "PEM files made by `make_tls_files`: a CA, a server pair, a client pair."


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the kernel's choice for port 0)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def make_tls_files(directory: Path, common_name: str = "redis-ci test CA") -> TlsFiles:
    """A throwaway CA plus server (localhost, 127.0.0.1) and client certificates, made with
    the `openssl` command line (P-256 keys: fast to make)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(*(str(directory / name) for name in ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key")))
    key_options = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req", "-x509", *key_options, "-keyout", files.ca_key, "-out", files.ca_cert, "-days", "2",
        "-subj", f"/CN={common_name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )
    for prefix, cert, key, usage in (
        ("server", files.server_cert, files.server_key, "serverAuth"),
        ("client", files.client_cert, files.client_key, "clientAuth"),
    ):
        request = str(directory / f"{prefix}.csr")
        openssl("req", *key_options, "-keyout", key, "-out", request, "-subj", f"/CN={prefix}")
        extensions = directory / f"{prefix}.ext"
        extensions.write_text(
            "basicConstraints=CA:FALSE\n"
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
            f"extendedKeyUsage={usage}\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid,issuer\n"
        )
        openssl(
            "x509", "-req", "-in", request, "-CA", files.ca_cert, "-CAkey", files.ca_key,
            "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", str(extensions),
        )
    return files


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class RedisServer:
    """One redis-server process (not started until `start()` or `start_later()`)."""

    def __init__(self, workdir: Path, port: int | None = None, password: str = "", tls: TlsFiles | None = None,
                 tls_auth_clients: bool = False, unix_socket: bool = False, args: tuple = (), config: str = "",
                 host: str = "127.0.0.1"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host = host  # any 127.0.0.0/8 address; tests never bind anything else
        self.port = port or free_port(host)
        self.password = password
        self.tls = tls
        self.tls_auth_clients = tls_auth_clients
        self.unix_socket = str(self.workdir / "redis.sock") if unix_socket else ""
        self.extra_args = list(args)
        self.config = config  # redis.conf text, written to the workdir (Sentinel needs a writable file)
        self.log_path = self.workdir / "server.log"
        self.process: subprocess.Popen | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def command(self) -> list:
        command = ["redis-server"]
        if self.config:
            config_path = self.workdir / "redis.conf"
            config_path.write_text(self.config)
            command.append(str(config_path))
        command += [
            "--bind", self.host, "--dir", str(self.workdir), "--logfile", str(self.log_path),
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]
        if self.tls:
            command += [
                "--port", "0", "--tls-port", str(self.port),
                "--tls-cert-file", self.tls.server_cert, "--tls-key-file", self.tls.server_key,
                "--tls-ca-cert-file", self.tls.ca_cert,
                "--tls-auth-clients", "yes" if self.tls_auth_clients else "no",
            ]
        else:
            command += ["--port", str(self.port)]
        if self.password:
            command += ["--requirepass", self.password]
        if self.unix_socket:
            command += ["--unixsocket", self.unix_socket, "--unixsocketperm", "700"]
        return command + self.extra_args

    @property
    def url(self) -> str:
        """The URL a client uses (with the password: keep it out of assertions' messages)."""
        if self.unix_socket:
            return f"unix://{self.unix_socket}"
        scheme = "rediss" if self.tls else "redis"
        auth = f":{self.password}@" if self.password else ""
        return f"{scheme}://{auth}{self.host}:{self.port}/0"

    def start(self, wait: str = "ready") -> "RedisServer":
        """Start the process; `wait` is "ready" (the log says so), "listening" (TCP accepts,
        for a server still loading), or "" (return at once)."""
        with self._lock:
            if self._stopped:
                return self
            self.log_path.write_text("")
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if wait == "ready":
            self.wait_for(lambda: any(line in self.log_text() for line in READY_LOG_LINES), "to log that it is ready")
        elif wait == "listening":
            self.wait_for(self.accepts_connections, "to accept TCP connections")
        return self

    def start_later(self, delay: float) -> "RedisServer":
        """Start in a background thread after `delay` seconds; `stop()` cancels it."""
        self._timer = threading.Timer(delay, self.start, kwargs={"wait": ""})
        self._timer.daemon = True
        self._timer.start()
        return self

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not condition():
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode(errors="replace")
                raise RuntimeError(f"redis-server exited ({self.process.returncode}): {stderr}{self.log_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not manage {what}: {self.log_text()}")
            time.sleep(0.005)

    def accepts_connections(self) -> bool:
        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def client(self, **options):
        """A redis-py client for this server (the tests' independent client)."""
        import redis

        if self.unix_socket:
            return redis.Redis(unix_socket_path=self.unix_socket, password=self.password or None, **options)
        if self.tls:
            options.update(ssl=True, ssl_ca_certs=self.tls.ca_cert)
            if self.tls_auth_clients:
                options.update(ssl_certfile=self.tls.client_cert, ssl_keyfile=self.tls.client_key)
        return redis.Redis(host=self.host, port=self.port, password=self.password or None, **options)

    def signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL, no shutdown: open connections are reset, the port is freed."""
        self.signal(signal.SIGKILL)
        if self.process:
            self.process.wait(5)

    def pause(self) -> None:
        """SIGSTOP: the kernel still accepts connections, nothing answers."""
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer:
                self._timer.cancel()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process and self.process.stderr:
            self.process.stderr.close()


class RedisServers:
    """Makes RedisServer objects in numbered subdirectories of `root` and stops them all on close()."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.servers: list = []
        atexit.register(self.close)

    def new(self, **options) -> RedisServer:
        server = RedisServer(self.root / f"redis-{len(self.servers)}-{os.getpid()}", **options)
        self.servers.append(server)
        return server

    def start(self, wait: str = "ready", **options) -> RedisServer:
        return self.new(**options).start(wait=wait)

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        atexit.unregister(self.close)
