"""The pytest plugin: a real Redis for a test session, from `redis-ci start`'s machinery.

Installed, it is registered under the entry point `pytest11: redis_ci`, so it loads in every
pytest run of the environment: it stays inert (no fixtures, nothing started) unless enabled
with `-p redis_ci` (`-p redis_ci.pytest_plugin` from a checkout that is not installed) or a
`[tool.redis-ci.pytest]` table in the rootdir's pyproject.toml. Enabled, it adds the
fixtures of `redis_ci.pytest_fixtures`: `redis_url`, `redis_cluster_nodes`, `redis_clean`.

Settings (flag, or the key in `[tool.redis-ci.pytest]`; flags win):
- `--redis-ci-topology` / `topology`: single (default), cluster, sentinel.
- `--redis-ci-start` / `start`: auto (default: use $REDIS_URL when set, after waiting on it),
  or always (start one anyway).
- `--redis-ci-args` / `args`: more `redis-ci start` options, e.g. "--docker redis:7.4 --port 6381".
"""

from __future__ import annotations

import os

PLUGIN_NAMES = ("redis_ci", "redis_ci.pytest_plugin")
TABLE = "pytest"  # [tool.redis-ci.pytest]
SETTINGS = ("topology", "start", "args")


def pytest_addoption(parser) -> None:
    group = parser.getgroup("redis-ci", "a real Redis for the session (redis-ci)")
    group.addoption("--redis-ci-topology", choices=("single", "cluster", "sentinel"), default=None,
                    help="what to start: single (default), cluster or sentinel")
    group.addoption("--redis-ci-start", choices=("auto", "always"), default=None,
                    help="auto (default): use $REDIS_URL when set; always: start a server anyway")
    group.addoption("--redis-ci-args", default=None, metavar="OPTIONS",
                    help="more `redis-ci start` options, e.g. \"--docker redis:7.4 --port 6381\"")


def pyproject_settings(rootpath) -> dict | None:
    """The [tool.redis-ci.pytest] table of rootdir/pyproject.toml, or None when there is none."""
    path = os.path.join(str(rootpath), "pyproject.toml")
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        text = handle.read()
    if b"redis-ci" not in text:
        return None  # most projects: no TOML parse at all
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the tomli the package depends on there
        import tomli as tomllib
    try:
        document = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from None
    table = document.get("tool", {}).get("redis-ci", {}).get(TABLE)
    if table is None:
        return None
    unknown = [key for key in table if key not in SETTINGS] if isinstance(table, dict) else []
    if not isinstance(table, dict) or unknown:
        raise ValueError(f"{path}: [tool.redis-ci.{TABLE}] takes {', '.join(SETTINGS)}"
                         + (f", not {unknown[0]}" if unknown else ""))
    return table


def pytest_configure(config) -> None:
    import pytest

    named = [name for name in (getattr(config.known_args_namespace, "plugins", None) or [])]
    try:
        table = pyproject_settings(config.rootpath)
    except ValueError as exc:
        raise pytest.UsageError(f"redis-ci: {exc}") from None
    if table is None and not any(name in PLUGIN_NAMES for name in named):
        return  # loaded by the entry point, not asked for: inert
    settings = dict(table or {})
    for key in SETTINGS:
        value = config.getoption(f"--redis-ci-{key}")
        if value is not None:
            settings[key] = value
    from redis_ci import pytest_fixtures

    config.stash[pytest_fixtures.SETTINGS_KEY] = settings
    if not config.pluginmanager.has_plugin("redis-ci-fixtures"):
        config.pluginmanager.register(pytest_fixtures, "redis-ci-fixtures")
