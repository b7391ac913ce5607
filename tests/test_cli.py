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
