"""Redis Cluster readiness (`redis-ci wait --cluster`): every node, not just the one a PING reaches.

A cluster serves only when every node answers, every node reports
`cluster_state:ok`, all 16384 hash slots are served, and every node holds the
same slot map (a node still catching up on a failover routes clients to the
wrong place). Starting from the seed nodes, `survey` asks each node for its
view (cluster_views.py: CLUSTER INFO, then CLUSTER SHARDS, or CLUSTER SLOTS on
servers before 7.0), follows every node it learns of, and `assess` turns the
views into what each node lacks and the one failure that best explains why the
cluster is not ready.

A node the cluster itself has marked failed and that serves no slots (a dead
master after its replica took over) is listed but does not block: the cluster
is whole without it. With `--replicas N`, every master also needs N replicas
that answer and say `master_link_status:up`, listed in every node's map.

The `rw` check writes one key per master, chosen by its hash slot (hash_slots.py:
CRC16, as the server computes it), so every shard takes a write.

Imported only for `--cluster`; plain classes, no dataclasses/typing (start-up time).
"""

from __future__ import annotations

import threading
from collections import Counter, namedtuple

from redis_ci.errors import UsageError
from redis_ci.probe.addresses import address_text, naming, parse_addresses
from redis_ci.probe.cluster_views import NodeView, ask_node
from redis_ci.probe.failures import ProbeFailure, classify, make_failure
from redis_ci.probe.hash_slots import SLOT_COUNT, key_in, slot_ranges_text
from redis_ci.probe.resp import ReplyError
from redis_ci.probe.session import KEY_PREFIX, RW_KEY_TTL_MS, nonce

ClusterOptions = namedtuple("ClusterOptions", "seeds replicas")
ClusterOptions.__doc__ = """`--cluster` settings: `seeds` are (host, port) pairs besides the target's,
`replicas` the replicas in sync every master needs (0: none)."""


# --------------------------------------------------------------------------- the survey


class NodeReport:
    """One node in the verdict: where it is, what it said, and what it lacks to be ready."""

    def __init__(self, address: tuple, view: NodeView | None = None, failure=None):
        self.address = address
        self.announced = False  # learned from other nodes, not given as a seed
        self.view = view
        self.failure = failure  # the Failure met asking it, when it did not answer
        self.node_id = view.node_id if view else ""
        self.role = ""
        self.slots = 0  # how many slots it serves as master
        self.lacks: list = []
        self.ignored = ""  # why a node that does not answer does not block readiness

    def as_json(self) -> dict:
        data = {
            "address": address_text(self.address),
            "id": self.node_id or None,
            "role": self.role or None,
            "cluster_state": self.view.state if self.view else None,
            "slots": self.slots,
            "ok": not self.lacks,
            "lacks": self.lacks,
        }
        if self.ignored:
            data["ignored"] = self.ignored
        return data


def _ask(session, address: tuple) -> NodeReport:
    try:
        return NodeReport(address, view=ask_node(session, address))
    except Exception as exc:  # noqa: BLE001 - every error is classified and reported per node
        return NodeReport(address, failure=classify(exc, address_text(address)))


def survey(session, seeds: list) -> list:
    """Ask every seed, then every node they know of, in parallel rounds; one report per node."""
    reports: dict = {}
    lock = threading.Lock()

    def ask(address: tuple) -> None:
        report = _ask(session, address)
        with lock:
            reports[address] = report

    pending = list(dict.fromkeys(seeds))
    while pending:
        threads = [threading.Thread(target=ask, args=(address,), daemon=True) for address in pending]
        for thread in threads:
            if not session.deadline.expired():
                thread.start()
        for thread in threads:
            if thread.is_alive():
                thread.join(max(session.deadline.remaining(), 0))
        with lock:
            for address in pending:  # not asked, or no answer, before the deadline
                reports.setdefault(address, NodeReport(address, failure=make_failure(
                    "timeout", f"{address_text(address)} did not answer in time")))
            learned = [node.address for report in reports.values() if report.view for node in report.view.known]
            pending = [address for address in dict.fromkeys(learned) if address not in reports]
    with lock:  # threads still running past the deadline may yet write: judge a snapshot
        final = dict(reports)
    for address, report in final.items():
        report.announced = address not in seeds
    return _one_per_node([final[address] for address in sorted(final)])


