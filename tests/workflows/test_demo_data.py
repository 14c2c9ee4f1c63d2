"""The demo data generator: deterministic, realistic in shape, and honest about its truth."""

import json
import re
import unicodedata
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from itertools import combinations

import pytest

from hoso.workflows.demo_data import (
    DEFAULT_NOW,
    DEMO_ATTRIBUTES,
    DemoCustomer,
    DemoDataset,
    generate_demo,
)

# Independent of the generator: the 2018 conversion table (old 11-digit -> current prefix).
OLD_TO_NEW = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039", "0120": "070", "0121": "079", "0122": "077", "0126": "076",
    "0128": "078", "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip
VALID_PREFIXES = (
    {f"03{d}" for d in "23456789"}
    | {"070", "076", "077", "078", "079"}
    | {f"08{d}" for d in "123456789"}
    | {"090", "091", "092", "093", "094", "096", "097", "098", "099", "056", "058", "059"}
)
PROVINCES_2025 = {
    "Hà Nội", "Cao Bằng", "Tuyên Quang", "Điện Biên", "Lai Châu", "Sơn La", "Lào Cai",
    "Thái Nguyên", "Lạng Sơn", "Quảng Ninh", "Bắc Ninh", "Phú Thọ", "Hải Phòng", "Hưng Yên",
    "Ninh Bình", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Quảng Trị", "Huế", "Đà Nẵng", "Quảng Ngãi",
    "Gia Lai", "Khánh Hòa", "Đắk Lắk", "Lâm Đồng", "Đồng Nai", "Hồ Chí Minh", "Tây Ninh",
    "Đồng Tháp", "Vĩnh Long", "An Giang", "Cần Thơ", "Cà Mau",
}  # fmt: skip
CHANNELS = {"pos", "website", "zalo", "shopee"}
STATUSES = {"completed", "cancelled", "refunded", "pending"}
PAYMENTS = {"cash", "bank_transfer", "vietqr", "momo", "zalopay", "card", "cod"}
INTERACTION_CHANNELS = {"pos", "website", "zalo", "phone", "email", "sms", "store", "excel"}
KINDS = {
    "call", "chat", "visit", "page_view", "email_open", "email_click", "complaint", "feedback",
    "review", "support_request", "zalo_message", "survey",
}  # fmt: skip
SOURCES = {"pos:kiotviet", "website", "zalo", "excel:thanh-vien-2019.xlsx"}


@pytest.fixture(scope="module")
def data() -> DemoDataset:
    return generate_demo()


@pytest.fixture(scope="module")
def customers(data: DemoDataset) -> tuple[DemoCustomer, ...]:
    return data.customers


def national(raw: str) -> str:
    """Our own reading of a raw VN mobile number as a current 10-digit national number."""
    digits = re.sub(r"\D", "", raw)
    for prefix in ("0084", "84"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (9, 10, 11):
            digits = digits[len(prefix) :]
            break
    if not digits.startswith("0"):
        digits = "0" + digits
    if len(digits) == 11 and digits[:4] in OLD_TO_NEW:
        digits = OLD_TO_NEW[digits[:4]] + digits[4:]
    return digits


def is_legacy(raw: str) -> bool:
    """Written with a pre-2018 11-digit prefix (``0168 ...``, ``+84 168 ...``, ``168...``)."""
    digits = re.sub(r"\D", "", raw)
    for prefix in ("0084", "84"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11):
            digits = digits[len(prefix) :]
            break
    digits = digits.removeprefix("0")
    return len(digits) == 10 and "0" + digits[:3] in OLD_TO_NEW


def fold(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D").lower()


def share(customers: tuple[DemoCustomer, ...], predicate: object) -> float:
    assert callable(predicate)
    return sum(1 for c in customers if predicate(c)) / len(customers)


def test_same_seed_gives_equal_data_and_another_seed_differs() -> None:
    first = generate_demo(seed=11, customers=300)
    assert first == generate_demo(seed=11, customers=300)
    other = generate_demo(seed=12, customers=300)
    assert other != first
    assert [c.full_name for c in other.customers] != [c.full_name for c in first.customers]


@pytest.mark.parametrize("count", [0, 1, 19, 150])
def test_counts_are_exact_for_small_workspaces(count: int) -> None:
    data = generate_demo(seed=3, customers=count)
    assert len(data.customers) == count


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="customers"):
        generate_demo(customers=-1)


def test_workspace_catalogue_and_attribute_definitions(data: DemoDataset) -> None:
    assert data.workspace_name == "Thời trang Sen Việt"
    assert len(data.stores) == 3
    assert 50 <= len(data.products) <= 70
    assert len({p.sku for p in data.products}) == len(data.products)
    assert all(p.price > 0 and p.price % 1000 == 0 for p in data.products)
    assert {"Áo dài", "Áo sơ mi", "Giày dép", "Túi xách", "Khăn lụa"} <= {
        p.category for p in data.products
    }
    assert data.attributes == DEMO_ATTRIBUTES
    assert len({a.key for a in DEMO_ATTRIBUTES}) == len(DEMO_ATTRIBUTES)
    for attribute in DEMO_ATTRIBUTES:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,62}", attribute.key)
        assert attribute.type in {"text", "number", "integer", "boolean", "date", "enum"}
        assert attribute.sensitivity in {"public", "internal", "personal", "sensitive"}
        assert (attribute.type == "enum") == bool(attribute.options)


