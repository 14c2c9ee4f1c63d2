import doctest

from hoso.engine.matching import (
    GuardPolicy,
    MatchRecord,
    clearly_different,
    default_model,
    find_shared_identifiers,
    mark_shared,
    merge_evidence,
    prepare_record,
    score_pair,
    within_kind_limits,
)
from hoso.engine.matching import guards as guards_module


def test_doctests() -> None:
    assert doctest.testmod(guards_module).failed == 0


def test_family_phone_is_shared(mother_daughter: list[MatchRecord]) -> None:
    shared = find_shared_identifiers(mother_daughter)
    item = shared[("phone", "+84903555111")]
    assert item.reason == "different_people"
    assert item.example == ("daughter", "mother")
    assert ("phone", "+84903555111") in shared


def test_one_person_on_many_records_is_not_shared() -> None:
    records = [
        prepare_record(str(i), full_name=name, phones=["0903123456"], birth_date=birth)
        for i, (name, birth) in enumerate(
            [("Nguyễn Thị Lan", "1990"), ("lan nguyen", None), ("Chị Lan", None)]
        )
    ]
    assert find_shared_identifiers(records) == {}


def test_an_identifier_on_too_many_records_is_shared() -> None:
    records = [prepare_record(str(i), full_name="Lan", phones=["028 3999 8888"]) for i in range(6)]
    key = ("phone", records[0].phones[0])
    assert find_shared_identifiers(records, GuardPolicy(max_records_per_value=6)) == {}
    shared = find_shared_identifiers(records, GuardPolicy(max_records_per_value=5))
    assert shared[key].reason == "too_many_records"
    assert shared[key].records == 6


def test_clearly_different() -> None:
    lan = prepare_record("1", full_name="Nguyễn Thị Lan", birth_date="01/02/1990")
    assert not clearly_different(lan, prepare_record("2", full_name="Chị Lan"))
    assert not clearly_different(lan, prepare_record("2", full_name="Lan", birth_date="02/01/1990"))
    assert not clearly_different(lan, prepare_record("2", full_name="Lan", birth_date="1991"))
    assert clearly_different(lan, prepare_record("2", full_name="Lan", birth_date="1995"))
    assert clearly_different(lan, prepare_record("2", full_name="Nguyễn Thị Mai"))
    assert not clearly_different(lan, prepare_record("2"))


def _evidence(a: MatchRecord, b: MatchRecord, shared: bool = False) -> str | None:
    found = find_shared_identifiers([a, b]) if shared else {}
    return merge_evidence(score_pair(default_model(), a, b).levels(), a, b, found)


def test_an_identifier_in_common_is_evidence(lan_trio: list[MatchRecord]) -> None:
    assert _evidence(lan_trio[0], lan_trio[1]) == "identifier"
    assert _evidence(lan_trio[0], lan_trio[2]) == "phone_typo"


def test_a_name_alone_is_never_evidence() -> None:
    a = prepare_record("a", full_name="Nguyễn Văn Hùng", birth_date="01/02/1980")
    b = prepare_record("b", full_name="Nguyễn Văn Hùng")
    assert _evidence(a, b) is None
    other_day = prepare_record("b", full_name="Nguyễn Văn Hùng", birth_date="02/02/1980")
    assert _evidence(a, other_day) is None
    # The whole name and the whole birth date are evidence (the probability must still
    # reach the threshold).
    same_day = prepare_record("b", full_name="NGUYEN VAN HUNG", birth_date="1/2/1980")
    assert _evidence(a, same_day) == "full_name_and_birth_date"
    # ... but the same name, birth date and ward is.
    address = "Phường Bến Nghé, Quận 1, TP.HCM"
    c = prepare_record("c", full_name="Nguyễn Văn Hùng", birth_date="01/02/1980", address=address)
    d = prepare_record("d", full_name="Hung Nguyen", birth_date="01/02/1980", address=address)
    assert _evidence(c, d) == "name_birth_ward"


def test_a_shared_identifier_alone_is_never_evidence(mother_daughter: list[MatchRecord]) -> None:
    mother, daughter = mother_daughter
    assert _evidence(mother, daughter, shared=True) is None
    # The mother again on the family phone, with her name and birth date: evidence.
    again = prepare_record("again", full_name="tran thi hoa", birth_date="12/03/1968",
                           phones=["0903555111"])  # fmt: skip
    shared = find_shared_identifiers([mother, daughter, again])
    levels = score_pair(default_model(), mother, again).levels()
    assert merge_evidence(levels, mother, again, shared) == "shared_identifier_and_name"
    # Same name on the family phone but a contradicting birth date: no.
    other = prepare_record("other", full_name="Trần Thị Hoa", birth_date="1999",
                           phones=["0903555111"])  # fmt: skip
    levels = score_pair(default_model(), mother, other).levels()
    assert merge_evidence(levels, mother, other, shared) is None


def test_kind_limits() -> None:
    assert within_kind_limits({"zalo_id": {"a"}, "phone": {"1", "2"}}) is None
    assert within_kind_limits({"zalo_id": {"a", "b"}}) == "zalo_id"
    assert within_kind_limits({"phone": {"1", "2"}}, {"phone": 1}) == "phone"


# --- The same name at the same house -------------------------------------------------------

HOUSE = "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP.HCM"


def _at(record_id: str, full_name: str, address: str = HOUSE, **fields: object) -> MatchRecord:
    return prepare_record(record_id, full_name=full_name, address=address, **fields)  # type: ignore[arg-type]


