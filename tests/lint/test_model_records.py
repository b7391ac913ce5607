"""The model's slotted classes (`records.Record`) compare, hash and print as the dataclasses
they replaced did (findings and fixes compare them; reprs end up in bench digests), the
builder reads the first of a repeated key, `Value.locate` in each scalar style, and the
model's modules load neither `dataclasses` nor `typing` (start-up)."""

from __future__ import annotations

import ast
import pathlib
import textwrap

import pytest

from redis_ci.lint.model import EnvVar, ServicePort, Step, Value, build_workflow, parse_image
from redis_ci.lint.yaml_nodes import Span, parse_document

MODEL = pathlib.Path(__file__).parents[2] / "src" / "redis_ci" / "lint" / "model"


def model(text: str):
    return build_workflow(parse_document(textwrap.dedent(text).encode()), "w.yml")


def _step(**changes) -> Step:
    fields = dict(index=0, span=Span(3, 5, 3, 20), id=None, name=None, uses=None, run=None,
                  shell=None, with_={}, env=[])
    fields.update(changes)
    return Step(**fields)


def test_equality_reads_the_fields_and_skips_the_caches():
    first, second = _step(), _step()
    first.cache["redis_start"] = object()
    first.compose = ["redis"]
    assert first == second
    assert first != _step(index=1)
    assert first != "a step"


def test_mutable_records_are_unhashable_and_immutable_ones_hash_by_value():
    with pytest.raises(TypeError):
        hash(_step())
    value = Value("6379:6379", Span(4, 9, 4, 18))
    assert hash(ServicePort(6379, 6379, None, "tcp", value)) == hash(ServicePort(6379, 6379, None, "tcp", value))
    assert {EnvVar("A", value, "job", Span(1, 1, 1, 2)), EnvVar("A", value, "job", Span(1, 1, 1, 2))} == {
        EnvVar("A", value, "job", Span(1, 1, 1, 2))}


def test_repr_is_the_dataclass_one_without_the_caches():
    value = Value("redis:7", Span(2, 3, 2, 10))
    assert repr(parse_image(value)) == (
        f"Image(value={value!r}, registry=None, repository='redis', tag='7', digest=None)")
    text = repr(_step(id="wait"))
    assert text.startswith("Step(index=0, span=Span(line=3, column=5,") and "id='wait'" in text
    assert "cache" not in text and "compose" not in text and "uses_action" not in text
    assert text.endswith("timeout_minutes=None, working_directory=None)")


def test_uses_action_drops_the_ref_and_case():
    assert _step(uses=Value(" Actions/Checkout@v4 ", Span(1, 1, 1, 2))).uses_action == "actions/checkout"
    assert _step().uses_action is None


def test_the_first_of_a_repeated_key_is_read():
    workflow = model("""
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - run: redis-cli ping
                run: echo second
            steps:
              - run: never read
        """)
    (job,) = workflow.jobs
    assert [step.run.text for step in job.steps] == ["redis-cli ping"]
    assert job.steps[0].run.span.path == ("jobs", "t", "steps", 0, "run")


@pytest.mark.parametrize("run, expected", [
    ("redis-cli -p 6380 ping", (5, 27, 5, 31)),            # plain
    ("'redis-cli -p 6380 ping'", (5, 28, 5, 32)),          # quoted: past the quote
    (">\n          redis-cli -p 6380 ping", None),          # folded: the whole value
])
def test_locate_in_each_style(run, expected):
    text = f"jobs:\n  t:\n    runs-on: x\n    steps:\n      - run: {run}\n"
    workflow = build_workflow(parse_document(text.encode()), "w.yml")
    value = workflow.jobs[0].steps[0].run
    located = value.locate(13, 17)
    if expected is None:
        assert located is value.span
    else:
        assert (located.line, located.column, located.end_line, located.end_column) == expected
        assert workflow.text_at(located) == "6380"


def test_locate_in_a_literal_block_counts_rows():
    workflow = model("""
        jobs:
          t:
            runs-on: x
            steps:
              - run: |
                  echo one
                  redis-cli -p 6380 ping
        """)
    run = workflow.jobs[0].steps[0].run
    start = run.text.index("6380")
    located = run.locate(start, start + 4)
    assert workflow.text_at(located) == "6380" and located.line == 8


@pytest.mark.parametrize("module", ["builder", "tree", "value", "endpoints", "spans", "expressions",
                                    "secrets", "images", "ports", "records"])
def test_model_modules_import_neither_dataclasses_nor_typing(module):
    tree = ast.parse((MODEL / f"{module}.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"dataclasses", "typing"}, module