def _one_per_node(reports: list) -> list:
    """A seed given as `localhost:7000` and the node announced as `127.0.0.1:7000` are one node."""
    seen = set()
    unique = []
    for report in reports:
        if report.node_id and report.node_id in seen:
            continue
        seen.add(report.node_id)
        unique.append(report)
    return unique


# --------------------------------------------------------------------------- the verdict


class ClusterVerdict:
    """Every node's report, the slot map most nodes hold, and the failure (None when ready)."""

    def __init__(self, nodes: list, slot_map: tuple, failure):
        self.nodes = nodes
        self.slot_map = slot_map
        self.failure = failure

    @property
    def masters(self) -> list:
        return sorted({master for _, _, master in self.slot_map})

    def summary(self) -> str:
        answering = sum(1 for node in self.nodes if node.view)
        return f"cluster of {answering} nodes, {len(self.masters)} masters"

    def rows(self) -> list:
        """(address, role, state) per node, for the step summary."""
        return [(address_text(node.address), node.role or "?",
                 "; ".join(node.lacks) or (f"ignored: {node.ignored}" if node.ignored else "ok"))
                for node in self.nodes]

    def as_json(self) -> dict:
        return {
            "cluster": {
                "nodes": [node.as_json() for node in self.nodes],
                "masters": len(self.masters),
                "slots_served": sum(last - first + 1 for first, last, _ in self.slot_map),
            }
        }

    def write_check(self, session) -> None:
        """The `rw` check on a cluster: SET/GET/DEL one key on every master, each hashed to a
        slot that master serves."""
        token = nonce()
        addresses = {node.node_id: node.address for node in self.nodes}
        for master in self.masters:
            ranges = [(first, last) for first, last, owner in self.slot_map if owner == master]
            write_read_delete(session, addresses[master], key_in(ranges, KEY_PREFIX, token), token)


def assess(reports: list, replicas: int = 0) -> ClusterVerdict:
    """Judge the survey: the slot map most nodes hold, and what each node lacks against it."""
    maps = Counter(report.view.slot_map for report in reports if report.view)
    consensus = maps.most_common(1)[0][0] if maps else ()
    known = {node.node_id: node for report in reports if report.view for node in report.view.known}
    # A node's word on itself (its role, its master) beats what others last heard.
    known.update((node.node_id, node) for report in reports if report.view
                 for node in report.view.known if node.node_id == report.view.node_id)
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
        if report.view.state != "ok":
            report.lacks.append(f"cluster_state:{report.view.state}")
        served = sum(last - first + 1 for first, last, _ in report.view.slot_map)
        if served < SLOT_COUNT:
            report.lacks.append(f"sees {served} of {SLOT_COUNT} slots served")
        if report.view.slot_map != consensus:
            report.lacks.append("its slot map differs from the other nodes'")

    linked = {report.node_id for report in reports if report.view and report.view.link == "up"}
    short = _masters_short_of_replicas(serving, known, linked, replicas, reports)
    for report in reports:
        if report.node_id in short:
            report.lacks.append(short[report.node_id])
    return ClusterVerdict(reports, consensus, _cluster_failure(reports, consensus, len(maps), short))


def _masters_short_of_replicas(masters: set, known: dict, linked: set, wanted: int, reports: list) -> dict:
    """master id -> what it lacks, for masters with fewer than `wanted` replicas in sync (ids in
    `linked`: they answered and say master_link_status:up), by the replicas' own word or in any
    answering node's view: a client asks one node for the map (CLUSTER SLOTS, SHARDS), and a
    node that has not yet heard through gossip of a new replica leaves it out."""
    short = {}
    for master in masters if wanted > 0 else ():
        in_sync = sum(1 for node in known.values() if node.role == "replica" and node.master_id == master
                      and node.node_id in linked)
        if in_sync < wanted:
            short[master] = f"has {in_sync} of {wanted} replicas in sync"
            continue
        for report in reports:
            listed = sum(1 for node in report.view.known if node.role == "replica" and node.master_id == master
                         and node.node_id in linked) if report.view else wanted
            if listed < wanted:
                short[master] = (f"has {in_sync} of {wanted} replicas in sync, but "
                                 f"{address_text(report.address)} lists {listed} of them")
                break
    return short