def test_keys_and_order_ids_are_unique(customers: tuple[DemoCustomer, ...]) -> None:
    assert len(customers) == 2000
    keys = [c.key for c in customers]
    assert len(set(keys)) == len(keys)
    assert keys == [f"C{n:05d}" for n in range(1, len(keys) + 1)]
    order_ids = [o.external_id for c in customers for o in c.orders]
    assert len(set(order_ids)) == len(order_ids)
    external = [(c.source, c.external_id) for c in customers if c.external_id]
    assert len(set(external)) == len(external)
    pos = [c for c in customers if c.source == "pos:kiotviet"]
    assert all(re.fullmatch(r"KH\d{6}", c.external_id or "") for c in pos)


def test_text_is_nfc_and_names_are_not_empty(customers: tuple[DemoCustomer, ...]) -> None:
    for c in customers:
        texts = [c.full_name, *(i.summary for i in c.interactions), *(n.body for n in c.notes)]
        texts += [c.address.raw, c.address.ward, c.address.line] if c.address else []
        for text in texts:
            assert text, c.key
            assert text.strip() == text, c.key
            assert unicodedata.normalize("NFC", text) == text, (c.key, text)
        assert len(c.full_name.split()) >= 2


def test_realistic_shares(customers: tuple[DemoCustomer, ...]) -> None:
    assert 0.88 <= share(customers, lambda c: bool(c.phones)) <= 0.98
    assert 0.45 <= share(customers, lambda c: bool(c.emails)) <= 0.65
    assert 0.70 <= share(customers, lambda c: c.address is not None) <= 0.90
    assert 0.60 <= share(customers, lambda c: c.birth_date is not None) <= 0.80
    assert 0.05 <= share(customers, lambda c: len(c.phones) == 2) <= 0.15
    assert 0.85 <= share(customers, lambda c: bool(c.orders)) <= 0.99
    assert 0.02 <= share(customers, lambda c: c.duplicate_of is not None) <= 0.04
    assert 0.04 <= share(customers, lambda c: c.full_name.isascii()) <= 0.15
    honorifics = ("Chị ", "Anh ", "Cô ", "Chú ")
    assert 0.015 <= share(customers, lambda c: c.full_name.startswith(honorifics)) <= 0.06
    assert 0.25 <= share(customers, lambda c: c.full_name.startswith("Nguyễn ")) <= 0.45
    assert 0.10 <= share(customers, lambda c: c.source != "pos:kiotviet" and bool(c.orders)) <= 0.6
    assert {c.source for c in customers} == SOURCES


def test_order_counts_have_a_heavy_tail(customers: tuple[DemoCustomer, ...]) -> None:
    counts = sorted(len(c.orders) for c in customers)
    assert counts[-1] <= 25
    assert 0.4 <= sum(1 <= n <= 3 for n in counts) / len(counts) <= 0.8
    assert 0.005 <= sum(n >= 15 for n in counts) / len(counts) <= 0.05


