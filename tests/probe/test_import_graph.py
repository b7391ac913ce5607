"""probe/ imports form no cycle (read with `ast`, lazy imports inside functions included), and
Session/parse_info live at the bottom, in session.py, which imports only resp."""

from __future__ import annotations

import ast
from pathlib import Path

PROBE = Path(__file__).resolve().parents[2] / "src" / "redis_ci" / "probe"


def probe_imports() -> dict:
    """module name -> the probe modules it imports, anywhere in its text."""
    graph = {}
    for path in PROBE.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("redis_ci.probe."):
                imported.add(node.module.rsplit(".", 1)[1])
        graph[path.stem] = imported
    return graph


def find_cycle(graph: dict):
    """One cycle as a list of modules, or None (depth-first search with colours)."""
    state: dict = {}
    stack: list = []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for other in sorted(graph.get(module, ())):
            if state.get(other) == "open":
                return stack[stack.index(other):] + [other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_no_import_cycle_in_probe():
    assert find_cycle(probe_imports()) is None, find_cycle(probe_imports())


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"checks": {"cluster"}, "cluster": {"sentinel"}, "sentinel": {"checks"}}) == [
        "checks", "cluster", "sentinel", "checks"]


def test_session_is_at_the_bottom():
    assert probe_imports()["session"] <= {"resp", "failures", "redaction"}
    for module in ("cluster", "cluster_views", "sentinel"):
        assert "checks" not in probe_imports()[module], module


def test_no_probe_module_over_400_lines():
    sizes = {path.name: len(path.read_text().splitlines()) for path in PROBE.glob("*.py")}
    assert max(sizes.values()) <= 400, sizes
