"""What the user asked `generate` for, checked once, so the writers never see a bad value."""

from __future__ import annotations

import re
from dataclasses import dataclass

from redis_ci import recipe
from redis_ci.errors import UsageError

GATES = ("wait", "health", "both")
# current: runner v2.333.0+ (github.com since 2026-04), which takes `command:` on services;
# legacy: GHES, older self-hosted runners and act, which reject the key (runner.containers).
RUNNER_COMPATS = ("current", "legacy")
LANGUAGES = ("none", "python", "node")

# Docker's tag grammar; the image repository grammar, simplified (registry host, path, tag).
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_IMAGE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JOB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# A fork or mirror must keep the repository name: `lint` knows the wait step as `*/redis-ci-action@*`.
_ACTION_REF = re.compile(r"(?:[A-Za-z0-9_.-]+/redis-ci-action@[A-Za-z0-9_./-]+|\./[A-Za-z0-9_./-]*)")
_VERSION_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?")
# redis/redis-stack-server publishes whole releases only (7.4.0-v6), no major.minor tags.
_STACK_RELEASE = re.compile(r"\d+\.\d+\.\d+-v\d+")


@dataclass(frozen=True)
class Setup:
    """A Redis setup for one job: every field already validated by `Setup.checked`."""

    image: str = "redis"
    versions: tuple[str, ...] = ()
    port: int = recipe.REDIS_PORT
    container_image: str | None = None
    password_secret: str | None = None
    gate: str = "wait"
    action_ref: str = recipe.ACTION_REF
    language: str = "none"
    job_name: str = "test"
    topology: str = ""
    tls: bool = False
    runner_compat: str = "current"

    @classmethod
    def checked(
        cls,
        image: str = "redis",
        version: str | None = None,
        versions: str | None = None,
        port: int | None = None,
        container_image: str | None = None,
        password_secret: str | None = None,
        gate: str = "wait",
        action_ref: str | None = None,
        language: str = "none",
        job_name: str | None = None,
        topology: str | None = None,
        tls: bool = False,
        runner_compat: str = "current",
    ) -> Setup:
        """Build a Setup from command-line values, or raise UsageError with one line."""
        if image not in recipe.IMAGE_REPOSITORY:
            raise UsageError(f"--image must be one of {', '.join(recipe.IMAGE_REPOSITORY)}, not {image!r}")
        if version is not None and versions is not None:
            raise UsageError("give --version or --versions, not both")
        if versions is not None:
            chosen = tuple(v.strip() for v in versions.split(","))
            if len(chosen) < 2 or len(set(chosen)) != len(chosen):
                raise UsageError(f"--versions needs two or more different versions, got {versions!r}")
        else:
            chosen = (version if version is not None else recipe.STABLE_VERSION[image],)
        for tag in chosen:
            _check_tag(image, tag)
        if container_image is not None:
            _check_container_image(container_image)
            if port is not None:
                raise UsageError(
                    f"--port applies to runner jobs; in a container job Redis is at "
                    f"{recipe.SERVICE_LABEL}:{recipe.REDIS_PORT}"
                )
        if port is not None and not 1 <= port <= 65535:
            raise UsageError(f"--port must be 1-65535, not {port}")
        if password_secret is not None and (
            not _SECRET_NAME.fullmatch(password_secret) or password_secret.upper().startswith("GITHUB_")
        ):
            raise UsageError(f"--password-secret must be a secret name like REDIS_PASSWORD, not {password_secret!r}")
        if gate not in GATES:
            raise UsageError(f"--gate must be one of {', '.join(GATES)}, not {gate!r}")
        if action_ref is not None and not _ACTION_REF.fullmatch(action_ref):
            raise UsageError(f"--action-ref must be OWNER/redis-ci-action@REF or ./PATH, not {action_ref!r}")
        if language not in LANGUAGES:
            raise UsageError(f"--language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        if job_name is not None and not _JOB_NAME.fullmatch(job_name):
            raise UsageError(f"--job must be a job id (letters, digits, - and _), not {job_name!r}")
        _check_topology(topology or "", tls, image, chosen, port, gate, container_image is not None)
        _check_runner_compat(runner_compat, image, password_secret, gate, container_image is not None, topology)
        return cls(
            image=image,
            versions=chosen,
            port=(recipe.TOPOLOGY_FIRST_PORT.get(topology or "", recipe.REDIS_PORT) if port is None else port),
            container_image=container_image,
            password_secret=password_secret,
            gate=gate,
            action_ref=action_ref or recipe.ACTION_REF,
            language=language,
            job_name=job_name or "test",
            topology=topology or "",
            tls=tls,
            runner_compat=runner_compat,
        )

    @property
    def is_container_job(self) -> bool:
        return self.container_image is not None

    @property
    def is_matrix(self) -> bool:
        return len(self.versions) > 1

    @property
    def matrix_key(self) -> str:
        return f"{self.image}-version"

    @property
    def image_reference(self) -> str:
        """`repository:tag`, with the tag from the matrix when there is one."""
        tag = f"${{{{ matrix.{self.matrix_key} }}}}" if self.is_matrix else self.versions[0]
        return f"{recipe.IMAGE_REPOSITORY[self.image]}:{tag}"

    @property
    def host(self) -> str:
        return recipe.SERVICE_LABEL if self.is_container_job else recipe.RUNNER_JOB_HOST

    @property
    def client_port(self) -> int:
        return recipe.REDIS_PORT if self.is_container_job else self.port

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.client_port}/0"

    @property
    def password_expression(self) -> str | None:
        return None if self.password_secret is None else recipe.secret_expression(self.password_secret)

    @property
    def is_legacy_runner(self) -> bool:
        """For runners without `command:` on services (before v2.333.0, GHES, act)."""
        return self.runner_compat == "legacy"

    @property
    def starts_in_step(self) -> bool:
        """No service: the action's `start: docker` runs the server (legacy runners, a password
        for an image that takes it only on its command line)."""
        return bool(self.is_legacy_runner and self.password_secret and self.image in recipe.SERVER_BINARY)

    @property
    def uses_health_check(self) -> bool:
        return self.gate in ("health", "both")

    @property
    def uses_wait_step(self) -> bool:
        return self.gate in ("wait", "both")

    def command_line(self, kind: str) -> str:
        """The shortest `redis-ci generate` command that writes this setup (for the file header)."""
        words = ["redis-ci", "generate", kind]
        if self.image != "redis":
            words += ["--image", self.image]
        if self.is_matrix:
            words += ["--versions", ",".join(self.versions)]
        elif self.versions[0] != recipe.STABLE_VERSION[self.image]:
            words += ["--version", self.versions[0]]
        if self.topology:
            words += ["--topology", self.topology]
        if self.tls:
            words.append("--tls")
        if self.port != recipe.TOPOLOGY_FIRST_PORT.get(self.topology, recipe.REDIS_PORT):
            words += ["--port", str(self.port)]
        if self.container_image:
            words += ["--container-job", self.container_image]
        if self.password_secret:
            words += ["--password-secret", self.password_secret]
        if self.gate != "wait":
            words += ["--gate", self.gate]
        if self.action_ref != recipe.ACTION_REF:
            words += ["--action-ref", self.action_ref]
        if self.language != "none":
            words += ["--language", self.language]
        if self.job_name != "test":
            words += ["--job", self.job_name]
        if self.runner_compat != "current":
            words += ["--runner-compat", self.runner_compat]
        return " ".join(words)


