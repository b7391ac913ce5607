import subprocess
import sys


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "redis_ci", *args], capture_output=True, text=True)


def test_no_command_prints_help_and_exits_2():
    result = run_cli()
    assert result.returncode == 2
    assert "COMMAND" in result.stderr


def test_unknown_flag_is_one_line_exit_2():
    result = run_cli("--no-such-flag")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "error:" in result.stderr


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("redis-ci ")


def test_short_version_flag_is_the_long_one():
    from entry_point import redis_ci

    short, long = redis_ci("-V"), redis_ci("--version")
    assert short.returncode == long.returncode == 0 and short.stdout == long.stdout
    assert short.stdout.startswith("redis-ci ") and short.stdout.strip().split()[1][0].isdigit()


def test_every_help_ends_with_examples():
    from entry_point import redis_ci
    from redis_ci.cli import SUBCOMMANDS

    for command in [[], *([name] for name in SUBCOMMANDS)]:
        result = redis_ci(*command, "--help")
        assert result.returncode == 0, command
        tail = result.stdout.rstrip("\n").split("\n\n")[-1].splitlines()
        assert tail[0] == "examples:" and 2 <= len(tail) - 1 <= 3, (command, tail)
        assert all(line.startswith("  redis-ci ") for line in tail[1:]), (command, tail)


def test_generate_version_is_documented_as_the_image_tag():
    from entry_point import redis_ci

    help_text = " ".join(redis_ci("generate", "--help").stdout.split())
    assert "--version TAG the server image's tag to pin" in help_text and "redis-ci --version" in help_text
