"""Sentinel readiness (`redis-ci wait --sentinel`): the sentinels agree on one master, and it serves.

`check_sentinel` asks every sentinel given with `--sentinel` where the master
named `--master-name` is (SENTINEL GET-MASTER-ADDR-BY-NAME), whether it
considers it down (the flags of SENTINEL MASTER) and whether it sees enough
sentinels to fail over (SENTINEL CKQUORUM). Ready needs every sentinel to
answer, all to name the same address, none to see it down and each to reach
a quorum; that master must answer ROLE as
`master`; with `--replicas N`, N replicas must be `online` at the master, say
`master_link_status:up` themselves, and be within `IN_SYNC_BYTES` of the
master's replication offset. Then the session is pointed at the master, so
the ordinary checks (ping, pubsub, rw) run where clients will write.

Sentinels often run without the data nodes' password: they get their own
credentials (`--sentinel-username`/`--sentinel-password`) but the same TLS
settings.

Imported only for `--sentinel`; plain classes, no dataclasses/typing (start-up time).
"""

from __future__ import annotations

from collections import Counter, namedtuple

from redis_ci.probe.addresses import address_text, naming
from redis_ci.probe.failures import ProbeFailure, classify, one_line
from redis_ci.probe.resp import LARGE_REPLY_BYTES, ReplyError
from redis_ci.probe.session import Session, parse_info

# A replica this close to the master's replication offset is in sync (a few commands behind).
IN_SYNC_BYTES = 1024 * 1024
# SENTINEL MASTER flags that mean this sentinel does not consider the master usable.
DOWN_FLAGS = ("s_down", "o_down", "disconnected", "failover_in_progress")

SentinelOptions = namedtuple("SentinelOptions", "sentinels master_name replicas username password")
SentinelOptions.__doc__ = """`--sentinel` settings: `sentinels` are (host, port) pairs, `replicas` the
replicas in sync the master needs, `username`/`password` the sentinels' own credentials."""


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def on_node(address: tuple, action):
    """`action()`, with whatever goes wrong turned into a ProbeFailure that names `address`."""
    try:
        return action()
    except ProbeFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - classified, like every error of an attempt
        failure = classify(exc, address_text(address))
        raise ProbeFailure(failure.kind, naming(address, failure.message), final=failure.final,
                           address=address_text(address)) from None


class SentinelReport:
    """One sentinel's answer: the master address it names, its flags, and what it lacks."""

    def __init__(self, address: tuple):
        self.address = address
        self.master = None  # (host, port) once it names one
        self.flags = ""
        self.lacks: list = []
        self.failure = None  # the Failure met asking it, when it did not answer
        self.no_quorum = False  # SENTINEL CKQUORUM said NOQUORUM

    def as_json(self) -> dict:
        return {
            "address": address_text(self.address),
            "master": address_text(self.master) if self.master else None,
            "flags": self.flags or None,
            "ok": not self.lacks,
            "lacks": self.lacks,
        }


class ReplicaReport:
    """One replica as the master lists it (INFO replication), with its own view of the link."""

    def __init__(self, address: tuple, state: str, lag_bytes: int):
        self.address = address
        self.state = state
        self.lag_bytes = lag_bytes
        self.link = ""
        self.lacks: list = []

    def as_json(self) -> dict:
        return {
            "address": address_text(self.address),
            "state": self.state,
            "master_link_status": self.link or None,
            "lag_bytes": self.lag_bytes,
            "ok": not self.lacks,
            "lacks": self.lacks,
        }


