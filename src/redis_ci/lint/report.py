"""What `redis-ci lint` says around the findings: the summary line, `--statistics`, the colour
decision and `--output-file`. The findings themselves are rendered by `render.py`."""

from __future__ import annotations

import os


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(results) -> str:
    """`Found 7 findings (3 fixable) in 2 files.` or `All checks passed (5 files).`
    results: packed results (lint/packed.py: their counts, no row decoded, no Finding built)."""
    count = sum(result.count for result in results)
    if not count:
        return f"All checks passed ({_plural(len(results), 'file')})."
    fixable = sum(result.fixable_count for result in results)
    files = sum(1 for result in results if result.count)
    fixable_note = f" ({fixable} fixable)" if fixable else ""
    return f"Found {_plural(count, 'finding')}{fixable_note} in {_plural(files, 'file')}."


def statistics(results, as_json: bool) -> str:
    """Findings counted per rule, most frequent first (ruff's --statistics)."""
    from collections import Counter  # only here: a cached lint starts without it

    counts = Counter()
    first = {}
    for result in results:
        for finding in result.findings:
            counts[finding.code] += 1
            first.setdefault(finding.code, finding)
    ordered = sorted(counts, key=lambda code: (-counts[code], code))
    if as_json:
        rows = [{"code": code, "name": first[code].name, "count": counts[code], "fixable": first[code].fixable}
                for code in ordered]
        import json  # only here: a cached text lint starts without it

        return json.dumps(rows, indent=2) + "\n"
    width = len(str(max(counts.values(), default=0)))
    return "".join(f"{counts[code]:>{width}}\t{code}\t{'[*]' if first[code].fixable else '[ ]'} {first[code].name}\n"
                   for code in ordered)


def use_color(choice: str, is_terminal: bool) -> bool:
    """--color always/never win; auto: NO_COLOR (non-empty) says no, FORCE_COLOR (non-empty)
    says yes, else only on a terminal that is not `dumb` (https://no-color.org,
    https://force-color.org)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_terminal and os.environ.get("TERM") != "dumb"


def write_output_file(path: str, text: str) -> None:
    """Write the report to path atomically (a temp file beside it, then rename): a reader never
    sees half a report, and a failed write leaves the old file. OSError goes to the caller."""
    import tempfile  # only with --output-file: lint's start-up stays small

    folder = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(prefix=".redis-ci-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
