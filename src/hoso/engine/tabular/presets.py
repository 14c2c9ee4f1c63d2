"""Column presets for the customer exports of Vietnamese POS and marketplace systems.

Each preset says honestly how its column names were established (``source``) and whether
they were checked against a real export file (``confirmed``). None is confirmed yet: no
real export file from these systems was available. Replace a preset's headers, and set
``confirmed``, once a pilot customer's file shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from hoso.engine.normalize import fold
from hoso.engine.tabular.aliases import Target, header_keys
from hoso.engine.tabular.model import Column

__all__ = ["PRESETS", "Preset", "detect_preset", "preset_target"]


@dataclass(frozen=True, slots=True)
class Preset:
    """How a known system names its export columns.

    Attributes:
        name: Stable key (``"kiotviet"``).
        label: Shown to the user.
        system: The vendor's product name.
        columns: Folded header → target (a :class:`Target` value or ``"custom:<key>"``);
            ``"ignore"`` for columns known to hold nothing for a profile.
        source: How the column names were established, with where they came from.
        confirmed: Whether they were checked against a real export file.
    """

    name: str
    label: str
    system: str
    columns: Mapping[str, str]
    source: str
    confirmed: bool


def _columns(pairs: Sequence[tuple[str, Target]]) -> Mapping[str, str]:
    return MappingProxyType({fold(header): target.value for header, target in pairs})


_T = Target

_KIOTVIET: Final = Preset(
    name="kiotviet",
    label="KiotViet — danh sách khách hàng",
    system="KiotViet",
    columns=_columns(
        [
            # The 20 columns of KiotViet's customer import template (MauFileKhachHang.xlsx).
            ("Loại khách", _T.IGNORE),  # "Cá nhân" / "Công ty"
            ("Mã khách hàng", _T.EXTERNAL_ID),
            ("Tên khách hàng", _T.FULL_NAME),
            ("Điện thoại", _T.PHONE),
            ("Địa chỉ", _T.ADDRESS),
            ("Khu vực giao hàng", _T.PROVINCE),  # "Hà Nội - Quận Tây Hồ": split on import
            ("Khu vực", _T.PROVINCE),
            ("Phường/Xã", _T.WARD),
            ("Công ty", _T.COMPANY),
            ("Mã số thuế", _T.TAX_CODE),
            ("Số CMND/CCCD", _T.IGNORE),  # national ID number: not collected by default
            ("Ngày sinh", _T.BIRTH_DATE),
            ("Giới tính", _T.GENDER),
            ("Email", _T.EMAIL),
            ("Facebook", _T.IGNORE),
            ("Nhóm khách hàng", _T.LOYALTY_TIER),
            ("Ghi chú", _T.NOTE),
            ("Ngày giao dịch cuối", _T.IGNORE),
            ("Nợ cần thu hiện tại", _T.IGNORE),
            ("Tổng bán (Không import)", _T.TOTAL_SPENT),
            ("Tổng bán", _T.TOTAL_SPENT),
            ("Trạng thái", _T.IGNORE),
            # Field names of the public API's GET /customers (vietnam.md §6.2).
            ("code", _T.EXTERNAL_ID),
            ("name", _T.FULL_NAME),
            ("contactNumber", _T.PHONE),
            ("birthDate", _T.BIRTH_DATE),
            ("gender", _T.GENDER),
            ("email", _T.EMAIL),
            ("address", _T.ADDRESS),
            ("locationName", _T.PROVINCE),
            ("wardName", _T.WARD),
            ("organization", _T.COMPANY),
            ("taxCode", _T.TAX_CODE),
            ("comments", _T.NOTE),
            ("totalRevenue", _T.TOTAL_SPENT),
            ("rewardPoint", _T.POINTS),
            ("debt", _T.IGNORE),
            ("psidFacebook", _T.IGNORE),
        ]
    ),
    source=(
        "Vietnamese headers: the 20 columns of KiotViet's customer import template "
        "(MauFileKhachHang.xlsx) as transcribed, column by column, in a third-party "
        "open-source KiotViet migration project's mapping notes (found by public code "
        "search; the same project reads the template with sheet name 'CustomerTemplate'). "
        "English names: the public API's GET /customers fields (code, name, contactNumber, "
        "birthDate, gender, email, organization, comments, taxCode, totalRevenue, "
        "rewardPoint, address, locationName, wardName) from the kiotviet-client-sdk README "
        "and TypeScript interfaces (vietnam.md §6.2). That the Excel *export* uses the "
        "import template's headers is not confirmed; no real export file was seen."
    ),
    confirmed=False,
)

_SAPO: Final = Preset(
    name="sapo",
    label="Sapo Web — danh sách khách hàng",
    system="Sapo",
    columns=_columns(
        [
            ("First Name", _T.GIVEN_NAME),
            ("Last Name", _T.FAMILY_NAME),
            ("Email", _T.EMAIL),
            ("Phone", _T.PHONE),
            ("Company", _T.COMPANY),
            ("Address 1", _T.ADDRESS),
            ("Address 2", _T.IGNORE),
            ("City", _T.PROVINCE),
            ("Country", _T.IGNORE),
            ("Country Code", _T.IGNORE),
            ("Accepts Marketing", _T.IGNORE),  # consent is recorded deliberately, not imported
            ("Total Spent", _T.TOTAL_SPENT),
            ("Total Orders", _T.IGNORE),
            ("Tags", _T.IGNORE),
            ("Note", _T.NOTE),
        ]
    ),
    source=(
        "help.sapo.vn, 'Nhập xuất file khách hàng' (Sapo Web): the customer import file's "
        "fields are First Name (Tên, required), Email (required), Last Name (Họ), Company "
        "(Đơn vị), Address 1 (Địa chỉ mặc định 1), City (Thành phố), Country, Country Code; "
        "the export is an Excel file e-mailed to the admin. Phone, Accepts Marketing, Total "
        "Spent, Total Orders, Tags and Note are assumed from the Shopify-style REST API "
        "(GET /admin/customers.json: total_spent, orders_count, tags, note, dob, gender; "
        "vietnam.md §6.2). The export's real headers, and the Sapo POS (Omnichannel) "
        "export, are not confirmed."
    ),
    confirmed=False,
)

_HARAVAN: Final = Preset(
    name="haravan",
    label="Haravan — danh sách khách hàng",
    system="Haravan",
    columns=_columns(
        [
            ("First Name", _T.GIVEN_NAME),
            ("Last Name", _T.FAMILY_NAME),
            ("Email", _T.EMAIL),
            ("Phone", _T.PHONE),
            ("Company", _T.COMPANY),
            ("Address1", _T.ADDRESS),
            ("Address2", _T.IGNORE),
            ("Province", _T.PROVINCE),
            ("District", _T.DISTRICT),
            ("Ward", _T.WARD),
            ("Country", _T.IGNORE),
            ("Zip", _T.IGNORE),
            ("Accepts Marketing", _T.IGNORE),
            ("Total Spent", _T.TOTAL_SPENT),
            ("Total Orders", _T.IGNORE),
            ("Tags", _T.IGNORE),
            ("Note", _T.NOTE),
            ("Họ", _T.FAMILY_NAME),
            ("Tên", _T.GIVEN_NAME),
            ("Số điện thoại", _T.PHONE),
            ("Ngày sinh", _T.BIRTH_DATE),
            ("Giới tính", _T.GENDER),
            ("Nhận email quảng cáo", _T.IGNORE),
            ("Nhãn", _T.IGNORE),
            ("Ghi chú", _T.NOTE),
            ("Địa chỉ", _T.ADDRESS),
            ("Quốc gia", _T.IGNORE),
            ("Tỉnh/Thành phố", _T.PROVINCE),
            ("Quận/Huyện", _T.DISTRICT),
            ("Phường/Xã", _T.WARD),
            ("Tổng chi tiêu", _T.TOTAL_SPENT),
        ]
    ),
    source=(
        "Not established from a file. huongdan.haravan.com 'Nhập và xuất danh sách khách "
        "hàng' says customers export and import as CSV or Excel and are keyed by e-mail; "
        "support.haravan.com says birth dates are dd/mm/yyyy in the export (mm/dd/yyyy in "
        "the import file). The English headers assume Haravan's Shopify-derived customer "
        "CSV (Shopify's customer export columns); the Vietnamese ones are the customer "
        "form's field names on support.hararetail.com (Họ, Tên, Số điện thoại, Ngày sinh, "
        "Giới tính, Nhận email quảng cáo, Ghi chú, Nhãn, Tỉnh/Thành phố, Quận/Huyện, "
        "Phường/Xã). All unconfirmed."
    ),
    confirmed=False,
)

_SHOPEE: Final = Preset(
    name="shopee",
    label="Shopee — đơn hàng (người mua)",
    system="Shopee",
    columns=_columns(
        [
            ("Mã đơn hàng", _T.IGNORE),
            ("Ngày đặt hàng", _T.IGNORE),
            ("Người Mua", _T.EXTERNAL_ID),  # the buyer's Shopee username
            ("Tên Người nhận", _T.FULL_NAME),
            ("Số điện thoại", _T.PHONE),
            ("Tỉnh/Thành phố", _T.PROVINCE),
            ("TP / Quận / Huyện", _T.DISTRICT),
            ("Quận", _T.WARD),  # Shopee's third address level, whatever its name says
            ("Địa chỉ nhận hàng", _T.ADDRESS),
            ("Quốc gia", _T.IGNORE),
            ("Ghi chú", _T.IGNORE),  # the buyer's note on one order
            ("Nhận xét từ Người mua", _T.IGNORE),
        ]
    ),
    source=(
        "Shopee Seller Centre's order export (one row per order line; there is no customer "
        "export). Headers as read by several independent open-source parsers of that file "
        "(found by public code search): '... Người Mua, Tên Người nhận, Số điện thoại, "
        "Tỉnh/Thành phố, TP / Quận / Huyện, Quận, Địa chỉ nhận hàng, Quốc gia, Ghi chú'; "
        "two of them read 'TP / Quận / Huyện' as the district and 'Quận' as the ward, one "
        "the other way round. Not confirmed against a file; Shopee masks buyer names and "
        "phones in some markets (vietnam.md §6.2), so phones may be rejected as invalid. "
        "'Người Mua' (username) is mapped to the external id, namespace Shopee."
    ),
    confirmed=False,
)

PRESETS: Final[Mapping[str, Preset]] = MappingProxyType(
    {preset.name: preset for preset in (_KIOTVIET, _SAPO, _HARAVAN, _SHOPEE)}
)
"""The shipped presets by name."""

# Headers only the system's export has; detection counts these, not common words.
_MARKERS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "kiotviet": frozenset(
            fold(h)
            for h in (
                "Loại khách", "Khu vực giao hàng", "Số CMND/CCCD", "Nợ cần thu hiện tại",
                "Tổng bán (Không import)", "Ngày giao dịch cuối", "contactNumber",
                "locationName", "wardName", "totalRevenue", "rewardPoint", "psidFacebook",
            )
        ),
        "sapo": frozenset(fold(h) for h in ("Address 1", "Address 2", "Country Code")),
        "haravan": frozenset(
            fold(h) for h in ("Address1", "Address2", "Province", "District", "Ward", "Zip")
        ),
        "shopee": frozenset(
            fold(h)
            for h in (
                "Mã đơn hàng", "Người Mua", "Tên Người nhận", "TP / Quận / Huyện",
                "Địa chỉ nhận hàng", "Mã vận đơn", "Trạng Thái Đơn Hàng", "Ngày đặt hàng",
            )
        ),
    }
)  # fmt: skip

_MIN_MARKERS: Final = 2


def preset_target(preset: Preset, header: str) -> str | None:
    """The target ``preset`` gives a header, trying the cleaned forms of the header too.

    Args:
        preset: The preset.
        header: A column header as shown.

    Returns:
        The target, or ``None`` if the preset does not know the header.
    """
    for key, _ in header_keys(header):
        if key in preset.columns:
            return preset.columns[key]
    return None


def detect_preset(columns: list[Column]) -> str | None:
    """Name the system whose export these columns look like, when that is clear.

    Only headers peculiar to one system count (``Khu vực giao hàng`` is KiotViet's,
    ``TP / Quận / Huyện`` Shopee's); a sheet with ordinary headers such as ``Họ tên`` and
    ``SĐT`` matches no preset. The winner needs at least two such headers and more than
    any other preset.

    Args:
        columns: The table's columns.

    Returns:
        A key of :data:`PRESETS`, or ``None``.
    """
    headers = {fold(column.header) for column in columns} | {
        fold(column.raw_header) for column in columns
    }
    hits = sorted(
        ((len(markers & headers), name) for name, markers in _MARKERS.items()), reverse=True
    )
    (best_hits, best), (second_hits, _) = hits[0], hits[1]
    if best_hits >= _MIN_MARKERS and best_hits > second_hits:
        return best
    return None
