"""A Vietnamese synthetic customer file with known truth, for tests and benchmarks.

People live in households (a mother and a daughter sharing the family phone and address,
with different family names as Vietnamese women keep theirs); many people carry the same
very common names (several unrelated "Nguyễn Văn Hùng"); each person appears in one to
several source records (POS, website, Zalo, an old Excel list) written the way shops write
them: without diacritics, in Western order, with the middle name dropped, as "Chị Lan",
with the pre-2018 11-digit mobile prefix, a one-digit typo, the birth date with day and
month swapped or only its year, the shop's own hotline typed for walk-in customers.

Deterministic from its seed; streams records, so a million fit in flat memory.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from hoso.engine.matching.record import MatchRecord, prepare_record
from hoso.engine.normalize import normalize_vn_phone
from hoso.engine.normalize.text import fold

__all__ = ["CSV_HEADER", "SyntheticRecord", "csv_row", "generate", "to_match_record"]


def _weighted(spec: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    names: list[str] = []
    cumulative: list[float] = []
    total = 0.0
    for item in spec.replace("\n", ";").split(";"):
        if "=" not in item:
            continue
        name, weight = item.split("=")
        total += float(weight)
        names.append(name.strip())
        cumulative.append(total)
    return tuple(names), tuple(cumulative)


_FAMILY = _weighted("""
    Nguyễn = 35; Trần = 11; Lê = 9; Phạm = 6.5; Hoàng = 5; Phan = 4.2; Vũ = 3.8; Đặng = 2.1
    Bùi = 2; Đỗ = 1.5; Hồ = 1.3; Ngô = 1.3; Dương = 1; Lý = 0.6; Đinh = 0.8; Trương = 0.8
    Đào = 0.6; Mai = 0.5; Lâm = 0.5; Lương = 0.4; Cao = 0.4; Hà = 0.5; Tạ = 0.3; Châu = 0.3
