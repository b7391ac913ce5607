"""Generated workflow corpora for bench/lint_speed.py and the prefilter test
(tests/lint/test_prefilter_cache.py): Redis-dense workflows (every one uses Redis, many
with wiring mistakes) and the ordinary build/test/release workflows most of a repository
holds, which never mention Redis.
"""

from __future__ import annotations

import random
import textwrap

PYTHON_VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
REDIS_IMAGES = ["redis:7-alpine", "redis:7.4", "redis:8", "valkey/valkey:8", "redis/redis-stack-server:7.4.0-v3",
                "redis", "bitnami/redis:7.2", "redis:6.0"]
RUNNERS = ["ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"]
SCRIPT_LINES = [
    "python -m pip install --upgrade pip",
    "pip install -e '.[test]'",
    "pip install -r requirements/ci.txt",
    "npm ci",
    "npm run build --if-present",
    "export PYTHONHASHSEED=0",
    "echo \"::group::environment\" && env | sort && echo \"::endgroup::\"",
    "python -m pytest -q --maxfail=1 --durations=20 tests/",
    "python -m pytest -q -m integration --junitxml=reports/integration.xml",
    "coverage run -m pytest && coverage xml",
    "for i in $(seq 1 30); do redis-cli -h localhost ping | grep -q PONG && break; sleep 1; done",
    "until redis-cli ping; do sleep 1; done",
    "sleep 5",
    "redis-cli -h redis -p 6379 info server | head -20",
    "make lint test",
    "cargo test --all-features --workspace",
    "go test ./... -race -count=1",
    "docker logs \"$REDIS_CONTAINER\" || true",
    "if [ -f setup.cfg ]; then python setup.py check; fi",
    "mkdir -p reports && touch reports/.keep",
]


def service_block(rng: random.Random, label: str, container_job: bool) -> str:
    image = rng.choice(REDIS_IMAGES) if label != "postgres" else "postgres:16"
    lines = [f"      {label}:", f"        image: {image}"]
    if label == "postgres":
        lines += ["        env:", "          POSTGRES_PASSWORD: postgres"]
    if not container_job and rng.random() < 0.9:
        port = "6379" if label != "postgres" else "5432"
        lines.append(f"        ports: [\"{port}:{port}\"]" if rng.random() < 0.7 else f"        ports:\n          - {port}")
    if rng.random() < 0.7:
        cmd = "redis-cli ping" if label != "postgres" else "pg_isready"
        lines.append(f"        options: >-\n          --health-cmd \"{cmd}\"\n          --health-interval "
                     f"{rng.choice(['1s', '2s', '10s'])}\n          --health-timeout 5s\n          --health-retries 10")
    return "\n".join(lines)


def job_block(rng: random.Random, number: int) -> str:
    container_job = rng.random() < 0.25
    matrix = rng.random() < 0.5
    lines = [f"  test-{number}:", f"    name: tests {number}"]
    lines.append("    runs-on: ${{ matrix.os }}" if matrix and rng.random() < 0.3 else f"    runs-on: {rng.choice(RUNNERS)}")
    lines.append(f"    timeout-minutes: {rng.choice([10, 15, 30])}")
    if matrix:
        lines += ["    strategy:", "      fail-fast: false", "      matrix:",
                  f"        python: [{', '.join(repr(v) for v in rng.sample(PYTHON_VERSIONS, 3))}]",
                  f"        os: [{rng.choice(RUNNERS)}]"]
        if rng.random() < 0.5:
            lines += ["        include:", "          - python: '3.13'", "            experimental: true"]
    if container_job:
        lines += ["    container:", f"      image: python:{rng.choice(PYTHON_VERSIONS)}-slim"]
    labels = ["redis"] + (["postgres"] if rng.random() < 0.4 else []) + (["cache"] if rng.random() < 0.15 else [])
    lines.append("    services:")
    lines += [service_block(rng, label, container_job) for label in labels]
    host = "redis" if container_job else "localhost"
    if rng.random() < 0.1:
        host = "redis" if not container_job else "localhost"  # a wiring mistake now and then
    lines += ["    env:", f"      REDIS_URL: redis://{host}:6379/0", "      CI: true"]
    lines += ["    steps:", "      - uses: actions/checkout@v5", "        with:", "          persist-credentials: false"]
    if rng.random() < 0.6:
        version = "${{ matrix.python }}" if matrix else "'3.12'"
        lines += ["      - uses: actions/setup-python@v6", "        with:", f"          python-version: {version}"]
    for step in range(rng.randint(2, 6)):
        script = rng.sample(SCRIPT_LINES, rng.randint(3, 14))
        lines += [f"      - name: step {step}", "        run: |"] + [f"          {line}" for line in script]
        if rng.random() < 0.3:
            lines += ["        env:", f"          REDIS_HOST: {host}", "          REDIS_PORT: 6379"]
    return "\n".join(lines)


