"""The batch path's columns, shared identifiers and blocking keys, computed in DuckDB.

A million :class:`~hoso.engine.matching.record.MatchRecord` are read once, a handful of
plain attributes per record, into an Arrow table (:func:`base_table`); everything else the
comparisons read (sorted name words, the swapped birth date, phone masks and blocks,
e-mail names...) is derived in SQL (:func:`derive_sql`), as are the groups of records
sharing an identifier (:func:`find_shared`) and one exploded list of every blocking key
of every rule (:func:`block_keys_sql`), so Splink explodes one list instead of one per
rule. A differential test holds the derived columns equal to
:func:`~hoso.engine.matching.record.to_row`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from hoso.engine.matching.guards import GuardPolicy, SharedIdentifier, first_different_pair
from hoso.engine.matching.record import PHONE_MASKS_SQL, MatchRecord
from hoso.engine.matching.settings import MatchSettings

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = [
    "TableRecords",
    "base_table",
    "block_keys_sql",
    "derive_sql",
    "find_shared",
    "ids_and_usable",
    "records_table",
    "with_positions",
]

#: Column holding a record's position in the batch (Splink's unique id in the batch path:
#: integers join and sort much faster than the caller's string ids).
ROW: Final = "unique_id"
#: Column holding every blocking key of a record (``<rule>=<value>|<value>``).
BLOCK_KEYS: Final = "block_keys"


def records_table(records: Sequence[MatchRecord]) -> pa.Table:
    """The batch's columns of some records, with their ids.

    :func:`~hoso.engine.matching.batch.resolve_batch` takes such a table instead of the
    records: build it a chunk at a time and concatenate them, and a million records never
    live as Python objects at once.
    """
    return base_table(records, with_ids=True).drop_columns([ROW])


def with_positions(table: pa.Table) -> pa.Table:
    """The table of :func:`records_table` with each row's position (``unique_id``)."""
    import pyarrow as pa

    return table.add_column(0, ROW, pa.array(range(table.num_rows), type=pa.int32()))


