"""The prefilter: which rules can say anything about a file, decided from its bytes.

Each rule declares `triggers` (rule.py): lowercase byte strings without which it reports
nothing. An entry is a word (`b"redis"`) or a tuple of groups that must all be present, each
group a word or a tuple of words of which one is enough (`((b"services", b"container"),
b"sysctl")`). The engine runs on a file only the rules one of whose entries matches, and
passes over the file when none does. A rule with `triggers = None` runs on every file.
`gate` (optional) then looks at the parsed YAML, before the model is built: False means the
rule reports nothing here (RC004: no container value a shell and the runner could read
apart). Exactness is tested: tests/lint/test_prefilter_cache.py runs every fixture, the
corpus and generated workflows with and without the prefilter.

The words are matched in the lowercased bytes, and where YAML could spell a word otherwise,
in that spelling too: `\\x72`/`\\u0072` escapes decoded, an escaped line break joined (a
double-quoted scalar drops it with the next line's indentation), non-ASCII text lowercased
and uppercased as Python does (`K` KELVIN SIGN lowercases to `k`).

No imports beyond the standard library at module level: rule.py and every rule import this.
"""

from __future__ import annotations

import functools
import re

from redis_ci.lint.patterns import lazy_compile

# Every Redis image, action, port, URL and client names one of these; a compose start (whose
# compose file may be Redis) says `compose`. The trigger of every rule about Redis.
REDIS_WORDS = (b"redis", b"valkey", b"6379", b"keydb", b"dragonfly", b"compose")
# The ignore comment: a file with one is always linted (its notices, RC000).
MARKER = b"redis-ci:"
SERVICES = (b"services", b"container")
NON_LINUX = (b"macos", b"windows", b"osx", b"ubuntu-slim")

# `\\u` is `\\U` lowercased: read both as 4 and as 8 hex digits (`\\u0072abcd` is `r` + `abcd`)
_ESCAPES = (lazy_compile(rb"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4})"), lazy_compile(rb"\\(?:x[0-9a-f]{2}|u[0-9a-f]{8})"))
_ESCAPED_BREAK = lazy_compile(rb"\\\r?\n[ \t]*")


def lowered_forms(data: bytes) -> tuple:
    """The file's bytes lowercased, plus every other spelling YAML could read as a word."""
    lowered = data.lower()
    forms = [lowered]
    if b"\\" in lowered:
        if b"\\x" in lowered or b"\\u" in lowered:
            forms += [escape.sub(_unescape, lowered) for escape in _ESCAPES]
        if b"\\\n" in lowered or b"\\\r" in lowered:
            forms.extend([_ESCAPED_BREAK.sub(b"", form) for form in forms])
    if not data.isascii():
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return tuple(forms)  # never skipped (RC001)
        text = re.sub(r"\\(?:\r\n|[\r\n\x85\u2028\u2029])[ \t]*", "", text)
        forms += [text.lower().encode(), text.upper().lower().encode(), text.casefold().encode()]
    return tuple(forms)


def _unescape(match: re.Match) -> bytes:
    code = int(match.group(0)[2:], 16)
    try:
        return chr(code).upper().lower().encode()  # as the model's .lower() and .upper() read it
    except (ValueError, UnicodeEncodeError):  # beyond Unicode, or a lone surrogate: YAML refuses it
        return match.group(0)


def _alternatives(triggers) -> tuple:
    """triggers as alternatives, each a tuple of groups, each a tuple of words (one is enough)."""
    return tuple(((entry,),) if isinstance(entry, bytes) else
                 tuple((group,) if isinstance(group, bytes) else tuple(group) for group in entry)
                 for entry in triggers)


