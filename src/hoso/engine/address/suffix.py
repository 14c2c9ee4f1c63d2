"""Parse an address fast by reusing the reading of its administrative suffix.

Shops' files repeat the same few thousand ``"…, Phường X, Quận Y, TP Hồ Chí Minh"`` endings
under ever different streets. :func:`parse_address` reads such an ending once and reuses the
reading for every street in front of it, with exactly the result that
:func:`~hoso.engine.address.parser.parse_general` (every reading of the whole text) gives.

Why that is exact. The general reading searches for unit phrases right to left, and a phrase
never crosses a comma, semicolon or line break (a *hard* boundary). Cut the text at a hard
boundary into a *prefix* (the street) and a *suffix*. Each search depends only on what the
earlier ones found, so two texts with the same suffix are read alike up to the first search
that reaches into the prefix; if no search finds anything in either prefix, the whole
readings are the same, apart from token positions in the prefix. So when an address is read
in full, the searches that reach into the text before each hard boundary are recorded; if
none of them found anything there, the reading is kept for that suffix (the text from the
boundary on, with the diacritics flag, whether the prefix has a hard boundary of its own,
since up to two trailing segments may be skipped into it, and the separate columns). A later
address with the same suffix runs the recorded searches again on its own prefix, a street
of a few words, and takes the kept reading if they find nothing there too ("12 Hai Bà
Trưng, …" finds a district, and the address is read in full). Most suffixes record no such
search ("…, P. X, Q. Y, TP Z": the street is never looked at) or only searches scoped to the
province named; whether they find anything is remembered by the *shape* of the prefix (see
:func:`_shape`), so the street's words are looked at only once per street name.

What the result takes from the prefix is recomputed from the real text: the ``line`` (the
text before the first unit, cut at the same place), and whether the segment just before the
units opens with a type word ("Phường …" that was not understood, which lowers
``confidence``). A reading is not kept when trailing noise ("Việt Nam") could reach into
the prefix, or when the best reading skips segments into it.

Text without a hard boundary has no suffix to share and is always read in full.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

from hoso.engine.address.data import Index, Unit, load
from hoso.engine.address.model import AddressResult
from hoso.engine.address.parser import (
    _EDGE,
    _MAX_PHRASE,
    _NUMERALS,
    _PREFIX,
    _SUFFIX,
    Search,
    Watch,
    _Ctx,
    _hits,
    _Level,
    _Reading,
    _Tok,
    _tokenize,
    column_units,
    conclude,
    first_unit,
    normalised_text,
    read,
    unread_before,
)

__all__ = ["clear_memo", "memo_stats", "parse_address"]

_AFTER = frozenset().union(*_SUFFIX.values())  # "District" in "Tan Binh District"
_TYPE_PARTS = frozenset(w for level in _PREFIX.values() for words in level for w in words)
_MEMO_MAX = 1 << 13  # suffixes kept; all are forgotten when full
_SILENCE_MAX = 1 << 14  # (suffix, prefix shape) outcomes kept

# (suffix text, diacritics, prefix has a hard boundary, ward, district, province columns)
MemoKey = tuple[str, bool, bool, str | None, str | None, str | None]
_NAMELESS = ""  # the shape of a prefix in which no phrase can name a unit


@dataclass(frozen=True, slots=True)
class _Recheck:
    """A phrase search the suffix's reading made in the prefix (and that found nothing)."""

    level: _Level
    inner: bool  # ends at the prefix's own last hard boundary, not at the cut
    accept: Callable[[Unit], bool]
    need_type: bool
    prefer: Callable[[Unit], bool] | None


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity (see _SILENCE)
class _Entry:
    """The reading of one suffix, and what the result still needs from the prefix."""

    rechecks: tuple[_Recheck, ...]
    ends: tuple[bool, ...]  # where the rechecks end: the cut (False), the inner boundary
    cut: int | None  # where the line ends, in the suffix text; None: the whole text
    tail: tuple[int, int] | None  # skipped trailing segments kept in the line (suffix text)
    unread: bool | None  # None: decided by the prefix (the units start right after it)
    plain: AddressResult  # the result (raw and line aside) without and with the penalty
    unread_result: AddressResult  # for a segment before the units that was not understood


_MEMO: dict[MemoKey, _Entry] = {}
# Whether an entry's rechecks find nothing in a prefix, by the prefix's shape (see _shape);
# emptied with the memo.
_SILENCE: dict[tuple[_Entry, bool, str], bool] = {}
_memo_index: list[Index] = []  # the table the memo was filled from
_served = [0, 0]  # addresses served from the memo, addresses read in full


def memo_stats() -> tuple[int, int, int]:
    """Suffix readings kept, addresses served from them, addresses read in full."""
    return len(_MEMO), _served[0], _served[1]


def clear_memo() -> None:
    """Forget every suffix reading and zero the counts (for tests and benchmarks)."""
    _MEMO.clear()
    _SILENCE.clear()
    _served[:] = [0, 0]


