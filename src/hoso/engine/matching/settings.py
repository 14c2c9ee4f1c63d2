"""Comparisons written twice, as SQL for Splink and as Python for the pure scorer.

A :class:`MatchSettings` is the shape of a Fellegi-Sunter model: its comparisons, each an
ordered list of :class:`Level` (first true wins; a null level first, ``ELSE`` last), and
the blocking rules that choose which pairs are compared. Every level carries the same
test twice: ``sql`` (read by Splink on DuckDB or Spark) and ``test`` (read by
:func:`~hoso.engine.matching.scoring.score_pair`). The tests only use values computed once
in :func:`~hoso.engine.matching.record.to_row` (equalities, list overlaps, a Levenshtein
distance), so the two readings agree exactly; a differential test holds them to it.

:data:`VIETNAMESE` is the settings hoso uses for customers; benchmarks may define others
(FEBRL) with the same machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "VIETNAMESE",
    "BlockingRule",
    "Comparison",
    "Dialect",
    "Level",
    "MatchSettings",
    "get_settings",
    "levenshtein",
    "register_settings",
]

Dialect = Literal["duckdb", "spark"]
Row = Mapping[str, object]
_FUNCTIONS: Final[dict[str, dict[str, str]]] = {
    "duckdb": {
        "has_any": "list_has_any",
        "contains": "list_contains",
        "phone_typo": 'hoso_one_digit_apart("phones_l", "phones_r")',
    },
    "spark": {
        "has_any": "arrays_overlap",
        "contains": "array_contains",
        "phone_typo": 'arrays_overlap("phone_masks_l", "phone_masks_r")',
    },
}
#: DuckDB macro behind ``{phone_typo}``: two phones of the lists have the same length, the
#: same head and at most one different digit among their last nine, which is exactly when
#: they share one of the masks of ``record._masks`` (the Spark reading), without building
#: and carrying nine strings per phone.
DUCKDB_MACROS: Final = (
    "create or replace macro hoso_one_digit_apart(a, b) as "
    "len(list_filter(a, lambda p: len(list_filter(b, lambda q: case "
    "when length(p) = length(q) "
    "and left(p, length(p) - least(9, length(p))) = left(q, length(q) - least(9, length(q))) "
    "then hamming(right(p, 9), right(q, 9)) <= 1 else false end)) > 0)) > 0",
)


def quote_for(sql: str, dialect: Dialect) -> str:
    """Identifiers are written in double quotes; Spark SQL reads those as strings."""
    return sql.replace('"', "`") if dialect == "spark" else sql


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a comparison.

    Attributes:
        key: Stable id inside its comparison (``exact``, ``typo``...), used in the JSON model.
        label: Human label, English.
        label_vi: Human label, Vietnamese.
        sql: The condition over ``<column>_l``/``<column>_r``; ``{has_any}`` and
            ``{contains}`` stand for the dialect's list-overlap and list-contains
            functions, ``{phone_typo}`` for its test of phones one digit apart
            (:data:`DUCKDB_MACROS`); ``ELSE`` for the last level.
        test: The same condition in Python over two rows.
        null: Whether this is the null level (a value missing: weight 0).
        tf_column: Column whose term frequencies adjust this (exact-match) level.
        m: Default m probability (used by :func:`~hoso.engine.matching.model.default_model`).
        u: Default u probability.
        agrees: Whether reaching this level counts as the field agreeing (explanations,
            guards).
    """

    key: str
    label: str
    label_vi: str
    sql: str
    test: Callable[[Row, Row], bool]
    null: bool = False
    tf_column: str | None = None
    m: float = 0.5
    u: float = 0.5
    agrees: bool = False

    def sql_for(self, dialect: Dialect) -> str:
        """The level's SQL condition in ``dialect``."""
        return quote_for(self.sql.format(**_FUNCTIONS[dialect]), dialect)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One field compared, as ordered levels.

    Attributes:
        name: Stable id (``phone``, ``given_name``...), Splink's ``output_column_name``.
        label: Human name, English.
        label_vi: Human name, Vietnamese.
        columns: The row columns shown as "values compared".
        levels: Null level first, ``ELSE`` last.
    """

    name: str
    label: str
    label_vi: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]

    def level_index(self, left: Row, right: Row) -> int:
        """The index of the first level whose test holds (the last one otherwise)."""
        for index, level in enumerate(self.levels[:-1]):
            if level.test(left, right):
                return index
        return len(self.levels) - 1


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """Pairs are compared when they agree on every column (lists: on one element).

    Attributes:
        columns: Columns that must be equal (and not null).
        explode: The list columns among them, compared element by element.
    """

    columns: tuple[str, ...]
    explode: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """The shape of a model: comparisons, blocking rules, training rules, default prior.

    Attributes:
        name: Stable id stored in every model (``vn-2``): a change of comparisons or
            levels takes a new one, so models trained for the old ones are not misread.
        comparisons: The comparisons, in scoring order.
        blocking: Rules choosing the pairs to score in batch.
        training: Rules whose pairs EM trains on, one EM session each.
        prior: Default probability that two random records match.
        unique_id: The row column holding the record id.
        prior_rules: Rules whose pairs are taken as matches to estimate the prior
            (Splink's ``estimate_probability_two_random_records_match``); none: keep
            ``prior``.
        prior_recall: The share of all matches those rules are assumed to find.
    """

    name: str
    comparisons: tuple[Comparison, ...]
    blocking: tuple[BlockingRule, ...]
    training: tuple[BlockingRule, ...]
    prior: float
    unique_id: str = "unique_id"
    prior_rules: tuple[BlockingRule, ...] = ()
    prior_recall: float = 0.7

    def comparison(self, name: str) -> Comparison:
        """The comparison called ``name``."""
        for comparison in self.comparisons:
            if comparison.name == name:
                return comparison
        raise KeyError(name)

    @property
    def tf_columns(self) -> tuple[str, ...]:
        """Columns with term-frequency adjustments, in comparison order."""
        seen: list[str] = []
        for comparison in self.comparisons:
            for level in comparison.levels:
                if level.tf_column and level.tf_column not in seen:
                    seen.append(level.tf_column)
        return tuple(seen)


_REGISTRY: dict[str, MatchSettings] = {}


def register_settings(settings: MatchSettings) -> MatchSettings:
    """Make ``settings`` findable by name (models store only the name)."""
    _REGISTRY[settings.name] = settings
    return settings


def get_settings(name: str) -> MatchSettings:
    """The registered settings called ``name``.

    Raises:
        KeyError: No settings of that name.
    """
    return _REGISTRY[name]


# --- Tests shared by settings ------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), as DuckDB's ``levenshtein``."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def null_either(*columns: str) -> Callable[[Row, Row], bool]:
    """Test: a column is null on either side."""
    return lambda left, right: any(left[c] is None or right[c] is None for c in columns)


def equal(column: str) -> Callable[[Row, Row], bool]:
    """Test: the column is equal and not null."""
    return lambda left, right: left[column] is not None and left[column] == right[column]


def equal_all(*columns: str) -> Callable[[Row, Row], bool]:
    """Test: every column is equal and not null."""
    return lambda left, right: all(left[c] is not None and left[c] == right[c] for c in columns)


def overlap(column: str) -> Callable[[Row, Row], bool]:
    """Test: the two lists share an element."""

    def test(left: Row, right: Row) -> bool:
        a, b = left[column], right[column]
        if a is None or b is None:
            return False
        if not isinstance(a, list) or not isinstance(b, list):
            return False
        return not set(a).isdisjoint(b)

    return test


def null_sql(*columns: str) -> str:
    """SQL: a column is null on either side."""
    return " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in columns)


def equal_sql(*columns: str) -> str:
    """SQL: every column equal."""
    return " AND ".join(f'"{c}_l" = "{c}_r"' for c in columns)


def overlap_sql(column: str) -> str:
    """SQL: the two lists share an element."""
    return f'{{has_any}}("{column}_l", "{column}_r")'


# --- Vietnamese customers ------------------------------------------------------------------

_MIN_TYPO_LENGTH: Final = 4


def _given_typo(left: Row, right: Row) -> bool:
    a, b = left["given"], right["given"]
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return min(len(a), len(b)) >= _MIN_TYPO_LENGTH and levenshtein(a, b) <= 1


def _given_among_words(left: Row, right: Row) -> bool:
    a, b = left["given"], right["given"]
    words_l, words_r = left["name_words"], right["name_words"]
    return (isinstance(words_r, list) and a in words_r) or (
        isinstance(words_l, list) and b in words_l
    )


def _year_close(left: Row, right: Row) -> bool:
    a, b = left["birth_year"], right["birth_year"]
    return isinstance(a, int) and isinstance(b, int) and abs(a - b) <= 1


def _swap(left: Row, right: Row) -> bool:
    return left["birth_swap"] is not None and left["birth_swap"] == right["birth_date"]


def _else(_left: Row, _right: Row) -> bool:  # pragma: no cover - never called
    return True


def _else_level(m: float, u: float, label: str, label_vi: str) -> Level:
    return Level("else", label, label_vi, "ELSE", _else, m=m, u=u)


GIVEN_NAME: Final = Comparison(
    "given_name",
    "Given name",
    "Tên",
    ("given", "name_sorted"),
    (
        Level("null", "given name missing", "thiếu tên", null_sql("given"), null_either("given"),
              null=True),
        Level("exact", "same given name", "cùng tên", equal_sql("given"), equal("given"),
              tf_column="given", m=0.85, u=0.018, agrees=True),
        Level("reordered", "same name words in another order", "cùng các chữ của tên, khác thứ tự",
              equal_sql("name_sorted"), equal("name_sorted"), m=0.037, u=2.5e-05, agrees=True),
        Level("typo", "given name one letter apart", "tên lệch một chữ",
              f'least(length("given_l"), length("given_r")) >= {_MIN_TYPO_LENGTH} '
              'AND levenshtein("given_l", "given_r") <= 1',
              _given_typo, m=0.03, u=0.018, agrees=True),
        Level("among", "given name among the other's name words", "tên nằm trong họ tên kia",
              '{contains}("name_words_r", "given_l") OR {contains}("name_words_l", "given_r")',
              _given_among_words, m=0.04, u=0.017, agrees=True),
        _else_level(0.043, 0.947, "different given names", "khác tên"),
    ),
)  # fmt: skip


def _family_among_words(left: Row, right: Row) -> bool:
    a, b = left["family"], right["family"]
    words_l, words_r = left["name_words"], right["name_words"]
    return (isinstance(words_r, list) and a in words_r) or (
        isinstance(words_l, list) and b in words_l
    )


def _middle_missing(left: Row, right: Row) -> bool:
    return (
        left["family"] is not None
        and left["family"] == right["family"]
        and (left["middle"] is None or right["middle"] is None)
    )


FAMILY_NAME: Final = Comparison(
    "family_name",
    "Family and middle name",
    "Họ và tên đệm",
    ("family", "middle"),
    (
        Level("null", "family name missing", "thiếu họ", null_sql("family"), null_either("family"),
              null=True),
        Level("family_middle", "same family and middle name", "cùng họ và tên đệm",
              equal_sql("family", "middle"), equal_all("family", "middle"), m=0.7, u=0.033,
              agrees=True),
        Level("middle_missing", "same family name, a middle name missing",
              "cùng họ, thiếu tên đệm",
              '"family_l" = "family_r" AND ("middle_l" IS NULL OR "middle_r" IS NULL)',
              _middle_missing, m=0.2, u=0.023, agrees=True),
        Level("family", "same family name, other middle name", "cùng họ, khác tên đệm",
              equal_sql("family"), equal("family"), tf_column="family", m=0.026, u=0.17,
              agrees=True),
        Level("among", "family name among the other's name words", "họ nằm trong họ tên kia",
              '{contains}("name_words_r", "family_l") OR {contains}("name_words_l", "family_r")',
              _family_among_words, m=0.054, u=0.027),
        _else_level(0.02, 0.75, "different family names", "khác họ"),
    ),
)  # fmt: skip

BIRTH_DATE: Final = Comparison(
    "birth_date",
    "Birth date",
    "Ngày sinh",
    ("birth_date", "birth_year"),
    (
        Level("null", "birth date missing", "thiếu ngày sinh", null_sql("birth_year"),
              null_either("birth_year"), null=True),
        Level("exact", "same birth date", "cùng ngày sinh", equal_sql("birth_date"),
              equal("birth_date"), m=0.74, u=6e-05, agrees=True),
        Level("swap", "day and month swapped", "đảo ngày và tháng",
              '"birth_swap_l" = "birth_date_r"', _swap, m=0.029, u=1.8e-05, agrees=True),
        Level("year", "same birth year", "cùng năm sinh", equal_sql("birth_year"),
              equal("birth_year"), m=0.12, u=0.019),
        Level("year_close", "birth years one apart", "năm sinh lệch một năm",
              'abs("birth_year_l" - "birth_year_r") <= 1', _year_close, m=0.004, u=0.038),
        _else_level(0.107, 0.943, "different birth dates", "khác ngày sinh"),
    ),
)  # fmt: skip

PHONE: Final = Comparison(
    "phone",
    "Phone",
    "Số điện thoại",
    ("phones",),
    (
        Level("null", "phone missing", "thiếu số điện thoại", null_sql("phones"),
              null_either("phones"), null=True),
        Level("exact", "a phone in common", "trùng số điện thoại", overlap_sql("own_phones"),
              overlap("own_phones"), m=0.9, u=1e-05, agrees=True),
        Level("shared", "a shared (family, shop) phone in common",
              "trùng số điện thoại dùng chung (gia đình, cửa hàng)", overlap_sql("phones"),
              overlap("phones"), m=0.05, u=4e-05, agrees=True),
        Level("typo", "phones one digit apart", "số điện thoại lệch một chữ số",
              "{phone_typo}", overlap("phone_masks"), m=0.016, u=2.5e-07,
              agrees=True),
        Level("other_shared", "different phones, one side only a shared (family, shop) one",
              "khác số điện thoại, một bên chỉ có số dùng chung (gia đình, cửa hàng)",
              null_sql("own_phones"), null_either("own_phones"), m=0.013, u=0.036),
        _else_level(0.051, 0.96395, "different phones", "khác số điện thoại"),
    ),
)  # fmt: skip

EMAIL: Final = Comparison(
    "email",
    "E-mail",
    "Email",
    ("emails",),
    (
        Level("null", "e-mail missing", "thiếu email", null_sql("emails"), null_either("emails"),
              null=True),
        Level("exact", "an e-mail in common", "trùng email", overlap_sql("emails"),
              overlap("emails"), m=0.9, u=0.0001, agrees=True),
        Level("local", "same e-mail name, other domain", "cùng tên email, khác tên miền",
              overlap_sql("email_locals"), overlap("email_locals"), m=0.03, u=4e-05,
              agrees=True),
        _else_level(0.07, 0.99986, "different e-mails", "khác email"),
    ),
)  # fmt: skip

IDENTIFIER: Final = Comparison(
    "identifier",
    "Customer code, Zalo id, card",
    "Mã khách hàng, Zalo, thẻ",
    ("ids",),
    (
        Level("null", "no other identifier", "không có mã khác", null_sql("ids"),
              null_either("ids"), null=True),
        Level("exact", "an identifier in common", "trùng mã", overlap_sql("ids"),
              overlap("ids"), m=0.22, u=2.3e-05, agrees=True),
        Level("conflict", "different values of the same kind", "khác mã cùng loại",
              overlap_sql("id_kinds"), overlap("id_kinds"), m=0.18, u=0.38),
        _else_level(0.6, 0.62, "identifiers of different kinds", "mã khác loại"),
    ),
)  # fmt: skip


def _other_street(left: Row, right: Row) -> bool:
    return (
        left["ward"] is not None
        and left["ward"] == right["ward"]
        and left["street"] is not None
        and right["street"] is not None
    )


ADDRESS: Final = Comparison(
    "address",
    "Address (2025 units)",
    "Địa chỉ (đơn vị 2025)",
    ("street", "ward", "province"),
    (
        Level("null", "province missing", "thiếu tỉnh/thành", null_sql("province"),
              null_either("province"), null=True),
        Level("street", "same house number and street, same ward",
              "cùng số nhà và đường, cùng phường/xã", equal_sql("ward", "street"),
              equal_all("ward", "street"), m=0.6, u=0.0003, agrees=True),
        Level("other_street", "same ward, another house", "cùng phường/xã, khác nhà",
              '"ward_l" = "ward_r" AND "street_l" IS NOT NULL AND "street_r" IS NOT NULL',
              _other_street, m=0.03, u=0.07),
        Level("ward", "same ward (a house number missing)", "cùng phường/xã (thiếu số nhà)",
              equal_sql("ward"), equal("ward"), m=0.1, u=0.02, agrees=True),
        Level("province", "same province", "cùng tỉnh/thành", equal_sql("province"),
              equal("province"), m=0.25, u=0.1),
        _else_level(0.02, 0.8097, "different provinces", "khác tỉnh/thành"),
    ),
)  # fmt: skip

GENDER: Final = Comparison(
    "gender",
    "Gender",
    "Giới tính",
    ("gender",),
    (
        Level("null", "gender missing", "thiếu giới tính", null_sql("gender"),
              null_either("gender"), null=True),
        Level("exact", "same gender", "cùng giới tính", equal_sql("gender"), equal("gender"),
              m=0.97, u=0.5),
        _else_level(0.03, 0.5, "different genders", "khác giới tính"),
    ),
)  # fmt: skip

VIETNAMESE: Final = register_settings(
    MatchSettings(
        name="vn-2",
        comparisons=(GIVEN_NAME, FAMILY_NAME, BIRTH_DATE, PHONE, EMAIL, IDENTIFIER, ADDRESS,
                     GENDER),
        # A shared phone (the shop's hotline typed on thousands of orders) would make one
        # giant block: it only blocks together with the same given name.
        blocking=(
            BlockingRule(("own_phones",), ("own_phones",)),
            BlockingRule(("phones", "given"), ("phones",)),
            BlockingRule(("emails",), ("emails",)),
            BlockingRule(("ids",), ("ids",)),
            BlockingRule(("given", "birth_date")),
            BlockingRule(("name_sorted", "birth_date")),
            BlockingRule(("name_sorted", "ward")),
            BlockingRule(("given", "ward", "street")),
            BlockingRule(("given", "phone_blocks"), ("phone_blocks",)),
        ),
        # Splink trains EM on scalar columns only: the first phone and e-mail stand in.
        training=(
            BlockingRule(("phone1",)),
            BlockingRule(("given", "birth_date")),
            BlockingRule(("email1",)),
        ),
        prior=0.0002,
        prior_rules=(BlockingRule(("phone1", "given")),),
    )
)  # fmt: skip
"""Settings for Vietnamese customer records (the rows of :func:`to_row`)."""


def comparison_names(settings: MatchSettings) -> Sequence[str]:
    """The comparison names of ``settings``, in order."""
    return [c.name for c in settings.comparisons]