def test_the_same_full_name_at_the_same_house_is_evidence() -> None:
    a = _at("a", "Nguyễn Văn Hùng", phones=["0903 111 222"])
    b = _at("b", "NGUYEN VAN HUNG", "So 12 duong Le Loi, P. Ben Nghe, Q1, HCM")
    assert score_pair(default_model(), a, b).level("address") == "street"
    assert _evidence(a, b) == "full_name_and_street"
    # A middle name left out on one side, or the words in Western order: the same.
    assert _evidence(a, _at("c", "Nguyễn Hùng")) == "full_name_and_street"
    assert _evidence(a, _at("d", "Hùng Nguyễn Văn")) == "full_name_and_street"
    # A birth date on one side only, or the same on both, does not contradict.
    assert _evidence(a, _at("e", "Nguyễn Văn Hùng", birth_date="1980")) == "full_name_and_street"


def test_household_members_at_one_house_are_no_evidence() -> None:
    """Parents and children have different given names; in-laws different family names."""
    father = _at("father", "Nguyễn Văn Hùng", gender="Nam")
    for other in (
        _at("son", "Nguyễn Văn Nam", gender="Nam"),
        _at("mother", "Trần Thị Hoa", gender="Nữ"),
        _at("daughter", "Nguyễn Thị Mai"),
        _at("brother", "Nguyễn Văn Dũng"),
    ):
        assert _evidence(father, other) is None, other.full_name
    # Only a given name ("Chị Lan") at the family's house: a mother-in-law and a
    # daughter-in-law may both be Lan.
    assert _evidence(_at("a", "Nguyễn Thị Lan"), _at("b", "Chị Lan")) is None


def test_namesakes_at_other_houses_are_no_evidence() -> None:
    a = _at("a", "Nguyễn Văn Hùng")
    next_door = _at("b", "Nguyễn Văn Hùng", "14 Lê Lợi, Phường Bến Nghé, Quận 1, TP.HCM")
    assert score_pair(default_model(), a, next_door).level("address") == "other_street"
    assert _evidence(a, next_door) is None
    # The same ward without a house number on one side is not the same house either.
    ward_only = _at("c", "Nguyễn Văn Hùng", "Lê Lợi, Phường Bến Nghé, Quận 1, TP.HCM")
    assert score_pair(default_model(), a, ward_only).level("address") == "ward"
    assert _evidence(a, ward_only) is None
    # A hamlet is hundreds of households.
    hamlet = "Thôn 3, Xã Xuân Quế, Tỉnh Đồng Nai"
    assert (
        _evidence(_at("d", "Nguyễn Văn Hùng", hamlet), _at("e", "Nguyễn Văn Hùng", hamlet)) is None
    )
    # The same house in another ward is another house.
    elsewhere = _at("f", "Nguyễn Văn Hùng", "12 Lê Lợi, Phường Phúc Lợi, Hà Nội")
    assert _evidence(a, elsewhere) is None


def test_the_same_name_at_one_house_born_years_apart_is_no_evidence() -> None:
    """A father and a son (or a lodger) of the same name."""
    father = _at("a", "Nguyễn Văn Hùng", birth_date="12/05/1960")
    for other in (
        _at("b", "Nguyễn Văn Hùng", birth_date="03/09/1990"),
        _at("c", "Nguyễn Văn Hùng", birth_date="1990"),
        _at("d", "Nguyễn Văn Hùng", birth_date="03/09/1960"),  # same year, another day
    ):
        assert _evidence(father, other) is None, other.birth_date
    assert (
        _evidence(
            _at("e", "Nguyễn Thanh Hà", gender="Nam"), _at("f", "Nguyễn Thanh Hà", gender="Nữ")
        )
        is None
    )


def test_a_house_on_too_many_records_is_shared() -> None:
    """A shop typing its own address on walk-in orders: the house says nothing there."""
    records = [_at(str(i), name) for i, name in enumerate(["Trần Thị Mai", "Lê Văn Tám", "Hoa"])]
    hung = [_at("h1", "Nguyễn Văn Hùng"), _at("h2", "Nguyễn Văn Hùng")]
    every = records + hung
    key = hung[0].address_key
    assert key == ("address", f"{hung[0].ward}|12 le loi")
    assert find_shared_identifiers(every, GuardPolicy(max_records_per_address=5)) == {}
    shared = find_shared_identifiers(every, GuardPolicy(max_records_per_address=4))
    assert shared[key].reason == "too_many_records"
    assert shared[key].records == 5
    a, b = mark_shared(hung, shared)
    assert a.street is None
    assert a.ward == hung[0].ward
    assert merge_evidence(score_pair(default_model(), a, b).levels(), a, b, shared) is None


def test_the_whole_name_and_birth_date_in_another_order() -> None:
    a = prepare_record("a", full_name="Dương Thị Giang", birth_date="11/04/1989")
    b = prepare_record("b", full_name="Giang Dương Thị", birth_date="04/11/1989")  # swapped
    assert score_pair(default_model(), a, b).level("given_name") == "reordered"
    assert _evidence(a, b) == "full_name_and_birth_date"
    # A middle name missing is not enough with a birth date alone (Nguyễn Phương may be
    # Nguyễn Thu Phương), nor two words in another order.
    c = prepare_record("c", full_name="Dương Giang", birth_date="11/04/1989")
    assert _evidence(a, c) is None
    d = prepare_record("d", full_name="Giang Dương", birth_date="11/04/1989")
    assert _evidence(c, d) is None


def test_name_birth_and_ward_count_whatever_the_house() -> None:
    a = _at("a", "Nguyễn Văn Hùng", birth_date="01/02/1980")
    moved = _at("b", "Hung Nguyen", "30 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP.HCM",
                birth_date="01/02/1980")  # fmt: skip
    assert score_pair(default_model(), a, moved).level("address") == "other_street"
    assert _evidence(a, moved) == "name_birth_ward"
