"""YAML's line breaks and the one line splitter: lines as PyYAML and libyaml count them.

Below `yaml_nodes` (positions) and `edits` (text edits), and used by everything that
turns a file into lines (`--diff`, `generate --into`), so a line number means one thing.
"""

from __future__ import annotations

from redis_ci.lint.patterns import lazy_compile

# YAML 1.1 line breaks (PyYAML and libyaml count lines at these and nowhere else); not
# str.splitlines(), which also breaks at a form feed and would shift every later line.
LINE_BREAK = lazy_compile("\r\n|[\n\r\x85\u2028\u2029]")
_RARE_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


def split_lines(text: str, keep_breaks: bool = False) -> list[str]:
    """The text's lines; a final break (`\\r\\n` too) ends the last line, it starts none.
    keep_breaks: each line with its own break (joined, they are the text again)."""
    if not text:
        return []
    if any(rare in text for rare in _RARE_BREAKS):
        if not keep_breaks:
            lines = LINE_BREAK.split(text)
        else:
            lines, start = [], 0
            for match in LINE_BREAK.finditer(text):
                lines.append(text[start:match.end()])
                start = match.end()
            lines.append(text[start:])
    else:  # the common case, without a regex
        lines = text.split("\n")
        if keep_breaks:
            lines = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    if not lines[-1]:
        lines.pop()
    return lines
