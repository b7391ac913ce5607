"""Sentinel readiness: the sentinels agree on one master, and it serves as master.

`check_sentinel` asks every sentinel given with `--sentinel` where the master
named `--master-name` is (SENTINEL GET-MASTER-ADDR-BY-NAME) and whether it
thinks it is down (SENTINEL MASTER flags). Ready needs every sentinel to answer
and all to name the same address; that master must answer ROLE as `master`;
with `--replicas N`, N replicas must be online at the master, report
`master_link_status:up` themselves, and be within `IN_SYNC_BYTES` of the
master's replication offset. Then the session is pointed at the master, so the
ordinary checks (ping, pubsub, rw) run where clients will write.

Sentinels often run without the data nodes' password: they get their own
credentials (`--sentinel-username`/`--sentinel-password`), but the data nodes'
TLS settings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import List, Optional, Tuple

from redis_ci.probe.checks import Session, parse_info
from redis_ci.probe.failures import ProbeFailure, from_error_reply, from_os_error
from redis_ci.probe.resp import ProtocolError, ReplyError

Address = Tuple[str, int]

# A replica this close to the master's replication offset is in sync (a few commands behind).
IN_SYNC_BYTES = 1024 * 1024
# SENTINEL MASTER flags that mean the sentinel does not consider the master usable.
DOWN_FLAGS = ("s_down", "o_down", "disconnected", "failover_in_progress")


def address_text(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class SentinelReport:
    """One sentinel's answer: the master address it names and what it lacks."""

    address: Address
    master: Optional[Address] = None
    flags: str = ""
    lacks: List[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "address": address_text(self.address),
            "master": address_text(self.master) if self.master else None,
            "flags": self.flags or None,
            "ok": not self.lacks,
            "lacks": self.lacks,
        }


@dataclass
class ReplicaReport:
    """One replica as the master lists it, with its own view of the link."""

    address: Address
    state: str
    lag_bytes: int
    link: str = ""
    lacks: List[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "address": address_text(self.address),
            "state": self.state,
            "master_link_status": self.link or None,
            "lag_bytes": self.lag_bytes,
            "ok": not self.lacks,
            "lacks": self.lacks,
        }


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _on_node(address: Address, action):
    """Run `action()`, turning what goes wrong into a ProbeFailure that names `address`."""
    where = address_text(address)
    try:
        return action()
    except ProbeFailure:
        raise
    except ReplyError as exc:
        failure = from_error_reply(exc.text).failure
    except ProtocolError as exc:
        failure = ProbeFailure("protocol", str(exc)).failure
    except OSError as exc:
        failure = from_os_error(exc, where).failure
    raise ProbeFailure(failure.kind, f"{where}: {failure.message}", final=failure.final)


