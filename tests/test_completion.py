"""`redis-ci completion bash|zsh|fish`: each script loads in its shell and completes subcommands,
options, option values and rule codes from the real parser. The shells are installed by
scripts/setup-tests.sh (apt: zsh, fish); a missing shell fails the test, it does not skip."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from entry_point import redis_ci
from redis_ci.cli import SUBCOMMANDS


def shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (scripts/setup-tests.sh installs it)")
    return path


def script(tmp_path, name: str):
    result = redis_ci("completion", name)
    assert result.returncode == 0 and result.stderr == ""
    path = tmp_path / f"redis-ci.{name}"
    path.write_text(result.stdout)
    return path


def run(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


BASH_CASES = [
    (["redis-ci", ""], set(SUBCOMMANDS) | {"-h", "--help", "-V", "--version"}),
    (["redis-ci", "lint", "--fo"], {"--format"}),
    (["redis-ci", "lint", "--format", ""], {"auto", "text", "json", "sarif", "github"}),
    (["redis-ci", "lint", "--ext"], {"--extend-select", "--extend-ignore"}),
    (["redis-ci", "explain", "RC20"], {"RC201", "RC202", "RC203", "RC204", "RC205", "RC206", "RC207"}),
    (["redis-ci", "completion", ""], {"bash", "zsh", "fish"}),
    (["redis-ci", "generate", "--gate", ""], {"wait", "health", "both"}),
]


@pytest.mark.parametrize("words, expected", BASH_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_bash(tmp_path, words, expected):
    path = script(tmp_path, "bash")
    array = " ".join(f"'{word}'" for word in words)
    out = run([shell("bash"), "--norc", "-c",
               f"source {path}; COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}; _redis_ci; "
               'printf "%s\\n" "${COMPREPLY[@]}"; complete -p redis-ci'])
    lines = out.splitlines()
    assert set(lines[:-1]) == expected
    assert lines[-1] == "complete -o filenames -F _redis_ci redis-ci"


def test_zsh_registers_and_completes(tmp_path):
    path = script(tmp_path, "zsh")
    zsh = shell("zsh")
    run([zsh, "-n", str(path)])
    registered = run([zsh, "-f", "-c", f"autoload -U compinit; compinit -u -D; source {path}; print -r -- $_comps[redis-ci]"])
    assert registered.strip() == "_redis_ci"
    # the completion widgets' helpers print what they were given: the specs the function hands over
    specs = run([zsh, "-f", "-c", f"compdef() {{ : }}; source {path}; "
                 "_arguments() { print -rl -- \"$@\"; return 1 }; _describe() { print -rl -- $commands }; "
                 "words=(redis-ci lint --fo); CURRENT=3; _redis_ci; true"]).splitlines()
    assert "--format[output format]:format:(auto text json sarif github)" in specs
    assert any(spec.startswith("*--extend-select[") for spec in specs)  # repeatable
    assert "*:path:_files" in specs
    commands = run([zsh, "-f", "-c", f"compdef() {{ : }}; source {path}; _arguments() {{ return 1 }}; "
                    "_describe() { print -rl -- $commands }; words=(redis-ci ''); CURRENT=2; _redis_ci; true"]).splitlines()
    assert [line.split(":")[0] for line in commands] == list(SUBCOMMANDS)


@pytest.mark.parametrize("line, expected", [
    ("redis-ci comp", {"completion"}),
    ("redis-ci lint --fo", {"--format"}),
    ("redis-ci lint --format ", {"auto", "text", "json", "sarif", "github"}),
    ("redis-ci explain RC40", {"RC401", "RC402", "RC403", "RC404", "RC405"}),
    ("redis-ci lint --color ", {"auto", "always", "never"}),
])
def test_fish(tmp_path, line, expected):
    path = script(tmp_path, "fish")
    fish = shell("fish")
    run([fish, "-n", str(path)])
    out = run([fish, "--no-config", "-c", f"source {path}; complete -C '{line}'"])
    assert {entry.split("\t")[0] for entry in out.splitlines()} == expected


def test_unknown_shell_is_a_usage_error():
    result = redis_ci("completion", "tcsh")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
