"""Profile fields a column can feed, and the header words that name them.

Headers are compared on their folded form (:func:`~hoso.engine.normalize.fold`: no
diacritics, ``đ`` → ``d``, lower case, punctuation to single spaces), so ``"Số điện thoại"``,
``"SO DIEN THOAI"`` and ``"số-điện-thoại:"`` are one header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from hoso.engine.normalize import fold

__all__ = ["ALIASES", "AliasMatch", "Target", "header_keys", "match_alias"]


class Target(StrEnum):
    """Where a column's values go. Custom fields are written ``"custom:<key>"`` instead."""

    FULL_NAME = "full_name"
    FAMILY_NAME = "family_name"
    GIVEN_NAME = "given_name"
    GENDER = "gender"
    BIRTH_DATE = "birth_date"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address_line"
    WARD = "ward"
    DISTRICT = "district"
    PROVINCE = "province"
    EXTERNAL_ID = "external_id"
    NOTE = "note"
    OCCUPATION = "occupation"
    TOTAL_SPENT = "total_spent"
    POINTS = "points"
    CREATED_AT = "created_at"
    COMPANY = "company"
    TAX_CODE = "tax_code"
    ZALO_ID = "zalo_id"
    LOYALTY_CARD = "loyalty_card"
    LOYALTY_TIER = "loyalty_tier"
    IGNORE = "ignore"


# Header words per target: Vietnamese (written with diacritics; the folded form without them
# matches too) and English. Sources: issue 3, vietnam.md §6.2, and the POS exports in presets.
_ALIAS_WORDS: Final[dict[Target, tuple[str, ...]]] = {
    Target.FULL_NAME: (
        "họ và tên", "họ tên", "họ & tên", "tên khách hàng", "tên kh", "khách hàng",
        "tên khách", "họ tên khách hàng", "họ và tên khách hàng", "tên người nhận",
        "người nhận", "họ tên người nhận", "tên thành viên", "họ tên thành viên",
        "tên liên hệ", "người liên hệ", "tên người liên hệ", "tên đầy đủ", "full name",
        "fullname", "name", "customer name", "customer", "contact name",
        "recipient", "recipient name", "receiver name", "client name", "member name",
    ),
    Target.FAMILY_NAME: (
        "họ", "họ đệm", "họ và tên đệm", "họ và đệm", "last name", "lastname", "surname",
        "family name",
    ),
    # A bare "Tên" is the given name only next to a "Họ" column; mapping decides.
    Target.GIVEN_NAME: ("tên", "tên gọi", "first name", "firstname", "given name"),
    Target.GENDER: ("giới tính", "gioi tinh", "phái", "gt", "gender", "sex"),
    Target.BIRTH_DATE: (
        "ngày sinh", "sinh nhật", "ngày tháng năm sinh", "ngày sinh nhật", "ns", "sn",
        "dob", "birthday", "date of birth", "birth date", "birthdate",
    ),
    Target.PHONE: (
        "sđt", "số điện thoại", "điện thoại", "di động", "đtdđ", "đt", "số đt", "số di động",
        "điện thoại di động", "số điện thoại di động", "điện thoại liên hệ",
        "số điện thoại liên hệ", "sđt liên hệ", "sđt khách hàng", "số điện thoại khách hàng",
        "điện thoại khách hàng", "sđt người nhận", "số zalo", "sđt zalo", "zalo", "hotline",
        "phone", "phone number", "mobile", "mobile phone", "mobile number", "cell",
        "cell phone", "tel", "telephone", "contact number", "contact phone",
    ),
    Target.EMAIL: (
        "email", "e-mail", "thư điện tử", "địa chỉ email", "địa chỉ e-mail", "mail", "gmail",
        "email address", "e-mail address",
    ),
    Target.ADDRESS: (
        "địa chỉ", "địa chỉ nhận hàng", "địa chỉ giao hàng", "địa chỉ chi tiết", "số nhà",
        "địa chỉ liên hệ", "địa chỉ thường trú", "địa chỉ mặc định", "địa chỉ khách hàng",
        "address", "address 1", "address1", "street", "street address", "shipping address",
    ),
    Target.PROVINCE: (
        "tỉnh/thành", "tỉnh", "thành phố", "tỉnh/thành phố", "tỉnh thành", "tỉnh/tp",
        "tỉnh thành phố", "khu vực", "khu vực giao hàng", "province", "city",
        "province/city",
    ),
    Target.DISTRICT: ("quận/huyện", "quận", "huyện", "quận huyện", "district"),
    Target.WARD: ("phường/xã", "phường", "xã", "phường xã", "ward", "commune"),
    Target.EXTERNAL_ID: (
        "mã kh", "mã khách hàng", "mã", "mã khách", "mã số khách hàng", "customer code",
        "customer id", "customer no", "id", "code", "client id",
    ),
    Target.TOTAL_SPENT: (
        "tổng chi tiêu", "tổng tiền", "tổng mua", "tổng bán", "tổng tiền hàng", "doanh số",
        "doanh thu", "tổng doanh thu", "tổng giá trị mua", "tổng tiền đã mua",
        "tổng bán trừ trả hàng", "total spent", "total revenue", "total sales",
        "lifetime value",
    ),
    Target.POINTS: (
        "điểm", "điểm tích lũy", "điểm thưởng", "tổng điểm", "điểm hiện tại", "points",
        "reward points", "loyalty points",
    ),
    Target.NOTE: (
        "ghi chú", "ghi chú khách hàng", "lưu ý", "mô tả", "note", "notes", "comment",
        "comments", "remark", "remarks",
    ),
    Target.OCCUPATION: ("nghề nghiệp", "nghề", "công việc", "occupation", "job", "job title"),
    Target.CREATED_AT: (
        "ngày tạo", "ngày đăng ký", "ngày tham gia", "ngày tạo khách hàng", "created",
        "created at", "created date", "date created",
    ),
    Target.COMPANY: (
        "công ty", "tên công ty", "đơn vị", "cơ quan", "tên doanh nghiệp", "company",
        "company name", "organization", "organisation",
    ),
    Target.TAX_CODE: ("mã số thuế", "mst", "tax code", "tax id", "vat number"),
    Target.ZALO_ID: ("zalo id", "id zalo", "zalo user id", "mã zalo"),
    Target.LOYALTY_CARD: (
        "mã thẻ", "số thẻ", "thẻ thành viên", "mã thẻ thành viên", "số thẻ thành viên",
        "card number", "loyalty card", "member card", "membership card",
    ),
    Target.LOYALTY_TIER: (
        "hạng", "hạng thành viên", "hạng khách hàng", "hạng thẻ", "nhóm khách hàng",
        "nhóm kh", "xếp hạng", "cấp độ", "tier", "membership tier", "customer group",
        "rank", "level",
    ),
}  # fmt: skip