def ask_sentinel(session: Session, address: Address, master_name: str, credentials) -> SentinelReport:
    """Where `address` says the master is, and the flags it keeps on it."""
    report = SentinelReport(address)
    username, password = credentials
    sentinel_target = replace(session.target, host=address[0], port=address[1], unix_path="",
                              username=username, password=password, db=0)
    sentinel = Session(sentinel_target, session.tls_context, session.deadline, session.requirements)

    def ask() -> None:
        connection = sentinel.connect()
        reply = connection.call(session.deadline, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", master_name)
        if not reply:
            report.lacks.append(f"does not monitor a master named {master_name!r}")
            return
        report.master = (_text(reply[0]), int(reply[1]))
        state = connection.call(session.deadline, "SENTINEL", "MASTER", master_name)
        fields = {_text(state[i]): _text(state[i + 1]) for i in range(0, len(state) - 1, 2)}
        report.flags = fields.get("flags", "")
        down = [flag for flag in report.flags.split(",") if flag in DOWN_FLAGS]
        if down:
            report.lacks.append(f"sees the master as {','.join(down)}")

    try:
        _on_node(address, ask)
    except ProbeFailure as exc:
        if exc.failure.final:
            raise
        report.lacks.append(f"does not answer: {exc.failure.message}")
    finally:
        sentinel.close()
    return report


def agreed_master(reports: List[SentinelReport], master_name: str) -> Address:
    """The one master every sentinel names; otherwise the ProbeFailure that says why not."""
    silent = [r for r in reports if r.master is None]
    if silent:
        why = silent[0].lacks[0] if silent[0].lacks else "no answer"
        if "does not answer" in why:
            raise ProbeFailure("sentinel-disagree", f"sentinel {address_text(silent[0].address)} {why}")
        raise ProbeFailure("no-master", f"sentinel {address_text(silent[0].address)} {why}")
    named = Counter(r.master for r in reports)
    if len(named) > 1:
        for report in reports:
            report.lacks.append("names a different master than other sentinels")
        votes = ", ".join(f"{address_text(a)} ({n} sentinel{'s' if n > 1 else ''})" for a, n in named.most_common())
        raise ProbeFailure("sentinel-disagree", f"the sentinels name different masters for {master_name!r}: {votes}")
    down = [r for r in reports if r.lacks]
    if down:
        raise ProbeFailure("no-master", f"sentinel {address_text(down[0].address)} {down[0].lacks[0]}")
    return reports[0].master


def check_master_role(session: Session, master: Address) -> None:
    def ask_role() -> None:
        role = session.connect(*master).call(session.deadline, "ROLE")
        if _text(role[0]) != "master":
            raise ProbeFailure("no-master", f"{address_text(master)}, named master by the sentinels, "
                               f"answers ROLE {_text(role[0])}")
    _on_node(master, ask_role)


def survey_replicas(session: Session, master: Address) -> List[ReplicaReport]:
    """The replicas the master lists (INFO replication), each asked for its side of the link."""
    info = _on_node(master, lambda: parse_info(_text(
        session.connect(*master).call(session.deadline, "INFO", "replication"))))
    master_offset = int(info.get("master_repl_offset", "0"))
    replicas = []
    for index in range(int(info.get("connected_slaves", "0"))):
        fields = dict(item.partition("=")[::2] for item in info.get(f"slave{index}", "").split(","))
        address = (fields.get("ip", ""), int(fields.get("port", "0") or 0))
        report = ReplicaReport(address, fields.get("state", "?"), master_offset - int(fields.get("offset", "0")))
        if report.state != "online":
            report.lacks.append(f"state={report.state} at the master")
        if report.lag_bytes > IN_SYNC_BYTES:
            report.lacks.append(f"{report.lag_bytes} bytes behind the master")
        try:
            own = _on_node(address, lambda a=address: parse_info(_text(
                session.connect(*a).call(session.deadline, "INFO", "replication"))))
            report.link = own.get("master_link_status", "")
            if report.link != "up":
                report.lacks.append(f"master_link_status:{report.link or '?'}")
        except ProbeFailure as exc:
            if exc.failure.final:
                raise
            report.lacks.append(f"does not answer: {exc.failure.message}")
        replicas.append(report)
    return replicas


def check_sentinel(session: Session) -> None:
    """The sentinels agree on the master, it is master, N replicas are in sync; then point the
    session at the master for the checks that follow."""
    requirements = session.requirements
    name = requirements.master_name
    reports = [ask_sentinel(session, address, name, requirements.sentinel_credentials)
               for address in requirements.sentinels]
    details = {"master_name": name, "master": None, "sentinels": reports, "replicas": []}
    session.topology = {"sentinel": details}
    master = agreed_master(reports, name)
    details["master"] = master
    check_master_role(session, master)
    if requirements.replicas:
        replicas = survey_replicas(session, master)
        details["replicas"] = replicas
        in_sync = [r for r in replicas if not r.lacks]
        if len(in_sync) < requirements.replicas:
            behind = "; ".join(f"{address_text(r.address)} {', '.join(r.lacks)}" for r in replicas if r.lacks)
            raise ProbeFailure(
                "replicas-missing",
                f"the master {address_text(master)} has {len(in_sync)} of {requirements.replicas} replicas "
                f"in sync" + (f" ({behind})" if behind else ""),
            )
    session.target = replace(session.target, host=master[0], port=master[1], unix_path="")


def topology_json(details: dict) -> dict:
    """The sentinel part of the JSON report."""
    master = details["master"]
    return {
        "master_name": details["master_name"],
        "master": address_text(master) if master else None,
        "sentinels": [report.as_json() for report in details["sentinels"]],
        "replicas": [report.as_json() for report in details["replicas"]],
    }
