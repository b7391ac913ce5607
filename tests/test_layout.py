"""The shape of the code (STYLE rules that no other test holds): no import cycles under src/,
lint never imports generate, probe/ imports only the standard library, no module over ~400
lines, and the README's "How the code is laid out" tree lists exactly the real folders.

Imports are read with `ast` from every module (also those inside functions and under
TYPE_CHECKING: a lazy import hides a cycle, it does not remove it).
"""

from __future__ import annotations

import ast
import pkgutil
import re
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "redis_ci"
MAX_LINES = 400

# No cycle is allowed, and no module over MAX_LINES (issue 10 broke the last ones: probe/session.py,
# lint/lines.py, the cluster split). Kept as names so a future exception is explicit and reviewed.
ALLOWED_CYCLES: set = set()
ALLOWED_LONG: dict = {}
# Folders whose modules the action runs from its checkout without installing anything.
STDLIB_ONLY = ("probe", "server")
# sys.stdlib_module_names is Python >= 3.10; on 3.9 the top-level names in the stdlib folder.
STDLIB = getattr(sys, "stdlib_module_names", None) or (
    frozenset(sys.builtin_module_names)
    | {module.name for module in pkgutil.iter_modules([sysconfig.get_paths()["stdlib"]])}
    | {"__future__"}
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict:
    """module name -> path, for every .py file under src/redis_ci."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_names(path: Path, name: str) -> list[str]:
    """Every module name path imports, absolute (relative imports resolved), as written:
    `from a.b import c` gives `a.b.c` (the caller keeps what exists)."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names if alias.name != "*"]
    return found


def import_graph(modules: dict) -> dict:
    """module -> the set of redis_ci modules it imports (a name resolves to the longest
    existing module it starts with: `redis_ci.lint.model.Job` is `redis_ci.lint.model`)."""
    graph = {}
    for name, path in modules.items():
        edges = set()
        for imported in imported_names(path, name):
            parts = imported.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts and ".".join(parts) != name:
                edges.add(".".join(parts))
        graph[name] = edges
    return graph


def cycles(graph: dict) -> list[frozenset]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is not None:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(), "f": {"f", "d"}}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_the_graph_reads_relative_absolute_and_lazy_imports(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text(
        "from . import sibling\nfrom .. import top\nimport redis_ci.a.b\n"
        "def lazy():\n    from redis_ci.c import name\n",
        encoding="utf-8",
    )
    names = imported_names(module, "redis_ci.pkg.mod")
    assert {"redis_ci.pkg.sibling", "redis_ci.top", "redis_ci.a.b", "redis_ci.c.name"} <= set(names)


def test_no_import_cycles_under_src():
    found = cycles(import_graph(all_modules()))
    unexpected = [sorted(component) for component in found if component not in ALLOWED_CYCLES]
    assert unexpected == [], f"import cycles: {unexpected}"


def test_the_graph_sees_the_packages_real_imports():
    """Guards the checks below against a graph that reads nothing."""
    graph = import_graph(all_modules())
    assert "redis_ci.lint.model.tree" in graph["redis_ci.lint.model.builder"]
    assert "redis_ci.recipe" in graph["redis_ci.lint.rules.no_readiness_gate"]
    assert "redis_ci.lint.model" in graph["redis_ci.generate.into"]


def test_no_module_imports_a_private_name_of_another():
    """A helper two modules share has a public name; `_name` stays in its module."""
    wrong = []
    for name, path in all_modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                private = [alias.name for alias in node.names if re.match(r"_(?!_.*__$)", alias.name)]
                wrong += [f"{name} imports {private_name}" for private_name in private]
    assert wrong == []


def test_lint_never_imports_generate():
    modules = all_modules()
    wrong = sorted(
        f"{name} imports {imported}"
        for name, path in modules.items()
        if name.startswith("redis_ci.lint")
        for imported in imported_names(path, name)
        if imported == "redis_ci.generate" or imported.startswith("redis_ci.generate.")
    )
    assert wrong == []


def stdlib_only_violations(modules: dict, name: str, allowed: tuple) -> list[str]:
    """What module `name` imports beyond the standard library and the modules under `allowed`."""
    return [
        f"{name} imports {imported}"
        for imported in imported_names(modules[name], name)
        if imported.split(".")[0] not in STDLIB
        and not any(imported == prefix or imported.startswith(prefix + ".") for prefix in allowed)
    ]


# Outside its folder, probe/ may import only these: stdlib-only leaves of the same checkout
# (a test below holds them to that), so the action still runs it with no install.
PROBE_MAY_IMPORT = ("redis_ci.errors", "redis_ci.recipe")
# server/ gates what it starts with the probe, so it may import probe/ too (stdlib-only itself).
MAY_IMPORT = {"probe": PROBE_MAY_IMPORT, "server": PROBE_MAY_IMPORT + ("redis_ci.probe",)}


@pytest.mark.parametrize("folder", [f for f in STDLIB_ONLY if (PACKAGE / f).is_dir()])
def test_stdlib_only_folders_import_only_the_standard_library_and_themselves(folder):
    own = f"redis_ci.{folder}"
    modules = all_modules()
    inside = [name for name in modules if name == own or name.startswith(own + ".")]
    wrong = sorted(
        problem for name in inside for problem in stdlib_only_violations(modules, name, (own,) + MAY_IMPORT[folder])
    )
    assert inside and wrong == []


def test_what_probe_may_import_besides_itself_is_stdlib_only():
    """The package's __init__ (run by every `import redis_ci.probe...`) and PROBE_MAY_IMPORT."""
    modules = all_modules()
    names = ("redis_ci",) + PROBE_MAY_IMPORT
    wrong = [problem for name in names for problem in stdlib_only_violations(modules, name, ())]
    assert wrong == []


def test_no_module_over_the_line_limit():
    sizes = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    too_long = {
        name: size for name, size in sizes.items() if size > ALLOWED_LONG.get(name, MAX_LINES)
    }
    assert sizes and too_long == {}, f"over {MAX_LINES} lines (or over their allowed size): {too_long}"


def readme_layout_folders() -> list:
    """(folder path relative to src/redis_ci, its description) of each line of the README
    section's tree; the tree's root line is src/redis_ci/ itself."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## How the code is laid out\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, "README.md has no '## How the code is laid out' section"
    block = re.search(r"^```[a-z]*\n(.*?)^```", section.group(1), re.S | re.M)
    assert block, "the section has no code block with the folder tree"
    entries, parents = [], []
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        folder, _, description = line.strip().partition(" ")
        assert folder.endswith("/"), f"not a folder line: {line!r}"
        parents = parents[:depth] + [folder.rstrip("/")]
        entries.append(("/".join(parents[1:]), description.strip()))
    return entries


def test_readme_layout_lists_exactly_the_real_folders():
    entries = readme_layout_folders()
    assert entries[0][0] == "", "the tree starts at src/redis_ci/"
    assert all(description for _folder, description in entries), "each folder has its one line"
    listed = sorted(folder for folder, _description in entries[1:])
    real = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_dir() and path.name != "__pycache__" and any(path.glob("*.py"))
    )
    assert listed == real
