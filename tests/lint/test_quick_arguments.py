"""`redis-ci lint`'s usual command lines are read without argparse (command.quick_arguments,
for start-up): whatever it reads, argparse must read the same way; what it leaves, argparse
parses (or rejects)."""

from __future__ import annotations

import contextlib
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from redis_ci.cli import build_parser
from redis_ci.lint import command


def _argparse(words: list[str]):
    """argparse's namespace for `redis-ci lint WORDS` as a dict, or None when it rejects them."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return vars(build_parser("lint").parse_args(["lint", *words]))
        except SystemExit:
            return None


def _quick(words: list[str]):
    args = command.quick_arguments(list(words))
    return None if args is None else vars(args)


USUAL = [
    [],
    ["--no-cache", ".github/workflows/ci.yml"],
    [".github/workflows/ci.yml", "--no-cache"],
    ["--cache-dir", "/tmp/c", "a.yml", "b.yml"],
    ["--format", "json", "--select", "RC1,RC2", "--select", "merge-key", "--extend-ignore", "RC000", "wf/"],
    ["--format=sarif", "-o", "out.sarif", "--fail-on=error", "--exit-zero", "-q", "--statistics"],
    ["-", "--stdin-filename", ".github/workflows/ci.yml", "--config", "pyproject.toml", "--color", "never"],
    ["--fix", "--diff", "--ignore", "", "--extend-select", "RC000,", "x.yml"],
    ["--select=", "a.yml"],
]


def test_the_usual_command_lines_skip_argparse_and_read_the_same():
    for words in USUAL:
        quick = _quick(words)
        assert quick is not None, words
        assert quick == _argparse(words), words


def test_what_argparse_alone_reads_or_rejects_is_left_to_it():
    for words in (["--help"], ["-h"], ["--no-c", "a.yml"], ["-oout.txt"], ["-o=out.txt"], ["--", "-a.yml"],
                  ["--format", "yaml"], ["a.yml", "--fix", "b.yml"], ["--config"], ["--config", "--fix"],
                  ["--fix=yes"], ["-V"], ["-1"], ["--format", "-"]):
        assert _quick(words) is None, words


def test_every_lint_option_is_known_to_the_quick_reader():
    parser = build_parser("lint")
    lint = next(action for action in parser._actions if action.dest == "command").choices["lint"]
    options = {option: action for action in lint._actions for option in action.option_strings}
    known = set(command._FLAGS) | set(command._VALUES) | set(command._CODE_LISTS)
    assert set(options) - {"-h", "--help"} == known
    for option, dest in command._FLAGS.items():
        assert (options[option].dest, options[option].nargs, options[option].const) == (dest, 0, True)
    for option, (dest, choices) in command._VALUES.items():
        assert (options[option].dest, options[option].choices, options[option].nargs) == (dest, choices, None)
    for option, dest in command._CODE_LISTS.items():
        assert (options[option].dest, options[option].type) == (dest, command._codes)


WORDS = st.sampled_from([
    "--no-cache", "--fix", "--diff", "-q", "--quiet", "--exit-zero", "--statistics", "--no-c", "-h",
    "--format", "--format=json", "--format=", "-o", "-o=x", "--output-file", "--fail-on", "--fail-on=info",
    "--config", "--color", "--color=always", "--stdin-filename", "--cache-dir", "--select", "--select=RC1",
    "--extend-select", "--ignore", "--ignore=", "--extend-ignore", "--", "-", "-x", "-1",
    "json", "text", "warning", "never", "RC1,RC2", "", "a.yml", "dir/", "b c.yml", "x=y",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS, max_size=7))
def test_any_command_line_reads_as_argparse_reads_it(words):
    quick = _quick(words)
    if quick is not None:
        assert quick == _argparse(words)
