"""Vietnamese personal-name parsing: family / middle / given, order, and flags.

A Vietnamese name is written family name first (*Nguyễn Văn Hùng*: family Nguyễn, middle
Văn, given Hùng), but e-commerce accounts and Facebook/Zalo display names often use the
Western order (*Hung Nguyen*, *Hung Nguyen Van*). Shop data also mixes in honorifics
(*Chị Lan*), company customers (*Công ty TNHH …*), placeholders (*Khách lẻ*) and phone
numbers. See vietnam.md §3.

The parse is a best guess for display and for weighting name tokens; a name alone never
decides that two profiles are the same person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from hoso.engine.normalize.text import fold, nfc

__all__ = ["FAMILY_NAMES", "NameFlag", "NameOrder", "NameParts", "name_tokens", "parse_vn_name"]

NameOrder = Literal["vietnamese", "western", "single", "unknown"]


class NameFlag(StrEnum):
    """Something worth knowing about a name value.

    Flags in a result are always in the declaration order below.
    """

    EMPTY = "empty"
    PLACEHOLDER = "placeholder"
    ORGANISATION = "organisation"
    HONORIFIC_STRIPPED = "honorific_stripped"
    HAS_DIGITS = "has_digits"
    REORDERED = "reordered"


@dataclass(frozen=True, slots=True)
class NameParts:
    """A parsed name.

    Attributes:
        full: The NFC form of the input, case and diacritics exactly as given (honorifics
            and digits included).
        family: The family name (họ), if one could be placed.
        middle: The middle name(s) (tên đệm), space-separated, if any.
        given: The given name (tên), if one could be placed.
        key: ``fold(full)``, the matching key.
        order: ``vietnamese`` (family first), ``western`` (given first), ``single`` (one
            word, taken as the given name) or ``unknown`` (empty, placeholder,
            organisation, or nothing name-like left).
        flags: Observations, in :class:`NameFlag` declaration order, no duplicates.
    """

    full: str
    family: str | None
    middle: str | None
    given: str | None
    key: str
    order: NameOrder
    flags: tuple[NameFlag, ...]


_FAMILY_NAMES_ACCENTED = """
    Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương
    Trịnh Trương Lâm Phùng Mai Tô Hà Tạ Quách Lương Cao Chu Đinh Lưu Thái Tăng Kiều Văn La
    Châu Hứa Giang Khúc Tống Nghiêm Mạc Triệu Thân Lò Lục Âu Quan Diệp Nông Mạch Hoa Từ Kim
    Khổng Ninh Trình Tôn Thạch Doãn Lại Viên Ông Cù Bạch Hàn Ứng Phó Chung Bế Lạc Nhan Khương
    Vi Lữ Cung Tiêu Biện Lã Đàm Sầm Mẫn Hầu Tất Đậu Giáp Khuất Cấn Phí Thiều Đồng Ôn Dư Vưu
    Quản Kha Ma Cầm Điêu Lường Bàn Giàng Thào Sùng Lầu Mùa Hạng Lăng Ngụy Ngũ
