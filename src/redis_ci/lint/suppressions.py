"""Inline suppressions: `# redis-ci: ignore[RC201,RC204] reason` and `# redis-ci: disable-file`.

An ignore comment silences the listed rules (codes or names) for a finding when it sits
- on any line of the finding's span (the zizmor convention), or
- alone on the line just above the finding's first line (for long lines such as `options:`).
`# redis-ci: disable-file` anywhere in the file silences every finding of that file.
The reason after `]` is free text, for reviewers. Comments are found in the raw lines, the
same way for every rule, so a rule never knows it can be silenced.

A directive that names no known rule, or that is not `ignore[...]`/`disable-file`, silences
nothing and becomes a notice (printed on stderr; the exit code does not change): a typo must
not silently keep a finding alive, nor silently hide another one.
"""

from __future__ import annotations

from redis_ci.lint.patterns import lazy_compile

MARKER = "redis-ci:"
# YAML comments start at a `#` at the line start or after whitespace.
DIRECTIVE = lazy_compile(r"(?:^|\s)#\s*redis-ci:\s*(?P<body>.*)$")
IGNORE = lazy_compile(r"ignore\[(?P<codes>[^\]]*)\]")


class Directive:
    """One `# redis-ci:` comment: where its `#` is (1-based line and column, end of the line),
    the selectors it names, and (filled in by Suppressions.silences) those that silenced a finding.
    (Plain classes here, not dataclasses: lint's start-up imports no `dataclasses`.)"""

    __slots__ = ("line", "column", "end_column", "selectors", "disable_file", "used")

    def __init__(self, line: int, column: int, end_column: int, selectors: set | None = None,
                 disable_file: bool = False, used: set | None = None):
        self.line, self.column, self.end_column = line, column, end_column
        self.selectors = set() if selectors is None else selectors
        self.disable_file = disable_file
        self.used = set() if used is None else used


class Suppressions:
    """The directives of one file: by_line maps a 1-based line to the directives that cover
    it; notices are problems with the directives themselves, as `line:col: text`."""

    __slots__ = ("disable_file", "by_line", "notices", "directives")

    def __init__(self, disable_file: bool = False, by_line: dict | None = None, notices: list | None = None,
                 directives: list | None = None):
        self.disable_file = disable_file
        self.by_line = {} if by_line is None else by_line
        self.notices = [] if notices is None else notices
        self.directives = [] if directives is None else directives

    def silences(self, finding, whole_file: bool = True) -> bool:
        """Whether a directive silences finding; the directives that do remember it (RC000).
        whole_file=False: only the line directives count (RC000 reports an unused disable-file)."""
        silenced = False
        for line in finding.span.lines():
            for directive in self.by_line.get(line, ()):
                for selector in (finding.code, finding.name):
                    if selector in directive.selectors:
                        directive.used.add(selector)
                        silenced = True
        if self.disable_file and whole_file:
            for directive in self.directives:
                if directive.disable_file:
                    directive.used.add("disable-file")
            return True
        return silenced


def parse_suppressions(lines: list[str], known_rules: list) -> Suppressions:
    """Read every `# redis-ci:` directive of a file. known_rules: the whole catalogue
    (not only the selected rules: ignoring a rule that is off for this run is fine)."""
    known = {rule.code for rule in known_rules} | {rule.name for rule in known_rules}
    found = Suppressions()
    for number, text in enumerate(lines, start=1):
        if MARKER not in text:
            continue
        match = DIRECTIVE.search(text)
        if match is None:
            continue
        body = match.group("body").strip()
        hash_index = text.index("#", match.start())
        where = f"{number}:{hash_index + 1}"
        ignore = IGNORE.match(body)
        directive = Directive(number, hash_index + 1, len(text.rstrip()) + 1)
        found.directives.append(directive)
        if body == "disable-file" or body.startswith("disable-file "):
            found.disable_file = directive.disable_file = True
        elif ignore is None:
            found.notices.append(f"{where}: unknown redis-ci directive `{body}`; write "
                                 "`ignore[CODE,...] reason` or `disable-file`")
        else:
            selectors = set()
            for token in filter(None, (part.strip() for part in ignore.group("codes").split(","))):
                selector = token.upper() if token.upper().startswith("RC") else token.lower()
                if selector in known:
                    selectors.add(selector)
                else:
                    found.notices.append(f"{where}: unknown rule `{token}` in redis-ci ignore comment")
            directive.selectors = selectors
            targets = [number]
            if not text[:hash_index].strip():  # a comment alone on its line covers the next one
                targets.append(number + 1)
            for target in targets:
                found.by_line.setdefault(target, []).append(directive)
    return found
