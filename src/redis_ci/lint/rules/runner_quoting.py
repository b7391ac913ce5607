"""RC004 runner-quoting."""

from __future__ import annotations

import re
import shlex

from redis_ci.lint import edits
from redis_ci.lint.model import runner_words, sub_expressions
from redis_ci.lint.prefilter import SERVICES, runner_split_possible
from redis_ci.lint.rule import Rule
from redis_ci.runner.arguments import quote_argument, split_arguments
from redis_ci.lint.patterns import lazy_compile

# Words shown in a message before it is cut (`options:` can be long).
_SHOWN_WORDS = 6
_EXPRESSION_MARK = "\ue001"  # stands for a `${{ }}` while a shell reads the text
_MARKED = lazy_compile(f"{_EXPRESSION_MARK}(\\d+){_EXPRESSION_MARK}")
_YAML_PLAIN_STARTS = "-?:,[]{}#&*!|>'\"%@`"


class RunnerQuoting(Rule):
    """`options:`, `command:` or `entrypoint:` quoted for a shell: the runner splits them otherwise.

    ## What it does
    Reports a service's `options:`, `command:` or `entrypoint:` (and the job container's
    `options:`) whose words the GitHub runner splits differently from a shell: single quotes,
    an unbalanced double quote, a backslash before a quote or a space, `""` inside quotes, or
    the line breaks of a literal block (`options: |`). The message shows the words Docker
    actually receives.

    ## Why is this bad?
    The runner pastes these values into ONE `docker create` argument string and .NET splits
    it with the Windows rules, even on Linux (`ProcessStartInfo.Arguments`): only double
    quotes group words, single quotes are ordinary characters, and a line break does not
    separate words. `--health-cmd 'redis-cli ping'` reaches Docker as `'redis-cli` and
    `ping'`: `docker create` fails and the job with it ("Failed to initialize container").
    `command: sh -c 'redis-server --save ""'` hands `sh` the script `'redis-server`, and a
    quoted `--health-interval '1s'` is an invalid duration to Docker. act splits like a shell,
    so such a workflow passes under act and fails on GitHub.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        options: --health-cmd 'redis-cli ping | grep -q PONG' --health-interval 1s
    ```

    ## Use instead
    ```yaml
    services:
      redis:
        image: redis:8.2
        options: --health-cmd "redis-cli ping | grep -q PONG" --health-interval 1s
    ```

    ## Fix safety
    Safe: the fix writes the words a shell reads in the runner's quoting (double quotes,
    `\\"` for a quote inside them), so Docker receives what the author meant; expressions
    `${{ }}` are kept as written. It rewrites one-line values in any YAML style and blocks
    line by line, with the header made `>-` (a literal `|` block, or a kept final line
    break, would glue a newline to a word). No fix when a shell cannot read the text either
    (an unbalanced quote), when quotes span the lines of a block, or for an `entrypoint:`
    that is not one word.
    """

    code = "RC004"
    name = "runner-quoting"
    # any service's or job container's values, not only Redis's; the gate reads them in the parsed YAML
    triggers = ((SERVICES, (b"options", b"command", b"entrypoint")),)
    gate = staticmethod(lambda document: runner_split_possible(document, _difference))
    severity = "error"
    fixable = True

    def __init__(self):
        self._reported: set = set()  # spans already reported in this file (aliased services)

    def check_job(self, job, workflow):
        fields = []
        for service in job.services:
            where = f"service `{service.label}`"
            fields += [(where, "options", service.options.value), (where, "command", service.command)]
            fields.append((where, "entrypoint", service.entrypoint))
        if job.container is not None:
            fields.append(("the job container", "options", job.container.options.value))
        for where, key, value in fields:
            if value is None or value.span in self._reported:
                continue
            difference = _difference(value.text, key)
            if difference is None:
                continue
            self._reported.add(value.span)
            docker, shell = difference
            start, end = _common_ends(docker, shell) if shell is not None else (0, 0)
            docker = _redacted(docker)[start:len(docker) - end]
            shell = None if shell is None else _redacted(shell)[start:len(shell) - end]
            shell_part = f" where a shell reads {_shown(shell)}" if shell is not None else (
                " (a shell cannot read it: an unbalanced quote)")
            replacement = _replacement(value, key, workflow.lines)
            advice = "group words with double quotes only" if replacement is None else "use double quotes"
            if "\n" in value.text.rstrip("\n") or value.style == "|":
                advice = "write the block as `>-` (folded: a line break is no separator to the runner) and " + advice
            finding = self.finding(
                f"`{key}:` of {where} is split by the runner's .NET rules, not a shell's: Docker receives "
                f"{_shown(docker)}{shell_part}; {advice}",
                value.span,
                edits=replacement,
            )
            yield finding if replacement else finding.replace(fixable=False)

    def fix(self, finding, workflow):
        return list(finding.data["edits"] or [])