"""
#: The ~110 most common Vietnamese family names, folded (``fold("Đặng") == "dang"``).
FAMILY_NAMES: frozenset[str] = frozenset(fold(name) for name in _FAMILY_NAMES_ACCENTED.split())

# Family names whose folded form is also a common given name (Mai, Hà, Thùy Dương, Khánh
# Ly, Ngọc Hân …) or, for Văn, a middle name. "Thu Hà" is far more often a given name
# without family name than a Western-order "given Thu, family Hà", so a last token from
# this set does not by itself make the order Western.
_GIVEN_LIKE = frozenset(
    {
        "mai", "ha", "hoa", "kim", "lam", "giang", "chau", "quan", "thai", "hoang", "duong",
        "ly", "dao", "diep", "tu", "ninh", "trinh", "vi", "vu", "dang", "han", "hau", "kieu",
        "nhan", "van",
    }
)  # fmt: skip
# Traditional gender-marking middle names.
# As written (casefolded, not folded): "Vân" and "Thi" with marks are other words entirely.
_MIDDLE_MARKER_SPELLINGS = frozenset({"van", "thi", "văn", "thị"})

# Compared on the folded key with digit-only words removed.
_PLACEHOLDERS = frozenset(
    {
        "khong co", "khong", "khong ten", "chua co", "khach le", "khach hang", "khach", "kh",
        "khach vang lai", "vang lai", "an danh", "test", "n a", "na", "xxx", "xx", "x", "abc",
        "none", "null", "unknown", "no name", "noname", "guest", "customer",
    }
)  # fmt: skip
# Company markers, matched as whole words on the folded key.
_ORGANISATION_MARKERS = (
    "cong ty", "cty", "tnhh", "co phan", "cp", "dntn", "doanh nghiep", "ho kinh doanh", "hkd",
    "shop", "cua hang", "chi nhanh", "jsc", "co ltd", "ltd", "company", "corp",
)  # fmt: skip
_ORGANISATION = re.compile(r"\b(?:" + "|".join(map(re.escape, _ORGANISATION_MARKERS)) + r")\b")

# Leading honorifics/pronouns. "a." and "c." (anh/chị) only with their dot.
_HONORIFIC = re.compile(
    r"^(?:(?P<word>anh|chị|chi|em|cô|chú|bác|ông|bà|mrs|mr|ms)(?:\.\s*|\s+)|(?:a|c)\.\s*)(?=\S)",
    re.IGNORECASE,
)


def parse_vn_name(raw: str | None) -> NameParts:
    """Split a customer name into family, middle and given names.

    Vietnamese order (family first) is assumed, except that the Western order is detected
    when the last word is a known family name and the first is not (``Lan Nguyen``), or
    when the last two words are a family name and Văn/Thị (``Hung Nguyen Van``,
    ``Lan Nguyễn Thị``); the family name is then that word and the given name the first
    word. A leading honorific (anh, chị, cô, chú, ông, bà, Mr …) is left out of the parts
    but kept in ``full``; words with digits are left out of the parts. Placeholders and
    company names get no parts.

    Args:
        raw: The name as read; ``None`` and blank strings give an ``empty`` result.

    Returns:
        The parsed :class:`NameParts`.

    Examples:
        >>> p = parse_vn_name("Nguyễn Thị Lan")
        >>> p.family, p.middle, p.given, p.key, p.order
        ('Nguyễn', 'Thị', 'Lan', 'nguyen thi lan', 'vietnamese')
        >>> p = parse_vn_name("Hung Nguyen Van")
        >>> p.family, p.middle, p.given, p.order
        ('Nguyen', 'Van', 'Hung', 'western')
        >>> p = parse_vn_name("Chị Lan")
        >>> p.full, p.given, [f.value for f in p.flags]
        ('Chị Lan', 'Lan', ['honorific_stripped'])
        >>> [f.value for f in parse_vn_name("Công ty TNHH Hoa Mai").flags]
        ['organisation']
    """
    full = nfc(raw) if raw is not None else ""
    key = fold(full)
    if not full:
        return NameParts(full, None, None, None, key, "unknown", (NameFlag.EMPTY,))
    flags: set[NameFlag] = set()
    if any(c.isdigit() for c in full):
        flags.add(NameFlag.HAS_DIGITS)
    if not key or " ".join(w for w in key.split() if not w.isdigit()) in _PLACEHOLDERS:
        flags.add(NameFlag.PLACEHOLDER)  # "Khách lẻ 01", "---", "n/a"
    if _ORGANISATION.search(key):
        flags.add(NameFlag.ORGANISATION)
    if flags & {NameFlag.PLACEHOLDER, NameFlag.ORGANISATION}:
        return NameParts(full, None, None, None, key, "unknown", _ordered(flags))

    tokens = _name_words(full)
    match = _HONORIFIC.match(full)
    if match is not None:
        rest = _name_words(full[match.end() :])
        if rest and not _is_western_anh(match.group("word"), rest):
            tokens = rest
            flags.add(NameFlag.HONORIFIC_STRIPPED)

    folded = [fold(t) for t in tokens]
    if not tokens:
        return NameParts(full, None, None, None, key, "unknown", _ordered(flags))
    if len(tokens) == 1:
        return NameParts(full, None, None, tokens[0], key, "single", _ordered(flags))
    if (
        len(tokens) >= 3
        and tokens[-1].casefold() in _MIDDLE_MARKER_SPELLINGS
        and folded[-2] in FAMILY_NAMES
        and folded[0] not in FAMILY_NAMES
    ):
        # "Hung Nguyen Van" = Nguyễn Văn Hùng. The marker is compared as written: "Vân" is a
        # given name, not "Văn", and "Nguyễn Kim Vân" starts with a family name.
        family, middle = tokens[-2], [tokens[-1], *tokens[1:-2]]
    elif (
        folded[-1] in FAMILY_NAMES
        and folded[-1] not in _GIVEN_LIKE
        and folded[0] not in FAMILY_NAMES
    ):
        # "Lan Nguyen", "Lan Thi Nguyen".
        family, middle = tokens[-1], tokens[1:-1]
    else:
        return NameParts(
            full=full,
            family=tokens[0],
            middle=" ".join(tokens[1:-1]) or None,
            given=tokens[-1],
            key=key,
            order="vietnamese",
            flags=_ordered(flags),
        )
    flags.add(NameFlag.REORDERED)
    return NameParts(
        full=full,
        family=family,
        middle=" ".join(middle) or None,
        given=tokens[0],
        key=key,
        order="western",
        flags=_ordered(flags),
    )


def name_tokens(key: str) -> tuple[str, ...]:
    """Split a name key into its words.

    The input is folded first, so an unfolded name gives the same words as its key.

    Args:
        key: A name key (``NameParts.key``) or any name.

    Returns:
        The folded words, in order.

    Examples:
        >>> name_tokens("nguyen thi lan")
        ('nguyen', 'thi', 'lan')
        >>> name_tokens("Nguyễn  Thị-Lan")
        ('nguyen', 'thi', 'lan')
    """
    return tuple(fold(key).split())


def _ordered(flags: set[NameFlag]) -> tuple[NameFlag, ...]:
    return tuple(flag for flag in NameFlag if flag in flags)


def _strip_punctuation(word: str) -> str:
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(word[end - 1])[0] in "PS":
        end -= 1
    return word[start:end]


def _name_words(text: str) -> list[str]:
    """The words of a name: outer punctuation trimmed, words with digits dropped."""
    words = (_strip_punctuation(w) for w in text.split())
    return [w for w in words if w and not any(c.isdigit() for c in w)]


def _is_western_anh(honorific: str | None, rest: list[str]) -> bool:
    """Whether "Anh X" is the given name Anh with family name X (Western order).

    Nobody is addressed as "anh" + family name, so "Anh Nguyễn" is the person Anh Nguyễn;
    "Anh Mai" stays "anh (brother) Mai" because Mai is also a common given name.
    """
    if honorific is None or honorific.casefold() != "anh" or len(rest) != 1:
        return False
    word = fold(rest[0])
    return word in FAMILY_NAMES and word not in _GIVEN_LIKE
