"""The lint configuration file: `[tool.redis-ci]` in `pyproject.toml` or `.github/redis-ci.yml`.

Keys (all optional): `select` and `ignore` (lists of codes, code prefixes or names, as the
flags), `severity` (rule code or name -> "error"|"warning"|"info"), `fail-on` (a severity).
Found per linted file by walking up from the file's own folder (ruff's hierarchy: a
monorepo's parts keep their own settings); in each folder `.github/redis-ci.yml` (or `.yaml`)
wins over `pyproject.toml`, and a `pyproject.toml` without `[tool.redis-ci]` is passed over;
a file with none above it gets the defaults. Files are not merged: the nearest one is the
whole config. `--config FILE` names one file for every linted file instead. Anything wrong with the file is a
one-line UsageError (exit 2) that names it: a config that silently does nothing is worse.
"""

from __future__ import annotations

import os

from redis_ci.errors import UsageError
from redis_ci.lint.selection import find_rule, unknown_selectors
from redis_ci.lint.severities import SEVERITIES

YAML_NAMES = (os.path.join(".github", "redis-ci.yml"), os.path.join(".github", "redis-ci.yaml"))
TABLE = "redis-ci"  # [tool.redis-ci]
# `[tool.redis-ci]` or `[tool.redis-ci.severity]`: how settings are found without a TOML parser
TABLE_HEADER = r'^\s*\[\s*tool\s*\.\s*"?redis-ci"?\s*[\].]'
KEYS = ("select", "ignore", "severity", "fail-on", "pytest")  # `pytest`: the pytest plugin's table, not lint's


class LintConfig:
    """Settings from a config file (empty when there is none). severity maps rule codes
    (names already resolved) to severities. A plain class, not a dataclass: a cached lint
    reads a config without importing dataclasses (and inspect)."""

    __slots__ = ("path", "select", "ignore", "severity", "fail_on")

    def __init__(self, path: str | None = None, select: list | None = None, ignore: list | None = None,
                 severity: dict | None = None, fail_on: str | None = None):
        self.path, self.fail_on = path, fail_on
        self.select, self.ignore = list(select or []), list(ignore or [])
        self.severity = dict(severity or {})

    def _fields(self) -> tuple:
        return (self.path, self.select, self.ignore, self.severity, self.fail_on)

    def __eq__(self, other) -> bool:
        return isinstance(other, LintConfig) and self._fields() == other._fields()

    __hash__ = None  # mutable lists inside, as the frozen dataclass had

    def __repr__(self) -> str:
        return "LintConfig(path={!r}, select={!r}, ignore={!r}, severity={!r}, fail_on={!r})".format(*self._fields())


def _toml_module():
    try:
        import tomllib  # Python >= 3.11
    except ImportError:
        try:
            import tomli as tomllib  # the same parser, from PyPI, on 3.9/3.10
        except ImportError:
            return None
    return tomllib


def _read_toml(path: str, text: str) -> dict | None:
    """The [tool.redis-ci] table of a TOML file, or None when it has none."""
    tomllib = _toml_module()
    if tomllib is None:
        raise UsageError(f"{path}: reading TOML needs Python >= 3.11 or the `tomli` package; "
                         "or put the settings in .github/redis-ci.yml")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    tool = document.get("tool")
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    return table if table is not None or os.path.basename(path) == "pyproject.toml" else document


def _read_yaml(path: str, text: str, cache_folder: str | None = None) -> dict | None:
    """The YAML file's document; with a cache folder, a document parsed before from the same
    text is read back with marshal (a cached lint imports no PyYAML: cache.parsed_config)."""
    if cache_folder is not None:
        from redis_ci.lint.cache import parsed_config, store_parsed_config

        document = parsed_config(cache_folder, text)
        if document is not None:
            return document
        document = _parse_yaml(path, text)
        store_parsed_config(cache_folder, text, document)
        return document
    return _parse_yaml(path, text)


def _parse_yaml(path: str, text: str) -> dict:
    import yaml

    try:
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        from redis_ci.lint.lines import split_lines
        from redis_ci.lint.yaml_errors import error_message, error_position

        lines = split_lines(text)
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" (line {error_position(mark, lines)[0]})" if mark is not None else ""
        raise UsageError(f"{path}: invalid YAML{where}: {error_message(exc, lines)}") from None
    return {} if document is None else document


def _strings(path: str, key: str, value) -> list:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{path}: `{key}` must be a list of rule codes or names, like [\"RC1\", \"RC201\"]")
    return value


