"""The `redis-ci` command: one parser, one module per subcommand.

Subcommand modules are imported only when chosen, so `redis-ci wait` stays
stdlib-only (the action runs it with the runner's bare python3) and starts fast.
Each module defines `add_arguments(parser)` and `run(args) -> int`, and imports
anything heavy (PyYAML) inside `run`. A module may also define `quick_arguments(words)`:
the namespace for the usual command lines without argparse (its import and parser cost
start-up ~8 ms), None for the others.
"""

from __future__ import annotations

import os
import sys

from redis_ci import __version__
from redis_ci.errors import FatalError, UsageError

TYPE_CHECKING = False  # typing's, without importing typing
if TYPE_CHECKING:
    import argparse

# name -> (module, one-line help)
SUBCOMMANDS = {
    "wait": ("redis_ci.probe.command", "wait until Redis really serves (PING, pub/sub, read/write)"),
    "lint": ("redis_ci.lint.command", "find Redis wiring mistakes in GitHub Actions workflows"),
    "rules": ("redis_ci.lint.rules_command", "list the lint rules"),
    "explain": ("redis_ci.lint.explain_command", "print a lint rule's documentation"),
    "generate": ("redis_ci.generate.command", "write a Redis setup for GitHub Actions"),
    "completion": ("redis_ci.completion", "print a shell completion script (bash, zsh or fish)"),
    "start": ("redis_ci.server.start_command", "start a throwaway Redis here and return once it serves"),
    "stop": ("redis_ci.server.stop_command", "stop what `redis-ci start` started"),
    "run": ("redis_ci.server.run_command", "start Redis, run a command against it, stop it"),
}

# `--help` ends with these, for commands whose module has no EXAMPLES of its own.
EXAMPLES = {
    None: """\
examples:
  redis-ci wait --url redis://127.0.0.1:6379/0 --timeout 30
  redis-ci lint --fix
  redis-ci generate workflow --language python -o .github/workflows/tests.yml
""",
    "wait": """\
examples:
  redis-ci wait                                   # $REDIS_URL, else redis://localhost:6379/0; 60 s
  redis-ci wait --url redis://127.0.0.1:6379/0 --checks ping,pubsub,rw --timeout 30
  redis-ci wait --cluster --url redis://127.0.0.1:7000 --replicas 1 --format json
""",
    "rules": """\
examples:
  redis-ci rules
  redis-ci rules --format json
""",
    "explain": """\
examples:
  redis-ci explain RC201
  redis-ci explain unmapped-service-port
""",
    "generate": """\
examples:
  redis-ci generate job                                        # a job with a pinned redis service and the wait step
  redis-ci generate workflow --language python --version 7.4   # --version is the image tag, not redis-ci's
  redis-ci generate --into .github/workflows/ci.yml --job test
""",
    "completion": """\
examples:
  redis-ci completion bash > ~/.local/share/bash-completion/completions/redis-ci
  redis-ci completion zsh > "${fpath[1]}/_redis-ci"
  redis-ci completion fish > ~/.config/fish/completions/redis-ci.fish
""",
}


def _terminal_columns() -> int:
    """What `shutil.get_terminal_size().columns` answers, without importing shutil (and bz2,
    lzma, fnmatch: ~4 ms), which argparse's formatter does for every argument added."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


_PARSER_CLASSES: tuple = ()


def _parser_classes() -> tuple:
    """(OneLineParser, HelpFormatter), made on first use: argparse is imported only when a
    command line needs it (not for the usual `redis-ci lint` ones: `quick_arguments`)."""
    global _PARSER_CLASSES
    if _PARSER_CLASSES:
        return _PARSER_CLASSES
    import argparse

    class OneLineParser(argparse.ArgumentParser):
        """argparse, but a usage error is one line on stderr and exit 2."""

        def error(self, message: str):  # noqa: D401 - argparse hook
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    class HelpFormatter(argparse.RawDescriptionHelpFormatter):
        """argparse's formatter (descriptions and epilogs as written), the width as argparse
        finds it (the terminal's columns less 2), found without shutil."""

        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                     width: int | None = None):
            super().__init__(prog, indent_increment, max_help_position,
                             _terminal_columns() - 2 if width is None else width)

    _PARSER_CLASSES = (OneLineParser, HelpFormatter)
    return _PARSER_CLASSES


def _module(name: str):
    """The module of subcommand name (imported now if need be)."""
    module_name = SUBCOMMANDS[name][0]
    if module_name not in sys.modules:
        __import__(module_name)  # importlib.import_module, without importing importlib
    return sys.modules[module_name]


def build_parser(chosen: str | None, every: bool = False) -> argparse.ArgumentParser:
    """The parser, with the arguments of the chosen subcommand only (or of every one: the
    completion scripts are written from the whole tree). A chosen command's parser is the
    only subparser made: the others would only cost start-up (each one is an
    ArgumentParser with its own translated help strings)."""
    OneLineParser, HelpFormatter = _parser_classes()
    parser = OneLineParser(prog="redis-ci", description="Redis in CI, boringly reliable and fast.",
                           epilog=EXAMPLES[None], formatter_class=HelpFormatter)
    parser.add_argument("-V", "--version", action="version", version=f"redis-ci {__version__}",
                        help="print redis-ci's version and exit (`generate --version` is the image tag)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if chosen is not None and name != chosen and not every:
            continue
        sub = subparsers.add_parser(name, help=help_text, description=help_text, formatter_class=HelpFormatter)
        if name == chosen or every:
            module = _module(name)
            module.add_arguments(sub)
            sub.epilog = getattr(module, "EXAMPLES", None) or EXAMPLES.get(name)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. With `argv` (tests, embedding) return its exit code; without (the
    `redis-ci` console script, `python -m redis_ci`) end the process as `exit_now` does."""
    if argv is not None:
        return run_command(list(argv))
    exit_now(run_command(sys.argv[1:]))


def exit_now(code: int):
    """Flush stdout and stderr, then `os._exit(code)`: skip the interpreter's teardown (module
    and thread cleanup), which was most of `wait`'s exit lag (~9 ms). Every file a command
    writes is closed and renamed before it returns."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)


def run_command(argv: list) -> int:
    chosen = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    quick = getattr(_module(chosen), "quick_arguments", None) if chosen is not None else None
    args = quick(argv[1:]) if quick is not None else None
    if args is None:
        parser = build_parser(chosen)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
    module = _module(args.command)
    try:
        return module.run(args)
    except (UsageError, FatalError) as exc:
        from redis_ci.probe.lines import unbroken  # a path or a value with a line break stays on one line

        print(unbroken(f"redis-ci {args.command}: error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `redis-ci lint | head`: the reader left; not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # never a traceback for users; REDIS_CI_DEBUG=1 shows it
        if os.environ.get("REDIS_CI_DEBUG"):
            raise
        from redis_ci.probe.lines import unbroken

        print(unbroken(f"redis-ci {args.command}: internal error: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return 3


if __name__ == "__main__":
    main()
