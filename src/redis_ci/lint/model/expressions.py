"""The `${{ }}` expression shapes the model recognises: any expression, a matrix value, a service's mapped port."""

from __future__ import annotations

import re
from redis_ci.lint.patterns import lazy_compile


EXPRESSION = lazy_compile(r"\$\{\{.*?\}\}", re.S)
MATRIX_REF = lazy_compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
SERVICE_PORT_REF = lazy_compile(
    r"^\$\{\{\s*job\.services\.([A-Za-z0-9_-]+)\.ports\s*\[\s*['\"]?(\d+)(?:/tcp)?['\"]?\s*\]\s*\}\}$"
)
