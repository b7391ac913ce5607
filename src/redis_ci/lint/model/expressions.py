"""The `${{ }}` expression shapes the model recognises: any expression, a matrix value, a service's mapped port."""

from __future__ import annotations

import re
from redis_ci.lint.patterns import lazy_compile


EXPRESSION = lazy_compile(r"\$\{\{.*?\}\}", re.S)
MATRIX_REF = lazy_compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
SERVICE_PORT_REF = lazy_compile(
    r"^\$\{\{\s*job\.services\.([A-Za-z0-9_-]+)\.ports\s*\[\s*['\"]?(\d+)(?:/tcp)?['\"]?\s*\]\s*\}\}$"
)


def sub_expressions(replace, text: str) -> str:
    """`EXPRESSION.sub(replace, text)` in time linear in text: the pattern scans from each `${{`
    that no `}}` follows to the end of the text to fail (100 kB of `${{ ` took minutes), so it
    runs only up to the last `}}`; after it, no `${{` is closed."""
    cut = text.rfind("}}") + 2
    if cut < 2:
        return text
    return EXPRESSION.sub(replace, text[:cut]) + text[cut:] if cut < len(text) else EXPRESSION.sub(replace, text)