def _masked(text: str) -> tuple[str, list[str]]:
    """text with each `${{ }}` replaced by a mark word (GitHub substitutes them before splitting)."""
    expressions: list[str] = []

    def hide(match) -> str:
        expressions.append(match.group(0))
        return f"{_EXPRESSION_MARK}{len(expressions) - 1}{_EXPRESSION_MARK}"

    return sub_expressions(hide, text), expressions


def _unmasked(word: str, expressions: list[str]) -> str:
    # one pass over the word, not one per expression (a word per expression: their product)
    if _EXPRESSION_MARK not in word:
        return word
    return _MARKED.sub(lambda match: expressions[int(match.group(1))], word)


def shell_words(text: str) -> list[str] | None:
    """The words a POSIX shell reads in `text` (expressions kept whole); None when it cannot.
    An unbalanced single quote alone (`it's`) is read as the apostrophe the runner sees."""
    masked, expressions = _masked(text)
    try:
        words = shlex.split(masked)
    except ValueError:
        if '"' not in masked and "\\" not in masked:
            return masked.split()  # `it's`: the runner keeps the apostrophe, so would the author
        return None
    return [_unmasked(word, expressions) for word in words]


def _difference(text: str, key: str) -> tuple | None:
    """(words Docker receives, words a shell reads or None) where the two differ; None when they agree."""
    if not any(char in text for char in "'\\\n") and (key != "entrypoint" or '"' not in text):
        if text.count('"') % 2 == 0 and '""' not in text:
            return None  # only balanced "..." groups: a shell and the runner read them alike
    shell = shell_words(text)
    if key == "entrypoint":  # the runner writes `--entrypoint "<entrypoint>"`: one word, quoted
        docker = runner_words(f'"{text}"')
        intended = [" ".join(shell)] if shell is not None else None
    else:
        docker = runner_words(text)
        intended = shell
    if docker == intended:
        return None
    if shell is None and docker == text.split() and '"' not in text:
        return None
    return docker, intended


def _common_ends(docker: list[str], shell: list[str]) -> tuple:
    """How many words both lists start with, and then end with, in common."""
    start = 0
    while start < min(len(docker), len(shell)) and docker[start] == shell[start]:
        start += 1
    end = 0
    while end < min(len(docker), len(shell)) - start and docker[-1 - end] == shell[-1 - end]:
        end += 1
    return start, end


def _redacted(words: list[str]) -> list[str]:
    """Words with a password in them (`--requirepass X`, `-a X`, `REDISCLI_AUTH=X`) as `***`."""
    out = []
    for index, word in enumerate(words):
        if index and words[index - 1] in _PASSWORD_FLAGS and not word.startswith("$"):
            word = re.sub(r"[^'\"\\]+", "***", word)  # quotes stay: they are the point; `$NAME` is no password
        out.append(_SECRET.sub(lambda match: match.group(1) + "***", word))
    return out


_PASSWORD_FLAGS = ("--requirepass", "--masterauth", "-a", "--pass", "--user")
_SECRET = lazy_compile(r"""((?:--requirepass|--masterauth|-a|--pass)(?:\s+|=)["']?|REDISCLI_AUTH=|://[^:/@\s]*:)([^\s$@'"][^\s@'"]*)""")


