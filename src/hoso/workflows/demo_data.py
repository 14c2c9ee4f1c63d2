"""Deterministic demo data for ``hoso demo``: the workspace of a Vietnamese fashion chain.

"Thời trang Sen Việt" has three stores (Quận 1 in Hồ Chí Minh City, Hoàn Kiếm in Hà Nội,
Hải Châu in Đà Nẵng), a website, a Zalo Official Account and an old Excel member list.
:func:`generate_demo` builds its customers with the mess real SME data has: phone numbers in a
dozen formats (including pre-2018 11-digit mobiles and numbers whose leading zero Excel dropped),
unaccented or reordered names, addresses typed before and after the 2025 administrative reform,
near-duplicate customers from a second source (``duplicate_of`` holds the truth) and households
that share one phone.

Pure standard-library Python: the same ``seed`` and ``now`` always give an equal
:class:`DemoDataset`. The old-ward to 2025-ward pairs follow the 2025 resolutions as far as
known, but they are demo data, not a reference table.
"""

import bisect
import itertools
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Generic, TypeVar

__all__ = [
    "DEFAULT_NOW",
    "DEMO_ATTRIBUTES",
    "DemoAddress",
    "DemoAttribute",
    "DemoCustomer",
    "DemoDataset",
    "DemoInteraction",
    "DemoItem",
    "DemoNote",
    "DemoOrder",
    "DemoProduct",
    "generate_demo",
]

DEFAULT_NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=7)))
WORKSPACE_NAME = "Thời trang Sen Việt"
STORES = ("Sen Việt Quận 1", "Sen Việt Hoàn Kiếm", "Sen Việt Hải Châu")
EXCEL_FILE = "thanh-vien-2019.xlsx"
POS, WEB, ZALO, EXCEL = "pos:kiotviet", "website", "zalo", f"excel:{EXCEL_FILE}"
SOURCES = (POS, WEB, ZALO, EXCEL)


@dataclass(frozen=True, slots=True)
class DemoProduct:
    """A catalogue item; ``price`` in VND."""

    sku: str
    name: str
    category: str
    brand: str
    price: int


@dataclass(frozen=True, slots=True)
class DemoAddress:
    """A postal address in the 2025 units (34 provinces, no districts).

    ``legacy_district`` is set only when the customer typed an old-style address; ``raw`` is
    the address exactly as typed.
    """

    line: str
    ward: str
    province: str
    legacy_district: str | None
    raw: str


@dataclass(frozen=True, slots=True)
class DemoItem:
    """One order line; ``unit_price`` in VND after any markdown."""

    sku: str
    name: str
    quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class DemoOrder:
    """An order from the POS, the website, the Zalo OA or Shopee; ``discount`` in VND."""

    external_id: str
    channel: str
    store: str | None
    ordered_at: datetime
    status: str
    payment_method: str
    discount: int
    items: tuple[DemoItem, ...]


@dataclass(frozen=True, slots=True)
class DemoInteraction:
    """A non-purchase touchpoint with a short Vietnamese summary and JSON-able properties."""

    occurred_at: datetime
    channel: str
    kind: str
    summary: str
    properties: dict[str, object]


@dataclass(frozen=True, slots=True)
class DemoNote:
    """A staff note on a customer."""

    created_at: datetime
    author: str
    body: str


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    """One customer record as a single source saw it (raw names, phones and addresses).

    ``duplicate_of`` is the key of the customer this record really is (the same person seen
    by a second source), or ``None``.
    """

    key: str
    source: str
    external_id: str | None
    full_name: str
    gender: str
    birth_date: date | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    address: DemoAddress | None
    occupation: str | None
    education: str | None
    income_band: str | None
    marital_status: str | None
    household_size: int | None
    interests: tuple[str, ...]
    favourite_brands: tuple[str, ...]
    attributes: dict[str, object]
    created_at: datetime
    orders: tuple[DemoOrder, ...]
    interactions: tuple[DemoInteraction, ...]
    notes: tuple[DemoNote, ...]
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class DemoAttribute:
    """A custom field definition of the demo workspace."""

    key: str
    label_vi: str
    label_en: str
    type: str
    category: str
    sensitivity: str
    purpose: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DemoDataset:
    """Everything ``hoso demo`` loads into a fresh workspace."""

    workspace_name: str
    stores: tuple[str, ...]
    products: tuple[DemoProduct, ...]
    attributes: tuple[DemoAttribute, ...]
    customers: tuple[DemoCustomer, ...]


TIERS = ("bronze", "silver", "gold", "diamond")  # Đồng, Bạc, Vàng, Kim cương
TIER_THRESHOLDS = (0, 3_000_000, 10_000_000, 30_000_000)  # lifetime spend in VND
SIZES = ("S", "M", "L", "XL")
PREFERRED_CHANNELS = ("store", "website", "zalo", "shopee")


def _attr(spec: str, options: tuple[str, ...] = ()) -> DemoAttribute:
    key, label_vi, label_en, kind, category, sensitivity, purpose = spec.split(" | ")
    return DemoAttribute(key, label_vi, label_en, kind, category, sensitivity, purpose, options)


DEMO_ATTRIBUTES: tuple[DemoAttribute, ...] = (
    _attr(
        "loyalty_tier | Hạng thành viên | Loyalty tier | enum | transactional | internal"
        " | Áp dụng ưu đãi theo hạng thành viên (Đồng, Bạc, Vàng, Kim cương)",
        TIERS,
    ),
    _attr(
        "diem_tich_luy | Điểm tích lũy | Loyalty points | integer | transactional | internal"
        " | Tích và đổi điểm thưởng, 1 điểm cho mỗi 10.000đ"
    ),
    _attr(
        "size_ao | Size áo | Top size | enum | preference | personal"
        " | Tư vấn size và báo hàng về đúng size",
        SIZES,
    ),
    _attr(
        "size_giay | Size giày | Shoe size | integer | preference | personal"
        " | Tư vấn giày dép đúng size"
    ),
    _attr(
        "kenh_ua_thich | Kênh mua ưa thích | Preferred channel | enum | preference | internal"
        " | Liên hệ khách qua kênh khách hay dùng",
        PREFERRED_CHANNELS,
    ),
    _attr(
        "ngay_cuoi_mua_tai_quay | Ngày mua cuối tại quầy | Last in-store purchase | date"
        " | transactional | internal | Chăm sóc khách lâu chưa quay lại cửa hàng"
    ),
    _attr(
        "so_do_ao_dai | Số đo may áo dài | Áo dài measurements | text | preference | personal"
        " | May đo áo dài theo yêu cầu của khách"
    ),
)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Table(Generic[_T]):
    """Items with cumulative weights, for fast weighted picks."""

    items: tuple[_T, ...]
    cum: tuple[float, ...]

    def pick(self, rng: random.Random) -> _T:
        """One item, chosen with probability proportional to its weight (as random.choices)."""
        last = len(self.cum) - 1
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1], 0, last)]


def _table(pairs: Iterable[tuple[_T, float]]) -> _Table[_T]:
    items, weights = zip(*pairs, strict=True)
    return _Table(tuple(items), tuple(itertools.accumulate(weights)))


def _pairs(spec: str) -> list[tuple[str, float]]:
    """Parse ``"Nguyễn = 35; Trần = 11"`` (``;`` or newline separated)."""
    parts = [part.rsplit("=", 1) for part in spec.replace("\n", ";").split(";") if part.strip()]
    return [(name.strip(), float(weight)) for name, weight in parts]


def _weighted(spec: str) -> _Table[str]:
    return _table(_pairs(spec))


def _fold(text: str) -> str:
    """Strip Vietnamese diacritics: ``"Đặng Văn Đức"`` -> ``"Dang Van Duc"``."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D")


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in _fold(text).lower()).split())


# --- catalogue: "code | category | brand", then "name = price in thousand VND" lines ----------

_CATALOGUE = """
AD | Áo dài | Lụa Sen
    Áo dài lụa tơ tằm hoa sen = 2490; Áo dài nhung thêu hoa mai = 1890
    Áo dài cưới thêu phượng = 3990
AD | Áo dài | Sen Việt
    Áo dài cách tân cổ tròn = 890; Áo dài gấm Tết đỏ son = 1290; Áo dài trơn lụa Nhật = 1090
    Áo dài học sinh trắng = 650; Quần lụa mặc áo dài = 290
SM | Áo sơ mi | Sen Việt
    Áo sơ mi lụa cổ nơ = 590; Áo sơ mi công sở tay lỡ = 450; Áo sơ mi linen trắng = 520
    Áo sơ mi họa tiết sen = 490; Áo sơ mi cổ đức kẻ sọc = 420
AK | Áo kiểu | Sen Việt
    Áo kiểu trễ vai voan = 390; Áo len mỏng cổ tim = 450; Áo thun cotton basic = 250
    Áo croptop tay phồng = 350
VD | Váy đầm | Sen Việt
    Đầm suông linen = 790; Đầm xòe hoa nhí = 690; Đầm công sở dáng chữ A = 750
    Đầm maxi đi biển = 850; Đầm ôm cổ vuông = 820
VD | Váy đầm | Sen Việt Premium
    Đầm dạ tiệc lụa satin = 1490
CV | Chân váy | Sen Việt
    Chân váy bút chì = 450; Chân váy xếp ly midi = 520; Chân váy jean chữ A = 390