@functools.lru_cache(maxsize=64)
def _program(rules: tuple) -> tuple:
    """(the distinct triggers of a rule selection as alternatives, None for "always"; for each
    rule the index of its triggers in the first; words one of which every alternative needs,
    None when some rule always runs)."""
    counts: dict = {}
    for rule in rules:
        counts[rule.triggers] = counts.get(rule.triggers, 0) + 1
    distinct = sorted(counts, key=lambda triggers: -counts[triggers])  # REDIS_WORDS first: it decides most files
    programs = tuple(None if triggers is None else _alternatives(triggers) for triggers in distinct)
    needed: set | None = set()
    if None in programs:
        needed = None
    else:
        every = [groups for alternatives in programs for groups in alternatives]
        needed.update(groups[0][0] for groups in every if len(groups) == 1 and len(groups[0]) == 1)
        for groups in sorted(every, key=lambda groups: min(map(len, groups))):
            if not any(set(group) <= needed for group in groups):
                needed.update(min(groups, key=len))
        needed = {word for word in needed if not any(other != word and other in word for other in needed)}
    return programs, tuple(distinct.index(rule.triggers) for rule in rules), needed and tuple(sorted(needed))


def triggered(data: bytes, rules, first: bool = False) -> list:
    """The rules of `rules` that can report something about data (file-level rules, RC001-RC003,
    come along whenever another does); [] when none can (first: only the first such rule, or
    []). No decision on too large or undecodable files: the engine lints those whatever this says."""
    rules = tuple(rules)
    programs, which, needed = _program(rules)
    forms = lowered_forms(data)
    lowered = forms[0] if len(forms) == 1 else None  # most files: one spelling
    if needed is not None:
        # most files end here: a few searches (<1 us each on a 2 kB file); with one spelling a
        # plain loop, 2.5x cheaper than an any() per word (the generator costs more than the search)
        if lowered is not None:
            for word in needed:
                if word in lowered:
                    break
            else:
                return []
        elif not any(word in form for word in needed for form in forms):
            return []
    known: dict = {}  # word -> present, each searched once
    hits = []
    for alternatives in programs:  # plain loops: ~3x cheaper than nested any()/all() here
        hit = alternatives is None
        for groups in alternatives or ():
            for group in groups:
                for word in group:
                    found = known.get(word)
                    if found is None:
                        found = known[word] = (word in lowered) if lowered is not None else any(
                            word in form for form in forms)
                    if found:
                        break
                else:
                    break  # no word of this group: the alternative fails
            else:
                hit = True
                break
        if hit and first:
            return [rules[which.index(len(hits))]]
        hits.append(hit)
    if first:
        return []
    chosen = [rule for rule, index in zip(rules, which) if hits[index]]
    if any(not rule.file_level for rule in chosen):
        chosen = [rule for rule, index in zip(rules, which) if rule.file_level or hits[index]]
    return chosen


# RC004's gate: the fields it reads (Service.options/command/entrypoint, Container.options).
_SERVICE_FIELDS = ("options", "command", "entrypoint")


def runner_split_possible(document, differs=None) -> bool:
    """RC004 reports only a container value in which a shell and the runner can read words
    apart: one with a single quote, a backslash, a line break, a `""` or an odd number of double
    quotes (an `entrypoint:`: any double quote), and for which differs(text, key) (RC004's own
    test, when given) is not None. False when no such value is in the file (its fields found
    as the model's builder finds them, every duplicate key included)."""
    from redis_ci.lint.yaml_nodes import MappingNode, ScalarNode

    def values(node, keys):
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value in keys:
                    yield key.value, value

    for _jobs_key, jobs in values(document.root, ("jobs",)):
        if not isinstance(jobs, MappingNode):
            continue
        for _job_key, job in jobs.value:
            fields = []
            for _services_key, services in values(job, ("services",)):
                if isinstance(services, MappingNode):
                    for _label, service in services.value:
                        fields.extend(values(service, _SERVICE_FIELDS))
            for _container_key, container in values(job, ("container",)):
                fields.extend(values(container, ("options",)))
            for key, value in fields:
                if isinstance(value, ScalarNode) and _may_split_apart(value.value, key) and (
                        differs is None or differs(value.value, key) is not None):
                    return True
    return False


def _may_split_apart(text: str, key: str) -> bool:
    """The quick test RC004 (rules/runner_quoting.py, `_difference`) starts with."""
    if any(char in text for char in "'\\\n") or (key == "entrypoint" and '"' in text):
        return True
    return text.count('"') % 2 == 1 or '""' in text
