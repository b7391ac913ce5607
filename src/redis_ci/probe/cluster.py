"""Redis Cluster readiness: every node, not just the one a PING reaches.

A cluster serves only when every node answers, every node reports
`cluster_state:ok`, all 16384 hash slots are assigned, and every node holds the
same slot map (a node still catching up on a failover routes clients to the
wrong place). Starting from the seed nodes, `survey` asks each node for its
view (CLUSTER INFO, then CLUSTER SHARDS, or CLUSTER SLOTS on servers before
7.0), follows every node it learns of, and `assess` turns the views into one
verdict per node (what it lacks) and one failure for the cluster.

A node the cluster itself has marked failed and that serves no slots (a dead
master after its replica took over) is reported but does not block: the
cluster is whole without it.

`write_every_shard` is the `rw` check for clusters: one key per master, chosen
by its hash slot (CRC16, as the server computes it), so every shard takes a
write.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from redis_ci.probe.checks import KEY_PREFIX, RW_KEY_TTL_MS, Session, nonce, parse_info
from redis_ci.probe.failures import Failure, ProbeFailure, from_error_reply, from_os_error
from redis_ci.probe.resp import Connection, ProtocolError, ReplyError

SLOT_COUNT = 16384

# (first slot, last slot, id of the master serving them); a slot map is a sorted tuple of these.
SlotRange = Tuple[int, int, str]
SlotMap = Tuple[SlotRange, ...]
Address = Tuple[str, int]


# --------------------------------------------------------------------------- hash slots


def _crc16_table() -> List[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC16 = _crc16_table()


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[((crc >> 8) ^ byte) & 0xFF]
    return crc


def key_slot(key: bytes) -> int:
    """The hash slot of `key`, honouring a non-empty `{hash tag}` as the server does."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return crc16(key) % SLOT_COUNT


def slot_ranges_text(slots: List[int]) -> str:
    """`[0, 1, 2, 7]` -> `0-2,7`: missing slots, short enough for one line."""
    ranges = []
    for slot in slots:
        if ranges and ranges[-1][1] == slot - 1:
            ranges[-1][1] = slot
        else:
            ranges.append([slot, slot])
    return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges)


# --------------------------------------------------------------------------- one node's view


@dataclass(frozen=True)
class KnownNode:
    """A node as another node describes it (CLUSTER SHARDS / SLOTS)."""

    node_id: str
    address: Address
    role: str  # master | replica
    failed: bool  # the cluster has marked it failed (health `fail`)
    master_id: str = ""  # for replicas: the master of their shard


@dataclass
class NodeView:
    """What one node answered: its state, its slot map, the nodes it knows."""

    node_id: str
    state: str
    slot_map: SlotMap
    known: List[KnownNode]

    @property
    def covered(self) -> int:
        return sum(last - first + 1 for first, last, _ in self.slot_map)