QT | Quần | Sen Việt
    Quần tây ống đứng = 550; Quần tây ống suông lưng cao = 590; Quần culottes linen = 490
    Quần jeans ống loe = 650; Quần short kaki = 350
KH | Áo khoác | Sen Việt Premium
    Áo vest nữ công sở = 1150; Áo blazer dáng rộng = 1290; Áo khoác dạ dáng dài = 1990
KH | Áo khoác | Sen Việt
    Áo cardigan len = 590
NM | Thời trang nam | Sen Việt Men
    Áo sơ mi nam trắng slim fit = 490; Áo polo nam cotton = 390; Quần tây nam xám = 590
    Quần kaki nam = 520; Áo vest nam một hàng khuy = 2490; Áo dài nam gấm xanh = 1190
    Giày tây nam da bò = 1290; Thắt lưng da nam = 450
GD | Giày dép | Bước Sen
    Giày cao gót mũi nhọn 7cm = 690; Giày búp bê da mềm = 490; Sandal quai mảnh = 450
    Giày sneaker trắng = 790; Guốc gỗ sơn mài = 550
TX | Túi xách | Sen Việt
    Túi xách da công sở = 1490; Túi cói đi biển = 390; Túi đeo chéo mini = 690
    Túi clutch dạ tiệc đính đá = 890; Ví dài da cầm tay = 590
KL | Khăn lụa | Lụa Sen
    Khăn lụa tơ tằm vuông = 490; Khăn lụa dài họa tiết sen = 590; Khăn choàng len cashmere = 890
PK | Phụ kiện | Sen Việt
    Kẹp tóc ngọc trai = 120; Bông tai bạc hoa sen = 350; Thắt lưng da nữ bản nhỏ = 320
    Mũ cói rộng vành = 250; Vòng cổ ngọc trai = 690
"""


def _build_products() -> tuple[DemoProduct, ...]:
    numbers: Counter[str] = Counter()
    products: list[DemoProduct] = []
    code = category = brand = ""
    for line in _CATALOGUE.strip().splitlines():
        if not line.startswith(" "):
            code, category, brand = line.split(" | ")
            continue
        for name, price in _pairs(line):
            numbers[code] += 1
            products.append(
                DemoProduct(
                    f"SV-{code}{numbers[code]:02d}", name, category, brand, int(price) * 1000
                )
            )
    return tuple(products)


PRODUCTS = _build_products()
_BY_SKU = {p.sku: p for p in PRODUCTS}
_MEN_ONLY = frozenset({"Thời trang nam"})
_GIFTS_FOR_MEN = frozenset({"Khăn lụa", "Túi xách", "Phụ kiện"})
_PRODUCTS_FOR = {
    "female": _table(
        (p, 0.15 if p.category in _MEN_ONLY else 2.5 if p.category == "Áo dài" else 1.0)
        for p in PRODUCTS
    ),
    "male": _table(
        (p, 4.0 if p.category in _MEN_ONLY else 0.4)
        for p in PRODUCTS
        if p.category in _MEN_ONLY | _GIFTS_FOR_MEN
    ),
}

# --- places ------------------------------------------------------------------------------------
# "P name | region | home store | weight", then how the province is typed now and before 2025;
# "W 2025 ward | weight | streets", then old "ward, district" pairs now (partly) in it and, when
# the province merged, how the old province was typed.

_PLACES = """
P Thành phố Hồ Chí Minh | south | 0 | 50
  now: TP Hồ Chí Minh; TP.HCM; Thành phố Hồ Chí Minh; TP. Hồ Chí Minh; HCM
  before: TP.HCM; TP Hồ Chí Minh; Sài Gòn; Tp.HCM
W Phường Sài Gòn | 2 | Lê Lợi; Nguyễn Huệ; Đồng Khởi; Lý Tự Trọng; Hai Bà Trưng
  was: Phường Bến Nghé, Quận 1; Phường Đa Kao, Quận 1
W Phường Tân Định | 1.5 | Hai Bà Trưng; Trần Quang Khải; Nguyễn Hữu Cầu
  was: Phường Tân Định, Quận 1; Phường Đa Kao, Quận 1
W Phường Bến Thành | 2 | Lê Thánh Tôn; Bùi Viện; Đề Thám; Lê Lai
  was: Phường Bến Thành, Quận 1; Phường Phạm Ngũ Lão, Quận 1; Phường Nguyễn Thái Bình, Quận 1
W Phường Cầu Ông Lãnh | 1 | Trần Hưng Đạo; Cô Giang; Trần Đình Xu
  was: Phường Cô Giang, Quận 1; Phường Nguyễn Cư Trinh, Quận 1; Phường Cầu Kho, Quận 1
W Phường Xuân Hòa | 1 | Võ Văn Tần; Nam Kỳ Khởi Nghĩa; Trần Quốc Thảo
  was: Phường Võ Thị Sáu, Quận 3
W Phường Bàn Cờ | 1 | Cách Mạng Tháng Tám; Nguyễn Thiện Thuật; Nguyễn Đình Chiểu
  was: Phường 1, Quận 3; Phường 2, Quận 3; Phường 5, Quận 3
W Phường Nhiêu Lộc | 1 | Lê Văn Sỹ; Trần Văn Đang; Kỳ Đồng
  was: Phường 9, Quận 3; Phường 11, Quận 3; Phường 14, Quận 3
W Phường Phú Nhuận | 1 | Phan Đình Phùng; Huỳnh Văn Bánh; Nguyễn Đình Chính
  was: Phường 4, Quận Phú Nhuận; Phường 9, Quận Phú Nhuận
W Phường Gia Định | 1 | Phan Đăng Lưu; Lê Quang Định; Bạch Đằng
  was: Phường 1, Quận Bình Thạnh; Phường 2, Quận Bình Thạnh; Phường 7, Quận Bình Thạnh
W Phường Thạnh Mỹ Tây | 1 | Điện Biên Phủ; Xô Viết Nghệ Tĩnh; Nguyễn Hữu Cảnh
  was: Phường 19, Quận Bình Thạnh; Phường 22, Quận Bình Thạnh; Phường 25, Quận Bình Thạnh
W Phường Tân Sơn Nhất | 0.8 | Trường Sơn; Hồng Hà; Phổ Quang
  was: Phường 2, Quận Tân Bình
W Phường Thủ Đức | 1 | Võ Văn Ngân; Kha Vạn Cân; Đặng Văn Bi
  was: Phường Linh Chiểu, Thành phố Thủ Đức; Phường Bình Thọ, Thành phố Thủ Đức
W Phường An Khánh | 1 | Mai Chí Thọ; Trần Não; Lương Định Của
  was: Phường Thủ Thiêm, Thành phố Thủ Đức; Phường An Khánh, Thành phố Thủ Đức
W Phường Tân Mỹ | 1 | Nguyễn Thị Thập; Huỳnh Tấn Phát; Nguyễn Lương Bằng
  was: Phường Tân Phú, Quận 7
W Phường Chợ Lớn | 0.8 | Hải Thượng Lãn Ông; Châu Văn Liêm; Trần Hưng Đạo
  was: Phường 11, Quận 5; Phường 14, Quận 5
W Phường Thủ Dầu Một | 1 | Đại lộ Bình Dương; Yersin; Cách Mạng Tháng Tám
  was: Phường Phú Cường, Thành phố Thủ Dầu Một; Phường Hiệp Thành, Thành phố Thủ Dầu Một
  province was: Bình Dương; tỉnh Bình Dương; BD
W Phường Dĩ An | 0.6 | Nguyễn An Ninh; Trần Hưng Đạo; Lý Thường Kiệt
  was: Phường Dĩ An, Thành phố Dĩ An
  province was: Bình Dương; tỉnh Bình Dương; BD
W Phường Lái Thiêu | 0.6 | Nguyễn Văn Tiết; Phan Đình Phùng; Đỗ Hữu Vị
  was: Phường Lái Thiêu, Thành phố Thuận An; Phường Bình Nhâm, Thành phố Thuận An
  province was: Bình Dương; tỉnh Bình Dương
W Phường Vũng Tàu | 0.5 | Trần Hưng Đạo; Quang Trung; Ba Cu
  was: Phường 1, Thành phố Vũng Tàu
  province was: Bà Rịa - Vũng Tàu; BR-VT; Vũng Tàu

P Thành phố Hà Nội | north | 1 | 25
  now: Hà Nội; TP Hà Nội; Thành phố Hà Nội; HN
  before: Hà Nội; HN; TP Hà Nội
W Phường Hoàn Kiếm | 2 | Hàng Bạc; Hàng Đào; Hàng Gai; Lý Thái Tổ
  was: Phường Hàng Bạc, Quận Hoàn Kiếm; Phường Hàng Đào, Quận Hoàn Kiếm
  was: Phường Hàng Gai, Quận Hoàn Kiếm; Phường Lý Thái Tổ, Quận Hoàn Kiếm
W Phường Cửa Nam | 1.5 | Hàng Bông; Quán Sứ; Thợ Nhuộm
  was: Phường Cửa Nam, Quận Hoàn Kiếm; Phường Hàng Bông, Quận Hoàn Kiếm
W Phường Ba Đình | 1 | Quán Thánh; Phan Đình Phùng; Châu Long
  was: Phường Quán Thánh, Quận Ba Đình; Phường Trúc Bạch, Quận Ba Đình
