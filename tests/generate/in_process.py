"""Run `redis-ci` in this process, as the generate tests do (capsys captures its output)."""

from __future__ import annotations

from redis_ci import cli


def run_generate(argv, capsys):
    """(exit code, stdout, stderr) of `redis-ci ARGV`, in-process (the parser exits for bad flags)."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err
