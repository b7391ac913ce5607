"""Robustness: random and mutated workflows, hostile YAML and odd files never raise, and every
format of the result stays well formed. Also: the process pool gives the serial results.

Files are linted with the whole catalogue, in process (no subprocess per example).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redis_ci.lint.engine import check_workflow_bytes, lint_paths
from redis_ci.lint.render import render
from redis_ci.lint.rules import ALL_RULES
from test_formats import sarif_problems

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEXTS = [case.read_bytes() for case in sorted(FIXTURES.glob("*/*.yml"))]
JSON_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "name", "severity", "message", "fixable"}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(data: bytes) -> None:
    """Lint data; every format renders, JSON and SARIF parse and hold sane positions."""
    result = check_workflow_bytes(data, "fuzz.yml", ALL_RULES)
    document = json.loads(render("json", [result], ALL_RULES))
    assert document["version"] == 1 and document["files"] == 1
    for finding in document["findings"]:
        assert set(finding) == JSON_KEYS
        assert 1 <= finding["line"] <= finding["end_line"] and finding["column"] >= 1
        assert finding["code"] in {rule.code for rule in ALL_RULES}
        assert finding["message"] and "\n" not in finding["message"]
    assert sarif_problems(json.loads(render("sarif", [result], ALL_RULES))) == []
    render("text", [result], ALL_RULES)
    assert render("github", [result], ALL_RULES).count("\n") == len(document["findings"])


# ---- generated input ----------------------------------------------------------------------

WORDS = ["on", "jobs", "test", "runs-on", "ubuntu-latest", "macos-latest", "services", "redis", "valkey",
         "image", "redis:7", "valkey/valkey:8", "${{ matrix.image }}", "ports", "6379:6379", "6379",
         "options", "--health-cmd 'redis-cli ping' --health-interval 1s", "--entrypoint sh", "env",
         "REDIS_URL", "redis://localhost:6379", "redis://redis:6379/0", "REDIS_HOST", "localhost", "REDIS_PORT",
         "${{ job.services.redis.ports['6379'] }}", "steps", "run", "redis-cli -h redis ping", "sleep 5",
         "until redis-cli ping; do sleep 1; done", "uses", "actions/checkout@v5", "container", "node:22",
         "strategy", "matrix", "include", "command", "with", "name", "<<", "&a", "*a", ""]
scalars = st.one_of(st.sampled_from(WORDS), st.text(max_size=20), st.integers(), st.booleans(), st.none())
trees = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(WORDS), children, max_size=5)),
    max_leaves=40,
)


@st.composite
def mutated_fixture(draw) -> bytes:
    lines = draw(st.sampled_from(FIXTURE_TEXTS)).split(b"\n")
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "truncate", "insert", "swap"]))
        if operation == "delete":
            del lines[at]
        elif operation == "duplicate":
            lines.insert(at, lines[at])
        elif operation == "indent":
            lines[at] = b"  " + lines[at]
        elif operation == "dedent":
            lines[at] = lines[at][2:]
        elif operation == "truncate":
            lines[at] = lines[at][: draw(st.integers(0, max(len(lines[at]) - 1, 0)))]
        elif operation == "insert":
            lines.insert(at, draw(st.sampled_from(WORDS)).encode() + draw(st.sampled_from([b":", b": ", b" - ", b""])))
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
    return b"\n".join(lines)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data):
    assert_well_formed(data)


@FUZZ
@given(st.text(max_size=2000))
def test_random_text(text):
    assert_well_formed(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(trees)
def test_random_workflow_shaped_trees(tree):
    assert_well_formed(yaml.safe_dump({"on": "push", "jobs": tree}, allow_unicode=True).encode())
    assert_well_formed(yaml.safe_dump(tree, allow_unicode=True).encode())


@FUZZ
@given(mutated_fixture())
def test_mutated_fixtures(data):
    assert_well_formed(data)


# ---- hostile and odd files -----------------------------------------------------------------


def billion_laughs(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    top = f"*a{levels}"
    lines += ["on: push", "env: " + top, "jobs:", "  test:", f"    runs-on: {top}",
              f"    strategy: {{matrix: {{image: {top}, os: {top}}}}}", "    services:",
              "      redis:", "        image: ${{ matrix.image }}", f"        ports: {top}", f"        env: {top}",
              f"    steps: {top}"]
    return "\n".join(lines).encode()


def big_workflow(target_bytes: int = 600_000) -> bytes:
    job = """\
  test-{n}:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:7-alpine
        ports: ["6379:6379"]
        options: --health-cmd "redis-cli ping | grep -q PONG" --health-interval 1s --health-retries 30
    env:
      REDIS_URL: redis://localhost:6379/0
    steps:
      - uses: actions/checkout@v5
      - run: |
          python -m pip install -e '.[test]'
          for i in $(seq 1 30); do redis-cli ping | grep -q PONG && break; sleep 1; done
          python -m pytest -q tests/unit tests/integration --maxfail=1 --durations=10