W Phường Giảng Võ | 1 | Giảng Võ; Thành Công; Huỳnh Thúc Kháng
  was: Phường Giảng Võ, Quận Ba Đình; Phường Thành Công, Quận Ba Đình
W Phường Hai Bà Trưng | 1 | Bà Triệu; Lò Đúc; Phố Huế
  was: Phường Phạm Đình Hổ, Quận Hai Bà Trưng; Phường Lê Đại Hành, Quận Hai Bà Trưng
W Phường Văn Miếu - Quốc Tử Giám | 1 | Tôn Đức Thắng; Văn Miếu; Hàng Bột
  was: Phường Văn Miếu, Quận Đống Đa; Phường Quốc Tử Giám, Quận Đống Đa
W Phường Cầu Giấy | 1 | Xuân Thủy; Cầu Giấy; Trần Thái Tông
  was: Phường Quan Hoa, Quận Cầu Giấy; Phường Dịch Vọng, Quận Cầu Giấy
W Phường Yên Hòa | 1 | Trung Kính; Yên Hòa; Nguyễn Khang
  was: Phường Yên Hòa, Quận Cầu Giấy; Phường Trung Hòa, Quận Cầu Giấy
W Phường Tây Hồ | 1 | Xuân Diệu; Quảng An; Tô Ngọc Vân
  was: Phường Quảng An, Quận Tây Hồ; Phường Nhật Tân, Quận Tây Hồ
W Phường Thanh Xuân | 1 | Nguyễn Trãi; Nguyễn Tuân; Vũ Trọng Phụng
  was: Phường Thanh Xuân Trung, Quận Thanh Xuân; Phường Thượng Đình, Quận Thanh Xuân
W Phường Hà Đông | 1 | Quang Trung; Trần Phú; Tô Hiệu
  was: Phường Quang Trung, Quận Hà Đông; Phường Nguyễn Trãi, Quận Hà Đông
W Phường Bồ Đề | 0.8 | Nguyễn Văn Cừ; Ngọc Lâm; Bồ Đề
  was: Phường Bồ Đề, Quận Long Biên; Phường Ngọc Lâm, Quận Long Biên

P Thành phố Đà Nẵng | central | 2 | 13
  now: Đà Nẵng; TP Đà Nẵng; TP. Đà Nẵng; Thành phố Đà Nẵng
  before: Đà Nẵng; TP Đà Nẵng; TP. Đà Nẵng
W Phường Hải Châu | 2 | Bạch Đằng; Trần Phú; Lê Duẩn; Phan Châu Trinh
  was: Phường Hải Châu I, Quận Hải Châu; Phường Thạch Thang, Quận Hải Châu
  was: Phường Phước Ninh, Quận Hải Châu
W Phường Hòa Cường | 1 | Núi Thành; Nguyễn Hữu Thọ; Trưng Nữ Vương
  was: Phường Hòa Cường Bắc, Quận Hải Châu; Phường Hòa Cường Nam, Quận Hải Châu
W Phường Thanh Khê | 1 | Điện Biên Phủ; Hà Huy Tập; Lê Duẩn
  was: Phường Thanh Khê Đông, Quận Thanh Khê; Phường Xuân Hà, Quận Thanh Khê
W Phường An Hải | 1 | Ngô Quyền; Phạm Văn Đồng; Hồ Nghinh
  was: Phường An Hải Bắc, Quận Sơn Trà; Phường Phước Mỹ, Quận Sơn Trà
W Phường Ngũ Hành Sơn | 1 | Võ Nguyên Giáp; Lê Văn Hiến; Ngũ Hành Sơn
  was: Phường Mỹ An, Quận Ngũ Hành Sơn; Phường Khuê Mỹ, Quận Ngũ Hành Sơn
W Phường Hội An | 0.6 | Trần Phú; Nguyễn Thái Học; Lê Lợi
  was: Phường Minh An, Thành phố Hội An; Phường Cẩm Phô, Thành phố Hội An
  province was: Quảng Nam; tỉnh Quảng Nam

P Thành phố Hải Phòng | north | 1 | 3
  now: Hải Phòng; TP Hải Phòng
W Phường Hồng Bàng | 1 | Điện Biên Phủ; Hoàng Văn Thụ
W Phường Ngô Quyền | 1 | Lạch Tray; Văn Cao

P Thành phố Cần Thơ | south | 0 | 3
  now: Cần Thơ; TP Cần Thơ
W Phường Ninh Kiều | 1 | Hai Bà Trưng; Phan Đình Phùng
W Phường Cái Khế | 1 | Trần Phú; Cách Mạng Tháng Tám

P Khánh Hòa | central | 2 | 2
  now: Khánh Hòa; tỉnh Khánh Hòa
W Phường Nha Trang | 1 | Trần Phú; Thái Nguyên; Yersin

P Lâm Đồng | south | 0 | 2
  now: Lâm Đồng; tỉnh Lâm Đồng
W Phường Xuân Hương - Đà Lạt | 1 | Phan Đình Phùng; Bùi Thị Xuân

P Thành phố Huế | central | 2 | 2
  now: Huế; TP Huế; Thừa Thiên Huế
W Phường Thuận Hóa | 1 | Lê Lợi; Hùng Vương; Nguyễn Huệ
W Phường Phú Xuân | 1 | Đinh Tiên Hoàng; Mai Thúc Loan
"""


@dataclass(frozen=True, slots=True)
class _Ward:
    name: str
    streets: tuple[str, ...]
    legacy: tuple[tuple[str, str], ...]  # (old ward, old district)
    old_province: tuple[str, ...]  # how the pre-2025 province was typed, if it merged


@dataclass(frozen=True, slots=True)
class _Province:
    name: str
    region: str  # "north" | "central" | "south"
    store: int  # index into STORES of the nearest store
    forms: tuple[str, ...]
    legacy_forms: tuple[str, ...]
    wards: _Table[_Ward]


def _semi(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


@dataclass(slots=True)
class _WardSpec:
    name: str
    weight: float
    streets: tuple[str, ...]
    legacy: list[tuple[str, str]] = field(default_factory=list)
    old_province: tuple[str, ...] = ()


def _build_places() -> _Table[_Province]:
    provinces: list[tuple[_Province, float]] = []
    for block in _PLACES.strip().split("\n\n"):
        head, *lines = block.splitlines()
        name, region, store, weight = head.removeprefix("P ").split(" | ")
        forms: dict[str, tuple[str, ...]] = {"now": (), "before": ()}
        wards: list[_WardSpec] = []
        for line in lines:
            if line.startswith("W "):
                ward, ward_weight, streets = line.removeprefix("W ").split(" | ")
                wards.append(_WardSpec(ward, float(ward_weight), _semi(streets)))
                continue
            tag, _, rest = line.strip().partition(": ")
            if tag == "was":
                for pair in _semi(rest):
                    old_ward, district = pair.split(", ")
                    wards[-1].legacy.append((old_ward, district))
            elif tag == "province was":
                wards[-1].old_province = _semi(rest)
            else:
                forms[tag] = _semi(rest)
        ward_table = _table(
            (_Ward(w.name, w.streets, tuple(w.legacy), w.old_province), w.weight) for w in wards
        )
        provinces.append(
            (
                _Province(name, region, int(store), forms["now"], forms["before"], ward_table),
                float(weight),
            )
        )
    return _table(provinces)


_PROVINCES = _build_places()

# --- names and profile fields ------------------------------------------------------------------

_FAMILY = _weighted("""
    Nguyễn = 35; Trần = 11; Lê = 9; Phạm = 6.5; Hoàng = 5; Phan = 4.2; Vũ = 3.8; Đặng = 2.1
    Bùi = 2; Đỗ = 1.5; Hồ = 1.3; Ngô = 1.3; Dương = 1; Lý = 0.6; Đinh = 0.8; Trương = 0.8
    Đào = 0.6; Mai = 0.5; Lâm = 0.5; Lương = 0.4; Cao = 0.4; Hà = 0.5; Tạ = 0.3; Châu = 0.3