class SentinelVerdict:
    """What the sentinels, the master and its replicas said; kept on the session for the report."""

    def __init__(self, master_name: str):
        self.master_name = master_name
        self.master = None
        self.sentinels: list = []
        self.replicas: list = []

    def summary(self) -> str:
        where = address_text(self.master) if self.master else "?"
        return f"master {self.master_name} at {where} per {len(self.sentinels)} sentinels"

    def rows(self) -> list:
        """(address, role, state) per sentinel, the master and each replica, for the step summary."""
        rows = [(address_text(r.address), "sentinel", "; ".join(r.lacks) or "ok") for r in self.sentinels]
        if self.master:
            rows.append((address_text(self.master), f"master {self.master_name}", "named by the sentinels"))
        return rows + [(address_text(r.address), "replica", "; ".join(r.lacks) or "in sync") for r in self.replicas]

    def as_json(self) -> dict:
        return {
            "sentinel": {
                "master_name": self.master_name,
                "master": address_text(self.master) if self.master else None,
                "sentinels": [report.as_json() for report in self.sentinels],
                "replicas": [report.as_json() for report in self.replicas],
            }
        }


def ask_sentinel(session: Session, address: tuple, options: SentinelOptions) -> SentinelReport:
    """Where the sentinel at `address` says the master is, and the flags it keeps on it."""
    report = SentinelReport(address)
    sentinel_target = session.target._replace(
        host=address[0], port=address[1], unix_path="", username=options.username, password=options.password, db=0
    )
    sentinel = Session(sentinel_target, session.tls_context, session.deadline, session.requirements,
                       session.redactor)

    def ask() -> None:
        connection = sentinel.connect()
        try:
            reply = connection.call(session.deadline, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", options.master_name)
        except ReplyError as exc:
            if "unknown command" not in exc.text.lower():
                raise
            raise ProbeFailure("not-sentinel", f"{address_text(address)} is not a sentinel (no SENTINEL "
                               "command)", address=address_text(address)) from None
        if not reply:
            report.lacks.append(f"monitors no master named {options.master_name!r}")
            return
        report.master = (_text(reply[0]), int(reply[1]))
        state = connection.call(session.deadline, "SENTINEL", "MASTER", options.master_name,
                                limit=LARGE_REPLY_BYTES)
        fields = {_text(state[i]): _text(state[i + 1]) for i in range(0, len(state) - 1, 2)}
        report.flags = fields.get("flags", "")
        down = [flag for flag in report.flags.split(",") if flag in DOWN_FLAGS]
        if down:
            report.lacks.append(f"sees the master as {','.join(down)}")
            return
        try:  # enough sentinels in sight to authorize a failover (they meet via hello messages, ~2 s)
            connection.call(session.deadline, "SENTINEL", "CKQUORUM", options.master_name)
        except ReplyError as exc:
            if not exc.text.startswith("NOQUORUM"):
                raise
            report.no_quorum = True
            report.lacks.append(f"cannot reach a quorum: {one_line(exc.text.partition(' ')[2])}")

    try:
        on_node(address, ask)
    except ProbeFailure as exc:
        failure = exc.failure
        if failure.final:  # a wrong sentinel password or user: say it was the sentinel's
            also = " (the sentinels' own credentials: --sentinel-username/--sentinel-password)" \
                if failure.kind in ("auth", "noperm") else ""
            raise ProbeFailure(failure.kind, f"sentinel {failure.message}{also}", final=True,
                               address=failure.address) from None
        report.failure = failure
        report.lacks.append(f"does not answer: {failure.message}")
    finally:
        sentinel.close()
    return report


def agreed_master(reports: list, master_name: str) -> tuple:
    """The one master address every sentinel names; otherwise a ProbeFailure saying why not."""
    for report in reports:
        if report.failure is not None:  # a sentinel that does not answer cannot agree: say why
            raise ProbeFailure(report.failure.kind, f"sentinel {report.failure.message}",
                               final=report.failure.final, address=report.failure.address)
        if report.master is None:
            raise ProbeFailure("no-master", f"sentinel {address_text(report.address)} {report.lacks[0]}")
    named = Counter(report.master for report in reports)
    if len(named) > 1:
        for report in reports:
            report.lacks.append("names another master than other sentinels")
        votes = ", ".join(f"{address_text(address)} ({count})" for address, count in named.most_common())
        raise ProbeFailure("sentinel-disagree", f"the sentinels name different masters for {master_name!r}: {votes}")
    for report in reports:
        if report.lacks:
            kind = "no-quorum" if report.no_quorum else "no-master"
            raise ProbeFailure(kind, f"sentinel {address_text(report.address)} {report.lacks[0]}")
    return reports[0].master


def check_master_role(session: Session, master: tuple) -> None:
    def ask_role() -> None:
        role = _text(session.connect(*master).call(session.deadline, "ROLE", limit=LARGE_REPLY_BYTES)[0])
        if role != "master":
            raise ProbeFailure("no-master", f"{address_text(master)}, the master by the sentinels, says ROLE {role}")
    try:
        on_node(master, ask_role)
    except ProbeFailure as exc:
        failure = exc.failure
        if failure.kind not in ("refused", "timeout", "dns"):
            raise
        raise ProbeFailure(failure.kind, failure.message + " (the master's address as the sentinels announce it: "
                           "if this job cannot reach it, set replica-announce-ip on the data nodes, or "
                           "sentinel announce-hostnames / resolve-hostnames)", final=failure.final,
                           address=failure.address) from None


def replication_info(session: Session, address: tuple) -> dict:
    return on_node(address, lambda: parse_info(_text(
        session.connect(*address).call(session.deadline, "INFO", "replication", limit=LARGE_REPLY_BYTES))))


def survey_replicas(session: Session, master: tuple) -> list:
    """The replicas the master lists, each judged from both ends of its link."""
    info = replication_info(session, master)
    master_offset = int(info.get("master_repl_offset", "0"))
    replicas = []
    for index in range(int(info.get("connected_slaves", "0"))):
        fields = dict(item.partition("=")[::2] for item in info.get(f"slave{index}", "").split(","))
        address = (fields.get("ip", ""), int(fields.get("port") or 0))
        report = ReplicaReport(address, fields.get("state", "?"), master_offset - int(fields.get("offset") or 0))
        if report.state != "online":
            report.lacks.append(f"state={report.state} at the master")
        if report.lag_bytes > IN_SYNC_BYTES:
            report.lacks.append(f"{report.lag_bytes} bytes behind the master")
        try:
            report.link = replication_info(session, address).get("master_link_status", "")
            if report.link != "up":
                report.lacks.append(f"master_link_status:{report.link or '?'}")
        except ProbeFailure as exc:
            if exc.failure.final:
                raise
            report.lacks.append(f"does not answer: {exc.failure.message}")
        replicas.append(report)
    return replicas


def check_sentinel(session: Session) -> None:
    """The sentinels agree on the master, it is master, N replicas are in sync; then the session
    points at the master for the checks that follow."""
    options = session.requirements.topology
    verdict = SentinelVerdict(options.master_name)
    session.topology = verdict
    verdict.sentinels = [ask_sentinel(session, address, options) for address in options.sentinels]
    master = verdict.master = agreed_master(verdict.sentinels, options.master_name)
    check_master_role(session, master)
    if options.replicas:
        verdict.replicas = survey_replicas(session, master)
        in_sync = [report for report in verdict.replicas if not report.lacks]
        if len(in_sync) < options.replicas:
            behind = "; ".join(f"{address_text(r.address)} {', '.join(r.lacks)}" for r in verdict.replicas if r.lacks)
            raise ProbeFailure(
                "replicas-missing",
                f"master {address_text(master)} has {len(in_sync)} of {options.replicas} replicas in sync"
                + (f" ({behind})" if behind else ""),
            )
    session.retarget(*master)


def options_from_args(args, target):
    """--sentinel: returns (the target shown in output: the first sentinel, with the data nodes'
    credentials and TLS; the SentinelOptions)."""
    from redis_ci.errors import UsageError
    from redis_ci.probe.addresses import parse_addresses

    sentinels = parse_addresses(args.sentinel, "--sentinel")
    if not args.master_name:
        raise UsageError("--sentinel needs --master-name NAME (the name in `sentinel monitor NAME ...`)")
    options = SentinelOptions(sentinels, args.master_name, args.replicas or 0,
                              args.sentinel_username or "", args.sentinel_password or "")
    host, port = sentinels[0]
    return target._replace(host=host, port=port, unix_path=""), options
