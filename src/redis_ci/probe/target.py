"""Where to probe: a Redis URL plus flag overrides, parsed into a `Target`.

Accepted URLs: `redis://[user:pass@]host[:port][/db]`, `rediss://` (TLS),
`valkey://`/`valkeys://` (aliases), and `unix://[user:pass@]/path.sock[?db=N]`.
Flags (`--host`, `--port`, `--username`, `--password`, `--db`) override the
URL's parts; the password may also come from `REDISCLI_AUTH`. Bad input raises
`UsageError` with a one-line message that never contains the password.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

from redis_ci.errors import UsageError
from redis_ci.probe.redaction import REDACTED
from redis_ci.recipe import REDIS_PORT

DEFAULT_URL = f"redis://localhost:{REDIS_PORT}/0"
# A host is a name (letters, digits, `-`, `_`, `.`; IDN letters too) or an IPv6 address with an
# optional zone: anything else (a space, a slash, a control character) can never resolve.
HOST_NAME = re.compile(r"[\w.-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\w.-]+)?")
TCP_SCHEMES = {"redis": False, "valkey": False, "rediss": True, "valkeys": True}  # scheme -> TLS


# Named tuples, not dataclasses: `redis-ci wait` must start fast (dataclasses costs 5 ms).
TlsOptions = namedtuple("TlsOptions", "ca_cert cert key insecure", defaults=("", "", "", False))


class Target(
    namedtuple(
        "Target",
        "host port unix_path username password db tls",
        defaults=("localhost", REDIS_PORT, "", "", "", 0, None),
    )
):
    """One Redis endpoint with its credentials; `tls` (TlsOptions) is None for plain connections."""

    __slots__ = ()

    @property
    def address(self) -> str:
        """Where we connect, for messages: `host:port`, `[::1]:port` or the socket path."""
        if self.unix_path:
            return self.unix_path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def redacted_url(self) -> str:
        """The URL with the password replaced by `***` (safe for logs and outputs)."""
        userinfo = quote(self.username, safe="") if self.username else ""
        if self.password:
            userinfo += ":" + REDACTED
        userinfo = userinfo + "@" if userinfo else ""
        if self.unix_path:
            query = f"?db={self.db}" if self.db else ""
            return f"unix://{userinfo}{self.unix_path}{query}"
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{userinfo}{self.address}/{self.db}"

    def ssl_context(self):
        """The client `ssl.SSLContext`, or None for plain connections; a certificate that
        cannot be loaded is a usage error."""
        if self.tls is None:
            return None
        import ssl  # only TLS targets pay for it

        try:
            context = ssl.create_default_context(cafile=self.tls.ca_cert or None)
            if self.tls.insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if self.tls.cert:
                context.load_cert_chain(self.tls.cert, self.tls.key or None)
        except (ssl.SSLError, OSError) as exc:
            raise UsageError(f"cannot load the TLS certificates: {exc}") from None
        return context


def parse_number(text: str, what: str, low: int, high: int | None = None) -> int:
    """An integer from `low` to `high` (no upper bound when None), or a UsageError naming `what`."""
    expected = f"a number from {low} to {high}" if high is not None else f"an integer >= {low}"
    try:
        number = int(text)
    except ValueError:
        raise UsageError(f"bad {what} {text!r}: expected {expected}") from None
    if number < low or (high is not None and number > high):
        raise UsageError(f"bad {what} {number}: expected {expected}")
    return number


def parse_port(text: str) -> int:
    return parse_number(text, "port", 1, 65535)


def parse_db(text: str) -> int:
    return parse_number(text, "database number", 0)


def check_host(host: str, shown: str) -> str:
    """`host` when it can name a host; else a UsageError showing `shown` (a redacted URL or
    the flag), since a lookup would fail the same way until the deadline."""
    if not HOST_NAME.fullmatch(host):
        raise UsageError(f"bad host {host!r} in {shown}: expected a host name or an IP address")
    return host


def parse_url(url: str) -> Target:
    """Parse a Redis URL; the error message shows the URL only with its password redacted."""
    try:
        parts = urlsplit(url)
        parsed_port = parts.port
    except ValueError as exc:
        raise UsageError(f"bad URL {redact_url_text(url)}: {exc}") from None
    scheme = parts.scheme.lower()
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    query = parse_qs(parts.query)
    if scheme == "unix":
        if not parts.path:
            raise UsageError(f"bad URL {redact_url_text(url)}: a unix:// URL needs a socket path")
        db = parse_db(query["db"][0]) if "db" in query else 0
        return Target(unix_path=unquote(parts.path), username=username, password=password, db=db)
    if scheme not in TCP_SCHEMES:
        raise UsageError(
            f"bad URL {redact_url_text(url)}: the scheme must be redis://, rediss:// or unix:// (valkey://, valkeys:// too)"
        )
    if not parts.hostname:
        raise UsageError(f"bad URL {redact_url_text(url)}: no host")
    path = parts.path.strip("/")
    db = parse_db(path) if path else (parse_db(query["db"][0]) if "db" in query else 0)
    return Target(
        # unquoted as redis-py does: an IPv6 zone is written %25 in a URL (RFC 6874), fe80::1%25eth0
        host=check_host(unquote(parts.hostname), redact_url_text(url)),
        # an explicit :0 is refused like --port 0 (urlsplit gives None only when no port is written)
        port=REDIS_PORT if parsed_port is None else parse_port(str(parsed_port)),
        username=username,
        password=password,
        db=db,
        tls=TlsOptions() if TCP_SCHEMES[scheme] else None,
    )


def redact_url_text(url: str) -> str:
    """Redact the password of a URL we could not parse (best effort, never shows it)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return repr(url) if "@" not in url else "'<unparsable URL>'"
    userinfo, at, hostpart = rest.rpartition("@")
    if not at:
        return repr(url)
    user = userinfo.split(":", 1)[0]
    return repr(f"{scheme}://{user}:{REDACTED}@{hostpart}" if ":" in userinfo else url)