def _severity(path: str, key: str, value) -> str:
    if value not in SEVERITIES:
        raise UsageError(f"{path}: `{key}` must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return value


def parse_config(path: str, table, all_rules: list) -> LintConfig:
    """Validate the settings table read from path against the rule catalogue."""
    if not isinstance(table, dict):
        raise UsageError(f"{path}: the settings must be a mapping of {', '.join(KEYS)}")
    unknown_keys = [key for key in table if key not in KEYS]
    if unknown_keys:
        raise UsageError(f"{path}: unknown setting `{unknown_keys[0]}` (known: {', '.join(KEYS)})")
    select = _strings(path, "select", table.get("select", []))
    ignore = _strings(path, "ignore", table.get("ignore", []))
    for key, selectors in (("select", select), ("ignore", ignore)):
        unknown = unknown_selectors(all_rules, selectors)
        if unknown:
            raise UsageError(f"{path}: unknown rule code or name in `{key}`: {unknown[0]}")
    severities = table.get("severity", {})
    if not isinstance(severities, dict):
        raise UsageError(f"{path}: `severity` must map rule codes to severities, like {{ RC104 = \"error\" }}")
    severity = {}
    for selector, level in severities.items():
        rule = find_rule(all_rules, str(selector))
        if rule is None:
            raise UsageError(f"{path}: unknown rule in `severity`: {selector}")
        severity[rule.code] = _severity(path, f"severity.{selector}", level)
    fail_on = table.get("fail-on")
    return LintConfig(path, select, ignore, severity, None if fail_on is None else _severity(path, "fail-on", fail_on))


def read_config_file(path: str, all_rules: list, cache_folder: str | None = None) -> LintConfig:
    """Read and validate one config file (TOML by `.toml` suffix, else YAML; cache_folder:
    where a YAML file's parsed document may be kept)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config {path}: {getattr(exc, 'strerror', None) or exc}") from None
    table = _read_toml(path, text) if path.endswith(".toml") else _read_yaml(path, text, cache_folder)
    if table is None:
        raise UsageError(f"{path}: no [tool.{TABLE}] table")
    return parse_config(path, table, all_rules)


def find_config_file(start: str) -> str | None:
    """The nearest config file in start or its parents, or None."""
    folder = os.path.abspath(start)
    while True:
        for name in YAML_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return candidate
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject) and _has_table(pyproject):
            return pyproject
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _has_table(pyproject: str) -> bool:
    try:
        with open(pyproject, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    if TABLE not in text:  # a cheap look first: most pyproject files are not ours
        return False
    if _toml_module() is None:  # a project merely depending on redis-ci must still lint
        import re

        return re.search(TABLE_HEADER, text, re.M) is not None
    return _read_toml(pyproject, text) is not None


class ConfigFinder:
    """The config of each linted file: the --config file for all, or the nearest one above the
    file. Each folder is looked up and each file read once per run. all_rules: the catalogue
    (catalogue.CATALOGUE or rule classes: anything with code and name)."""

    def __init__(self, explicit: str | None, all_rules, cache_folder: str | None = None):
        self.all_rules = all_rules
        self.cache_folder = cache_folder  # where parsed YAML configs are kept (None: nowhere)
        self.explicit = read_config_file(explicit, all_rules, cache_folder) if explicit else None
        self._by_folder: dict = {}  # the folder as the path spells it -> its config
        self._by_path: dict = {None: LintConfig()}

    def for_file(self, path: str) -> LintConfig:
        """The config for a workflow file (path need not exist: stdin's --stdin-filename)."""
        if self.explicit is not None:
            return self.explicit
        # a repository's workflows share a folder: one lookup for all (the current folder
        # does not change during a run, so the spelling of a folder names one place)
        spelled = os.path.dirname(path)
        config = self._by_folder.get(spelled)
        if config is None:
            found = find_config_file(os.path.dirname(os.path.abspath(path)))
            if found not in self._by_path:
                self._by_path[found] = read_config_file(found, self.all_rules, self.cache_folder)
            config = self._by_folder[spelled] = self._by_path[found]
        return config


def load_config(explicit: str | None, all_rules: list) -> LintConfig:
    """The config named by --config, else the nearest one from the current directory, else
    an empty config."""
    path = explicit or find_config_file(os.getcwd())
    return read_config_file(path, all_rules) if path else LintConfig()