def _cluster_failure(reports: list, consensus: tuple, map_count: int, short: dict):
    """The ProbeFailure that best explains why the cluster is not ready (None when it is):
    a final error or a timeout first, then missing slots, a failed state, disagreement, a
    silent node."""
    if not reports:  # the attempt's time ran out before any node answered or failed
        return ProbeFailure("timeout", "no cluster node answered in time")
    silent = [report for report in reports if report.view is None and not report.ignored]
    for report in silent:
        # A timeout first: when the deadline cut the survey short, the rest is judged on part
        # of the nodes (and the poll loop keeps the previous attempt's verdict instead).
        if report.failure.final or report.failure.kind == "timeout" or not any(r.view for r in reports):
            return _silent_failure(report)
    served = set()
    for first, last, _ in consensus:
        served.update(range(first, last + 1))
    missing = [slot for slot in range(SLOT_COUNT) if slot not in served]
    if missing:
        return ProbeFailure("slots-uncovered", f"{len(missing)} of {SLOT_COUNT} slots are not served by any "
                            f"node: {slot_ranges_text(missing)}")
    down = [address_text(r.address) for r in reports if r.view and r.view.state != "ok"]
    if down:
        also = f"; not answering: {', '.join(address_text(r.address) for r in silent)}" if silent else ""
        return ProbeFailure("cluster-down", f"cluster_state is not ok on {', '.join(down)}{also}")
    if map_count > 1:
        odd = [address_text(r.address) for r in reports if r.view and r.view.slot_map != consensus]
        return ProbeFailure("cluster-disagree", f"{', '.join(odd)} hold a different slot map than the others")
    if silent:
        return _silent_failure(silent[0])
    if short:
        where = {report.node_id: address_text(report.address) for report in reports}
        master, lack = sorted(short.items())[0]
        return ProbeFailure("replicas-missing", f"master {where.get(master, master)} {lack}")
    return None


def _silent_failure(report: NodeReport) -> ProbeFailure:
    """A node that did not answer, in its own kind; for an address only the cluster announced, the
    usual CI cause (nodes in containers announce addresses the job cannot reach). Never final
    there: while a cluster forms, nodes announce their IPs before the hostnames they are set to
    announce (which a certificate may name, and the IP not)."""
    failure = report.failure
    message = naming(report.address, failure.message)
    if report.announced and failure.kind in ("refused", "timeout", "dns", "tls"):
        message += (" (an address the cluster announces: if this job cannot reach it, start the nodes "
                    "with cluster-announce-ip or cluster-announce-hostname set to one it can)")
    final = failure.final and not report.announced
    return ProbeFailure(failure.kind, message, final=final, address=address_text(report.address))


def check_cluster(session) -> None:
    """Every node answers, says cluster_state:ok, all slots are served and every node holds the
    same slot map; the verdict stays on the session for the report and the `rw` check."""
    options = session.requirements.topology
    target = session.target
    seeds = [(target.host, target.port), *options.seeds]
    verdict = assess(survey(session, seeds), options.replicas)
    session.topology = verdict
    if verdict.failure is not None:
        raise verdict.failure


# --------------------------------------------------------------------------- rw on every shard


def write_read_delete(session, address: tuple, key: str, token: str, hops: int = 1) -> None:
    """SET/GET/DEL `key` on the node at `address`; a MOVED reply (a failover since the survey)
    is followed once."""
    deadline = session.deadline
    connection = session.connect(*address)
    try:
        connection.call(deadline, "SET", key, token, "PX", RW_KEY_TTL_MS)
        value = connection.call(deadline, "GET", key)
        connection.call(deadline, "DEL", key)
    except ReplyError as exc:
        words = exc.text.split()
        if hops and words[0] == "MOVED" and len(words) == 3:
            host, _, port = words[2].rpartition(":")
            return write_read_delete(session, (host.strip("[]") or address[0], int(port)), key, token, hops - 1)
        raise
    if value != token.encode():
        raise ProbeFailure("error", f"{address_text(address)} returned {session.shown(value)} for a key just written")


# --------------------------------------------------------------------------- command-line options


def options_from_args(args, target):
    """--cluster: the target is the first seed and `--node` adds more; returns (the target,
    the ClusterOptions)."""
    if target.unix_path:
        raise UsageError("--cluster needs TCP seed nodes, not a unix:// socket")
    if target.db:
        raise UsageError("a cluster has only database 0: drop /db from the URL or --db")
    return target, ClusterOptions(parse_addresses(args.node, "--node"), args.replicas or 0)