""")
_SOUTHERN_SPELLING = {"Hoàng": "Huỳnh", "Vũ": "Võ"}  # one Hán surname, two regional readings
_MIDDLE = {
    "female": _weighted("""
        Thị = 30; Ngọc = 10; Thanh = 7; Thu = 6; Hồng = 4; Kim = 4; Xuân = 3; Bảo = 4; Minh = 5
        Gia = 2; Phương = 4; Khánh = 3; Mỹ = 4; Diệu = 2; Thùy = 3; Hoài = 2; Như = 2
    """),
    "male": _weighted("""
        Văn = 30; Minh = 10; Hoàng = 6; Đức = 8; Quang = 7; Thanh = 5; Gia = 3; Bảo = 3; Xuân = 2
        Hữu = 6; Công = 4; Tuấn = 3; Quốc = 5; Trung = 3; Đình = 4; Nhật = 2; Thành = 3
    """),
}
_GIVEN = {
    "female": _weighted("""
        Linh = 6; Anh = 6; Trang = 6; Hương = 6; Ngọc = 5; Thảo = 5; Hà = 5; Lan = 5; Mai = 5
        Phương = 4; Hạnh = 3; Nhung = 3; Hoa = 3; Yến = 3; Vy = 4; Nhi = 4; Chi = 3; Giang = 3
        Huyền = 4; Thủy = 3; Dung = 3; Hằng = 3; Loan = 2; Quỳnh = 3; Trâm = 3; Uyên = 3; Oanh = 2
        Thư = 4; My = 3; Ngân = 3; Nga = 2; Vân = 2; Hiền = 3; Hồng = 2; Tuyết = 2; Diệp = 1
        Châu = 2; Nhàn = 1; Ánh = 2; Tâm = 2
    """),
    "male": _weighted("""
        Hùng = 5; Dũng = 5; Tuấn = 5; Minh = 5; Nam = 5; Phúc = 3; Khoa = 3; Huy = 5; Đức = 4
        Long = 4; Quân = 3; Sơn = 3; Thắng = 3; Hải = 3; Bình = 3; Trung = 3; Khánh = 2; Hiếu = 3
        Thành = 3; Tùng = 3; Việt = 2; Kiên = 2; Phong = 2; Cường = 2; Lâm = 2; Duy = 3; An = 3
        Bảo = 2; Khang = 2; Đạt = 3; Vinh = 2
    """),
}


@dataclass(frozen=True, slots=True)
class _Occupation:
    name: str
    ages: tuple[int, int]
    educations: tuple[str, ...]
    incomes: tuple[str, ...]


# name | ages | educations | income bands (VND per month) | weight
_OCCUPATION_SPEC = """
Học sinh | 16-18 | | <10tr | 2
Sinh viên | 18-24 | THPT | <10tr | 8
Nhân viên văn phòng | 22-55 | Cao đẳng; Đại học | 10-20tr; 20-40tr | 22
Giáo viên | 23-60 | Cao đẳng; Đại học; Sau đại học | 10-20tr | 6
Kinh doanh tự do | 22-70 | THPT; Cao đẳng; Đại học | 10-20tr; 20-40tr; >40tr | 12
Bác sĩ | 26-65 | Đại học; Sau đại học | 20-40tr; >40tr | 3
Kỹ sư | 23-60 | Đại học; Sau đại học | 10-20tr; 20-40tr; >40tr | 4
Kế toán | 22-60 | Cao đẳng; Đại học | 10-20tr | 6
Nhân viên ngân hàng | 22-55 | Đại học | 10-20tr; 20-40tr | 5
Dược sĩ | 23-60 | Đại học | 10-20tr; 20-40tr | 2
Chủ cửa hàng | 25-70 | THPT; Cao đẳng; Đại học | 20-40tr; >40tr | 5
Công chức | 23-60 | Đại học; Sau đại học | 10-20tr | 4
Nội trợ | 25-75 | THPT; Cao đẳng | <10tr | 4
Thiết kế đồ họa | 22-45 | Cao đẳng; Đại học | 10-20tr; 20-40tr | 3
Điều dưỡng | 21-55 | Cao đẳng; Đại học | 10-20tr | 2
Tiếp viên hàng không | 21-40 | Cao đẳng; Đại học | 20-40tr | 1
Hưu trí | 55-75 | THPT; Cao đẳng; Đại học | <10tr; 10-20tr | 5
"""


def _build_occupations() -> tuple[tuple[_Occupation, float], ...]:
    result = []
    for line in _OCCUPATION_SPEC.strip().splitlines():
        name, ages, educations, incomes, weight = (part.strip() for part in line.split("|"))
        low, high = ages.split("-")
        occupation = _Occupation(name, (int(low), int(high)), _semi(educations), _semi(incomes))
        result.append((occupation, float(weight)))
    return tuple(result)


_OCCUPATIONS = _build_occupations()
_INTERESTS = {
    "female": _semi(
        "Áo dài; Thời trang công sở; Giày dép; Túi xách; Phụ kiện; Đồ dạ tiệc; Thời trang dạo phố;"
        " Khăn lụa; Trang sức; Đồ đi biển; Đồ len"
    ),
    "male": _semi("Thời trang nam; Thời trang công sở; Giày dép; Phụ kiện; Đồ thể thao; Áo dài"),
}
_BRANDS = {
    "female": _semi(
        "Sen Việt; Lụa Sen; Ivy Moda; Elise; Canifa; NEM; Juno; Vascara; Routine; Zara"
    ),
    "male": _semi("Sen Việt Men; Owen; Việt Tiến; Routine; Canifa; Uniqlo"),
}
_AGES = _table([((16, 21), 10), ((22, 29), 28), ((30, 39), 30), ((40, 49), 18), ((50, 59), 10),
                ((60, 75), 4)])  # fmt: skip
_ORDER_COUNTS = _table([((0, 0), 14), ((1, 1), 26), ((2, 2), 17), ((3, 3), 11), ((4, 5), 12),
                        ((6, 8), 10), ((9, 14), 7.5), ((15, 25), 2.5)])  # fmt: skip
_INTERACTION_COUNTS = _table([((0, 0), 22), ((1, 3), 40), ((4, 8), 28), ((9, 15), 10)])

# --- phones ------------------------------------------------------------------------------------

_PREFIXES_SPEC = """
    096 = 7; 097 = 7; 098 = 7; 086 = 4; 032 = 3; 033 = 3; 034 = 3; 035 = 3; 036 = 3; 037 = 3
    038 = 3; 039 = 3; 091 = 6; 094 = 4; 088 = 3; 081 = 2; 082 = 2; 083 = 2; 084 = 2; 085 = 2
    087 = 0.5; 090 = 6; 093 = 4; 089 = 3; 070 = 2; 076 = 1.5; 077 = 2; 078 = 1.5; 079 = 2
    092 = 1; 056 = 0.8; 058 = 0.8; 099 = 0.5; 059 = 0.5