def parse_address(
    raw: str | None,
    *,
    ward: str | None = None,
    district: str | None = None,
    province: str | None = None,
) -> AddressResult:
    """Parse an address into 2025 units, offline and deterministically.

    The result is exactly :func:`~hoso.engine.address.parser.parse_general`'s; see the
    module docstring for how the reading of an administrative suffix seen before is reused.

    Args:
        raw: Free text, e.g. ``"12 Lê Lợi, P. Bến Nghé, Q.1, TP.HCM"``, with or without
            diacritics, in the usual order (street, ward, district, province); any part may
            be missing.
        ward: A separate ward/commune column ("Phường/Xã"), old or 2025 name.
        district: A separate district column ("Quận/Huyện"; pre-2025 only).
        province: A separate province column ("Tỉnh/Thành"), old or 2025 name.

    Returns:
        The parsed address (see :class:`AddressResult`). Never raises on odd input.

    Examples:
        >>> r = parse_address("12 Le Loi, Ben Nghe, Q1, Ho Chi Minh")
        >>> r.ward.name, r.province.name, r.status.value, r.legacy_ward, r.line
        ('Phường Sài Gòn', 'Thành phố Hồ Chí Minh', 'converted', 'Phường Bến Nghé', '12 Le Loi')
    """
    ix = load()
    if not _memo_index or _memo_index[0] is not ix:
        clear_memo()
        _memo_index[:] = [ix]
    text = normalised_text(ix, raw)
    toks = _tokenize(text, ix.fold)
    # Hard boundaries, right to left: where the text may be cut into prefix and suffix.
    cuts = [i for i in range(len(toks) - 1, 0, -1) if toks[i].gap == 2]
    fresh: list[tuple[int, int | None, int, MemoKey]] = []
    if cuts:
        accented = not text.isascii()
        for n, cut in enumerate(cuts):
            inner = cuts[n + 1] if n + 1 < len(cuts) else None
            start = toks[cut - 1].end
            key = (text[start:], accented, inner is not None, ward, district, province)
            entry = _MEMO.get(key)
            if entry is None:
                fresh.append((cut, inner, start, key))
            elif _prefix_silent(ix, text, toks, entry, cut, inner, accented):
                _served[0] += 1
                return _result(ix, entry, raw, text, toks, cut, start)
    _served[1] += 1
    # Read in full, recording the searches into the text before each hard boundary.
    columns = column_units(ward, district, province)
    watch = Watch(floor=fresh[0][0]) if fresh else None
    ctx, readings, stop = read(ix, text, toks, columns, watch)
    values = (province, district, ward)
    if watch is None:
        return conclude(ctx, raw, readings, stop, columns, values)[0]
    # Both ways the segment in front of the units may read (see _Entry): the real one first.
    best = readings[0]
    unread = not best.empty and unread_before(toks, first_unit(best))
    result, other = conclude(ctx, raw, readings, stop, columns, values, (unread, not unread))
    plain, marked = (other, result) if unread else (result, other)
    for cut, inner, start, key in fresh:
        entry = _keep(toks, readings, stop, watch.calls, cut, inner, start, plain, marked)
        if entry is not None:
            _remember(key, entry)
    return result


def _keep(
    toks: list[_Tok],
    readings: list[_Reading],
    stop: int,
    calls: list[Search],
    cut: int,
    inner: int | None,
    start: int,
    plain: AddressResult,
    marked: AddressResult,
) -> _Entry | None:
    """The reading to keep for the suffix from token ``cut``, or None if it used the prefix."""
    rechecks = []
    for call in calls:
        if call.end > cut:
            continue
        if call.found or call.end not in (cut, inner):
            return None
        rechecks.append(
            _Recheck(call.level, call.end != cut, call.accept, call.need_type, call.prefer)
        )
    if stop <= cut or (stop == cut + 1 and toks[cut].word == "nam"):
        return None  # trailing noise could reach into another prefix ("..., Việt Nam")
    ends = tuple(sorted({r.inner for r in rechecks}))
    best = readings[0]
    if best.empty:
        return _Entry(tuple(rechecks), ends, None, None, False, plain, marked)
    if best.end <= cut:
        return None  # the best reading skips segments into the prefix
    starts = [c.hit.start for c in (best.p, best.d, best.w) if c and c.hit]
    line_cut = toks[min(starts)].start - start if starts else None
    tail = None
    if starts and best.end < stop:
        tail = (toks[best.end].start - start, toks[stop - 1].end - start)
    first = first_unit(best)
    unread = None if first == cut else unread_before(toks, first)
    return _Entry(tuple(rechecks), ends, line_cut, tail, unread, plain, marked)


def _remember(key: MemoKey, entry: _Entry) -> None:
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()  # atomic, unlike evicting entries one by one under threads
        _SILENCE.clear()
    _MEMO[key] = entry