"""
    parts, size, n = ["on: push\njobs:\n"], 0, 0
    while size < target_bytes:
        parts.append(job.format(n=n))
        size += len(parts[-1])
        n += 1
    return "".join(parts).encode()


def cpu_seconds(function, *args):
    """(result, CPU time of this process): unlike wall time, not inflated by other test
    processes sharing the machine."""
    started = time.process_time()
    result = function(*args)
    return result, time.process_time() - started


def test_billion_laughs_is_bounded():
    data = billion_laughs()
    result, elapsed = cpu_seconds(check_workflow_bytes, data, "laughs.yml", ALL_RULES)
    assert elapsed < 1.0, f"billion laughs took {elapsed:.2f} s"
    assert_well_formed(data)
    assert [f.code for f in result.findings] == ["RC001"]  # over the node budget: not checked
    assert result.findings[0].message.startswith("aliases expand this file")


def test_a_file_too_big_without_aliases_is_told_its_size_not_aliases():
    jobs = "".join(f"  j{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo {i} & wait\n"
                   for i in range(30_000))
    result = check_workflow_bytes(("on: push\njobs:\n" + jobs).encode(), "big.yml", ALL_RULES)
    messages = {f.code: f.message for f in result.findings}
    assert set(messages) == {"RC001", "RC003"}
    assert "aliases" not in messages["RC001"] and "more than 200,000 YAML nodes" in messages["RC001"]


def test_600_kb_workflow_in_under_a_second():
    data = big_workflow()
    assert len(data) >= 600_000
    result, elapsed = cpu_seconds(check_workflow_bytes, data, "big.yml", ALL_RULES)
    assert elapsed < 1.0, f"600 kB took {elapsed:.2f} s"
    assert [f.code for f in result.findings if f.code == "RC003"] == ["RC003"]


ODD_INPUTS = {
    "empty": b"",
    "only_comments": b"# nothing here\n# at all\n",
    "bom_crlf": b"\xef\xbb\xbfon: push\r\njobs:\r\n  t:\r\n    runs-on: ubuntu-latest\r\n    services:\r\n"
                b"      redis:\r\n        image: redis\r\n    steps: [{run: x}]\r\n",
    "tabs": b"on: push\njobs:\n\tt:\n\t\truns-on: x\n",
    "nul_byte": b"on: push\x00\njobs: {}\n",
    "not_utf8": b"on: push\njobs:\n  t: \xff\xfe\n",
    "deep_flow": b"jobs: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "deep_block": "".join("  " * i + f"k{i}:\n" for i in range(500)).encode(),
    "recursive_anchor": b"jobs: &a\n  t: *a\n  u: &b [*b]\n",
    "long_line": b"on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: " + b"x" * 200_000 + b"\n",
    "scalars_everywhere": b"on: 1\njobs:\n  a: 1\n  b: [1]\n  c: {services: 1, steps: 1, runs-on: {}, container: []}\n"
                          b"  d: {services: {redis: 1, valkey: [], r: {image: 7, ports: 6379, options: {}}}}\n",
    "duplicate_keys": b"jobs:\n  t:\n    runs-on: a\n  t:\n    runs-on: b\n    services: {redis: {image: redis}}\n",
    "unicode": "jobs:\n  тест:\n    runs-on: ubuntu-latest\n    services:\n      redis😀: {image: redis}\n".encode(),
    "document_stream": b"on: push\n---\njobs: {}\n",
    "tags": b"!!map\njobs: !!str x\n",
    "null_everything": b"on:\njobs:\n  t:\n    services:\n      redis:\n    steps:\n      -\n",
}


@pytest.mark.parametrize("name", sorted(ODD_INPUTS))
def test_odd_inputs(name):
    assert_well_formed(ODD_INPUTS[name])


def test_process_pool_keeps_order_and_results(tmp_path):
    fixtures = sorted(FIXTURES.glob("*/*.yml"))
    for number in range(90):  # above the pool threshold
        source = fixtures[number % len(fixtures)]
        (tmp_path / f"w{number:03}.yml").write_bytes(source.read_bytes())
    serial = lint_paths([str(tmp_path)], ALL_RULES, workers=1)
    pooled = lint_paths([str(tmp_path)], ALL_RULES, workers=2)
    assert [r.path for r in pooled] == [r.path for r in serial] == sorted(r.path for r in serial)
    assert [(r.findings, r.lines) for r in pooled] == [(r.findings, r.lines) for r in serial]
    assert any(r.findings for r in pooled)
