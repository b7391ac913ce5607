"""Every form a password can take is redacted, and the masks cover every line and the whole value."""

from __future__ import annotations

import json
from urllib.parse import quote

from redis_ci.probe.failures import one_line
from redis_ci.probe.redaction import REDACTED, Redactor, mask_lines

PASSWORD = 'Zq7 first\tpä"ss\\wd\nsecond-Yk9 line'


def test_every_form_is_redacted():
    redactor = Redactor((PASSWORD,))
    for form in (PASSWORD, " ".join(PASSWORD.split()), one_line(PASSWORD), quote(PASSWORD, safe=""), quote(PASSWORD),
                 json.dumps(PASSWORD)[1:-1], json.dumps(PASSWORD, ensure_ascii=False)[1:-1],
                 "Zq7 first\tpä\"ss\\wd", "second-Yk9 line"):
        assert redactor.text(f"before {form} after") == f"before {REDACTED} after", form


def test_the_whole_value_goes_before_its_lines():
    assert Redactor((PASSWORD,)).text(f"<{PASSWORD}>") == f"<{REDACTED}>"


def test_bytes_are_redacted_by_the_whole_value_only():
    redactor = Redactor(("ab\ncd",))
    assert redactor.data(b"x ab\ncd y") == b"x *** y"
    assert redactor.data(b"ab") == b"ab"  # a line alone stays (INFO and tokens must read true)


def test_masks_cover_the_whole_value_and_every_line():
    masks = mask_lines("one%\ntwo")
    assert masks[:3] == ["one%25%0Atwo", "one%25", "two"]
    assert quote("one%\ntwo", safe="").replace("%", "%25") in masks


def test_shown_values_are_redacted_and_short():
    redactor = Redactor(("s3cret",))
    assert redactor.shown(b"x s3cret") == "b'x ***'"
    assert len(redactor.shown(b"y" * 10_000)) == 120
    assert redactor.shown([b"s3cret"] * 20).count("***") == 8