def _shown(words: list[str]) -> str:
    shown = ", ".join(f"`{_printable(word)}`" for word in words[:_SHOWN_WORDS])
    return shown + (f" and {len(words) - _SHOWN_WORDS} more" if len(words) > _SHOWN_WORDS else "")


def _printable(word: str) -> str:
    """A word on one line: an empty word as `""`, a line break or tab as `\\n`/`\\t`."""
    return word.replace("\n", "\\n").replace("\t", "\\t") if word else '""'


def _runner_text(text: str, key: str) -> str | None:
    """The text to write instead: the shell's words in the runner's quoting; None when ambiguous."""
    words = shell_words(text)
    if words is None:
        return None
    if key == "entrypoint":
        return words[0] if len(words) == 1 and '"' not in words[0] and "\\" not in words[0] else None
    masked, expressions = _masked(text)
    masked_words = shlex.split(masked)
    joined = " ".join(_quoted(word) for word in masked_words)
    if split_arguments(joined) != masked_words:  # cannot happen by quote_argument's contract; never guess
        return None
    return _unmasked(joined, expressions)


def _quoted(word: str) -> str:
    """One word in the runner's quoting; `--flag=value` keeps its flag outside the quotes."""
    flag, equals, argument = word.partition("=")
    if equals and flag.startswith("-") and quote_argument(flag) == flag and argument:
        return f"{flag}={quote_argument(argument)}"
    return quote_argument(word)


def _yaml_scalar(text: str, style: str | None) -> str:
    """`text` written as a one-line YAML scalar, in `style` where it allows it."""
    starts_plain = text[:1] not in _YAML_PLAIN_STARTS or (text[:1] in "-?:" and text[1:2] not in ("", " "))
    plain_ok = (text and text == text.strip() and starts_plain
                and ": " not in text and " #" not in text and not text.endswith(":"))
    if style is None and plain_ok:
        return text
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _replacement(value, key: str, lines: list[str]) -> tuple | None:
    """The edits that make Docker receive the shell's words; None when there is no safe one."""
    if value.style in (None, "'", '"'):
        if "\n" in value.text or value.span.line != value.span.end_line:
            return None
        new = _runner_text(value.text, key)
        return None if new is None else (edits.replace(value.span, _yaml_scalar(new, value.style)),)
    if key == "entrypoint":
        return None
    return _block_replacement(value, lines)


def _block_replacement(value, lines: list[str]) -> tuple | None:
    """A block rewritten line by line, its header made `>-`: folded, which joins the lines with
    spaces as the author meant, and stripped, so no line break sticks to the last word."""
    span = value.span
    header = lines[span.line - 1] if span.line <= len(lines) else ""
    indicator = header[span.column - 1:].split("#", 1)[0].rstrip()
    if indicator not in ("|", "|-", "|+", ">", ">-", ">+"):
        return None
    header_indent = len(header) - len(header.lstrip(" "))
    rows = []  # (line, column where the content starts, content)
    for line in range(span.line + 1, min(span.end_line, len(lines)) + 1):
        raw = lines[line - 1]
        content, indent = raw.strip(), len(raw) - len(raw.lstrip(" "))
        if content and indent <= header_indent:
            break  # the next key: the block ended
        if content:
            rows.append((line, indent + 1, content))
    if not rows or len({column for _line, column, _content in rows}) != 1:
        return None
    contents = [content for _line, _column, content in rows]
    separator = "\n" if value.style == "|" else " "
    if separator.join(contents) != value.text.rstrip("\n"):
        return None  # blank lines or more-indented lines: folding would not give this text
    whole = shell_words(" ".join(contents))
    per_line = [shell_words(content) for content in contents]
    if whole is None or None in per_line or [word for words in per_line for word in words] != whole:
        return None  # a quote spans lines
    changes = []
    for (line, column, content), words in zip(rows, per_line):
        new = _runner_text(content, "options")
        if new is not None and new != content:
            changes.append(edits.TextEdit(line, column, line, column + len(content), new))
    if indicator != ">-":  # `|` and `>` keep a final line break, which sticks to the last word
        changes.append(edits.TextEdit(span.line, span.column, span.line, span.column + len(indicator), ">-"))
    return tuple(changes) or None
