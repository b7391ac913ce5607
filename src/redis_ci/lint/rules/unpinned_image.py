"""RC401 unpinned-image."""

from __future__ import annotations

import re

from redis_ci.lint.edits import replace
from redis_ci.lint.model import Value, compose_redis_definitions, is_redis_image, parse_image, redis_start
from redis_ci.lint.rule import Rule
from redis_ci.recipe import IMAGE_REPOSITORY, MOVING_TAGS, STABLE_VERSION

# Docker Hub repository -> the major `latest` points to today (redis-stack has no major tags).
_STABLE_MAJOR = {
    IMAGE_REPOSITORY[kind]: STABLE_VERSION[kind].split(".")[0] for kind in ("redis", "valkey")
}
# Tags that follow pre-releases on purpose: pinning them to the stable major changes the test.
_PRERELEASE_TAGS = MOVING_TAGS - {"latest"}


class UnpinnedImage(Rule):
    """A Redis image without a version tag: each new release changes the server under your tests.

    ## What it does
    Reports the image of a Redis service, a Redis image among the matrix values the
    image reads, the Redis image of a `docker run` step, or the image of a Redis service in a
    compose file the workflow starts (reported in that file), that has no tag, `latest`, a
    moving tag (`edge`, `unstable`, `nightly`) or a tag without any version number
    (`alpine`, `bookworm`). A tag that comes from an expression
    (`redis:${{ matrix.redis-version }}`, `redis:$TAG`) or a digest (`@sha256:...`)
    counts as pinned.

    ## Why is this bad?
    Such tags move with every release. When untagged `redis` became Redis 8 (bundled
    modules, new defaults), test suites of go-redis and zgrab2 broke overnight without a
    change of their own. A pinned tag moves only when you change it.

    ## Example
    ```yaml
    services:
      redis:
        image: redis
    ```

    ## Use instead
    ```yaml
    services:
      redis:
        image: redis:8
    ```

    ## Fix safety
    Safe for `redis` and `valkey/valkey` images: the fix writes the major version that
    `latest` points to today (`redis` -> `redis:8`, `redis:latest` -> `redis:8`,
    `redis:alpine` -> `redis:8-alpine`), so the server stays the one the job ran
    yesterday. No fix for other images (their version tags are not known here), for
    `edge`/`unstable`/`nightly` (they follow pre-releases on purpose), or where the
    image is written in a way an edit cannot safely reach (a quoted `docker run` image,
    a folded scalar), nor in a compose file (--fix edits workflows only). In a `docker run`
    script only the image word changes.
    """

    code = "RC401"
    name = "unpinned-image"
    severity = "warning"
    fixable = True

    def check_job(self, job, workflow):
        for service in job.redis_services:
            written = service.image
            if written is None or written.digest or (written.tag and "${{" in written.tag):
                continue  # a digest, or a tag chosen by an expression: pinned where it is chosen
            for image in service.images:
                if "${{" not in image.value.text and is_redis_image(image) and _is_unpinned(image):
                    span = image.value.locate(0, len(image.value.text))
                    yield self._finding(image, f"of service `{service.label}`", span)
        for service in compose_redis_definitions(job, "image"):  # reported in the compose file, not fixed
            image = service.image
            if "$" not in image.value.text and _is_unpinned(image):
                span = image.value.locate(0, len(image.value.text))
                yield self._finding(image, f"of compose service `{service.name}`", span, service.file)

    def check_step(self, step, job, workflow):
        start = redis_start(step)
        if start is None or start.kind != "docker-run" or "$" in start.image:
            return
        word = start.image.strip("'\"")
        image = parse_image(Value(word, start.span))
        if _is_unpinned(image):
            # a quoted image word is reported but not rewritten
            span = _word_span(step.run, start) if word == start.image else None
            yield self._finding(image, "in `docker run`", span or start.span)

    def _finding(self, image, where: str, span, in_file=None):
        pinned = _pinned(image)
        advice = f"write `{pinned}`" if pinned else "pin a version tag"
        return self.finding(
            f"image `{image.value.text.strip()}` {where} is not pinned: it moves with every release and "
            f"changes the server under the tests; {advice}",
            span,
            in_file,
            written=image.value.text,
            pinned=pinned,
        )

    def fix(self, finding, workflow):
        pinned, span = finding.data["pinned"], finding.span
        if pinned is None or workflow.text_at(span) != finding.data["written"]:
            return []
        return [replace(span, pinned)]


def _is_unpinned(image) -> bool:
    """No tag, a moving tag, or a tag without a version number; a digest pins."""
    if image.digest:
        return False
    tag = image.tag
    return tag is None or tag.lower() in MOVING_TAGS or not any(character.isdigit() for character in tag)


def _word_span(run, start):
    """Where the image word of a `docker run` is written in the script (None if not exactly known)."""
    for match in re.finditer(rf"(?<!\S){re.escape(start.image)}(?!\S)", run.text):
        span = run.locate(match.start(), match.end())
        if (span.line, span.column) >= (start.span.line, start.span.column):
            return span
    return None


def _pinned(image) -> str | None:
    """The image text with the stable major as its tag, or None when that is not known."""
    major = _STABLE_MAJOR.get(image.hub_repository or "")
    text = image.value.text
    if major is None or text != text.strip():
        return None
    if image.tag is None:
        return f"{text}:{major}"
    tag = image.tag.lower()
    if tag in _PRERELEASE_TAGS:
        return None
    base = text[: len(text) - len(image.tag)]
    # `latest` -> `8`, `latest-alpine` -> `8-alpine`, `alpine` -> `8-alpine`
    variant = image.tag[len("latest"):] if tag.startswith("latest") else f"-{image.tag}"
    return base + major + variant
