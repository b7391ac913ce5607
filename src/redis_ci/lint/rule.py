"""The rule contract: `Rule` (a base with no-op hooks) and `Finding` (what a rule yields).

A rule reads the model (`redis_ci.lint.model`) and yields findings; it never parses YAML,
never formats output, never reads config. One rule per module in `rules/`, named after
the rule (`rules/unmapped_service_port.py`), listed in `rules/__init__.py`. A rule's class
docstring is its user documentation (`redis-ci explain CODE`), with the sections
What it does / Why is this bad? / Example / Use instead / Fix safety.
"""

from __future__ import annotations

from redis_ci.lint.prefilter import REDIS_WORDS

from redis_ci.lint.severities import SEVERITIES, severity_rank  # noqa: F401  (their old home)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (~3 ms)
if TYPE_CHECKING:  # the model imports PyYAML; `redis-ci rules` must not pay for it
    from typing import Callable, ClassVar, Iterable

    from redis_ci.lint.edits import TextEdit
    from redis_ci.lint.model import Job, Step, Workflow
    from redis_ci.lint.yaml_nodes import Span


class Finding:
    """One problem at one place. data: facts a fixer or a renderer may need (e.g. the
    service label); it does not take part in ordering or duplicate removal. file: the path of
    another file the span is in (a compose file the workflow starts), None for the workflow.

    A plain class with slots, not a dataclass: lint's start-up imports no `dataclasses` (and
    inspect, ast, dis: ~9 ms). It behaves as the frozen dataclass it was, less the guard on
    assignment (which made each finding ~2x slower to build): equal and hashed by every field
    but data, the same repr (bench/lint_cpu.py --digest); never change one, `replace` makes a
    changed copy (what `dataclasses.replace` did)."""

    __slots__ = ("code", "name", "severity", "message", "span", "fixable", "data", "file")
    _FIELDS = __slots__

    def __init__(self, code: str, name: str, severity: str, message: str, span: Span, fixable: bool = False,
                 data: dict | None = None, file: str | None = None):
        self.code = code
        self.name = name
        self.severity = severity
        self.message = message
        self.span = span
        self.fixable = fixable
        self.data = {} if data is None else data
        self.file = file

    def _compared(self) -> tuple:
        return (self.code, self.name, self.severity, self.message, self.span, self.fixable, self.file)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self):  # _compared(), written out: a set takes every finding's hash
        return hash((self.code, self.name, self.severity, self.message, self.span, self.fixable, self.file))

    def __repr__(self) -> str:
        return (f"Finding(code={self.code!r}, name={self.name!r}, severity={self.severity!r}, "
                f"message={self.message!r}, span={self.span!r}, fixable={self.fixable!r}, "
                f"data={self.data!r}, file={self.file!r})")

    def __reduce__(self):  # pickling (the tests' process pools): by the constructor, as slots have no __dict__
        return (Finding, tuple(getattr(self, name) for name in self._FIELDS))

    def replace(self, **changes) -> Finding:
        """A copy with some fields changed (what `dataclasses.replace` did)."""
        values = {name: getattr(self, name) for name in self._FIELDS}
        values.update(changes)
        return Finding(**values)

    def sort_key(self) -> tuple:
        span = self.span
        return (self.file or "", span.line, span.column, span.end_line, span.end_column, self.code, self.message)


# A message is one line in every format (a text header, an annotation, a JSON string people
# grep): the line breaks and other unprintable characters of the user text it quotes are
# written as escapes instead.
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(message: str) -> str:
    """message with each unprintable character written as an escape (`\\n`, `\\x85`)."""
    return "".join(char if char.isprintable() else _ESCAPES.get(char) or repr(char)[1:-1] for char in message)


class Rule:
    """Base of every rule: class attributes say what it is, hooks say what it checks.

    The engine builds each rule fresh per file, then calls check_workflow once,
    check_job for each job, and check_step for each step of each job. Override only
    the hooks you need; each yields `Finding`s, best made with `self.finding(...)`."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[str] = "error"
    fixable: ClassVar[bool] = False
    # False: runs only when a selector names it (its code, a prefix of it, its name, or ALL)
    enabled_by_default: ClassVar[bool] = True
    # The prefilter (prefilter.py): the lowercase bytes without which this rule reports
    # nothing (any of them; None: it runs on every file). A test checks it on every fixture.
    triggers: ClassVar[tuple | None] = None
    # Optional: parsed document -> False when the rule reports nothing here, asked before
    # the model is built (which then need not be, when no other rule is left).
    gate: ClassVar[Callable | None] = None
    # RC001-RC003: problems of the file itself, reported whenever another rule looks at it.
    file_level: ClassVar[bool] = False

    def check_workflow(self, workflow: Workflow) -> Iterable[Finding]:
        return ()

    def check_job(self, job: Job, workflow: Workflow) -> Iterable[Finding]:
        return ()

    def check_step(self, step: Step, job: Job, workflow: Workflow) -> Iterable[Finding]:
        return ()

    def fix(self, finding: Finding, workflow: Workflow) -> list[TextEdit]:
        """Fixable rules: the text edits (`redis_ci.lint.edits`) that repair `finding`, or []
        when this occurrence cannot be repaired safely. Edits only touch what must change."""
        return []

    def finding(self, message: str, span: Span, in_file: str | None = None, **data) -> Finding:
        """A Finding of this rule at span; keyword arguments go to Finding.data. in_file: the
        compose file the span is in (such findings are never fixed: --fix edits workflows only)."""
        if not message.isprintable():  # user text (a step's name, a script line) can hold line breaks
            message = one_line(message)
        return Finding(self.code, self.name, self.severity, message, span, self.fixable and in_file is None,
                       data, in_file)

    @classmethod
    def documentation(cls) -> str:
        """The docstring, dedented: what `redis-ci explain` prints. Dedented as `inspect.cleandoc`
        does (a test holds them equal): inspect imports ast, dis and tokenize, ~5 ms of the
        start-up of `--format sarif`, which describes every rule."""
        lines = (cls.__doc__ or "").expandtabs().split("\n")
        margin = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.lstrip()), default=0)
        lines = [lines[0].lstrip()] + [line[margin:] for line in lines[1:]]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        return "\n".join(lines)

    @classmethod
    def summary(cls) -> str:
        """The first line of the docstring."""
        return cls.documentation().split("\n", 1)[0]


class FileProblemRule(Rule):
    """Base of the rules that report a problem of the file itself (RC001-RC003): the
    parser found it (`yaml_nodes.FileProblem` with kind == code); the rule reports it."""

    # By themselves only in files about Redis: a syntax error elsewhere is actionlint's business.
    triggers = REDIS_WORDS
    file_level = True

    def check_workflow(self, workflow: Workflow) -> Iterable[Finding]:
        for problem in workflow.problems:
            if problem.kind == self.code:
                yield self.finding(problem.message, problem.span)
