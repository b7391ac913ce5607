"""Passwords kept out of every output: the forms a password can take in text, and `Redactor`.

A server or proxy may echo a password (in an error reply, say), and every later step
(decoding, collapsing whitespace, JSON, URL or workflow-command escaping, cutting to a
length) would turn it into a form a plain search no longer finds. So the RESP client
redacts every reply's bytes as it reads them, before any of that, and the reporter
redacts every text it writes once more, in every form listed in `password_forms`.
Standard library only.
"""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

REDACTED = "***"


def escape_data(text: str) -> str:
    """Escape a workflow command's message (the runner decodes %25, %0D, %0A)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def printable_line(text: str) -> str:
    """`text` with its whitespace runs collapsed to one space and unprintable characters as `?`:
    how messages show a server's words on one line."""
    return "".join(ch if ch.isprintable() else "?" for ch in " ".join(text.split()))


def repr_forms(text: str) -> list:
    """`text` inside a str or a bytes repr (how messages quote a reply), in each of repr's two
    quotings: `'` escaped (the reply holds both quotes, or this one alone) or not (only `'`)."""
    forms = []
    for shown in (repr(text + "'\"")[1:-4], repr(text.encode("utf-8", "surrogatepass") + b"'\"")[2:-4]):
        forms += [shown, shown.replace("\\'", "'")]
    return forms


def encodings(text: str) -> list:
    """`text` as it may appear once encoded: raw, URL-encoded (three ways), JSON-escaped (ASCII
    or not), as a workflow command's data, on one printable line, and inside a str or bytes repr."""
    return [
        text,
        quote(text, safe=""),
        quote(text),
        quote_plus(text),
        json.dumps(text)[1:-1],
        json.dumps(text, ensure_ascii=False)[1:-1],
        escape_data(text),
        " ".join(text.split()),
        printable_line(text),
        *repr_forms(text),
    ]


def password_forms(password: str) -> list:
    """Every form of `password` to redact, longest first (so the whole value goes before its
    parts): its encodings, and those of each line of a multi-line password."""
    lines = [line for line in password.splitlines() if line.strip()] if len(password.splitlines()) > 1 else []
    forms = {form for part in (password, *lines) for form in encodings(part) if form.strip()}
    return sorted(forms, key=lambda form: (-len(form), form))


def mask_lines(password: str) -> list:
    """The values to hand to `::add-mask::`: the whole password (escaped, so one command holds
    it) and each of its lines (the runner masks what it is given; a log line holds one line),
    for the raw and the URL-encoded password."""
    values = []
    for form in (password, quote(password, safe="")):
        values.append(escape_data(form))
        values += [escape_data(line) for line in form.splitlines() if line.strip()]
    return list(dict.fromkeys(value for value in values if value.strip()))


class Redactor:
    """Replaces every form of the given passwords with `***`, in text and in bytes."""

    def __init__(self, passwords=()):
        self.passwords = [password for password in dict.fromkeys(passwords) if password]
        forms = sorted({form for password in self.passwords for form in password_forms(password)},
                       key=lambda form: (-len(form), form))
        self.forms = forms
        # In replies, only the whole password's forms: a short line of a multi-line password
        # replaced inside INFO or a token would change what the checks read.
        whole = sorted({form for password in self.passwords for form in encodings(password) if form.strip()},
                       key=lambda form: (-len(form), form))
        self.byte_forms = [form.encode("utf-8", "surrogatepass") for form in whole]

    def __bool__(self) -> bool:
        return bool(self.passwords)

    def text(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def data(self, data: bytes) -> bytes:
        """For the RESP client: a reply line's bytes, redacted before anything decodes them."""
        for form in self.byte_forms:
            if form in data:
                data = data.replace(form, REDACTED.encode())
        return data

    def shown(self, value, limit: int = 120) -> str:
        """A reply value for a message: redacted, then `repr`, redacted again (a line of a
        multi-line password is only found in the text, escaped as repr shows it), then cut to
        `limit` characters (after: a cut part of a password would no longer match)."""
        def redact(item):
            if isinstance(item, bytes):
                return self.data(item)
            if isinstance(item, str):
                return self.text(item)
            if isinstance(item, list):
                return [redact(part) for part in item[:8]] + (["..."] if len(item) > 8 else [])
            return item
        text = self.text(repr(redact(value)))
        return text if len(text) <= limit else text[: limit - 3] + "..."