def test_phones_are_valid_current_mobiles_in_mixed_formats(
    customers: tuple[DemoCustomer, ...],
) -> None:
    raws = [raw for c in customers for raw in c.phones]
    for raw in raws:
        number = national(raw)
        assert len(number) == 10, raw
        assert number[:3] in VALID_PREFIXES, raw
    legacy = [r for r in raws if is_legacy(r)]
    lost_zero = [r for r in raws if re.fullmatch(r"[1-9]\d{8}|1\d{9}", r)]
    assert 0.02 <= len(legacy) / len(customers) <= 0.09
    assert 0.005 <= len(lost_zero) / len(customers) <= 0.05
    assert any("." in r for r in raws)
    assert any(r.startswith("+84") for r in raws)
    assert any(r.startswith("84") for r in raws)
    assert any(r.startswith("(+84) 0") for r in raws)


def test_emails_look_real(customers: tuple[DemoCustomer, ...]) -> None:
    emails = [e for c in customers for e in c.emails]
    assert all(re.fullmatch(r"[A-Za-z0-9._]+@[A-Za-z0-9.]+\.[A-Za-z]{2,}", e) for e in emails)
    assert any(e != e.lower() for e in emails)
    by_address = defaultdict(set)
    for c in customers:
        for e in c.emails:
            by_address[e.lower()].add(c.duplicate_of or c.key)
    assert all(len(owners) == 1 for owners in by_address.values())  # shared only by duplicates


def test_gender_and_ages_are_consistent(customers: tuple[DemoCustomer, ...]) -> None:
    today = DEFAULT_NOW.date()
    for c in customers:
        assert c.gender in {"female", "male", "unknown"}
        words = c.full_name.split()
        if "Thị" in words[1:-1] or words[0] in {"Chị", "Cô"}:
            assert c.gender != "male", c.full_name
        if "Văn" in words[1:-1] or words[0] == "Chú":  # "Anh" is also a given name
            assert c.gender != "female", c.full_name
        if c.birth_date is not None:
            age = (
                today.year
                - c.birth_date.year
                - ((today.month, today.day) < (c.birth_date.month, c.birth_date.day))
            )
            assert 16 <= age <= 75, (c.key, c.birth_date)
    assert 0.6 <= share(customers, lambda c: c.gender == "female") <= 0.8


def test_everything_happens_between_first_seen_and_now(
    customers: tuple[DemoCustomer, ...],
) -> None:
    start = datetime(2019, 1, 1, tzinfo=DEFAULT_NOW.tzinfo)
    for c in customers:
        assert start <= c.created_at < DEFAULT_NOW
        for o in c.orders:
            assert c.created_at <= o.ordered_at < DEFAULT_NOW, (c.key, o.external_id)
        for i in c.interactions:
            assert c.created_at <= i.occurred_at < DEFAULT_NOW
        for n in c.notes:
            assert c.created_at <= n.created_at < DEFAULT_NOW
        assert [o.ordered_at for o in c.orders] == sorted(o.ordered_at for o in c.orders)
    created = [c.created_at for c in customers]
    assert created == sorted(created)
    assert created[0].year == 2019
    assert created[-1].year == 2026


def test_orders_are_well_formed(data: DemoDataset) -> None:
    skus = {p.sku: p for p in data.products}
    orders = [o for c in data.customers for o in c.orders]
    for o in orders:
        assert o.channel in CHANNELS
        assert o.status in STATUSES
        assert o.payment_method in PAYMENTS
        assert (o.store in data.stores) if o.channel == "pos" else o.store is None
        assert o.items
        assert all(i.sku in skus and i.name == skus[i.sku].name for i in o.items)
        assert all(i.quantity >= 1 and 0 < i.unit_price <= skus[i.sku].price for i in o.items)
        subtotal = sum(i.quantity * i.unit_price for i in o.items)
        assert 0 <= o.discount < subtotal
        assert o.discount % 1000 == 0
    completed = sum(o.status == "completed" for o in orders) / len(orders)
    assert 0.85 <= completed <= 0.98
    assert {o.channel for o in orders} == CHANNELS


def test_interactions_and_notes_are_well_formed(customers: tuple[DemoCustomer, ...]) -> None:
    kinds = set()
    for c in customers:
        assert len(c.interactions) <= 15
        assert len(c.notes) <= 3
        for i in c.interactions:
            assert i.channel in INTERACTION_CHANNELS
            assert i.kind in KINDS
            json.dumps(i.properties)
            kinds.add(i.kind)
            if i.kind.startswith("email_"):
                assert c.emails
        assert all(n.author and n.body for n in c.notes)
    assert kinds == KINDS


