"""Unicode helpers shared by every normaliser: display form, matching key, blank test.

Vietnamese text reaches us precomposed (NFC), decomposed (NFD, e.g. from macOS or old
Windows-1258 tools) and with old-style tone placement (``Thuỷ`` vs ``Thủy``). Two forms are
derived from any input, and the raw value is never touched:

* :func:`nfc` is the *display* form: NFC, whitespace collapsed, case and diacritics kept.
* :func:`fold` is the *matching* key: no diacritics, ``đ`` mapped to ``d``, casefolded,
  punctuation reduced to single spaces (vietnam.md §3.4).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "is_blank", "nfc"]

# Invisible characters that survive copy-paste from web pages and Zalo/Facebook chats.
# They are not whitespace for str.split(), so they are removed explicitly.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))

# đ/Đ have no Unicode decomposition, so "NFD and drop marks" keeps them (vietnam.md §3.4).
_D_STROKE = str.maketrans({"đ": "d", "Đ": "D"})

# Anything that is not a letter or digit in any script (``\W``) plus the underscore.
_NON_ALNUM = re.compile(r"[\W_]+")


def nfc(s: str) -> str:
    r"""Return the display form of ``s``: NFC, single spaces, no leading or trailing space.

    Zero-width spaces, word joiners and byte-order marks are removed. Case and diacritics
    are kept exactly as given.

    Args:
        s: Any text.

    Returns:
        The NFC-normalised text with every whitespace run collapsed to one space.

    Examples:
        >>> nfc("  Nguye\u0302\u0303n   Thi\u0323 Lan ")
        'Nguyễn Thị Lan'
        >>> nfc("a\tb\u00a0\u00a0c")
        'a b c'
    """
    return " ".join(unicodedata.normalize("NFC", s.translate(_INVISIBLE)).split())


def fold(s: str) -> str:
    """Return the matching key of ``s``: no diacritics, ``đ`` → ``d``, casefolded.

    Steps: drop invisible characters (as :func:`nfc` does), NFKC (full-width forms to
    ASCII), casefold, NFD, drop every combining mark,
    map ``đ``/``Đ`` to ``d``, replace each run of non-alphanumeric characters (punctuation,
    hyphens, dots, underscores, whitespace) by one space, strip. The result is the same
    for NFC and NFD input and for old- and new-style tone placement, and ``fold`` is
    idempotent.

    Args:
        s: Any text.

    Returns:
        A lower-case ASCII-leaning key made of alphanumeric words separated by single
        spaces; empty if ``s`` has no letters or digits.

    Examples:
        >>> fold("Nguyễn Thị Lan")
        'nguyen thi lan'
        >>> fold("ĐẶNG VĂN ĐỨC")
        'dang van duc'
        >>> fold("Thuỷ") == fold("Thủy") == "thuy"
        True
        >>> fold("Công ty TNHH A.B.C-Việt")
        'cong ty tnhh a b c viet'
    """
    compatible = unicodedata.normalize("NFKC", s.translate(_INVISIBLE))
    decomposed = unicodedata.normalize("NFD", compatible.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return _NON_ALNUM.sub(" ", stripped.translate(_D_STROKE)).strip()


def is_blank(s: str | None) -> bool:
    r"""Tell whether ``s`` is ``None`` or holds nothing but whitespace or invisible characters.

    Args:
        s: Any text, or ``None``.

    Returns:
        True if there is nothing to normalise.

    Examples:
        >>> is_blank(None), is_blank(" \u200b\t"), is_blank("-")
        (True, True, False)
    """
    return s is None or not nfc(s)
