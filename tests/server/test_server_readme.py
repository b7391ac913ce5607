"""The README's "Locally" section documents every flag of start, run and stop, and the plugin's."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from redis_ci import pytest_plugin
from redis_ci.server import run_command, start_command, stop_command

README = Path(__file__).resolve().parents[2] / "README.md"


def locally_section() -> str:
    text = README.read_text()
    return text[text.index("<!-- section: locally -->"):text.index("<!-- /section: locally -->")]


@pytest.mark.parametrize("module", [start_command, run_command, stop_command], ids=lambda m: m.__name__)
def test_every_flag_is_documented(module):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    section = locally_section()
    flags = [flag for action in parser._actions for flag in action.option_strings if flag.startswith("--")]
    missing = [flag for flag in flags if not re.search(f"[` ]{flag}\\b", section) and flag != "--help"]
    assert missing == []


def test_the_plugin_flags_and_settings_are_documented():
    section = locally_section()
    for name in pytest_plugin.SETTINGS:
        assert f"`--redis-ci-{name}`" in section and name in section
    for fixture in ("redis_url", "redis_cluster_nodes", "redis_clean"):
        assert f"`{fixture}`" in section
    assert section.index("redis-ci run -- pytest") < section.index("--native")  # the first thing shown
