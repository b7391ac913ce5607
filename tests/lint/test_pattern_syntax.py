"""Every pattern lint compiles is one the oldest Python we support (pyproject's requires-python,
3.9) can compile: possessive quantifiers and atomic groups came in 3.11, and a pattern that uses
one fails only when first used (lazy_compile), as `multiple repeat` in the middle of a lint."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
import re._parser as parser  # 3.11's parser knows the new syntax and names it

import redis_ci
from redis_ci.lint.patterns import LazyPattern

NEWER_THAN_3_9 = {parser.POSSESSIVE_REPEAT, parser.ATOMIC_GROUP}


def _every_pattern() -> list:
    """Every LazyPattern and compiled pattern that redis_ci's modules (and their classes) hold,
    in tuples and dicts too. (Not gc.get_objects(): what gc.freeze() froze is not listed.)"""
    for module in pkgutil.walk_packages(redis_ci.__path__, "redis_ci."):
        if not module.name.startswith(("redis_ci.pytest", "redis_ci.__main__")):
            importlib.import_module(module.name)
    sources, seen = set(), set()
    stack = [vars(module) for name, module in sorted(sys.modules.items()) if name.startswith("redis_ci")]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, LazyPattern):
            sources.add(value._source)
        elif isinstance(value, re.Pattern) and isinstance(value.pattern, str):
            sources.add((value.pattern, value.flags))
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (tuple, list, set, frozenset)):
            stack.extend(value)
        elif isinstance(value, type) and value.__module__.startswith("redis_ci"):
            stack.append(dict(vars(value)))
    return sorted(sources, key=repr)


def _opcodes(parsed) -> set:
    found = set()
    for opcode, argument in parsed:
        found.add(opcode)
        for part in argument if isinstance(argument, (tuple, list)) else ():
            if isinstance(part, parser.SubPattern):
                found |= _opcodes(part)
            elif isinstance(part, (tuple, list)):
                for inner in part:
                    if isinstance(inner, parser.SubPattern):
                        found |= _opcodes(inner)
    return found


def test_no_pattern_needs_python_3_11():
    patterns = _every_pattern()
    assert len(patterns) > 100  # the rules' and the model's, and the standard library's
    newer = [source for source, flags in patterns
             if _opcodes(parser.parse(source, flags & ~re.UNICODE if isinstance(source, bytes) else flags)) & NEWER_THAN_3_9]
    assert newer == []


def test_the_check_sees_a_possessive_quantifier_and_an_atomic_group():
    assert _opcodes(parser.parse(r"a(?:-\w+\s+)*+b")) & NEWER_THAN_3_9
    assert _opcodes(parser.parse(r"x(?>ab|a)c")) & NEWER_THAN_3_9
    assert not _opcodes(parser.parse(r"(?:-\w+\s+)*(?P<h>\w+)")) & NEWER_THAN_3_9