"""
_PREFIXES = _weighted(_PREFIXES_SPEC)
# The 2018 conversion (Decision 798/QĐ-BTTTT): current prefix -> the old 11-digit prefix.
# fmt: off
LEGACY_PREFIX = {
    "032": "0162", "033": "0163", "034": "0164", "035": "0165", "036": "0166", "037": "0167",
    "038": "0168", "039": "0169", "070": "0120", "079": "0121", "077": "0122", "076": "0126",
    "078": "0128", "083": "0123", "084": "0124", "085": "0125", "081": "0127", "082": "0129",
    "056": "0186", "058": "0188", "059": "0199",
}
# fmt: on
_LEGACY_PREFIXES = _weighted(
    "; ".join(f"{p} = {w}" for p, w in _pairs(_PREFIXES_SPEC) if p in LEGACY_PREFIX)
)


def _phone_styles(national: str) -> dict[str, str]:
    """A 10-digit national mobile number (``0912345678``) in the styles seen in the wild."""
    n9, a, b, c = national[1:], national[:4], national[4:7], national[7:]
    return {
        "plain": national,
        "433": f"{a} {b} {c}",
        "dot433": f"{a}.{b}.{c}",
        "dash": f"{a}-{b}-{c}",
        "dot334": f"{national[:3]}.{national[3:6]}.{national[6:]}",
        "e164": f"+84{n9}",
        "e164sp": f"+84 {n9[:2]} {n9[2:5]} {n9[5:]}",
        "e164sp2": f"+84 {n9}",
        "84": f"84{n9}",
        "paren": f"(+84) {a}-{b}-{c}",
        "double": f"+84 {national}",
        "idd": f"0084{n9}",
    }


_PHONE_STYLES = {
    POS: _weighted("""
        plain = 45; 433 = 20; dot433 = 8; dot334 = 8; dash = 4; e164 = 3; 84 = 2; paren = 1
        double = 1; e164sp = 2; idd = 1
    """),
    WEB: _weighted("""
        plain = 35; e164 = 15; e164sp = 8; e164sp2 = 6; 433 = 15; dot334 = 5; double = 4
        paren = 4; 84 = 3; idd = 1; dash = 4
    """),
    ZALO: _weighted("84 = 60; plain = 20; e164 = 10; 433 = 5; dot334 = 5"),  # Zalo gives 84xxx
    EXCEL: _weighted("""
        plain = 40; 433 = 20; dot433 = 12; dot334 = 12; dash = 8; paren = 2; double = 3; e164sp = 3
    """),
}


def _format_phone(
    rng: random.Random, national: str, source: str, *, legacy: bool = False, lost_zero: bool = False
) -> str:
    """Write ``national`` as a ``source`` would: maybe pre-2018 prefix, maybe without its 0."""
    if legacy:
        old = LEGACY_PREFIX[national[:3]] + national[3:]  # 0168 + the same last 7 digits
        if lost_zero:
            return old[1:]
        a, b, c = old[:4], old[4:7], old[7:]
        return rng.choice(
            (old, f"{a} {b} {c}", f"{a}.{b}.{c}", f"+84 {a[1:]} {b} {c}", f"+84{old[1:]}")
        )
    if lost_zero:
        return national[1:]
    return _phone_styles(national)[_PHONE_STYLES[source].pick(rng)]


# --- time --------------------------------------------------------------------------------------

_HOURS = {
    "store": _table(zip(range(9, 22), (2, 3, 4, 4, 3, 3, 4, 5, 6, 8, 9, 7, 4), strict=True)),
    "online": _table((h, 7 if 19 <= h <= 23 else 4 if 9 <= h <= 18 else 1) for h in range(24)),
    "office": _table((h, 1) for h in range(9, 18)),
}


def _moment(
    rng: random.Random, lo: datetime, hi: datetime, hours: str, skew: float = 1.0
) -> datetime:
    """A moment in ``[lo, hi)`` at a realistic hour; ``skew < 1`` favours later days."""
    if hi <= lo:
        return lo
    day = lo.date() + timedelta(days=round((hi.date() - lo.date()).days * rng.random() ** skew))
    hour = _HOURS[hours].pick(rng)
    moment = datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=lo.tzinfo
    )
    if lo <= moment < hi:
        return moment
    return lo + timedelta(seconds=rng.randrange(max(1, int((hi - lo).total_seconds()))))


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- activity tables ---------------------------------------------------------------------------

_LAUNCH = {
    "pos": (2000, 1, 1),
    "website": (2020, 3, 1),
    "zalo": (2020, 9, 1),
    "shopee": (2020, 6, 1),
}
_ORDER_CHANNELS = {
    POS: _weighted("pos = 85; website = 7; zalo = 5; shopee = 3"),
    WEB: _weighted("website = 65; pos = 20; shopee = 8; zalo = 7"),
    ZALO: _weighted("zalo = 55; pos = 25; website = 12; shopee = 8"),
    EXCEL: _weighted("pos = 80; zalo = 10; website = 10"),
}
_PAYMENTS = {
    "pos": _weighted("cash = 40; card = 20; vietqr = 25; momo = 8; zalopay = 4; bank_transfer = 3"),
    "website": _weighted(
        "cod = 45; vietqr = 20; momo = 15; card = 10; zalopay = 5; bank_transfer = 5"
    ),
    "zalo": _weighted("bank_transfer = 45; cod = 35; vietqr = 15; momo = 5"),
    "shopee": _weighted("cod = 60; card = 15; bank_transfer = 10; momo = 15"),
}
_KINDS = {
    POS: _weighted("""
        visit = 20; feedback = 10; call = 12; zalo_message = 10; email_open = 10; email_click = 4
        survey = 6; complaint = 4; page_view = 10; review = 4; chat = 5; support_request = 5
    """),
    WEB: _weighted("""
        page_view = 30; email_open = 18; email_click = 10; review = 8; support_request = 6; chat = 6
        call = 5; complaint = 3; survey = 4; zalo_message = 5; visit = 5
    """),
    ZALO: _weighted("""
        zalo_message = 30; chat = 15; support_request = 8; page_view = 8; visit = 8; call = 6
        complaint = 4; survey = 6; review = 3; email_open = 4
    """),
}
_KINDS[EXCEL] = _KINDS[POS]
_COLLECTIONS = _semi("Xuân Hè; Thu Đông; Áo dài Tết; Áo dài cưới; Công sở thanh lịch; Lụa Sen")
_CAMPAIGNS = tuple(
    tuple(pair.split(" = "))
    for pair in _semi(
        "Tết = tet; Quốc tế Phụ nữ 8/3 = 8-3; Sale hè = sale-he; BST Thu Đông = thu-dong;"
        " Phụ nữ Việt Nam 20/10 = 20-10; Black Friday = black-friday; Giáng sinh = giang-sinh"
    )
)
_FEEDBACK = (
    ("Góp ý: nhân viên tư vấn nhiệt tình", 5),
    ("Khen chất lượng vải lụa", 5),
    ("Góp ý: phòng thử đồ hơi chật", 3),
    ("Góp ý: muốn có thêm size lớn", 4),
    ("Góp ý: thanh toán hơi lâu giờ cao điểm", 3),
)
_CALLS = (
    ("Gọi hotline hỏi chính sách đổi trả", "inbound"),
    ("Cửa hàng gọi xác nhận đơn hàng", "outbound"),
    ("Cửa hàng gọi báo hàng về đúng size", "outbound"),
    ("Gọi hỏi giờ mở cửa dịp Tết", "inbound"),
    ("Gọi hỏi tình trạng đơn hàng", "inbound"),
)
_COMPLAINTS = _semi(
    "Phàn nàn giao hàng chậm; Phàn nàn áo bị lỗi đường may; Phàn nàn không áp dụng được mã giảm"
    " giá; Phàn nàn màu sản phẩm khác ảnh trên web; Phàn nàn nhân viên phản hồi chậm"
)
_SUPPORT = _semi(
    "Yêu cầu đổi size sản phẩm đã mua; Hỏi tình trạng đơn hàng; Yêu cầu xuất hóa đơn VAT;"
    " Yêu cầu cập nhật số điện thoại tích điểm; Yêu cầu hủy đơn hàng"
)
_STAFF = (
    ("Trần Mỹ Linh", "Nguyễn Ngọc Trâm", "Lê Hoàng Nam"),
    ("Phạm Thu Hà", "Đỗ Quốc Bảo", "Vũ Thanh Huyền"),
    ("Võ Minh Thư", "Huỳnh Gia Bảo", "Phan Thị Diệu"),
)
_ONLINE_STAFF = ("Nguyễn Khánh Vy", "Bùi Đức Anh")
_NOTES = {
    "female": _semi(
        "Khách thích màu pastel, size {size}; Đã gọi tư vấn BST Tết {tet};"
        " Khách VIP, báo ngay khi có hàng lụa mới; Khách hay mua quà tặng mẹ dịp 20/10;"
        " Đổi size lần 2, lần sau đo kỹ trước khi bán (size {size});"
        " Không muốn nhận tin nhắn sau 21h; Đặt may áo dài cưới, hẹn thử đồ lần 2;"
        " Khách phàn nàn giao hàng chậm, đã tặng voucher 50.000đ;"
        " Thích phong cách tối giản, màu trung tính"
    ),
    "male": _semi(
        "Khách mua quà cho vợ, thích khăn lụa; Size áo {size}, thích sơ mi trắng;"
        " Đã gọi tư vấn BST Tết {tet}; Không muốn nhận tin nhắn sau 21h;"
        " Khách phàn nàn giao hàng chậm, đã tặng voucher 50.000đ"
    ),
}

# --- generator ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _OrderDraft:
    """An order before its external id is known (ids follow global time order)."""

    channel: str
    store: str | None
    ordered_at: datetime
    status: str
    payment_method: str
    discount: int
    items: tuple[DemoItem, ...]
    external_id: str = ""

    @property
    def total(self) -> int:
        return sum(i.quantity * i.unit_price for i in self.items) - self.discount


@dataclass(slots=True)
class _Person:
    """A customer under construction; frozen into a :class:`DemoCustomer` at the end."""

    index: int
    source: str
    created_at: datetime
    sex: str
    birth: date
    province: _Province
    ward: _Ward
    line: str
    family: str = ""
    middles: tuple[str, ...] = ()
    given: str = ""
    full_name: str = ""
    gender: str = "unknown"
    birth_known: bool = False
    address: DemoAddress | None = None
    nationals: tuple[str, ...] = ()  # the phones as 10-digit national numbers
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    occupation: str | None = None
    education: str | None = None
    income_band: str | None = None
    marital_status: str | None = None
    household_size: int | None = None
    interests: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    duplicate_of: int | None = None
    in_household: bool = False
    external_id: str | None = None
    orders: list[_OrderDraft] = field(default_factory=list)


class _Generator:
    """The random stream, ``now`` and the uniqueness sets of one :func:`generate_demo` call."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.now = now
        self.tz: tzinfo | None = now.tzinfo
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()
        self.used_ids: set[str] = set()

    def at(self, year: int, month: int, day: int) -> datetime:
        return datetime(year, month, day, tzinfo=self.tz)

    def window(self, source: str) -> tuple[datetime, datetime]:
        """The span in which customers of ``source`` were first seen."""
        hi = self.now - timedelta(hours=1)
        lo, end = {
            POS: (self.at(2019, 1, 2), hi),
            WEB: (self.at(2020, 3, 1), hi),
            ZALO: (self.at(2020, 9, 1), hi),
            EXCEL: (self.at(2019, 1, 5), self.at(2019, 12, 28)),
        }[source]
        end = min(end, hi)
        return min(lo, end - timedelta(days=30)), end

    def created(self, source: str, earliest: datetime | None = None) -> datetime:
        lo, hi = self.window(source)
        if earliest is not None:
            lo = max(lo, min(earliest, hi))
        hours = {POS: "store", EXCEL: "office"}.get(source, "online")
        return _moment(self.rng, lo, hi, hours, 1.0 if source == EXCEL else 0.75)

    # -- identity --------------------------------------------------------------------------

    def name_parts(self, sex: str, region: str, age: int) -> tuple[str, tuple[str, ...], str]:
        rng = self.rng
        family = _FAMILY.pick(rng)
        southern = {"south": 0.75, "central": 0.5}.get(region, 0.1)
        if family in _SOUTHERN_SPELLING and rng.random() < southern:
            family = _SOUTHERN_SPELLING[family]
        middle = _MIDDLE[sex].pick(rng)
        if middle in {"Thị", "Văn"} and age < 30 and rng.random() < 0.5:
            middle = _MIDDLE[sex].pick(rng)  # younger people less often carry Thị/Văn
        middles = [middle]
        if rng.random() < 0.08:  # "Nguyễn Thị Thanh Hương"
            extra = _MIDDLE[sex].pick(rng)
            if extra not in {middle, "Thị", "Văn"}:
                middles.append(extra)
        elif rng.random() < 0.015 and age < 35:  # double family name: "Nguyễn Lê Bảo Ngọc"
            middles.insert(0, _FAMILY.pick(rng))
        middles = [m for m in middles if m != family]
        given = _GIVEN[sex].pick(rng)
        while given in middles or given == family:
            given = _GIVEN[sex].pick(rng)
        return family, tuple(middles), given

    def render_name(self, p: _Person, style: str) -> str:
        rng = self.rng
        proper = " ".join((p.family, *p.middles, p.given))
        if style == "unaccented":
            return _fold(proper).lower() if rng.random() < 0.7 else _fold(proper)
        if style == "western":  # "Lan Nguyễn", "Lan Nguyễn Thị"
            if p.middles and rng.random() < 0.3:
                return f"{p.given} {p.family} {' '.join(p.middles)}"
            return f"{p.given} {p.family}"
        if style == "honorific":
            older = _age_on(p.birth, p.created_at.date()) >= 45
            if p.sex == "female":
                return f"{'Cô' if older else 'Chị'} {p.given}"
            return f"{'Chú' if older else 'Anh'} {p.given}"
        if style == "no_middle":
            return f"{p.family} {p.given}"
        if style == "upper":
            return proper.upper()
        return proper

    def name_style(self, source: str) -> str:
        r = self.rng.random()
        if r < 0.08:
            return "unaccented"
        if r < 0.11:
            return "western"
        if r < 0.14:
            return "honorific"
        return "upper" if source == EXCEL and self.rng.random() < 0.2 else "proper"

    def new_national(self, *, legacy_capable: bool = False) -> str:
        """A fresh 10-digit mobile number; ``legacy_capable`` if it needs a pre-2018 form."""
        table = _LEGACY_PREFIXES if legacy_capable else _PREFIXES
        while True:
            national = table.pick(self.rng) + f"{self.rng.randrange(10**7):07d}"
            if national not in self.used_phones:
                self.used_phones.add(national)
                return national

    def phone_quirks(self, source: str, created_at: datetime) -> tuple[bool, bool]:
        """Whether a phone is typed with its pre-2018 prefix, and whether its 0 was lost."""
        if source == EXCEL:
            return self.rng.random() < 0.3, self.rng.random() < 0.12
        legacy = 0.12 if created_at < self.at(2021, 1, 1) else 0.008
        return self.rng.random() < legacy, self.rng.random() < 0.01

    def email(self, p: _Person) -> str:
        rng = self.rng
        fam, giv = _fold(p.family).lower(), _fold(p.given).lower()
        mids = [_fold(m).lower() for m in p.middles]
        yy = f"{p.birth.year % 100:02d}" if rng.random() < 0.7 else str(rng.randint(1, 99))
        local = rng.choice(
            (
                f"{giv}.{fam}{yy}",
                f"{fam}{''.join(mids)}{giv}",
                f"{giv}{fam}{rng.randint(1, 999)}",
                f"{fam[0]}{''.join(m[0] for m in mids)}{giv}{yy}",
                f"{giv}.{fam}",
                f"{fam}.{giv}{yy}",
            )
        )
        domains = (
            "gmail.com",
            "yahoo.com",
            "yahoo.com.vn",
            "outlook.com",
            "hotmail.com",
            "icloud.com",
        )
        domain = rng.choices(domains, cum_weights=(72, 78, 84, 89, 95, 100))[0]
        while f"{local}@{domain}" in self.used_emails:
            local += str(rng.randrange(10))
        self.used_emails.add(f"{local}@{domain}")
        if rng.random() < 0.06:  # "Lan.Nguyen87@Gmail.com"
            local = ".".join(part.capitalize() for part in local.split("."))
            domain = domain.capitalize()
        return f"{local}@{domain}"

    def address(self, p: _Person) -> DemoAddress:
        """The address as ``p`` typed it: old style (with district) mostly before July 2025."""
        rng, ward, province = self.rng, p.ward, p.province
        before_reform = p.created_at < self.at(2025, 7, 1)
        legacy = bool(ward.legacy) and rng.random() < (0.85 if before_reform else 0.25)

        def ward_form(name: str) -> str:
            bare = name.removeprefix("Phường ")
            if bare.isdigit():
                southern = f"F{bare}" if province.region == "south" else f"P{bare}"
                return rng.choice((name, f"P.{bare}", f"P{bare}", southern))
            return rng.choice((name, f"P. {bare}", f"P.{bare}", bare))

        district: str | None = None
        if legacy:
            old_ward, district = rng.choice(ward.legacy)
            if district.startswith("Quận "):
                bare = district.removeprefix("Quận ")
                short = f"Q{bare}" if bare.isdigit() else bare
                district_form = rng.choice((district, f"Q.{bare}", f"Q. {bare}", short))
            else:
                bare = district.removeprefix("Thành phố ")
                district_form = rng.choice((district, f"TP. {bare}", f"TP {bare}", bare))
            province_form = rng.choice(ward.old_province or province.legacy_forms or province.forms)
            raw = f"{p.line}, {ward_form(old_ward)}, {district_form}, {province_form}"
        else:
            raw = f"{p.line}, {ward_form(ward.name)}, {rng.choice(province.forms)}"
        if rng.random() < 0.1:
            raw = _fold(raw).lower()
        return DemoAddress(p.line, ward.name, province.name, district, raw)

    def street_line(self, province: _Province, ward: _Ward) -> str:
        rng = self.rng
        street, n, m = rng.choice(ward.streets), rng.randint(1, 320), rng.randint(2, 90)
        if province.region == "north":
            return rng.choice((f"{n} {street}", f"Số {n} {street}", f"Số {m} ngõ {n} {street}"))
        if province.name == "Thành phố Đà Nẵng":  # kiệt = alley in Đà Nẵng
            return rng.choice((f"{n} {street}", f"K{n}/{m} {street}"))
        return rng.choice((f"{n} {street}", f"{n}/{m} {street}", f"{n}/{m}/{m % 17 + 1} {street}"))

    def person(
        self,
        index: int,
        *,
        sex: str | None = None,
        ages: tuple[int, int] | None = None,
    ) -> _Person:
        """Draw one real person; :meth:`fill` decides what their first source recorded."""
        rng = self.rng
        source = rng.choices(SOURCES, cum_weights=(55, 75, 90, 100))[0]
        created = self.created(source)
        sex = sex or ("female" if rng.random() < 0.72 else "male")
        low, high = ages or _AGES.pick(rng)
        min_age = 17 + (self.now.date() - created.date()).days // 365  # 16+ when first seen
        age = rng.randint(low, high)
        if age < min_age:
            age = rng.randint(min_age, min(75, min_age + 8))
        latest = _shift_years(self.now.date(), -age)
        birth = latest - timedelta(days=rng.randrange((latest - _shift_years(latest, -1)).days))
        province = _PROVINCES.pick(rng)
        ward = province.wards.pick(rng)
        line = self.street_line(province, ward)
        p = _Person(index, source, created, sex, birth, province, ward, line)
        p.family, p.middles, p.given = self.name_parts(sex, province.region, age)
        return p

    def fill(self, p: _Person) -> None:
        """Decide what the first source recorded about ``p``."""
        rng, source = self.rng, p.source
        p.full_name = self.render_name(p, self.name_style(source))
        p.gender = p.sex if rng.random() < 0.88 else "unknown"
        p_phone, p_email, p_address, p_birth = {
            POS: (0.97, 0.5, 0.8, 0.7),
            WEB: (0.85, 0.9, 0.95, 0.7),
            ZALO: (0.92, 0.3, 0.6, 0.6),
            EXCEL: (0.95, 0.45, 0.75, 0.95),
        }[source]
        p.birth_known = rng.random() < p_birth
        if rng.random() < p_phone:
            legacy, lost_zero = self.phone_quirks(source, p.created_at)
            national = self.new_national(legacy_capable=legacy)
            phone = _format_phone(rng, national, source, legacy=legacy, lost_zero=lost_zero)
            p.nationals, p.phones = (national,), (phone,)
            if rng.random() < 0.1:
                second = self.new_national()
                p.nationals += (second,)
                p.phones += (_format_phone(rng, second, source),)
        if rng.random() < p_email:
            p.emails = (self.email(p),)
        if rng.random() < p_address:
            p.address = self.address(p)
        self.profile(p, 0.8 if source == EXCEL else 0.35)  # the 2019 list came with a survey

    def profile(self, p: _Person, share: float) -> None:
        rng = self.rng
        age = _age_on(p.birth, self.now.date())
        jobs = [(o, w) for o, w in _OCCUPATIONS if o.ages[0] <= age <= o.ages[1]]
        if jobs and rng.random() < share:
            job = rng.choices([o for o, _ in jobs], weights=[w for _, w in jobs])[0]
            p.occupation = job.name
            if job.educations and rng.random() < 0.8:
                p.education = rng.choice(job.educations)
            if rng.random() < 0.75:
                p.income_band = rng.choice(job.incomes)
        if rng.random() < share:
            if age < 22:
                p.marital_status = "single"
            else:
                weights = (65, 33, 2) if age < 30 else (17, 75, 8)
                p.marital_status = rng.choices(("single", "married", "other"), weights)[0]
            if rng.random() < 0.7:
                married = p.marital_status == "married"
                p.household_size = rng.randint(2, 6) if married else rng.randint(1, 5)
        if rng.random() < 0.6:
            p.interests = tuple(rng.sample(_INTERESTS[p.sex], rng.randint(1, 4)))
        if rng.random() < 0.45:
            p.brands = tuple(rng.sample(_BRANDS[p.sex], rng.randint(1, 3)))

    def duplicate(self, index: int, orig: _Person) -> _Person:
        """The same person as a second source saw them: a near-duplicate of ``orig``."""
        rng = self.rng
        sixteen = self.at(*_shift_years(orig.birth, 16).timetuple()[:3])
        others = [s for s in SOURCES if s != orig.source]
        source = rng.choice([s for s in others if self.window(s)[1] > sixteen] or others)
        p = _Person(
            index,
            source,
            self.created(source, sixteen),
            orig.sex,
            orig.birth,
            orig.province,
            orig.ward,
            orig.line,
            orig.family,
            orig.middles,
            orig.given,
            duplicate_of=orig.index,
        )
        styles = ("unaccented", "western", "honorific", "no_middle", "upper", "proper")
        p.full_name = self.render_name(p, rng.choice(styles))
        p.gender = orig.sex if rng.random() < 0.6 else "unknown"
        p.birth_known = orig.birth_known and rng.random() < 0.5
        national, phone = orig.nationals[0], orig.phones[0]
        for _ in range(10):  # the same number, written differently
            legacy = national[:3] in LEGACY_PREFIX and rng.random() < 0.4
            lost_zero = rng.random() < 0.05
            phone = _format_phone(rng, national, source, legacy=legacy, lost_zero=lost_zero)
            if phone != orig.phones[0]:
                break
        p.nationals, p.phones = (national,), (phone,)
        r = rng.random()
        if orig.emails and r < 0.4:
            email = orig.emails[0]
            p.emails = (rng.choice((email.lower(), email.upper(), email.capitalize())),)
        elif r < 0.6:
            p.emails = (self.email(p),)
        if rng.random() < 0.5:
            p.address = self.address(p)
        self.profile(p, 0.1)
        return p

    def household(self, index: int) -> tuple[_Person, _Person]:
        """A mother and her daughter, who gives her mother's phone number."""
        rng = self.rng
        daughter = self.person(index + 1, sex="female", ages=(18, 30))
        d_age = _age_on(daughter.birth, self.now.date())
        mother = self.person(index, sex="female", ages=(d_age + 22, min(75, d_age + 32)))
        mother.province, mother.ward, mother.line = daughter.province, daughter.ward, daughter.line
        mother.family, mother.middles, mother.given = self.name_parts(
            "female", daughter.province.region, 50
        )
        while mother.given == daughter.given:
            mother.given = _GIVEN["female"].pick(rng)
        for p in (mother, daughter):
            self.fill(p)
            p.in_household, p.birth_known = True, True
            p.address = self.address(p)
        if not mother.nationals:
            shared = self.new_national()
            mother.nationals = (shared,)
            mother.phones = (_format_phone(rng, shared, mother.source),)
        shared = mother.nationals[0]
        raw = _format_phone(rng, shared, daughter.source)
        if daughter.nationals and rng.random() < 0.4:
            daughter.nationals = (daughter.nationals[0], shared)
            daughter.phones = (daughter.phones[0], raw)
        else:
            daughter.nationals, daughter.phones = (shared,), (raw,)
        return mother, daughter

    # -- activity --------------------------------------------------------------------------

    def orders(self, p: _Person) -> None:
        """Draw ``p``'s orders: a heavy-tailed count, all in ``[created_at, now)``."""
        rng = self.rng
        low, high = _ORDER_COUNTS.pick(rng)
        n = min(rng.randint(low, high), 1 + (self.now - p.created_at).days // 21)
        if p.source == POS:
            n = max(n, 1)  # KiotViet creates the customer at the first checkout
        if p.duplicate_of is not None:
            n = min(n, 3)
        for i in range(n):
            if i == 0 and p.source == POS:
                channel, when = "pos", p.created_at + timedelta(minutes=rng.randint(1, 20))
            else:
                channel = _ORDER_CHANNELS[p.source].pick(rng)
                hours = "store" if channel == "pos" else "online"
                when = _moment(rng, p.created_at, self.now, hours)
                if when < self.at(*_LAUNCH[channel]):
                    channel, when = "pos", _moment(rng, p.created_at, self.now, "store")
            p.orders.append(self.order(p, channel, when))

    def order(self, p: _Person, channel: str, when: datetime) -> _OrderDraft:
        rng = self.rng
        store = None
        if channel == "pos":
            store = STORES[p.province.store] if rng.random() < 0.85 else rng.choice(STORES)
        chosen: list[DemoProduct] = []
        for _ in range(rng.choices((1, 2, 3, 4), cum_weights=(55, 83, 95, 100))[0]):
            product = _PRODUCTS_FOR[p.sex].pick(rng)
            if product not in chosen:
                chosen.append(product)
        items = []
        for product in chosen:
            price = product.price
            if rng.random() < 0.25:  # markdown, rounded to 1.000đ
                price = round(price * (1 - rng.choice((0.1, 0.2, 0.3, 0.5))) / 1000) * 1000
            quantity = rng.choices((1, 2, 3), cum_weights=(88, 98, 100))[0]
            items.append(DemoItem(product.sku, product.name, quantity, price))
        subtotal = sum(i.quantity * i.unit_price for i in items)
        r, discount = rng.random(), 0
        if r < 0.15:  # voucher
            discount = min(rng.choice((50_000, 100_000, 200_000)), subtotal // 2000 * 1000)
        elif r < 0.3:  # member discount
            discount = subtotal * rng.choice((5, 10)) // 100_000 * 1000
        payment = _PAYMENTS[channel].pick(rng)
        if payment == "vietqr" and when < self.at(2021, 7, 1):
            payment = "bank_transfer"
        r = rng.random()
        if channel == "pos":
            status = "completed" if r < 0.97 else "refunded" if r < 0.99 else "cancelled"
        elif when > self.now - timedelta(days=3) and r < 0.5:
            status = "pending"
        else:
            r, cancel = rng.random(), 0.10 if payment == "cod" else 0.04
            status = "cancelled" if r < cancel else "refunded" if r < cancel + 0.04 else "completed"
        return _OrderDraft(channel, store, when, status, payment, discount, tuple(items))

    def interactions(self, p: _Person) -> list[DemoInteraction]:
        rng = self.rng
        low, high = _INTERACTION_COUNTS.pick(rng)
        n = min(15, rng.randint(low, high) + (3 if len(p.orders) >= 8 else 0))
        result = []
        if p.source == EXCEL:
            props: dict[str, object] = {"file": EXCEL_FILE, "row": rng.randint(2, 900)}
            summary = "Phiếu khảo sát thành viên năm 2019"
            result.append(DemoInteraction(p.created_at, "excel", "survey", summary, props))
        bought = [_BY_SKU[i.sku] for o in p.orders if o.status == "completed" for i in o.items]
        while len(result) < n:
            kind = _KINDS[p.source].pick(rng)
            if kind.startswith("email_") and not p.emails:
                kind = "page_view"
            if kind == "call" and not p.phones:
                kind = "chat"
            hours = "store" if kind in {"visit", "feedback"} else "online"
            when = _moment(rng, p.created_at, self.now, hours)
            result.append(self.interaction(p, kind, when, bought))
        return sorted(result, key=lambda x: x.occurred_at)

    def interaction(
        self, p: _Person, kind: str, when: datetime, bought: list[DemoProduct]
    ) -> DemoInteraction:
        rng = self.rng
        product = rng.choice(bought) if bought and rng.random() < 0.6 else None
        product = product or _PRODUCTS_FOR[p.sex].pick(rng)
        store = STORES[p.province.store]
        email_ok = ("email",) if p.emails else ()
        channel = {"email_open": "email", "email_click": "email", "call": "phone"}.get(kind, "")
        props: dict[str, object]
        if kind == "page_view":
            channel = "website"
            if rng.random() < 0.75:
                summary = f"Xem sản phẩm {product.name}"
                props = {"url": f"/san-pham/{_slug(product.name)}", "sku": product.sku}
            else:
                collection = rng.choice(_COLLECTIONS)
                summary = f"Xem bộ sưu tập {collection}"
                props = {"url": f"/bo-suu-tap/{_slug(collection)}"}
            props["duration_s"] = rng.randint(8, 420)
        elif kind in {"email_open", "email_click"}:
            name, code = rng.choice(_CAMPAIGNS)
            props = {"campaign": f"{code}-{when.year}"}
            if kind == "email_open":
                summary = f"Mở email chiến dịch {name} {when.year}"
            else:
                summary = f"Nhấn liên kết trong email {name} {when.year}"
                props["url"] = f"/khuyen-mai/{code}-{when.year}"
        elif kind == "review":
            channel = "website"
            rating = rng.choices((5, 4, 3, 2, 1), cum_weights=(55, 85, 94, 97, 100))[0]
            summary = f"Đánh giá {rating} sao cho {product.name}"
            props = {"rating": rating, "sku": product.sku}
        elif kind == "zalo_message":
            channel = "zalo"
            summary = rng.choice(
                (
                    f"Hỏi còn size {rng.choice(SIZES)} mẫu {product.name} không",
                    f"Hỏi giá {product.name}",
                    "Hỏi địa chỉ cửa hàng gần nhất",
                    "Gửi ảnh mẫu cần tìm",
                    "Hỏi chương trình khuyến mãi tháng này",
                    "Quan tâm Zalo OA Sen Việt",
                )
            )
            props = {"message_count": rng.randint(1, 12)}
        elif kind == "chat":
            channel = "zalo" if rng.random() < 0.6 else "website"
            summary = rng.choice(
                (
                    "Tư vấn chọn áo dài dự tiệc cưới",
                    "Tư vấn phối đồ công sở",
                    f"Tư vấn chọn size {product.name}",
                    "Hỏi cách bảo quản đồ lụa tơ tằm",
                )
            )
            props = {"duration_s": rng.randint(60, 1500), "agent": rng.choice(_ONLINE_STAFF)}
        elif kind == "visit":
            channel = "store"
            summary = rng.choice(
                (
                    f"Ghé {store} xem bộ sưu tập mới",
                    f"Ghé {store} thử đồ, chưa mua",
                    f"Ghé {store} nhận hàng đặt trước",
                )
            )
            props = {"store": store}
        elif kind == "feedback":
            channel = "pos" if rng.random() < 0.6 else "store"
            summary, rating = rng.choice(_FEEDBACK)
            props = {"rating": rating, "store": store}
        elif kind == "call":
            summary, direction = rng.choice(_CALLS)
            props = {"duration_s": rng.randint(30, 600), "direction": direction}
        elif kind == "complaint":
            channel = rng.choice(("phone", "zalo", "store", *email_ok))
            summary = rng.choice(_COMPLAINTS)
            props = {
                "severity": rng.choice(("low", "medium", "high")),
                "resolved": rng.random() < 0.8,
            }
        elif kind == "survey":
            channel = rng.choice(("sms", "zalo", *email_ok))
            summary = {
                "sms": "Trả lời khảo sát hài lòng qua SMS",
                "zalo": "Trả lời khảo sát trên Zalo OA",
                "email": "Hoàn thành khảo sát sau mua hàng qua email",
            }[channel]
            nps_weights = (1, 1, 1, 1, 1, 2, 3, 6, 10, 9, 8)
            props = {"nps": rng.choices(range(11), weights=nps_weights)[0]}
        else:  # support_request
            channel = rng.choice(("zalo", "phone", "website", *email_ok))
            summary = rng.choice(_SUPPORT)
            props = {"status": "resolved" if rng.random() < 0.85 else "open"}
        return DemoInteraction(when, channel, kind, summary, props)

    def attributes(self, p: _Person) -> dict[str, object]:
        """Custom-field values consistent with ``p``'s orders (see :data:`DEMO_ATTRIBUTES`)."""
        rng, attrs = self.rng, dict[str, object]()
        completed = [o for o in p.orders if o.status == "completed"]
        if completed:
            spend = sum(o.total for o in completed)
            tier = sum(spend >= threshold for threshold in TIER_THRESHOLDS) - 1
            points = spend // 10_000
            attrs["loyalty_tier"] = TIERS[tier]
            attrs["diem_tich_luy"] = points - rng.randint(0, points // 3) // 10 * 10
        if rng.random() < 0.45:
            weights = (35, 40, 18, 7) if p.sex == "female" else (5, 30, 40, 25)
            attrs["size_ao"] = rng.choices(SIZES, weights)[0]
        if rng.random() < 0.2:
            attrs["size_giay"] = rng.randint(35, 39) if p.sex == "female" else rng.randint(39, 43)
        if len(p.orders) >= 2 and rng.random() < 0.7:
            top = Counter(o.channel for o in p.orders).most_common(1)[0][0]
            attrs["kenh_ua_thich"] = "store" if top == "pos" else top
        elif p.source == ZALO and rng.random() < 0.3:
            attrs["kenh_ua_thich"] = "zalo"
        in_store = [o.ordered_at for o in completed if o.channel == "pos"]
        if in_store:
            attrs["ngay_cuoi_mua_tai_quay"] = max(in_store).date().isoformat()
        ao_dai = any(i.sku.startswith("SV-AD") for o in completed for i in o.items)
        if p.sex == "female" and ao_dai and rng.random() < 0.35:
            bust, waist = rng.randint(78, 96), rng.randint(60, 78)
            hips, length = bust + rng.randint(2, 8), rng.randint(118, 135)
            attrs["so_do_ao_dai"] = f"Ngực {bust} - Eo {waist} - Mông {hips} - Dài áo {length}"
        return attrs

    def notes(self, p: _Person, size: object) -> list[DemoNote]:
        rng = self.rng
        k = rng.choices((0, 1, 2, 3), cum_weights=(70, 90, 97, 100))[0]
        if not isinstance(size, str):
            size = rng.choice(SIZES[:3] if p.sex == "female" else SIZES[1:])
        result = []
        for body in rng.sample(_NOTES[p.sex], k):
            when = _moment(rng, p.created_at, self.now, "store")
            tet = when.year + 1 if when.month >= 10 else when.year
            author = rng.choice(_STAFF[p.province.store] + _ONLINE_STAFF)
            result.append(DemoNote(when, author, body.format(size=size, tet=tet)))
        return sorted(result, key=lambda x: x.created_at)

    def unique_id(self, make: Callable[[], str]) -> str:
        while (candidate := make()) in self.used_ids:
            pass
        self.used_ids.add(candidate)
        return candidate

    def customer_id(self, p: _Person, number: int) -> str | None:
        """The id the first source gave the customer (KiotViet code, Zalo user id, ...)."""
        if p.source == POS:
            return f"KH{number:06d}"
        if p.source == WEB:
            return str(1_040_000_000 + number)
        if p.source == ZALO:
            return self.unique_id(lambda: str(self.rng.randrange(10**18, 10**19)))
        return f"TV{number:04d}" if self.rng.random() < 0.92 else None  # member card number

    def order_id(self, order: _OrderDraft, number: int) -> str:
        if order.channel == "pos":
            return f"HD{number:06d}"  # KiotViet invoice
        if order.channel == "website":
            return f"WEB{1000 + number}"
        if order.channel == "zalo":
            return f"ZL{number:05d}"
        alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # Shopee order SN: yymmdd + 8
        prefix = f"{order.ordered_at:%y%m%d}"
        return self.unique_id(lambda: prefix + "".join(self.rng.choices(alphabet, k=8)))


def generate_demo(
    *, seed: int = 2026, customers: int = 2000, now: datetime = DEFAULT_NOW
) -> DemoDataset:
    """Build the demo workspace of "Thời trang Sen Việt".

    Args:
        seed: Seed of the single random stream; the same seed and ``now`` give an equal dataset.
        customers: Number of customer records, near-duplicates (about 3 %) included.
        now: Reference time; every timestamp is before it, in its timezone.

    Returns:
        The dataset; customers are ordered by ``created_at`` and keyed ``C00001``, ``C00002``...

    Raises:
        ValueError: If ``customers`` is negative.
    """
    if customers < 0:
        raise ValueError("customers must be >= 0")
    g = _Generator(seed, now)
    n_duplicates = round(customers * 0.03) if customers >= 20 else 0
    n_households = max(2, customers // 500) if customers >= 100 else 0
    people: list[_Person] = []
    for _ in range(n_households):
        people.extend(g.household(len(people)))

    def add_person() -> None:
        person = g.person(len(people))
        g.fill(person)
        people.append(person)

    while len(people) < customers - n_duplicates:
        add_person()
    originals = [p for p in people if p.nationals and not p.in_household]
    for original in g.rng.sample(originals, min(n_duplicates, len(originals))):
        people.append(g.duplicate(len(people), original))
    while len(people) < customers:
        add_person()

    people.sort(key=lambda x: (x.created_at, x.index))
    keys = {p.index: f"C{number:05d}" for number, p in enumerate(people, start=1)}
    counters: Counter[str] = Counter()
    for p in people:
        counters[p.source] += 1
        p.external_id = g.customer_id(p, counters[p.source])
        g.orders(p)
    timeline = sorted(
        ((o.ordered_at, n, o) for n, p in enumerate(people) for o in p.orders),
        key=lambda x: (x[0], x[1]),
    )
    for _, _, o in timeline:  # invoice numbers grow with time, per channel
        counters[f"order:{o.channel}"] += 1
        o.external_id = g.order_id(o, counters[f"order:{o.channel}"])

    result = []
    for p in people:
        attributes = g.attributes(p)
        orders = tuple(
            DemoOrder(o.external_id, o.channel, o.store, o.ordered_at, o.status,
                      o.payment_method, o.discount, o.items)
            for o in sorted(p.orders, key=lambda x: x.ordered_at)
        )  # fmt: skip
        result.append(
            DemoCustomer(
                key=keys[p.index],
                source=p.source,
                external_id=p.external_id,
                full_name=p.full_name,
                gender=p.gender,
                birth_date=p.birth if p.birth_known else None,
                phones=p.phones,
                emails=p.emails,
                address=p.address,
                occupation=p.occupation,
                education=p.education,
                income_band=p.income_band,
                marital_status=p.marital_status,
                household_size=p.household_size,
                interests=p.interests,
                favourite_brands=p.brands,
                attributes=attributes,
                created_at=p.created_at,
                orders=orders,
                interactions=tuple(g.interactions(p)),
                notes=tuple(g.notes(p, attributes.get("size_ao"))),
                duplicate_of=None if p.duplicate_of is None else keys[p.duplicate_of],
            )
        )
    return DemoDataset(WORKSPACE_NAME, STORES, PRODUCTS, DEMO_ATTRIBUTES, tuple(result))