def workflow(rng: random.Random, number: int) -> str:
    header = textwrap.dedent(f"""\
        name: CI {number}
        on:
          push:
            branches: [main]
          pull_request:
        permissions:
          contents: read
        concurrency:
          group: ci-{number}-${{{{ github.ref }}}}
          cancel-in-progress: true
        jobs:
        """)
    return header + "\n".join(job_block(rng, job) for job in range(rng.randint(1, 4))) + "\n"



# Ordinary workflows: what most of a repository's .github/workflows holds.
LANGUAGES = {
    "python": ("actions/setup-python@v6", "python-version", ["3.11", "3.12", "3.13"],
               ["pip install -e '.[test]'", "python -m pytest -q", "ruff check .", "mypy src"]),
    "node": ("actions/setup-node@v4", "node-version", ["18", "20", "22"],
             ["npm ci", "npm test", "npm run lint", "npm run build --if-present"]),
    "go": ("actions/setup-go@v5", "go-version", ["1.22", "1.23"],
           ["go vet ./...", "go test ./... -race -count=1", "go build ./..."]),
    "java": ("actions/setup-java@v4", "java-version", ["17", "21"],
             ["./gradlew check --no-daemon", "./mvnw -B verify"]),
    "rust": ("dtolnay/rust-toolchain@stable", "toolchain", ["stable", "beta"],
             ["cargo fmt --check", "cargo clippy -- -D warnings", "cargo test --all-features"]),
}
OTHER_SERVICES = [("postgres", "postgres:16", "5432:5432", "pg_isready"),
                  ("mysql", "mysql:8.4", "3306:3306", "mysqladmin ping"),
                  ("mongo", "mongo:7", "27017:27017", "mongosh --eval 'db.runCommand({ping: 1})'")]


def ordinary_workflow(rng: random.Random, number: int) -> str:
    """A build/test, lint, release or docs workflow with no Redis in it."""
    kind = rng.choice(["test", "test", "lint", "release", "docs"])
    language = rng.choice(sorted(LANGUAGES))
    action, key, versions, commands = LANGUAGES[language]
    lines = [f"name: {kind} {number}", "on:"]
    lines += ["  push:", "    tags: ['v*']"] if kind == "release" else ["  push:", "    branches: [main]", "  pull_request:"]
    lines += ["permissions:", f"  contents: {'write' if kind == 'release' else 'read'}", "jobs:"]
    for job in range(rng.randint(1, 3)):
        lines += [f"  {kind}-{job}:", f"    runs-on: {rng.choice(RUNNERS)}", f"    timeout-minutes: {rng.choice([10, 20, 45])}"]
        matrix = kind == "test" and rng.random() < 0.6
        if matrix:
            lines += ["    strategy:", "      matrix:", f"        version: [{', '.join(repr(v) for v in versions)}]"]
        if kind == "test" and rng.random() < 0.3:
            label, image, port, check = rng.choice(OTHER_SERVICES)
            lines += ["    services:", f"      {label}:", f"        image: {image}", f"        ports: ['{port}']",
                      f"        options: >-\n          --health-cmd \"{check}\" --health-interval 2s"]
        lines += ["    steps:", "      - uses: actions/checkout@v5", f"      - uses: {action}", "        with:",
                  f"          {key}: {'${{ matrix.version }}' if matrix else repr(versions[-1])}"]
        for step in range(rng.randint(1, 5)):
            script = rng.sample(commands, rng.randint(1, len(commands)))
            lines += [f"      - name: {kind} step {step}", "        run: |"] + [f"          {line}" for line in script]
        if kind == "release":
            lines += ["      - uses: softprops/action-gh-release@v2", "        with:", "          generate_release_notes: true"]
        if kind == "docs":
            lines += ["      - uses: actions/upload-pages-artifact@v3", "        with:", "          path: site/"]
    return "\n".join(lines) + "\n"


def mixed_corpus(rng: random.Random, files: int, redis_share: float = 0.15) -> list[str]:
    """A repository's workflows: redis_share of them Redis-dense, the rest ordinary."""
    return [workflow(rng, number) if rng.random() < redis_share else ordinary_workflow(rng, number)
            for number in range(files)]