# Multi-word aliases may also match the start of a longer header ("Số điện thoại khách").
# Short or generic words ("mã", "tên", "khách hàng") only match exactly.
_PREFIX_ALIASES: Final = frozenset(
    fold(word)
    for word in (
        "họ và tên", "họ tên", "tên khách hàng", "số điện thoại", "điện thoại", "sđt", "số đt",
        "di động", "phone", "mobile", "email", "e-mail", "ngày sinh", "sinh nhật",
        "giới tính", "địa chỉ", "tỉnh/thành phố", "tỉnh/thành", "quận/huyện", "phường/xã",
        "mã khách hàng", "mã kh", "mã số thuế", "ghi chú", "điểm tích lũy", "tổng chi tiêu",
        "tên công ty", "nghề nghiệp", "ngày tạo",
    )
)  # fmt: skip


def _build() -> Mapping[str, Target]:
    table: dict[str, Target] = {}
    for target, words in _ALIAS_WORDS.items():
        for word in words:
            key = fold(word)
            if table.setdefault(key, target) is not target:  # pragma: no cover - data check
                raise ValueError(f"alias {word!r} names two targets")
    return MappingProxyType(table)


ALIASES: Final = _build()
"""Folded header → target; read-only."""

_PARENTHETICAL: Final = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_TRAILING_NUMBER: Final = re.compile(r"(?: \d{1,2})+$")


@dataclass(frozen=True, slots=True)
class AliasMatch:
    """A header recognised as naming a target.

    Attributes:
        target: The target.
        confidence: 1.0 for the header as written, less when only a cleaned form, the last
            part of a combined header or the start of the header matched.
    """

    target: Target
    confidence: float


def header_keys(header: str) -> list[tuple[str, float]]:
    """The folded forms of ``header`` to look up, best first, with their confidence.

    Args:
        header: A header as shown (``"Địa chỉ / Tỉnh/Thành"``, ``"Ngày sinh (dd/mm/yyyy)"``).

    Returns:
        ``(key, confidence)`` pairs, without duplicates.
    """
    keys: list[tuple[str, float]] = []

    def add(text: str, confidence: float) -> None:
        key = fold(text)
        if key and all(key != seen for seen, _ in keys):
            keys.append((key, confidence))

    add(header, 1.0)
    add(_PARENTHETICAL.sub(" ", header), 0.95)
    add(_TRAILING_NUMBER.sub("", fold(_PARENTHETICAL.sub(" ", header))), 0.9)
    if " / " in header:  # two header rows combined: the sub-header names the field
        last = header.rsplit(" / ", 1)[1]
        add(last, 0.9)
        add(_PARENTHETICAL.sub(" ", last), 0.85)
    return keys


def match_alias(header: str) -> AliasMatch | None:
    """Find the target a header names, if any.

    Exact matches of the header (or of a cleaned form, see :func:`header_keys`) come first;
    then a multi-word alias at the start of the header (confidence 0.75).

    Args:
        header: The header as shown.

    Returns:
        The target and the confidence, or ``None`` if the header names nothing known.

    Examples:
        >>> match_alias("SĐT")
        AliasMatch(target=<Target.PHONE: 'phone'>, confidence=1.0)
        >>> match_alias("Địa chỉ / Tỉnh/Thành")
        AliasMatch(target=<Target.PROVINCE: 'province'>, confidence=0.9)
        >>> match_alias("Số điện thoại người giới thiệu").target
        <Target.PHONE: 'phone'>
        >>> match_alias("STT") is None
        True
    """
    keys = header_keys(header)
    for key, confidence in keys:
        if key in ALIASES:
            return AliasMatch(ALIASES[key], confidence)
    if keys:
        words = keys[0][0].split()
        for size in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:size])
            if prefix in _PREFIX_ALIASES:
                return AliasMatch(ALIASES[prefix], 0.75)
    return None