class TableRecords(Sequence[MatchRecord]):
    """The records of a :func:`records_table`, each built when first read.

    Only what matching reads is rebuilt (no raw name, address or dropped values);
    :meth:`load` builds many at once (the guards read a few hundred thousand of a million).
    Pass a table of one chunk (``combine_chunks()``): taking scattered rows from a chunked
    table concatenates its chunks every time.
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._built: dict[int, MatchRecord] = {}

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def __getitem__(self, index: int) -> MatchRecord:  # type: ignore[override]
        if not isinstance(index, int):
            raise TypeError("TableRecords takes one position at a time")
        if index < 0:
            index += len(self)
        if index not in self._built:
            self.load([index])
        return self._built[index]

    def __iter__(self) -> Iterator[MatchRecord]:
        self.load(range(len(self)))
        return (self._built[i] for i in range(len(self)))

    def load(self, rows: Iterable[int]) -> None:
        """Build the records at these positions (those not built yet) and keep them."""
        missing = sorted({row for row in rows if row not in self._built})
        self._built.update(zip(missing, self.build(missing), strict=True))

    def forget(self) -> None:
        """Drop the records built so far (they are built again when read)."""
        self._built.clear()

    def build(self, rows: Sequence[int]) -> list[MatchRecord]:
        """The records at these positions, built now and not kept."""
        import pyarrow as pa

        if not rows:
            return []
        part = self.table.take(pa.array(rows, type=pa.int64()))
        columns = {name: part.column(name).to_pylist() for name in _RECORD_COLUMNS}
        # Name parts repeat a lot: one string object each, as prepare_record shares them.
        for name in ("given", "family", "middle"):
            columns[name] = [None if v is None else sys.intern(v) for v in columns[name]]
        columns["words"] = [
            tuple(sys.intern(w) for w in words) if words else () for words in columns["words"]
        ]
        out = []
        for position in range(len(rows)):
            ids = columns["all_ids"][position]
            out.append(
                MatchRecord(
                    record_id=columns["record_id"][position],
                    name_words=columns["words"][position],
                    family=columns["family"][position],
                    middle=columns["middle"][position],
                    given=columns["given"][position],
                    birth_date=columns["day"][position],
                    birth_year=columns["birth_year"][position],
                    gender=columns["gender"][position],
                    phones=tuple(columns["all_phones"][position] or ()),
                    emails=tuple(columns["all_emails"][position] or ()),
                    identifiers=tuple(_kind_value(i) for i in ids) if ids else (),
                    province=columns["province"][position],
                    ward=columns["ward"][position],
                    street=columns["street"][position],
                )
            )
        return out


_RECORD_COLUMNS: Final = ("record_id", "given", "family", "middle", "words", "day",
                          "birth_year", "gender", "all_phones", "all_emails", "all_ids",
                          "province", "ward", "street")  # fmt: skip


def _kind_value(text: str) -> tuple[str, str]:
    kind, _, value = text.partition(":")
    return kind, value


def base_table(records: Sequence[MatchRecord], *, with_ids: bool = False) -> pa.Table:
    """The attributes of the records the SQL needs, one Arrow column each.

    Tuples go to Arrow as they are (empty ones become empty lists, turned into nulls by
    :func:`derive_sql`); only the other identifiers are formatted here (``kind:value``).
    ``with_ids`` adds the record ids (``record_id``).
    """
    import pyarrow as pa

    text = pa.string()
    texts = pa.list_(pa.string())

    def column(name: str, kind: pa.DataType) -> pa.Array:
        return pa.array(list(map(attrgetter(name), records)), type=kind)

    identifiers = [
        [f"{k}:{v}" for k, v in pairs] if pairs else None
        for pairs in map(attrgetter("identifiers"), records)
    ]
    ids = {"record_id": column("record_id", text)} if with_ids else {}
    return pa.table(
        {
            ROW: pa.array(range(len(records)), type=pa.int32()),
            **ids,
            "given": column("given", text),
            "family": column("family", text),
            "middle": column("middle", text),
            "words": column("name_words", texts),
            "day": column("birth_date", pa.date32()),
            "birth_year": column("birth_year", pa.int64()),
            "gender": column("gender", text),
            "all_phones": column("phones", texts),
            "all_emails": column("emails", texts),
            "all_ids": pa.array(identifiers, type=texts),
            "province": column("province", text),
            "ward": column("ward", text),
            "street": column("street", text),
        }
    )


def ids_and_usable(table: pa.Table) -> tuple[list[str], list[str], bool]:
    """The ids of a :func:`records_table`'s records, the unusable ones, any identifier.

    ``MatchRecord.usable`` and ``has_identifier``, column-wise.
    """
    import pyarrow.compute as pc

    def present(name: str) -> Any:
        return pc.fill_null(pc.greater(pc.list_value_length(table.column(name)), 0), False)

    identified = pc.or_(pc.or_(present("all_phones"), present("all_emails")), present("all_ids"))
    usable = pc.or_(present("words"), identified)
    ids = table.column("record_id").to_pylist()
    unusable = table.column("record_id").filter(pc.invert(usable)).to_pylist()
    return ids, unusable, bool(pc.any(identified).as_py())


def _phone_blocks_sql(column: str) -> str:
    """SQL of ``record._blocks`` for every phone of a list, sorted and distinct."""
    head = "left(p, length(p) - least(9, length(p)))"
    tail = "right(p, 9)"
    a, b, c = f"substr({tail}, 1, 3)", f"substr({tail}, 4, 3)", f"substr({tail}, 7)"
    blocks = (
        f"[{head} || {a} || {b} || '___', {head} || {a} || '___' || {c}, "
        f"{head} || '___' || {b} || {c}]"
    )
    every = f"flatten(list_transform({column}, lambda p: {blocks}))"
    return f"nullif(list_sort(list_distinct({every})), [])"


def derive_sql(
    source: str,
    shared_phones: str | None,
    *,
    uid: str = ROW,
    masks: bool = False,
    shared_addresses: str | None = None,
) -> str:
    """A query over :func:`base_table` giving the columns of ``to_row``.

    ``phone_masks`` only with ``masks``: on DuckDB the comparisons test phones one digit
    apart without them (``hoso_one_digit_apart``).

    Args:
        source: The base table's name.
        shared_phones: A table of shared phone numbers (column ``value``): they are left
            out of ``own_phones``. ``None``: no phone is shared.
        uid: The source column given as ``unique_id`` (the position, or ``record_id``).
        masks: Add ``phone_masks`` too.
        shared_addresses: A table of shared houses (column ``value``, ``<ward>|<street>``,
            see ``MatchRecord.address_key``): their street line is left out, as
            ``mark_shared`` does. ``None``: no house is shared.
    """
    swap = (
        "case when day is null or day(day) > 12 or day(day) = month(day) then null "
        "else cast(make_date(year(day), day(day), month(day)) as varchar) end"
    )
    local = (
        "case when strpos(e, '@') = 0 then '' "
        "else substr(e, 1, length(e) - strpos(reverse(e), '@')) end"
    )
    locals_ = f"list_sort(list_distinct(list_transform(emails, lambda e: {local})))"
    kinds = "list_sort(list_distinct(list_transform(ids, lambda i: split_part(i, ':', 1))))"
    if shared_phones is None:
        own = "phones"
        join = ""
    else:
        own = (
            "case when s.shared is null then phones else "
            "nullif(list_filter(phones, lambda p: not list_contains(s.shared, p)), []) end"
        )
        join = (
            f"left join (select x.{ROW} as shared_row, list(x.p) as shared from "
            f"(select {ROW}, unnest(all_phones) as p from {source}) x "
            f"join {shared_phones} sp on sp.value = x.p group by x.{ROW}) s "
            f"on s.shared_row = b.{ROW}"
        )
    mask_column = f"{PHONE_MASKS_SQL} as phone_masks," if masks else ""
    street = (
        "street"
        if shared_addresses is None
        else f"case when ward || '|' || street in (select value from {shared_addresses}) "
        "then null else street end"
    )
    return f"""
        with b as (
            select *, nullif(all_phones, []) as phones, nullif(all_emails, []) as emails,
                   nullif(words, []) as name_words, nullif(all_ids, []) as ids
            from {source}
        )
        select
            b.{uid} as unique_id, given, family, middle,
            nullif(array_to_string(list_sort(words), ' '), '') as name_sorted,
            name_words,
            cast(day as varchar) as birth_date,
            {swap} as birth_swap,
            birth_year, gender, phones,
            {mask_column}
            {_phone_blocks_sql("phones")} as phone_blocks,
            phones[1] as phone1,
            {own} as own_phones,
            emails,
            nullif({locals_}, []) as email_locals,
            emails[1] as email1,
            ids,
            nullif({kinds}, []) as id_kinds,
            province, ward, {street} as street
        from b {join}
    """


def block_keys_sql(settings: MatchSettings) -> str:
    """SQL of one list holding every blocking key of a row (the rules of ``settings``).

    The keys are those of :func:`~hoso.engine.matching.blocking.row_keys`: two rows share
    one exactly when one of the rules pairs them, so blocking on this one list (exploded
    once) finds the same pairs as the rules one by one.
    """
    parts = []
    for rule in settings.blocking:
        prefix = "+".join(rule.columns) + "="
        scalars = [c for c in rule.columns if c not in rule.explode]
        # The key text, with each exploded column as a lambda variable.
        pieces = [f'"{c}"' if c in scalars else f"x_{c}" for c in rule.columns]
        expression = " || '|' || ".join(pieces)
        body = f"['{prefix}' || {expression}]"
        for column in reversed(rule.explode):
            body = f'flatten(list_transform("{column}", lambda x_{column}: {body}))'
        condition = " and ".join(f'"{c}" is not null' for c in rule.columns)
        parts.append(f"case when {condition} then {body} else [] end")
    return f"list_distinct(flatten([{', '.join(parts)}]))"


def find_shared(
    connection: duckdb.DuckDBPyConnection,
    source: str,
    records: Sequence[MatchRecord],
    policy: GuardPolicy,
) -> dict[tuple[str, str], SharedIdentifier]:
    """:func:`~hoso.engine.matching.guards.find_shared_identifiers` over the base table.

    The identifiers are grouped in DuckDB; only groups whose records have at least two
    distinct (given name, birth date, birth year, name words) are checked in Python, on
    one record per distinct signature (the first in the batch), as the guard does.
    """
    identifiers = f"""
        select {ROW}, 0 as rank, 'phone' as kind, unnest(all_phones) as value from {source}
        union all select {ROW}, 1, 'email', unnest(all_emails) from {source}
        union all select {ROW}, 2, split_part(i, ':', 1), substr(i, strpos(i, ':') + 1)
            from (select {ROW}, unnest(all_ids) as i from {source})
    """
    groups = f"""
        with x as ({identifiers}),
        g as (
            select kind, value, count(*) as n, min({ROW}) as first, min(rank) as rank
            from x group by kind, value having count(*) > 1
        ),
        reps as (
            select x.kind, x.value, min(x.{ROW}) as rep
            from x join g using (kind, value)
            join {source} r on r.{ROW} = x.{ROW}
            where g.n <= {int(policy.max_records_per_value)}
            group by x.kind, x.value, r.given, r.day, r.birth_year, r.words
        ),
        candidates as (
            select kind, value, list(rep) as reps from reps group by kind, value
            having count(*) > 1
        )
        select g.kind, g.value, g.n, c.reps
        from g left join candidates c using (kind, value)
        where g.n > {int(policy.max_records_per_value)} or c.reps is not null
        order by g.first, g.rank, g.kind, g.value
    """
    table: Any = connection.sql(groups).to_arrow_table()
    shared: dict[tuple[str, str], SharedIdentifier] = {}
    # Houses on too many records first, in the order the guard finds them.
    houses = connection.sql(
        f"select ward || '|' || street as value, count(*) as n from {source}"
        " where ward is not null and street is not null group by 1"
        f" having count(*) > {int(policy.max_records_per_address)} order by min({ROW})"
    ).fetchall()
    for value, count in houses:
        shared[("address", value)] = SharedIdentifier("address", value, "too_many_records", count)
    built: dict[int, MatchRecord] = {}
    if isinstance(records, TableRecords):
        # Built for this check only, not kept.
        wanted = sorted({r for reps in table.column("reps").to_pylist() if reps for r in reps})
        built = dict(zip(wanted, records.build(wanted), strict=True))
    for kind, value, count, reps in zip(
        table.column("kind").to_pylist(),
        table.column("value").to_pylist(),
        table.column("n").to_pylist(),
        table.column("reps").to_pylist(),
        strict=True,
    ):
        if count > policy.max_records_per_value:
            shared[(kind, value)] = SharedIdentifier(kind, value, "too_many_records", count)
            continue
        example = first_different_pair([built[i] if built else records[i] for i in reps])
        if example is not None:
            shared[(kind, value)] = SharedIdentifier(
                kind, value, "different_people", count, example
            )
    return shared
