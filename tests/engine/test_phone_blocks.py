"""normalize_vn_phone memoises phonenumbers' verdict per block of (first four digits, length).
That is exact only while phonenumbers' Vietnamese patterns decide on those alone: check every
block against phonenumbers itself, with tails other than the one that filled the memo."""

import random

import phonenumbers

from hoso.engine.normalize import phone


def reference(nsn: str) -> tuple[str, phone.PhoneType, bool] | None:
    try:
        number = phonenumbers.parse(f"+84{nsn}", None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return (e164, *phone._phone_type(number))


def test_every_block_answers_as_phonenumbers_does() -> None:
    rng = random.Random(84)
    phone._BLOCKS.clear()
    wrong = []
    for head in range(1000, 10_000):
        for length in (7, 8, 9, 10, 11):
            tails = ["".join(rng.choice("0123456789") for _ in range(length - 4)) for _ in range(2)]
            if tails[0] == tails[1]:
                continue
            first, second = f"{head}{tails[0]}", f"{head}{tails[1]}"
            phone._vn_valid(first)  # fills the block's memo
            if phone._vn_valid(second) != reference(second):
                wrong.append(second)
    assert wrong == []


def test_the_vietnamese_patterns_still_decide_within_four_digits() -> None:
    # If a phonenumbers upgrade adds a pattern deciding on a fifth digit, this says why the
    # block test above fails.
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("VN")
    assert metadata is not None
    assert metadata.mobile is not None
    assert metadata.mobile.national_number_pattern == (
        r"121[0-3]\d{5}|(?:1[46]0|(?:3\d|7[06-9])\d|5(?:[1689]\d|2[238]|59)|8(?:[1-8]\d|9[6-9])"
        r"|9(?:[0-8]\d|9[013-9]))\d{6}"
    )