def _pairs(reply) -> dict:
    """A RESP2 flat map `[k1, v1, k2, v2]` as a dict with str keys."""
    return {_text(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _node_host(fields: dict, fallback: str) -> str:
    """The address clients should use: the announced endpoint, else the IP, else where we asked."""
    for name in ("endpoint", "ip"):
        value = _text(fields.get(name) or "")
        if value and value != "?":
            return value
    return fallback


def parse_shards(reply, asked: Address, tls: bool) -> Tuple[SlotMap, List[KnownNode]]:
    """CLUSTER SHARDS (Redis >= 7.0) -> slot map and known nodes."""
    ranges: List[SlotRange] = []
    known: List[KnownNode] = []
    for shard in reply:
        shard = _pairs(shard)
        nodes = [_pairs(node) for node in shard.get("nodes") or []]
        masters = [n for n in nodes if _text(n.get("role")) == "master" and _text(n.get("health")) != "fail"]
        master_id = _text(masters[0]["id"]) if masters else ""
        slots = shard.get("slots") or []
        if master_id:
            ranges += [(int(slots[i]), int(slots[i + 1]), master_id) for i in range(0, len(slots) - 1, 2)]
        for node in nodes:
            port = node.get("tls-port") if tls and node.get("tls-port") else node.get("port")
            role = _text(node.get("role"))
            known.append(KnownNode(
                node_id=_text(node.get("id")),
                address=(_node_host(node, asked[0]), int(port or asked[1])),
                role=role,
                failed=_text(node.get("health")) == "fail",
                master_id=master_id if role == "replica" else "",
            ))
    return tuple(sorted(ranges)), known


def parse_slots(reply, asked: Address) -> Tuple[SlotMap, List[KnownNode]]:
    """CLUSTER SLOTS (older servers) -> slot map and the nodes that serve slots."""
    ranges: List[SlotRange] = []
    known: Dict[str, KnownNode] = {}
    for entry in reply:
        first, last, master, *replicas = entry
        master_id = _text(master[2]) if len(master) > 2 else f"{_text(master[0])}:{master[1]}"
        ranges.append((int(first), int(last), master_id))
        for node, role in [(master, "master")] + [(r, "replica") for r in replicas]:
            node_id = _text(node[2]) if len(node) > 2 else f"{_text(node[0])}:{node[1]}"
            known[node_id] = KnownNode(
                node_id=node_id,
                address=(_text(node[0]) or asked[0], int(node[1])),
                role=role,
                failed=False,
                master_id=master_id if role == "replica" else "",
            )
    return tuple(sorted(ranges)), list(known.values())


def ask_node(connection: Connection, session: Session, address: Address) -> NodeView:
    """CLUSTER INFO + CLUSTER SHARDS (or SLOTS) on one node."""
    deadline = session.deadline
    info = parse_info(_text(connection.call(deadline, "CLUSTER", "INFO")))
    try:
        node_id = _text(connection.call(deadline, "CLUSTER", "MYID"))
        shards = connection.call(deadline, "CLUSTER", "SHARDS")
        slot_map, known = parse_shards(shards, address, tls=session.tls_context is not None)
    except ReplyError as exc:
        if "unknown subcommand" not in exc.text.lower():
            raise
        node_id = ""
        slot_map, known = parse_slots(connection.call(deadline, "CLUSTER", "SLOTS"), address)
    return NodeView(node_id=node_id, state=info.get("cluster_state", "?"), slot_map=slot_map, known=known)


# --------------------------------------------------------------------------- the survey


@dataclass
class NodeReport:
    """One node in the verdict: where it is, what it said, and what it lacks to be ready."""

    address: Address
    node_id: str = ""
    role: str = ""
    state: str = ""  # cluster_state as the node reports it; "" when it did not answer
    slots: int = 0  # slots this node serves as master
    lacks: List[str] = field(default_factory=list)
    ignored: str = ""  # why a failed node does not block readiness
    view: Optional[NodeView] = None
    failure: Optional[Failure] = None

    def as_json(self) -> dict:
        data = {
            "address": address_text(self.address),
            "id": self.node_id or None,
            "role": self.role or None,
            "cluster_state": self.state or None,
            "slots": self.slots,
            "ok": not self.lacks,
            "lacks": self.lacks,
        }
        if self.ignored:
            data["ignored"] = self.ignored
        return data


def address_text(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _ask(session: Session, address: Address) -> NodeReport:
    report = NodeReport(address=address)
    try:
        connection = session.connect(*address)
        report.view = ask_node(connection, session, address)
        report.state = report.view.state
        report.node_id = report.view.node_id
    except ReplyError as exc:
        report.failure = from_error_reply(exc.text).failure
    except ProtocolError as exc:
        report.failure = ProbeFailure("protocol", str(exc)).failure
    except ProbeFailure as exc:
        report.failure = exc.failure
    except OSError as exc:
        report.failure = from_os_error(exc, address_text(address)).failure
    return report


def survey(session: Session, seeds: List[Address]) -> List[NodeReport]:
    """Ask every seed, then every node they know of, in parallel rounds; one report per node."""
    reports: Dict[Address, NodeReport] = {}
    pending = list(dict.fromkeys(seeds))
    lock = threading.Lock()

    def ask(address: Address) -> None:
        report = _ask(session, address)
        with lock:
            reports[address] = report

    while pending and not session.deadline.expired():
        threads = [threading.Thread(target=ask, args=(a,), daemon=True) for a in pending]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(session.deadline.remaining(), 0))
        with lock:
            learned = [node.address for r in reports.values() if r.view for node in r.view.known]
            pending = [a for a in dict.fromkeys(learned) if a not in reports]
    with lock:
        return _merge_aliases(list(reports.values()))


def _merge_aliases(reports: List[NodeReport]) -> List[NodeReport]:
    """One report per node id: a seed given as `localhost:7000` is the node `127.0.0.1:7000`."""
    seen = set()
    merged = []
    for report in reports:
        if report.node_id and report.node_id in seen:
            continue
        seen.add(report.node_id)
        merged.append(report)
    return merged


# --------------------------------------------------------------------------- the verdict


@dataclass
class ClusterVerdict:
    """Every node's report and, when the cluster is not ready, the one failure that says why."""

    nodes: List[NodeReport]
    slot_map: SlotMap
    failure: Optional[ProbeFailure]

    def as_json(self) -> dict:
        return {
            "nodes": [node.as_json() for node in self.nodes],
            "masters": len({master for _, _, master in self.slot_map}),
            "slots_covered": sum(last - first + 1 for first, last, _ in self.slot_map),
        }


def assess(reports: List[NodeReport], replicas: int = 0) -> ClusterVerdict:
    """Judge the survey: the slot map most nodes hold, and what each node lacks against it."""
    answered = [r for r in reports if r.view is not None]
    maps = Counter(r.view.slot_map for r in answered)
    consensus: SlotMap = maps.most_common(1)[0][0] if maps else ()
    known = {node.node_id: node for r in answered for node in r.view.known}
    by_address = {node.address: node for node in known.values()}
    serving = {master for _, _, master in consensus}

    for report in reports:
        described = known.get(report.node_id) or by_address.get(report.address)
        if described is not None:
            report.node_id = report.node_id or described.node_id
            report.role = described.role
        report.slots = sum(last - first + 1 for first, last, master in consensus if master == report.node_id)
        if report.view is None:
            if described is not None and described.failed and described.node_id not in serving:
                report.ignored = "the cluster marks it failed and it serves no slots"
            else:
                report.lacks.append(f"does not answer: {report.failure.message}")
            continue
        if report.state != "ok":
            report.lacks.append(f"cluster_state:{report.state}")
        if report.view.covered < SLOT_COUNT:
            report.lacks.append(f"sees {report.view.covered} of {SLOT_COUNT} slots served")
        if report.view.slot_map != consensus:
            report.lacks.append("its slot map differs from the other nodes'")

    short_shards = _shards_short_of_replicas(consensus, known, replicas)
    for report in reports:
        if report.node_id in short_shards:
            report.lacks.append(short_shards[report.node_id])
    return ClusterVerdict(reports, consensus, _cluster_failure(reports, consensus, maps, short_shards))


def _shards_short_of_replicas(consensus: SlotMap, known: Dict[str, KnownNode], wanted: int) -> Dict[str, str]:
    """master id -> what it lacks, for masters with fewer than `wanted` live replicas."""
    if wanted <= 0:
        return {}
    short = {}
    for master in {master for _, _, master in consensus}:
        live = sum(1 for n in known.values() if n.role == "replica" and n.master_id == master and not n.failed)
        if live < wanted:
            short[master] = f"has {live} of {wanted} replicas"
    return short


def _cluster_failure(reports, consensus: SlotMap, maps: Counter, short_shards) -> Optional[ProbeFailure]:
    """The one failure that best explains why the cluster is not ready (None when it is)."""
    silent = [r for r in reports if r.view is None and not r.ignored]
    for report in silent:
        if report.failure.final:
            return ProbeFailure(report.failure.kind, f"node {address_text(report.address)}: "
                                f"{report.failure.message}", final=True)
    if not any(r.view for r in reports):
        if silent:
            return ProbeFailure(silent[0].failure.kind, silent[0].failure.message)
        return ProbeFailure("cluster-down", "no cluster node answered")
    covered = set()
    for first, last, _ in consensus:
        covered.update(range(first, last + 1))
    missing = [slot for slot in range(SLOT_COUNT) if slot not in covered]
    if missing:
        return ProbeFailure(
            "slots-uncovered",
            f"{len(missing)} of {SLOT_COUNT} slots are not served by any node: {slot_ranges_text(missing)}",
        )
    down = [address_text(r.address) for r in reports if r.view is not None and r.state != "ok"]
    if down:
        also = f"; not answering: {', '.join(address_text(r.address) for r in silent)}" if silent else ""
        return ProbeFailure("cluster-down", f"cluster_state is not ok on {', '.join(down)}{also}")
    if len(maps) > 1:
        odd = [address_text(r.address) for r in reports if r.view is not None and r.view.slot_map != consensus]
        return ProbeFailure("cluster-disagree", f"{', '.join(odd)} hold a different slot map than the others")
    if silent:
        return ProbeFailure(silent[0].failure.kind, f"node {address_text(silent[0].address)}: "
                            f"{silent[0].failure.message}")
    if short_shards:
        master, lack = sorted(short_shards.items())[0]
        return ProbeFailure("replicas-missing", f"the master {master[:8]} {lack}")
    return None


# --------------------------------------------------------------------------- rw on every shard


def write_every_shard(session: Session, verdict: ClusterVerdict) -> None:
    """SET/GET/DEL one key per master, each hashed to a slot that master serves; a MOVED reply
    (a failover between the survey and the write) is followed once. Raises on the first fault."""
    token = nonce()
    addresses = {report.node_id: report.address for report in verdict.nodes}
    for master in sorted({master for _, _, master in verdict.slot_map}):
        ranges = [(first, last) for first, last, owner in verdict.slot_map if owner == master]
        _write_read_delete(session, addresses[master], key_in(ranges, token), token)


def key_in(ranges: List[Tuple[int, int]], token: str) -> str:
    """A key under the probe's prefix whose hash slot falls in one of `ranges`."""
    attempt = 0
    while True:
        key = f"{KEY_PREFIX}{token}:{attempt}"
        slot = key_slot(key.encode())
        if any(first <= slot <= last for first, last in ranges):
            return key
        attempt += 1


def _write_read_delete(session: Session, address: Address, key: str, token: str, hops: int = 1) -> None:
    connection = session.connect(*address)
    deadline = session.deadline
    try:
        connection.call(deadline, "SET", key, token, "PX", RW_KEY_TTL_MS)
        value = connection.call(deadline, "GET", key)
        connection.call(deadline, "DEL", key)
    except ReplyError as exc:
        words = exc.text.split()
        if hops and words[0] == "MOVED" and len(words) == 3:
            host, _, port = words[2].rpartition(":")
            return _write_read_delete(session, (host.strip("[]") or address[0], int(port)), key, token, hops - 1)
        raise
    if value != token.encode():
        raise ProbeFailure("error", f"{address_text(address)} returned {value!r} for a key just written")