def _prefix_silent(
    ix: Index,
    text: str,
    toks: list[_Tok],
    entry: _Entry,
    cut: int,
    inner: int | None,
    accented: bool,
) -> bool:
    """Whether the searches the suffix's reading made into the prefix find nothing there."""
    ctx: _Ctx | None = None
    for at_inner in entry.ends:
        end = inner if at_inner else cut
        if end is None:
            return False
        shape = _shape(toks, end)
        if shape == _NAMELESS:
            continue
        known = _SILENCE.get((entry, at_inner, shape)) if shape is not None else None
        if known is None:
            if ctx is None:
                ctx = _Ctx(ix, text, toks, single=False, accented=accented)
            known = not any(
                _hits(ctx, r.level, end, r.accept, r.need_type, r.prefer)
                for r in entry.rechecks
                if r.inner is at_inner
            )
            if shape is not None:
                if len(_SILENCE) >= _SILENCE_MAX:
                    _SILENCE.clear()
                _SILENCE[(entry, at_inner, shape)] = known
        if not known:
            return False
    return True


def _shape(toks: list[_Tok], end: int) -> str | None:
    """What of the phrases ending at token ``end`` can matter to a search for units there.

    ``_hits`` looks up phrases ending at ``end``, of at most ``_MAX_PHRASE`` words and
    within the segment, by the name key of the phrase or of its part after a type word.
    Read right to left, the words stay *live* while the key (every "y" as "i", which
    only merges keys) still ends some unit's key; once it does not, no longer phrase can
    name a unit. So only the live words, the two before them (type words: "P.", "Thị xã"),
    the one before those (the "xã" of "thị xã" does not open a phrase) and the gaps can
    change what the search finds; words in front of the live ones that are not part of any
    type word are all alike (a house number, "Số", "ngõ"). The shape keeps exactly that:
    two prefixes with the same shape give the same searches the same results, at every
    level and scope.

    Returns:
        ``_NAMELESS`` if no phrase ending at ``end`` can name a unit; ``None`` if the shape
        cannot be taken (the last word is a type word put after a name, "Tan Binh
        District", or a numeral, "Hải Châu I": looked up differently).
    """
    last = toks[end - 1].word
    if last in _AFTER or last in _NUMERALS:
        return None
    keys, reversed_keys = _name_keys()
    low = end - 1  # the first word _hits reaches
    for start in range(end - 2, max(-1, end - _MAX_PHRASE - 1), -1):
        if toks[start + 1].gap == 2:
            break
        low = start
    key = ""
    live = end
    named = False
    for start in range(end - 1, low - 1, -1):
        word = toks[start].word
        key = (str(int(word)) if word.isdecimal() else word).replace("y", "i") + key
        probe = key[::-1]
        i = bisect_left(reversed_keys, probe)
        if i == len(reversed_keys) or not reversed_keys[i].startswith(probe):
            break
        live = start
        named = named or key in keys
    if not named:
        return _NAMELESS
    first = max(low, live - 2)
    # Each word as "<gap><word>" ("<gap>" alone for a word that cannot matter), then the
    # word before them after "|" when a phrase there could look back at it.
    shape = " ".join(
        f"{t.gap}{t.word}" if i >= live or t.word in _TYPE_PARTS else str(t.gap)
        for i, t in enumerate(toks[first:end], first)
    )
    if first > 0 and toks[first].gap == 0:
        behind = toks[first - 1].word
        shape += "|" + (behind if behind in _TYPE_PARTS else "")
    return shape


@functools.cache
def _name_keys() -> tuple[frozenset[str], list[str]]:
    """Every name key of every level ("y" as "i"), and the same keys reversed, sorted."""
    ix = load()
    tables = (
        ix.province_keys,
        ix.district_keys,
        ix.district_alias_keys,
        ix.ward_keys,
        ix.ward_alias_keys,
    )
    keys = frozenset(k.replace("y", "i") for table in tables for k in table)
    return keys, sorted(k[::-1] for k in keys)


def _result(
    ix: Index,
    entry: _Entry,
    raw: str | None,
    text: str,
    toks: list[_Tok],
    cut: int,
    start: int,
) -> AddressResult:
    if entry.cut is None:
        line = _clean(ix, text)
    else:
        kept = [_clean(ix, text[: start + entry.cut])]
        if entry.tail is not None:
            kept.append(_clean(ix, text[start + entry.tail[0] : start + entry.tail[1]]))
        line = ", ".join(k for k in kept if k) or None
    unread = entry.unread if entry.unread is not None else unread_before(toks, cut)
    t = entry.unread_result if unread else entry.plain
    return AddressResult(
        raw=raw,
        line=line,
        province=t.province,
        ward=t.ward,
        legacy_province=t.legacy_province,
        legacy_district=t.legacy_district,
        legacy_ward=t.legacy_ward,
        status=t.status,
        candidates=t.candidates,
        confidence=t.confidence,
        legacy_province_code=t.legacy_province_code,
        legacy_district_code=t.legacy_district_code,
        legacy_ward_code=t.legacy_ward_code,
    )


def _clean(ix: Index, part: str) -> str | None:
    return ix.nfc(part).strip(_EDGE) or None
