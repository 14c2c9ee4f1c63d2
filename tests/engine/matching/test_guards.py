import doctest

from hoso.engine.matching import (
    GuardPolicy,
    MatchRecord,
    clearly_different,
    default_model,
    find_shared_identifiers,
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
