"""`redis-ci completion bash|zsh|fish`: a completion script written from the argparse tree.

Every subcommand, its options (with their choices, and files where an option takes a file) and
its positional arguments (choices, rule codes for `explain`, files otherwise) come from the same
parser the command runs, so the scripts cannot drift from the flags. Hand-written rather than
shtab: no dependency, and the parser loads subcommand arguments lazily (cli.build_parser).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass

SHELLS = ("bash", "zsh", "fish")
PROG = "redis-ci"
# metavars and destinations of options whose value is a path
_FILE_WORDS = re.compile(r"FILE|PATH|DIR|CERT|KEY|CONFIG|OUTPUT|INTO", re.I)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")


@dataclass
class Option:
    flags: list
    help: str
    takes_value: bool
    choices: list
    files: bool
    repeatable: bool


@dataclass
class Command:
    name: str
    help: str
    options: list
    words: list   # the positional's choices (or rule codes); empty: files or nothing
    positional_files: bool


def _help(text: str | None) -> str:
    text = (text or "").split(" (")[0].split("; ")[0]
    return re.sub(r"[\[\]\\:'`$\"]", "", text).strip()[:80]


def _options(parser: argparse.ArgumentParser) -> list:
    found = []
    for action in parser._actions:
        if not action.option_strings:
            continue
        takes_value = action.nargs != 0
        names = " ".join([str(action.metavar or ""), action.dest])
        found.append(Option(list(action.option_strings), _help(action.help), takes_value,
                            [str(choice) for choice in action.choices or ()],
                            takes_value and not action.choices and bool(_FILE_WORDS.search(names)),
                            isinstance(action, (argparse._AppendAction, argparse._ExtendAction))))
    return found


def commands() -> tuple:
    """(top-level options, [Command]) from the full parser."""
    from redis_ci.cli import SUBCOMMANDS, build_parser
    from redis_ci.lint.rules import ALL_RULES

    parser = build_parser(None, every=True)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for name, sub in subparsers.choices.items():
        positionals = [a for a in sub._actions if not a.option_strings]
        words = [str(choice) for a in positionals for choice in (a.choices or ())]
        if name == "explain":
            words = [rule.code for rule in ALL_RULES] + [rule.name for rule in ALL_RULES]
        files = bool(positionals) and not words
        found.append(Command(name, _help(SUBCOMMANDS[name][1]), _options(sub), words, files))
    return _options(parser), found


def bash_script() -> str:
    top, found = commands()
    top_words = " ".join([flag for option in top for flag in option.flags] + [c.name for c in found])
    cases = []
    for command in found:
        values = []
        for option in command.options:
            if not option.takes_value:
                continue
            pattern = "|".join(option.flags)
            if option.choices:
                values.append(f'            {pattern}) COMPREPLY=($(compgen -W "{" ".join(option.choices)}" -- "$cur")); return ;;')
            elif option.files:
                values.append(f'            {pattern}) COMPREPLY=($(compgen -f -- "$cur")); return ;;')
            else:
                values.append(f"            {pattern}) return ;;")
        flags = " ".join(flag for option in command.options for flag in option.flags)
        rest = (f'COMPREPLY=($(compgen -W "{" ".join(command.words)}" -- "$cur"))' if command.words
                else 'COMPREPLY=($(compgen -f -- "$cur"))' if command.positional_files else "return")
        cases.append(f"""        {command.name})
            case "$prev" in
{chr(10).join(values) if values else '            --) ;;'}
            esac
            if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "{flags}" -- "$cur"))
            else
                {rest}
            fi
            ;;""")
    return f"""# bash completion for {PROG}: `source <({PROG} completion bash)`, or save it as
# ~/.local/share/bash-completion/completions/{PROG}
_redis_ci() {{
    local cur prev cmd i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            -*) ;;
            *) cmd="${{COMP_WORDS[i]}}"; break ;;
        esac
    done
    COMPREPLY=()
    case "$cmd" in
        "")
            COMPREPLY=($(compgen -W "{top_words}" -- "$cur"))
            ;;
{chr(10).join(cases)}
    esac
}}
complete -o filenames -F _redis_ci {PROG}
"""


def _zsh_spec(option: Option) -> list:
    specs = []
    for flag in option.flags:
        spec = f"{'*' if option.repeatable else ''}{flag}[{option.help}]"
        if option.takes_value:
            action = f"({' '.join(option.choices)})" if option.choices else "_files" if option.files else " "
            spec += f":{option.flags[-1].lstrip('-')}:{action}"
        specs.append(f"'{spec}'")
    return specs


def zsh_script() -> str:
    top, found = commands()
    described = "\n".join(f"    '{c.name}:{c.help}'" for c in found)
    top_specs = " ".join(spec for option in top for spec in _zsh_spec(option))
    cases = []
    for command in found:
        specs = [spec for option in command.options for spec in _zsh_spec(option)]
        if command.words:
            specs.append(f"'1:{command.name} argument:({' '.join(command.words)})'")
        elif command.positional_files:
            specs.append("'*:path:_files'")
        joined = " \\\n        ".join(specs)
        cases.append(f"    {command.name})\n      _arguments -s \\\n        {joined}\n      ;;")
    return f"""#compdef {PROG}
# zsh completion for {PROG}: save as _{PROG} in a folder of $fpath, or `source <({PROG} completion zsh)`
# after compinit.
_redis_ci() {{
  local -a commands
  commands=(
{described}
  )
  if (( CURRENT == 2 )); then
    _arguments {top_specs} '1:command:->command' && return
    _describe -t commands '{PROG} command' commands
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
{chr(10).join(cases)}
  esac
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _redis_ci "$@"
else
  compdef _redis_ci {PROG}
fi
"""


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_option(condition: str, option: Option) -> str:
    parts = [f"complete -c {PROG} -n {_fish_quote(condition)}"]
    for flag in option.flags:
        parts.append(f"-s {flag[1:]}" if len(flag) == 2 else f"-l {flag[2:]}")
    if option.choices:
        parts.append(f"-x -a {_fish_quote(' '.join(option.choices))}")
    elif option.files:
        parts.append("-r -F")
    elif option.takes_value:
        parts.append("-x")
    parts.append(f"-d {_fish_quote(option.help)}")
    return " ".join(parts)


def fish_script() -> str:
    top, found = commands()
    lines = [f"# fish completion for {PROG}: `{PROG} completion fish | source`, or save it as",
             f"# ~/.config/fish/completions/{PROG}.fish",
             f"complete -c {PROG} -f"]
    for option in top:
        lines.append(_fish_option("__fish_use_subcommand", option))
    for command in found:
        lines.append(f"complete -c {PROG} -n __fish_use_subcommand -a {command.name} -d {_fish_quote(command.help)}")
    for command in found:
        condition = f"__fish_seen_subcommand_from {command.name}"
        for option in command.options:
            lines.append(_fish_option(condition, option))
        if command.words:
            lines.append(f"complete -c {PROG} -n {_fish_quote(condition)} -x -a {_fish_quote(' '.join(command.words))}")
        elif command.positional_files:
            lines.append(f"complete -c {PROG} -n {_fish_quote(condition)} -F")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    import sys

    script = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[args.shell]()
    sys.stdout.write(script)
    return 0
