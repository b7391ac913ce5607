"""Container image references split Docker's way, and which images are Redis-compatible."""

from __future__ import annotations

from redis_ci.lint.model.records import Record
from redis_ci.lint.model.value import Value


class Image(Record):
    """A container image reference split Docker's way; fields may contain expressions.
    Immutable by convention (it is hashed)."""

    __slots__ = _fields = ("value", "registry", "repository", "tag", "digest")
    __hash__ = Record.hash_fields

    def __init__(self, value: Value, registry: str | None, repository: str, tag: str | None, digest: str | None):
        self.value = value
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest

    @property
    def name(self) -> str:
        """The last part of the repository (`redis` for `docker.io/library/redis:7`)."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def hub_repository(self) -> str | None:
        """The Docker Hub repository, official images without `library/` (`redis` for
        `docker.io/library/redis:7`); None for another registry."""
        if self.registry not in (None, "docker.io", "index.docker.io", "registry-1.docker.io"):
            return None
        repository = self.repository.lower()
        return repository[len("library/"):] if repository.startswith("library/") else repository


def parse_image(value: Value) -> Image:
    """Split `registry/repository:tag@digest` Docker's way."""
    text = value.text.strip()
    rest, _, digest = text.partition("@") if "@sha" in text else (text, "", "")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost") and "${{" not in first:
        registry, rest = first, remainder
    head, _, last = rest.rpartition("/")
    name, colon, tag = last.partition(":")
    repository = f"{head}/{name}" if head else name
    return Image(value, registry, repository, tag if colon else None, digest or None)


REDIS_IMAGE_NAMES = (
    "redis", "redis-stack", "redis-stack-server", "valkey", "keydb",
    "redis-cluster", "valkey-cluster", "dragonfly",
)


def is_redis_image(image: Image) -> bool:
    """RULES.md "Redis service": the repository is or ends with a known name, or mentions redis/valkey."""
    repository = image.repository.lower()
    if "redis" in repository or "valkey" in repository:  # most names; the loop is for the others
        return True
    return any(repository == name or repository.endswith("/" + name) for name in REDIS_IMAGE_NAMES)