def build_target(args, environ=os.environ) -> Target:
    """The `Target` from `redis-ci wait` arguments: URL (or $REDIS_URL, or the default),
    then flag overrides, then REDISCLI_AUTH when no password was given otherwise."""
    target = parse_url(args.url or environ.get("REDIS_URL") or DEFAULT_URL)
    changes: dict = {}
    if args.host is not None or args.port is not None:
        changes["unix_path"] = ""
        if target.unix_path:
            changes.update(host="localhost", port=REDIS_PORT)
    if args.host is not None:
        if not args.host:
            raise UsageError("--host must not be empty")
        changes["host"] = check_host(args.host.strip("[]"), "--host")
    if args.port is not None:
        changes["port"] = parse_port(args.port)
    if args.username is not None:
        changes["username"] = args.username
    if args.password is not None:
        changes["password"] = args.password
    elif not target.password and environ.get("REDISCLI_AUTH"):
        changes["password"] = environ["REDISCLI_AUTH"]
    if args.db is not None:
        changes["db"] = parse_db(args.db)
    tls_flags = args.tls_ca_cert or args.tls_cert or args.tls_key or args.tls_insecure
    if args.tls or tls_flags or target.tls:
        changes["tls"] = TlsOptions(
            ca_cert=args.tls_ca_cert or "",
            cert=args.tls_cert or "",
            key=args.tls_key or "",
            insecure=bool(args.tls_insecure),
        )
    target = target._replace(**changes)
    if target.tls and target.unix_path:
        raise UsageError("TLS (--tls, rediss://) does not apply to a unix:// socket")
    if target.tls:
        check_tls_files(target.tls)
    return target


def check_tls_files(tls: TlsOptions) -> None:
    if tls.key and not tls.cert:
        raise UsageError("--tls-key needs --tls-cert")
    for flag, path in (("--tls-ca-cert", tls.ca_cert), ("--tls-cert", tls.cert), ("--tls-key", tls.key)):
        if path and not os.path.isfile(path):
            raise UsageError(f"{flag} {path}: no such file")