# Tags without a version that the official images publish and move on every release.
_MOVING_WORDS = recipe.MOVING_TAGS | {"alpine", "bookworm", "bullseye", "trixie", "slim"}


def _is_version_tag(tag: str) -> bool:
    """A tag that names a version, as RC401 reads it: not a moving name, and some digit in it
    (`alpine` and `latest-alpine` follow every release)."""
    return tag.lower() not in recipe.MOVING_TAGS and any(character.isdigit() for character in tag)


def _check_tag(image: str, tag: str) -> None:
    if not _TAG.fullmatch(tag):
        raise UsageError(f"{tag!r} is not a valid image tag (use a version such as {recipe.STABLE_VERSION[image]})")
    if not _is_version_tag(tag) and all(word in _MOVING_WORDS for word in tag.lower().split("-")):
        raise UsageError(f"{tag!r} moves under you (RC401): pin a version such as {recipe.STABLE_VERSION[image]}")
    if not _is_version_tag(tag):
        raise UsageError(f"{tag!r} is not a version: --version takes the image tag to pin, such as "
                         f"{recipe.STABLE_VERSION[image]}")
    if image == "redis-stack" and not _STACK_RELEASE.match(tag):
        raise UsageError(f"{tag!r} is not a redis-stack-server tag: they name a whole release, "
                         f"such as {recipe.STABLE_VERSION[image]}")
    number = _VERSION_NUMBER.match(tag)
    if image == "redis" and number:
        major, minor = int(number.group(1)), number.group(2)
        oldest = recipe.OLDEST_SUPPORTED_REDIS
        # A bare major (`6`) follows its newest minor, as lint's RC404 reads it.
        end_of_life = major < oldest[0] if minor is None else (major, int(minor)) < oldest
        if end_of_life:
            raise UsageError(f"Redis {tag} is end of life (RC404): use {'.'.join(map(str, oldest))} or later")