""")
_MIDDLE = {
    "female": _weighted("""
        Thị = 30; Ngọc = 10; Thanh = 7; Thu = 6; Hồng = 4; Kim = 4; Xuân = 3; Bảo = 4; Minh = 5
        Phương = 4; Khánh = 3; Mỹ = 4; Thùy = 3; Hoài = 2; Như = 2
    """),
    "male": _weighted("""
        Văn = 30; Minh = 10; Hoàng = 6; Đức = 8; Quang = 7; Thanh = 5; Gia = 3; Bảo = 3
        Hữu = 6; Công = 4; Tuấn = 3; Quốc = 5; Trung = 3; Đình = 4; Nhật = 2; Thành = 3
    """),
}
_GIVEN = {
    "female": _weighted("""
        Linh = 6; Anh = 6; Trang = 6; Hương = 6; Ngọc = 5; Thảo = 5; Hà = 5; Lan = 5; Mai = 5
        Phương = 4; Hạnh = 3; Nhung = 3; Hoa = 3; Yến = 3; Vy = 4; Nhi = 4; Chi = 3; Giang = 3
        Huyền = 4; Thủy = 3; Dung = 3; Hằng = 3; Loan = 2; Quỳnh = 3; Trâm = 3; Uyên = 3
        Thư = 4; My = 3; Ngân = 3; Nga = 2; Vân = 2; Hiền = 3; Hồng = 2; Tuyết = 2; Ánh = 2
    """),
    "male": _weighted("""
        Hùng = 5; Dũng = 5; Tuấn = 5; Minh = 5; Nam = 5; Phúc = 3; Khoa = 3; Huy = 5; Đức = 4
        Long = 4; Quân = 3; Sơn = 3; Thắng = 3; Hải = 3; Bình = 3; Trung = 3; Khánh = 2
        Thành = 3; Tùng = 3; Việt = 2; Kiên = 2; Phong = 2; Cường = 2; Duy = 3; An = 3; Đạt = 3
    """),
}
# Full names so common that unrelated customers of one shop share them.
_NAMESAKES: Final = {
    "female": ("Nguyễn Thị Lan", "Nguyễn Thị Hương", "Trần Thị Mai", "Nguyễn Thị Thu Trang"),
    "male": ("Nguyễn Văn Hùng", "Nguyễn Văn Nam", "Trần Văn Dũng", "Lê Văn Tuấn"),
}
_STREETS: Final = (
    "Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
    "Nguyễn Trãi", "Điện Biên Phủ", "Võ Văn Tần", "Phan Chu Trinh", "Lê Duẩn", "Hùng Vương",
)  # fmt: skip
_EMAIL_DOMAINS: Final = _weighted("gmail.com = 70; yahoo.com = 10; outlook.com = 6; icloud.com = 4")
# Today's mobile prefixes, with the pre-2018 11-digit prefix where there was one.
_PREFIXES: Final = (
    ("090", None), ("093", None), ("091", None), ("094", None), ("098", None), ("097", None),
    ("096", None), ("086", None), ("088", None), ("032", "0162"), ("033", "0163"),
    ("034", "0164"), ("035", "0165"), ("036", "0166"), ("037", "0167"), ("038", "0168"),
    ("039", "0169"), ("070", "0120"), ("079", "0121"), ("077", "0122"), ("076", "0126"),
    ("078", "0128"), ("083", "0123"), ("084", "0124"), ("085", "0125"), ("081", "0127"),
    ("082", "0129"), ("056", "0186"), ("058", "0188"),
)  # fmt: skip
_HONORIFIC: Final = {"female": ("Chị", "Cô", "Em", "Bà"), "male": ("Anh", "Chú", "Em", "Ông")}
_SOURCES: Final = ("pos", "web", "zalo", "excel")
_PHONE_MISSING: Final = {"pos": 0.03, "web": 0.005, "zalo": 0.0, "excel": 0.05}
_HOME_PHONE: Final = {"pos": 0.06, "web": 0.01, "zalo": 0.0, "excel": 0.08}
SHOP_HOTLINE: Final = "028 3999 8888"
SHOP_HOTLINE_E164: Final = "+842839998888"

#: Column headers of the CSV form, in Vietnamese as a shop's export would have them.
CSV_HEADER: Final = (
    "Mã bản ghi", "Nguồn", "Họ và tên", "Số điện thoại", "SĐT 2", "Email", "Ngày sinh",
    "Giới tính", "Địa chỉ", "Mã KH", "Zalo ID", "Số thẻ thành viên", "truth_person",
    "truth_household",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SyntheticRecord:
    """One generated source record and its truth.

    Attributes:
        record_id: Unique id.
        person_id: The person it describes (the truth).
        household_id: The person's household.
        source: ``pos``, ``web``, ``zalo`` or ``excel``.
        full_name: As written in the source (may be ``None``).
        phone: As written.
        phone2: A second number, as written.
        email: As written.
        birth_date: As written (``dd/mm/yyyy`` or a year).
        gender: ``Nam``/``Nữ`` or ``None``.
        address: As written.
        external_id: The Excel list's customer code.
        zalo_id: The Zalo follower id.
        loyalty_card: The POS member card.
        province_code: The 2025 province of the address (truth; for the fast path).
        ward_code: The 2025 ward of the address (truth).
        noise: Which variations were applied.
        phones_e164: The phones as normalisation gives them (as the database stores them).
    """

    record_id: str
    person_id: str
    household_id: str
    source: str
    full_name: str | None
    phone: str | None
    phone2: str | None
    email: str | None
    birth_date: str | None
    gender: str | None
    address: str | None
    external_id: str | None
    zalo_id: str | None
    loyalty_card: str | None
    province_code: str | None
    ward_code: str | None
    noise: tuple[str, ...]
    phones_e164: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Person:
    person_id: str
    household_id: str
    gender: str
    family: str
    middle: str
    given: str
    birth: date
    mobile: str | None  # 10-digit national
    legacy_prefix: str | None
    email: str | None
    zalo_id: str
    card: str | None


@dataclass(frozen=True, slots=True)
class _Household:
    household_id: str
    phone: str | None  # a family number several members give
    street: str
    ward_code: str
    ward_name: str
    province_code: str
    province_name: str


def _pick(rng: random.Random, table: tuple[tuple[str, ...], tuple[float, ...]]) -> str:
    names, cumulative = table
    return names[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]


def _wards() -> list[tuple[str, str, str, str]]:
    from hoso.engine.address.data import load

    index = load()
    return sorted((w.code, w.name, w.province.code, w.province.name) for w in index.wards.values())


class _Generator:
    def __init__(self, seed: int, ward_count: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        wards = _wards()
        # A shop's customers live in a few provinces, most of them near the shop.
        self.wards = [wards[i] for i in sorted(self.rng.sample(range(len(wards)), ward_count))]
        self.used_mobiles: set[str] = set()
        self.record_seq = itertools.count(1)
        self.person_seq = itertools.count(1)
        self.code_seq = itertools.count(1001)

    def mobile(self) -> tuple[str, str | None]:
        while True:
            prefix, legacy = self.rng.choice(_PREFIXES)
            number = prefix + f"{self.rng.randrange(10**7):07d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number, legacy

    def household(self, index: int) -> _Household:
        code, ward_name, province_code, province_name = self.wards[
            min(int(self.rng.paretovariate(1.2)) - 1, len(self.wards) - 1)
            if self.rng.random() < 0.5
            else self.rng.randrange(len(self.wards))
        ]
        phone = self.mobile()[0] if self.rng.random() < 0.5 else None
        street = f"{self.rng.randint(1, 300)} {self.rng.choice(_STREETS)}"
        return _Household(f"H{index}", phone, street, code, ward_name, province_code, province_name)

    def person(
        self,
        household: _Household,
        *,
        gender: str,
        family: str,
        born: range,
        taken: frozenset[str] = frozenset(),
    ) -> _Person:
        rng = self.rng
        if rng.random() < 0.04:
            parts = _NAMESAKES[gender][rng.randrange(4)].split(" ")
            family, middle, given = parts[0], " ".join(parts[1:-1]), parts[-1]
        else:
            middle = _pick(rng, _MIDDLE[gender])
            given = _pick(rng, _GIVEN[gender])
        while given in taken:  # siblings and parents never share a given name
            given = _pick(rng, _GIVEN[gender])
        birth = date(rng.choice(born), 1, 1) + timedelta(days=rng.randrange(365))
        # Nearly every Vietnamese adult has a mobile; the youngest may give the family's.
        has_mobile = rng.random() < (0.97 if born.start < 1995 else 0.8)
        mobile, legacy = self.mobile() if has_mobile else (None, None)
        pid = f"P{next(self.person_seq):07d}"
        email = None
        if rng.random() < 0.6:
            local = fold(f"{given}{middle[:1]}{family}").replace(" ", "")
            email = f"{local}{rng.randrange(100, 9999)}@{_pick(rng, _EMAIL_DOMAINS)}"
        return _Person(
            person_id=pid,
            household_id=household.household_id,
            gender=gender,
            family=family,
            middle=middle,
            given=given,
            birth=birth,
            mobile=mobile,
            legacy_prefix=legacy,
            email=email,
            zalo_id=f"zl{rng.randrange(10**12):012d}",
            card=f"TV{rng.randrange(10**6):06d}" if rng.random() < 0.5 else None,
        )

    def members(self, household: _Household) -> list[_Person]:
        rng = self.rng
        roll = rng.random()
        father_family = _pick(rng, _FAMILY)
        if roll < 0.55:
            gender = "female" if rng.random() < 0.6 else "male"
            return [
                self.person(household, gender=gender, family=father_family, born=range(1960, 2004))
            ]
        mother = self.person(household, gender="female", family=_pick(rng, _FAMILY),
                             born=range(1958, 1985))  # fmt: skip
        people = [mother]
        if rng.random() < 0.7:
            people.append(self.person(household, gender="male", family=father_family,
                                      born=range(1955, 1982),
                                      taken=frozenset(p.given for p in people)))  # fmt: skip
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            gender = "female" if rng.random() < 0.5 else "male"
            people.append(self.person(household, gender=gender, family=father_family,
                                      born=range(1985, 2010),
                                      taken=frozenset(p.given for p in people)))  # fmt: skip
        return people

    def records(self, person: _Person, household: _Household) -> Iterator[SyntheticRecord]:
        rng = self.rng
        count = 1
        while count < 6 and rng.random() < 0.45:
            count += 1
        sources = [rng.choice(_SOURCES) for _ in range(count)]
        for source in sources:
            yield self.record(person, household, source)

    def record(self, person: _Person, household: _Household, source: str) -> SyntheticRecord:
        rng = self.rng
        noise: list[str] = []
        name = self.name(person, noise)
        phone, phone2, phones_e164 = self.phones(person, household, source, noise)
        email = None
        if person.email and (source == "web" or rng.random() < 0.3):
            email = person.email
            if rng.random() < 0.2:
                email = email.capitalize() if rng.random() < 0.5 else email.upper()
                noise.append("email_case")
        birth = None
        if rng.random() < (0.7 if source in ("pos", "excel") else 0.3):
            birth = self.birth(person.birth, noise)
        gender = None
        if rng.random() < 0.5:
            gender = "Nữ" if person.gender == "female" else "Nam"
        address = None
        province = ward = None
        if rng.random() < 0.55:
            roll = rng.random()
            province, ward = household.province_code, household.ward_code
            if roll < 0.6:
                address = f"{household.street}, {household.ward_name}, {household.province_name}"
            elif roll < 0.85:
                address = fold(
                    f"{household.street}, {household.ward_name}, {household.province_name}"
                ).title()
                noise.append("address_unaccented")
            else:
                address = household.province_name
                ward = None
        external_id = f"KH{next(self.code_seq)}" if source == "excel" else None
        zalo_id = person.zalo_id if source == "zalo" else None
        card = person.card if source == "pos" and person.card and rng.random() < 0.8 else None
        return SyntheticRecord(
            record_id=f"R{next(self.record_seq):08d}",
            person_id=person.person_id,
            household_id=household.household_id,
            source=source,
            full_name=name,
            phone=phone,
            phone2=phone2,
            email=email,
            birth_date=birth,
            gender=gender,
            address=address,
            external_id=external_id,
            zalo_id=zalo_id,
            loyalty_card=card,
            province_code=province,
            ward_code=ward,
            noise=tuple(noise),
            phones_e164=phones_e164,
        )

    def name(self, person: _Person, noise: list[str]) -> str | None:
        rng = self.rng
        full = " ".join(p for p in (person.family, person.middle, person.given) if p)
        roll = rng.random()
        if roll < 0.015:
            noise.append("name_missing")
            return None
        if roll < 0.50:
            return full
        if roll < 0.68:
            noise.append("name_unaccented")
            text = fold(full)
            return text.title() if rng.random() < 0.5 else text
        if roll < 0.76:
            noise.append("name_western")
            given = fold(person.given).title() if rng.random() < 0.6 else person.given
            family = fold(person.family).title() if rng.random() < 0.6 else person.family
            if rng.random() < 0.5 and person.middle:
                return f"{given} {family} {person.middle}"
            return f"{given} {family}"
        if roll < 0.83:
            noise.append("name_no_middle")
            return f"{person.family} {person.given}"
        if roll < 0.89:
            noise.append("name_honorific")
            return f"{rng.choice(_HONORIFIC[person.gender])} {person.given}"
        if roll < 0.92 and len(fold(person.given)) >= 4:
            noise.append("name_typo")
            given = fold(person.given)
            i = rng.randrange(1, len(given))
            letter = rng.choice("aeiounhgt".replace(given[i], ""))
            return f"{person.family} {person.middle} {given[:i]}{letter}{given[i + 1 :]}".title()
        if roll < 0.95:
            noise.append("name_caps")
            return full.upper()
        return full

    def phones(
        self, person: _Person, household: _Household, source: str, noise: list[str]
    ) -> tuple[str | None, str | None, tuple[str, ...]]:
        rng = self.rng
        if source == "pos" and rng.random() < 0.01:
            noise.append("shop_hotline")
            return SHOP_HOTLINE, None, (SHOP_HOTLINE_E164,)
        if rng.random() < 0.004:
            noise.append("placeholder_phone")
            return "0000000000", None, ()
        options = [p for p in (person.mobile, household.phone) if p]
        # Zalo accounts and delivery orders always carry a phone; a shop's old Excel list
        # and the counter sometimes do not.
        if not options or rng.random() < _PHONE_MISSING[source]:
            noise.append("phone_missing")
            return None, None, ()
        # At the counter, or in an old list, some adults give the family number.
        number: str | None
        if person.mobile and household.phone and rng.random() < _HOME_PHONE[source]:
            number = household.phone
            noise.append("household_phone")
        else:
            number = person.mobile or household.phone
        assert number is not None  # noqa: S101
        written, e164 = self.format_phone(number, person, noise)
        e164s = [e164] if e164 else []
        second = None
        if person.mobile and household.phone and number == person.mobile and rng.random() < 0.1:
            second, e164 = self.format_phone(household.phone, None, noise)
            if e164 and e164 not in e164s:
                e164s.append(e164)
        return written, second, tuple(sorted(e164s))

    def format_phone(
        self, number: str, person: _Person | None, noise: list[str]
    ) -> tuple[str, str | None]:
        """The number as written, and its E.164 form (what normalisation gives)."""
        rng = self.rng
        e164: str | None = f"+84{number[1:]}"
        if person is not None and number == person.mobile:
            if person.legacy_prefix and rng.random() < 0.3:
                noise.append("legacy_prefix")
                number = person.legacy_prefix + number[3:]
            elif rng.random() < 0.015:
                noise.append("phone_typo")
                i = rng.randrange(3, len(number))
                number = (
                    number[:i] + rng.choice("0123456789".replace(number[i], "")) + number[i + 1 :]
                )
                e164 = normalize_vn_phone(number).e164  # a typo may make it invalid
        style = rng.random()
        if style < 0.35:
            return number, e164
        if style < 0.6:
            return f"{number[:4]} {number[4:7]} {number[7:]}", e164
        if style < 0.75:
            return f"+84 {number[1:]}", e164
        if style < 0.85:
            return f"{number[:4]}.{number[4:7]}.{number[7:]}", e164
        if style < 0.95:
            return f"84{number[1:]}", e164
        return number[1:], e164  # the leading zero lost to a number column

    def birth(self, day: date, noise: list[str]) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            noise.append("birth_year_only")
            return str(day.year)
        if roll < 0.16 and day.day <= 12 and day.day != day.month:
            noise.append("birth_swapped")
            return f"{day.month:02d}/{day.day:02d}/{day.year}"
        return f"{day.day:02d}/{day.month:02d}/{day.year}"


def generate(people: int, *, seed: int = 2026, wards: int = 60) -> Iterator[SyntheticRecord]:
    """Generate the records of about ``people`` people (whole households), in order.

    Args:
        people: How many people (the last household may add a few).
        seed: Random seed: the same seed gives the same records.
        wards: How many 2025 wards the shop's customers live in.

    Yields:
        Records; on average about 1.8 per person.

    Examples:
        >>> records = list(generate(50, seed=1))
        >>> len({r.person_id for r in records}) >= 50
        True
    """
    gen = _Generator(seed, wards)
    made = 0
    households = itertools.count(1)
    while made < people:
        household = gen.household(next(households))
        for person in gen.members(household):
            made += 1
            yield from gen.records(person, household)


def csv_row(record: SyntheticRecord) -> list[str]:
    """The record as a row under :data:`CSV_HEADER`."""
    values: Sequence[str | None] = (
        record.record_id, record.source, record.full_name, record.phone, record.phone2,
        record.email, record.birth_date, record.gender, record.address, record.external_id,
        record.zalo_id, record.loyalty_card, record.person_id, record.household_id,
    )  # fmt: skip
    return ["" if v is None else v for v in values]


def to_match_record(
    record: SyntheticRecord, *, parse_addresses: bool = True, stored: bool = False
) -> MatchRecord:
    """Prepare a synthetic record for matching, as ``hoso dedupe`` would read its CSV row.

    Args:
        record: The generated record.
        parse_addresses: Parse the address text (as from a file); ``False`` takes the 2025
            codes the generator knows (as the database path, which stores parsed codes).
        stored: Take the phones in E.164 as the database stores them (implies
            ``parse_addresses=False``), as a batch re-resolve reads them.
    """
    if stored:
        parse_addresses = False
    identifiers = [
        (kind, value)
        for kind, value in (
            ("external_id", record.external_id),
            ("zalo_id", record.zalo_id),
            ("loyalty_card", record.loyalty_card),
        )
        if value
    ]
    phones = list(record.phones_e164) if stored else [p for p in (record.phone, record.phone2) if p]
    return prepare_record(
        record.record_id,
        full_name=record.full_name,
        birth_date=record.birth_date,
        gender=record.gender,
        phones=phones,
        emails=[record.email] if record.email else [],
        identifiers=identifiers,
        address=record.address if parse_addresses else None,
        province_code=None if parse_addresses else record.province_code,
        ward_code=None if parse_addresses else record.ward_code,
        source=record.source,
        phones_e164=stored,
    )
