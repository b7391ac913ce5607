"""Files nested deeper than MAX_DEPTH (flow, block indentation, compact `- - -`, aliases) are
RC001 at the line where the limit is passed, found before PyYAML's C composer, which
recursed once per level and crashed (exit 139) at ~24,000 levels. Through the real CLI."""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from redis_ci.lint.lines import split_lines
from redis_ci.lint.nesting import MAX_DEPTH, first_too_deep, might_be_too_deep

DEEP = 25_000
# Appended to every file: lint's prefilter passes over a file that never mentions Redis.
MENTION = "# redis\n"


def alias_chain(links: int) -> str:
    """Each anchor is a list holding the one before: small text, deep graph."""
    lines = ["on: push", "a0: &a0 [1]"]
    lines += [f"a{n}: &a{n} [*a{n - 1}]" for n in range(1, links)]
    return "\n".join(lines) + f"\njobs: {{t: {{runs-on: x, steps: *a{links - 1}}}}}\n"


# name -> (file text, (line, column) of the first collection past the limit)
TOO_DEEP = {
    "flow_sequences": ("[" * DEEP + "\n", (1, MAX_DEPTH + 1)),
    "flow_mappings": ("{a: " * DEEP + "\n", (1, 4 * MAX_DEPTH + 1)),
    "after_a_key": ("on: push\njobs: " + "[" * DEEP + "]" * DEEP + "\n", (2, 6 + MAX_DEPTH)),
    "block_indentation": ("".join(" " * n + "a:\n" for n in range(200)), (MAX_DEPTH + 1, MAX_DEPTH + 1)),
    "block_compact": ("- " * DEEP + "x\n", (1, 2 * MAX_DEPTH + 1)),
    # a{n} is n + 1 deep; inside the root mapping's list, a{MAX_DEPTH - 2} passes the limit
    "aliases": (alias_chain(200), (MAX_DEPTH + 1, len(f"a{MAX_DEPTH - 1}: &a{MAX_DEPTH - 1} [") + 1)),
}


def lint(path, *args) -> tuple[int, list, str, float]:
    """(exit code, JSON findings, stderr, CPU seconds) of a real `redis-ci lint` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, "-m", "redis_ci", "lint", "--format", "json", *args, str(path)],
                            capture_output=True, text=True, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    findings = json.loads(result.stdout)["findings"] if result.stdout else []
    return result.returncode, findings, result.stderr, cpu


@pytest.mark.parametrize("name", sorted(TOO_DEEP))
def test_too_deep_is_rc001_at_the_line_where_the_limit_is_passed(tmp_path, name):
    text, (line, column) = TOO_DEEP[name]
    path = tmp_path / "deep.yml"
    path.write_text(text + MENTION)
    status, findings, err, cpu = lint(path)
    assert (status, err) == (1, "")
    assert [(f["code"], f["line"], f["column"]) for f in findings] == [("RC001", line, column)]
    assert f"nesting deeper than {MAX_DEPTH} levels" in findings[0]["message"]
    assert cpu < 10, f"{cpu:.1f} s of CPU"


def test_fix_leaves_a_too_deep_file_alone(tmp_path):
    path = tmp_path / "deep.yml"
    path.write_text("[" * DEEP + "\n" + MENTION)
    status, findings, err, _cpu = lint(path, "--fix")
    assert (status, err) == (1, "fixed 0 findings in 0 files\n")
    assert [f["code"] for f in findings] == ["RC001"]
    assert path.read_text() == "[" * DEEP + "\n" + MENTION


@pytest.mark.parametrize("depth, too_deep", [(MAX_DEPTH, False), (MAX_DEPTH + 1, True)])
def test_the_limit_itself_is_allowed(tmp_path, depth, too_deep):
    path = tmp_path / "edge.yml"
    path.write_text("[" * depth + "]" * depth + "\n" + MENTION)
    _status, findings, _err, _cpu = lint(path)
    assert [f["code"] for f in findings] == (["RC001"] if too_deep else [])


def test_a_recursive_alias_is_a_cycle_not_depth():
    text = "jobs: &j\n  t: *j\n  u: &s [[*s]]\n"
    assert first_too_deep(text) is None


def _tree(rng: random.Random, depth: int):
    if depth == 0:
        return rng.choice(["x", "${{ matrix.v }}", 7])
    siblings = {f"e{n}": rng.choice(["y", 1]) for n in range(rng.randint(0, 2))}
    child = _tree(rng, depth - 1)
    return [child, *siblings.values()] if rng.random() < 0.5 else {"k": child, **siblings}


def test_the_cheap_bound_never_lets_a_too_deep_file_through():
    """Random trees around the limit, dumped block, flow and mixed, LF and CRLF: whenever
    libyaml counts more than MAX_DEPTH levels, the bound asked for the exact count."""
    rng = random.Random(64)
    checked = 0
    for _ in range(300):
        tree = _tree(rng, rng.randint(MAX_DEPTH - 10, MAX_DEPTH + 10))
        text = yaml.safe_dump(tree, default_flow_style=rng.choice([False, None, True]),
                              indent=rng.randint(2, 5), width=rng.choice([60, 10**6]))
        if rng.random() < 0.3:
            text = text.replace("\n", "\r\n")
        depth = deepest = 0
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
        if deepest > MAX_DEPTH:
            checked += 1
            assert might_be_too_deep(text, split_lines(text)), text[:300]
            assert first_too_deep(text) is not None
        else:
            assert first_too_deep(text) is None
    assert checked > 50


def test_readme_states_the_limit():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"A file nested deeper than {MAX_DEPTH} levels" in readme
