"""RC401 unpinned-image."""

from __future__ import annotations

import re

from redis_ci.lint.edits import replace
from redis_ci.lint.model import MATRIX_REF, Value, compose_redis_definitions, is_redis_image, parse_image, redis_start
from redis_ci.lint.prefilter import REDIS_WORDS
from redis_ci.lint.rule import Rule
from redis_ci.recipe import IMAGE_REPOSITORY, MOVING_TAGS, STABLE_VERSION

# Docker Hub repository -> the version `generate` pins (redis-stack has no plain version tags).
_STABLE = {IMAGE_REPOSITORY[kind]: STABLE_VERSION[kind] for kind in ("redis", "valkey")}
# Tags that follow pre-releases on purpose: pinning them to the stable major changes the test.
_PRERELEASE_TAGS = MOVING_TAGS - {"latest"}


class UnpinnedImage(Rule):
    """A Redis image without a version tag: each new release changes the server under your tests.

    ## What it does
    Reports the image of a Redis service, a Redis image among the matrix values the
    image reads, the Redis image of a `docker run` step, or the image of a Redis service in a
    compose file the workflow starts (reported in that file), that has no tag, `latest`, a
    moving tag (`edge`, `unstable`, `nightly`) or a tag without any version number
    (`alpine`, `bookworm`). A tag from the matrix (`redis:${{ matrix.redis-version }}`) is
    judged by each value the matrix gives it, reported where the matrix lists that value
    (`latest`, `edge`); a tag from another expression (`${{ vars.TAG }}`, `$TAG`) or a
    digest (`@sha256:...`) counts as pinned.

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
        image: redis:8.2
    ```

    ## Fix safety
    Safe for `redis` and `valkey/valkey` images: the fix writes the version `generate` pins
    (`recipe.STABLE_VERSION`: `redis` -> `redis:8.2`, `redis:latest` -> `redis:8.2`,
    `redis:alpine` -> `redis:8.2-alpine`; a matrix value `latest` -> `8.2`), the release
    `latest` points to today, so the server stays the one the job ran yesterday. No fix for
    other images (their version tags are not known here), for
    `edge`/`unstable`/`nightly` (they follow pre-releases on purpose), or where the
    image is written in a way an edit cannot safely reach (a quoted `docker run` image,
    a folded scalar), nor in a compose file (--fix edits workflows only). In a `docker run`
    script only the image word changes.
    """

    code = "RC401"
    name = "unpinned-image"
    triggers = REDIS_WORDS
    severity = "warning"
    fixable = True

    def check_job(self, job, workflow):
        for service in job.redis_services:
            written = service.image
            if written is None or written.digest:
                continue
            if written.tag and "${{" in written.tag:  # `redis:${{ matrix.redis }}`: judge each value
                yield from self._matrix_tags(written, job, f"of service `{service.label}`")
                continue
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

    def _matrix_tags(self, written, job, where: str):
        """Each matrix value the tag takes that leaves the image unpinned, reported where the
        matrix lists it; fixed there when the tag is exactly `${{ matrix.KEY }}`."""
        whole = MATRIX_REF.fullmatch(written.tag.strip())
        names = [whole.group(1)] if whole else []
        for name in names:
            for value in job.matrix.get(name, []):
                text = written.value.text.strip()
                image = parse_image(Value(text[: len(text) - len(written.tag)] + value.text.strip(), value.span))
                if "${{" in value.text or not _is_unpinned(image):
                    continue
                pinned = _pinned(image)
                tag = pinned.rpartition(":")[2] if pinned else None
                if tag and value.style is None and _looks_numeric(tag):
                    tag = f'"{tag}"'  # a plain 8.10 would be the number 8.1 to GitHub
                yield self._finding(image, f"{where} (matrix `{name}: {value.text.strip()}`)",
                                    value.locate(0, len(value.text)), written=value.text, pinned=tag)

    def _finding(self, image, where: str, span, in_file=None, **override):
        pinned = override.get("pinned", _pinned(image))
        advice = f"write `{pinned}`" + (" there" if override else "") if pinned else "pin a version tag"
        return self.finding(
            f"image `{image.value.text.strip()}` {where} is not pinned: it moves with every release and "
            f"changes the server under the tests; {advice}",
            span,
            in_file,
            written=override.get("written", image.value.text),
            pinned=pinned,
        )

    def fix(self, finding, workflow):
        pinned, span = finding.data["pinned"], finding.span
        if pinned is None or workflow.text_at(span) != finding.data["written"]:
            return []
        return [replace(span, pinned)]


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
    """The image text with the recipe's version as its tag, or None when that is not known."""
    major = _STABLE.get(image.hub_repository or "")
    text = image.value.text
    if major is None or text != text.strip():
        return None
    if image.tag is None:
        return f"{text}:{major}"
    tag = image.tag.lower()
    if tag in _PRERELEASE_TAGS:
        return None
    base = text[: len(text) - len(image.tag)]
    # `latest` -> `8.2`, `latest-alpine` -> `8.2-alpine`, `alpine` -> `8.2-alpine`
    variant = image.tag[len("latest"):] if tag.startswith("latest") else f"-{image.tag}"
    return base + major + variant
