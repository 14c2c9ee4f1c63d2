"""Every message and UI string exists in Vietnamese and English, and every code has one."""

import re
from pathlib import Path

import pytest

import hoso.profiles.errors
import hoso.workspaces.errors
from hoso.core import errors as core_errors
from hoso.core.i18n import ERRORS, LOCALES, message, negotiate
from hoso.web.deps import CsrfFailed
from hoso.web.i18n import UI

SRC = Path(__file__).resolve().parents[2] / "src" / "hoso"


def _error_classes() -> list[type[core_errors.HosoError]]:
    seen: list[type[core_errors.HosoError]] = []
    stack = [core_errors.HosoError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


def test_modules_with_errors_are_imported() -> None:
    assert hoso.profiles.errors.ProfileNotFound in _error_classes()
    assert hoso.workspaces.errors.InvalidApiKey in _error_classes()
    assert CsrfFailed in _error_classes()


@pytest.mark.parametrize("catalogue", [ERRORS, UI], ids=["errors", "ui"])
def test_every_entry_has_both_languages(catalogue: dict[str, dict[str, str]]) -> None:
    missing = [k for k, v in catalogue.items() if set(v) != set(LOCALES) or not all(v.values())]
    assert missing == []


def test_every_error_code_has_a_message() -> None:
    missing = [cls.code for cls in _error_classes() if cls.code not in ERRORS]
    assert missing == []


def test_every_field_error_code_in_the_source_has_a_message() -> None:
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        used |= set(re.findall(r'FieldError\([^,]+,\s*"([a-z_]+)"', path.read_text()))
    assert used, "no FieldError codes found: the pattern is stale"
    assert sorted(used - set(ERRORS)) == []


def test_vietnamese_and_english_differ() -> None:
    assert message("invalid_phone", "vi", {"value": "1"}) != message(
        "invalid_phone", "en", {"value": "1"}
    )


def test_missing_params_do_not_crash() -> None:
    assert message("invalid_phone", "en") == "Invalid phone number."


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "vi"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, vi;q=0.5", "vi"),
        ("vi;q=0.3, en;q=0.8", "en"),
        ("de", "vi"),
    ],
)
def test_language_negotiation(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected
