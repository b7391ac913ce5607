"""The README's `wait` section documents every failure kind with its hint, and every flag."""

from __future__ import annotations

import argparse
from pathlib import Path

from redis_ci.probe import command
from redis_ci.probe.failures import KINDS

README = Path(__file__).resolve().parents[2] / "README.md"


def wait_section() -> str:
    text = README.read_text()
    return text[text.index("<!-- section: wait -->"):text.index("<!-- /section: wait -->")]


def test_every_kind_has_its_row_with_finality_and_hint():
    section = wait_section()
    for kind in KINDS.values():
        verdict = "stops at once" if kind.final else "retried"
        row = next((line for line in section.splitlines() if line.startswith(f"| `{kind.name}` |")), None)
        assert row is not None, f"README wait section lacks kind {kind.name}"
        assert row.startswith(f"| `{kind.name}` | {verdict} | ")
        assert kind.hint.format(address="HOST:PORT").replace("|", "\\|") in row
        if kind.actions_hint:
            assert kind.actions_hint.format(address="HOST:PORT") in row


def test_every_flag_is_documented():
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    section = wait_section()
    flags = [option for action in parser._actions for option in action.option_strings if option.startswith("--")]
    topology = {action.dest for group in parser._action_groups if group.title == "cluster and sentinel"
                for action in group._group_actions}
    undocumented = [
        flag for flag in flags
        if f"`{flag}" not in section and flag != "--help"
        and flag.lstrip("-").replace("-", "_") not in topology  # the topologies section documents those
    ]
    assert undocumented == []