def _check_topology(
    topology: str, tls: bool, image: str, tags: tuple, port: int | None, gate: str, container_job: bool
) -> None:
    """`--topology`/`--tls` against the other options: what the action can start (start-topology.sh)."""
    if tls and not topology:
        raise UsageError("--tls needs --topology cluster or sentinel: a service starts before a step could make its certificates")
    if not topology:
        return
    if topology not in recipe.TOPOLOGIES:
        raise UsageError(f"--topology must be one of {', '.join(recipe.TOPOLOGIES)}, not {topology!r}")
    if image not in recipe.SERVER_BINARY:
        raise UsageError(f"--topology starts the nodes with redis-server: use --image {' or '.join(recipe.SERVER_BINARY)}")
    if gate != "wait":
        raise UsageError("--gate applies to a service; a topology is gated by the step that starts it")
    # Node i listens on port+i (cluster: its bus on port+10000+i; sentinel i on port+20000+i).
    highest = {"cluster": 10005, "sentinel": 20002}[topology]
    if port is not None and not 1 <= port <= 65535 - highest:
        raise UsageError(f"--port with --topology {topology} must be 1-{65535 - highest} (the nodes use ports up to port+{highest})")
    if container_job and topology == "cluster" and image == "redis":
        for tag in tags:
            number = _VERSION_NUMBER.match(tag)
            if number and (int(number.group(1)), int(number.group(2) or 99)) < (7, 0):
                raise UsageError(f"--topology cluster in a container job needs Redis >= 7.0 (nodes announce their names), not {tag}")


def _check_runner_compat(
    runner_compat: str, image: str, password: str | None, gate: str, container_job: bool, topology: str | None
) -> None:
    """`--runner-compat legacy`: what a runner without `command:` on services can still do."""
    if runner_compat not in RUNNER_COMPATS:
        raise UsageError(f"--runner-compat must be one of {', '.join(RUNNER_COMPATS)}, not {runner_compat!r}")
    if runner_compat != "legacy" or topology or not password or image not in recipe.SERVER_BINARY:
        return
    if container_job:
        raise UsageError(
            "--runner-compat legacy cannot give a service a password in a container job (the image takes it only "
            "through `command:`, runner v2.333.0+): use a runner job, or drop --runner-compat on github.com"
        )
    if gate != "wait":
        raise UsageError(
            "--runner-compat legacy with --password-secret starts Redis in the wait step (`start: docker`), "
            "not as a service: --gate health/both do not apply"
        )


def _check_container_image(reference: str) -> None:
    name, at, digest = reference.partition("@")
    if at:  # pinned by digest: the strictest pin
        if not (_IMAGE.fullmatch(name) and re.fullmatch(r"sha256:[0-9a-f]{64}", digest)):
            raise UsageError(f"--container-job {reference!r} is not an image reference")
        return
    name, _, tag = reference.rpartition(":") if ":" in reference.split("/")[-1] else (reference, "", "")
    if not _IMAGE.fullmatch(name):
        raise UsageError(f"--container-job {reference!r} is not an image reference")
    if not tag or not _is_version_tag(tag):
        raise UsageError(f"--container-job {reference!r}: pin a version tag, such as python:3.13-slim")
    if not _TAG.fullmatch(tag):
        raise UsageError(f"--container-job {reference!r}: {tag!r} is not a valid tag")
