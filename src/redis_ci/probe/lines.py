"""One printed line stays one line: the line breaks inside a text we print, shown escaped.

A URL's %0A decoded into a socket path, a host, or a server's words could otherwise end our
line and start one of their own, which the GitHub runner reads as a workflow command
(`::warning::...`, `::add-mask::...`) on stdout and stderr alike, and a terminal shows as our
own. The runner breaks lines at CR and LF (.NET's ReadLine); terminals and log viewers at the
rest of `str.splitlines`' breaks too. Each is shown as `repr` shows it (`\\n`, `\\x85`).
Standard library only (the action's Node probe, scripts/action/probe.js, does the same).
"""

from __future__ import annotations

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SHOWN = str.maketrans({ch: repr(ch)[1:-1] for ch in LINE_BREAKS})


def printed_line(line: str) -> str:
    """`line` as a probe prints it. A workflow command (`::...`) holds its data escaped already
    (%0D, %0A) and must keep every other character as it is (an `::add-mask::` value must be the
    password itself, and the runner breaks lines at CR and LF only): only a stray CR or LF is
    escaped. Any other line: `unbroken`."""
    if line.startswith("::"):
        return line.replace("\r", "%0D").replace("\n", "%0A")
    return unbroken(line)


def unbroken(text: str) -> str:
    """`text` with every line break in it escaped: printed, it is exactly one line."""
    return text.translate(_SHOWN)