def test_attribute_values_match_their_definitions(customers: tuple[DemoCustomer, ...]) -> None:
    definitions = {a.key: a for a in DEMO_ATTRIBUTES}
    seen = set()
    for c in customers:
        for key, value in c.attributes.items():
            attribute = definitions[key]
            seen.add(key)
            if attribute.type == "enum":
                assert value in attribute.options
            elif attribute.type == "integer":
                assert isinstance(value, int)
                assert value >= 0
            elif attribute.type == "date":
                assert isinstance(value, str)
                assert date.fromisoformat(value) <= DEFAULT_NOW.date()
            else:
                assert isinstance(value, str)
                assert value
        has_completed = any(o.status == "completed" for o in c.orders)
        assert ("loyalty_tier" in c.attributes) == has_completed
        in_store = [
            o.ordered_at.date() for o in c.orders if o.channel == "pos" and o.status == "completed"
        ]
        last = max(in_store).isoformat() if in_store else None
        assert c.attributes.get("ngay_cuoi_mua_tai_quay") == last
    assert seen == set(definitions)


def test_addresses_use_2025_units_and_keep_what_was_typed(
    customers: tuple[DemoCustomer, ...],
) -> None:
    addresses = [c.address for c in customers if c.address]
    for a in addresses:
        assert a.province.removeprefix("Thành phố ") in PROVINCES_2025
        assert a.ward.startswith("Phường ")
        assert fold(a.line) in fold(a.raw)
        if a.legacy_district is None:
            assert fold(a.ward.removeprefix("Phường ")) in fold(a.raw)
        else:
            assert a.legacy_district.startswith(("Quận ", "Thành phố "))
    legacy = sum(a.legacy_district is not None for a in addresses) / len(addresses)
    assert 0.2 <= legacy <= 0.8
    hcmc = {a.province for a in addresses if "binh duong" in fold(a.raw)}
    assert hcmc == {"Thành phố Hồ Chí Minh"}
    assert sum(a.province == "Thành phố Hồ Chí Minh" for a in addresses) / len(addresses) > 0.3


def test_duplicates_are_the_same_person_from_another_source(
    customers: tuple[DemoCustomer, ...],
) -> None:
    by_key = {c.key: c for c in customers}
    duplicates = [c for c in customers if c.duplicate_of is not None]
    assert duplicates
    for dup in duplicates:
        assert dup.duplicate_of in by_key
        assert dup.duplicate_of != dup.key
        original = by_key[dup.duplicate_of]
        assert original.duplicate_of is None
        assert original.source != dup.source
        assert {national(p) for p in dup.phones} & {national(p) for p in original.phones}
        assert set(dup.phones) != set(original.phones)  # written differently
        # Every way of writing a name keeps the given name, so the token sets always meet.
        tokens = set(fold(dup.full_name).split())
        assert tokens & set(fold(original.full_name).split()), (dup.full_name, original.full_name)


def test_shared_phones_are_duplicates_or_mother_and_daughter(
    customers: tuple[DemoCustomer, ...],
) -> None:
    holders = defaultdict(list)
    for c in customers:
        for number in {national(p) for p in c.phones}:
            holders[number].append(c)
    households = 0
    for group in holders.values():
        for a, b in combinations(group, 2):
            if a.duplicate_of == b.key or b.duplicate_of == a.key:
                continue
            if a.duplicate_of and a.duplicate_of == b.duplicate_of:
                continue
            assert a.birth_date, a.key
            assert b.birth_date, b.key
            assert abs(a.birth_date.year - b.birth_date.year) >= 18
            assert fold(a.full_name.split()[-1]) != fold(b.full_name.split()[-1])
            households += 1
    assert 2 <= households <= 10


def test_a_different_now_moves_every_timestamp() -> None:
    now = datetime(2021, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=7)))
    data = generate_demo(seed=9, customers=200, now=now)
    for c in data.customers:
        assert c.created_at < now
        assert all(c.created_at <= o.ordered_at < now for o in c.orders)
        assert all(c.created_at <= i.occurred_at < now for i in c.interactions)
        assert all(o.payment_method != "vietqr" for o in c.orders if o.ordered_at.year < 2021)
