"""Parse a Vietnamese address into 2025 units, keeping the pre-2025 units it used.

How an address is read (``street, ward, district, province``, right to left):

1. The text is cut into folded tokens. Commas, semicolons, ``|`` and line breaks are *hard*
   boundaries that no unit name crosses; dashes, slashes, colons and a full stop after a
   word are *soft* ones ("Bà Rịa - Vũng Tàu" still matches). ``p15``/``q1``/``f7`` read as
   ``p 15``. "Việt Nam", "VN" and a postcode at the end are dropped.
2. Every reading is tried: a province phrase ending at the end of the text (or none), a
   pre-2025 district ending where the province starts (or none), then a ward, 2025 or
   pre-2025, ending where the district starts (or none). Each lookup is scoped by what was
   found to its right, so a ward never comes from another province or district. Up to two
   unrecognised trailing segments may be skipped, at a cost.
3. A phrase counts when it starts a segment or opens with a type word of its level (P.,
   Phường, Q., Quận, H., TX., TP., Xã, TT., Tỉnh, "Ward", "District", ...). In text without
   any separator an unmarked province or district inside a segment counts too, at a cost
   (never a ward: streets are named like wards, "12 Lê Lợi"). A bare number is a unit only
   after a type word; a ward needs a type word when nothing scopes it.
4. Readings are scored (units found, type words that fit, eras that agree) and the best one
   wins. Readings that tie but resolve differently ("Phú Nhuận, HCM": the old district, or
   the 2025 ward of that name) give ``AMBIGUOUS`` with all their 2025 wards as candidates.

Separate columns (``ward=``, ``district=``, ``province=``) are read at their level and
override the free text; the same unit repeated at the end of the free text is cut from
``line``.

:func:`parse_general` does all of this for every address. The public
:func:`~hoso.engine.address.parse_address` (``suffix.py``) gives exactly the same results
but reuses the reading of an administrative suffix seen before ("…, P. X, Q. Y, TP.HCM"),
which is what makes imports cheap. Words, phrase lookups and units' accent keys are
memoised for the whole process here (bounded), since addresses repeat their names.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from hoso.engine.address.data import District, Index, Province, Unit, Ward, key_of, load
from hoso.engine.address.model import AddressResult, AdminUnit, ConversionStatus

__all__ = ["data_source", "find_province", "parse_general", "provinces"]

_MAX_PHRASE = 9  # tokens in one unit phrase, type word included
_MAX_CANDIDATES = 12  # more 2025 wards than this are not listed as candidates
_MAX_SKIPPED = 2  # unrecognised segments allowed after the province
_TIE = 1e-6

# Scores. A unit found is worth 3; the adjustments only rank readings of the same text.
_UNIT = 3.0
_PROVINCE_BONUS = 0.2  # the last phrase is far more often a province than a district
_TYPED = 0.5  # a type word that fits the unit ("Quận" before a Quận)
_MISTYPED = 0.2  # a type word of the right level but another type ("Xã" before a Phường)
_PER_TOKEN = 0.01  # prefer the longer phrase
_ALIAS = 0.3  # a former name (merged before 2025)
_LOOSE = 1.5  # unmarked phrase inside a segment
_STRAY = 0.4  # an old unit outside the old province named
_SKIPPED = 1.5  # per unrecognised trailing segment
_CONFLICT = 1.0  # a column that does not fit the rest
_COLUMN = 3.5  # a unit from a separate column
_ECHO = 0.1  # ... repeated at the end of the free text
_NEW_WITH_OLD = 0.3  # a 2025 ward under an old district or an old province
_OLD_WITHOUT_DISTRICT = 0.2  # an old ward named like a 2025 ward, no district to say so

_NUMERALS = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "1": "1", "2": "2", "3": "3"}


class _Level(IntEnum):
    PROVINCE = 0
    DISTRICT = 1
    WARD = 2


# Type words that may open a unit phrase, per level: folded words -> official type word
# (None: any type of the level).
_PREFIX: dict[_Level, dict[tuple[str, ...], str | None]] = {
    _Level.PROVINCE: {
        ("tinh",): "Tỉnh",
        ("t",): "Tỉnh",
        ("thanh", "pho"): "Thành phố",
        ("tp",): "Thành phố",
        ("province",): None,
    },
    _Level.DISTRICT: {
        ("quan",): "Quận",
        ("q",): "Quận",
        ("huyen",): "Huyện",
        ("h",): "Huyện",
        ("thi", "xa"): "Thị xã",
        ("tx",): "Thị xã",
        ("thanh", "pho"): "Thành phố",
        ("tp",): "Thành phố",
        ("district",): None,
        ("dist",): None,
    },
    _Level.WARD: {
        ("phuong",): "Phường",
        ("p",): "Phường",
        ("f",): "Phường",
        ("xa",): "Xã",
        ("x",): "Xã",
        ("thi", "tran"): "Thị trấn",
        ("tt",): "Thị trấn",
        ("dac", "khu"): "Đặc khu",
        ("ward",): None,
        ("commune",): None,
    },
}
# English order ("Tan Binh District", "Ho Chi Minh City").
_SUFFIX: dict[_Level, frozenset[str]] = {
    _Level.PROVINCE: frozenset({"province", "city"}),
    _Level.DISTRICT: frozenset({"district", "dist", "city", "town"}),
    _Level.WARD: frozenset({"ward", "commune"}),
}
_TWO_WORD_TYPES = frozenset({("thi", "xa"), ("thi", "tran"), ("thanh", "pho"), ("dac", "khu")})
_ABBREVIATIONS = frozenset({"p", "q", "f", "x", "h", "t", "tp", "tx", "tt", "dist"})

_WORD = re.compile(r"[^\W_]+")
_GLUED = re.compile(r"(p|f|q|phuong|quan|ward|district)(\d+)")
_HARD = frozenset(",;|\n\r")
_SOFT = frozenset("-–—−/:")  # the dashes people type
_EDGE = " ,;|-–—−/:."


# --- tokens ---------------------------------------------------------------------------


class _Tok(NamedTuple):  # a tuple: made for every word of every address
    word: str  # folded
    start: int  # span in the text
    end: int
    gap: int  # boundary before this token: 0 none, 1 soft, 2 hard


def _gap(between: str, left: str, right: str, prev_word: str) -> int:
    if any(c in _HARD for c in between):
        return 2
    if any(c in _SOFT for c in between):
        return 0 if left.isdigit() and right.isdigit() else 1  # "12-14", "12/3" are numbers
    if "." in between and prev_word not in _ABBREVIATIONS and not prev_word.isdecimal():
        return 1
    return 0


# Folded pieces of a word as typed, for every parse in the process (addresses repeat their
# words); emptied when full.
_PIECES: dict[str, tuple[tuple[str, int, int], ...]] = {}
_PIECES_MAX = 1 << 14


def _pieces(word: str, fold: Callable[[str], str]) -> tuple[tuple[str, int, int], ...]:
    """Tokens of one word as typed: (folded word, start, end) relative to the word."""
    found = _PIECES.get(word)
    if found is not None:
        return found
    out: list[tuple[str, int, int]] = []
    for folded in fold(word).split():
        glued = _GLUED.fullmatch(folded)
        if glued and len(word) == len(folded):
            cut = len(glued.group(1))
            out += [(glued.group(1), 0, cut), (glued.group(2), cut, len(word))]
        else:
            out.append((folded, 0, len(word)))
    if len(_PIECES) >= _PIECES_MAX:
        _PIECES.clear()
    found = _PIECES[word] = tuple(out)
    return found


def _tokenize(text: str, fold: Callable[[str], str]) -> list[_Tok]:
    toks: list[_Tok] = []
    prev_end = 0
    for m in _WORD.finditer(text):
        gap = 0
        start = m.start()
        if toks:
            between = text[prev_end:start]
            if between != " ":  # the usual case: one space, no boundary
                gap = _gap(between, text[prev_end - 1], text[start], toks[-1].word)
        for word, a, b in _pieces(m.group(), fold):
            toks.append(_Tok(word, start + a, start + b, gap))
            gap = 0
        prev_end = m.end()
    return toks


def _noise_start(toks: Sequence[_Tok]) -> int:
    """Index where trailing noise (country name, postcode) begins."""
    n = len(toks)
    while n:
        word = toks[n - 1].word
        if word in {"vn", "vietnam"} or (word.isdecimal() and 5 <= len(word) <= 6):
            n -= 1
        elif n >= 2 and word == "nam" and toks[n - 2].word == "viet":
            n -= 2
        else:
            break
    return n


def _accent_key(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFC", s).casefold() if c.isalnum())


def _bare(unit: Unit) -> str:
    return unit.name[len(unit.type_word) + 1 :] if unit.type_word else unit.name


_BARE_KEYS: dict[Unit, str] = {}  # units hash by identity; the table is loaded once


def _bare_accent_key(unit: Unit) -> str:
    key = _BARE_KEYS.get(unit)
    if key is None:
        key = _BARE_KEYS[unit] = _accent_key(_bare(unit))
    return key


# --- phrases ------------------------------------------------------------------------------


class _Lookup(NamedTuple):
    """Units a phrase may name, before scoping."""

    first: int  # token span of the name itself, type word excluded, from the phrase's start
    last: int
    units: tuple[Unit, ...]
    alias: bool
    type_word: str | None
    marked: bool


@dataclass(frozen=True, slots=True)
class _Hit:
    """A phrase of the free text that names units of one level, within the scope."""

    start: int
    units: tuple[Unit, ...]
    score: float
    loose: bool
    alias: bool
    type_ok: bool


class Search(NamedTuple):
    """A search for phrases (``_hits``'s arguments) and whether it found any (see Watch)."""

    level: _Level
    end: int
    accept: Callable[[Unit], bool]
    need_type: bool
    prefer: Callable[[Unit], bool] | None
    found: bool


@dataclass(slots=True)
class Watch:
    """Records the phrase searches a reading makes that end at or before token ``floor``."""

    floor: int
    calls: list[Search] = field(default_factory=list)


@dataclass(slots=True)
class _Ctx:
    ix: Index
    text: str
    toks: list[_Tok]
    single: bool  # the text has no boundary at all
    accented: bool  # the text has diacritics: names typed without them mean none
    cache: dict[tuple[int, int], list[tuple[int, tuple[_Lookup, ...]]]] = field(
        default_factory=dict
    )
    # Set by the suffix memo (suffix.py): phrase searches ending at or before token
    # ``watch.floor`` are recorded, with their arguments and outcome, as they are made.
    watch: Watch | None = None

    def boundary(self, i: int) -> bool:
        return i == 0 or self.toks[i].gap > 0

    def phrases(self, level: _Level, end: int) -> list[tuple[int, tuple[_Lookup, ...]]]:
        """Phrases ending at token ``end`` that may name units of ``level``, longest last.

        As (start, unscoped readings of tokens[start:end], best first), for every start
        with a reading; a phrase has at most ``_MAX_PHRASE`` words and never crosses a
        comma.
        """
        cache_key = (level, end)
        cached = self.cache.get(cache_key)
        if cached is not None:
            return cached
        out: list[tuple[int, tuple[_Lookup, ...]]] = []
        self.cache[cache_key] = out
        toks = self.toks
        words: tuple[str, ...] = ()
        for start in range(end - 1, max(-1, end - _MAX_PHRASE - 1), -1):
            if start + 1 < end and toks[start + 1].gap == 2:
                break  # a unit name never crosses a comma
            words = (toks[start].word, *words)
            if (
                start
                and toks[start].gap == 0
                and (toks[start - 1].word, words[0]) in (_TWO_WORD_TYPES)
            ):
                continue  # the "xa" of "thi xa" does not open a ward phrase
            looks = _phrase_lookups(self.ix, level, words)
            if looks:
                out.append((start, looks))
        return out


# Readings of phrases by their words, for every parse in the process (the same ward and
# street names come back all the time); emptied when full, and when the table is reloaded.
_PHRASES: dict[tuple[_Level, tuple[str, ...]], tuple[_Lookup, ...]] = {}
_PHRASES_MAX = 1 << 14
_phrases_index: list[Index] = []


def _phrase_lookups(ix: Index, level: _Level, words: tuple[str, ...]) -> tuple[_Lookup, ...]:
    """Unscoped readings of a phrase at ``level``, best first (token spans relative to it)."""
    if not _phrases_index or _phrases_index[0] is not ix:
        _PHRASES.clear()
        _phrases_index[:] = [ix]
    memo_key = (level, words)
    found = _PHRASES.get(memo_key)
    if found is not None:
        return found
    n = len(words)
    variants: list[tuple[int, int, str | None, bool]] = []
    for size in (2, 1):
        if n > size and words[:size] in _PREFIX[level]:
            variants.append((size, n, _PREFIX[level][words[:size]], True))
            break
    if n > 1 and words[-1] in _SUFFIX[level]:
        variants.append((0, n - 1, None, True))
    variants.append((0, n, None, False))
    out: list[_Lookup] = []
    for first, last, type_word, marked in variants:
        bare = words[first:last]
        if not marked and all(w.isdecimal() for w in bare):
            continue  # a bare number is not a unit
        out += [
            _Lookup(first, last, units, alias, type_word, marked)
            for units, alias in _find(ix, level, bare)
        ]
    if len(_PHRASES) >= _PHRASES_MAX:
        _PHRASES.clear()
    found = _PHRASES[memo_key] = tuple(out)
    return found


def _find(ix: Index, level: _Level, bare: tuple[str, ...]) -> list[tuple[tuple[Unit, ...], bool]]:
    """Units under the name key of ``bare``: official names first, then former names."""
    key = key_of(bare)
    if level is _Level.PROVINCE:
        found = ix.province_keys.get(key)
        return [(found, False)] if found else []
    keys, aliases = (
        (ix.district_keys, ix.district_alias_keys)
        if level is _Level.DISTRICT
        else (ix.ward_keys, ix.ward_alias_keys)
    )
    out: list[tuple[tuple[Unit, ...], bool]] = []
    for table, alias in ((keys, False), (aliases, True)):
        units: tuple[Unit, ...] = table.get(key, ())
        if units:
            out.append((units, alias))
    if level is _Level.WARD and len(bare) > 1 and bare[-1] in _NUMERALS:
        # "Hải Châu I" and "Hải Châu II" became "Hải Châu" before 2025.
        for stem in (key_of((*bare[:-1], _NUMERALS[bare[-1]])), key_of(bare[:-1])):
            units = keys.get(stem, ())
            if units:
                out.append((units, True))
    return out


def _refine(
    ctx: _Ctx, units: tuple[Unit, ...], look: _Lookup, start: int
) -> tuple[tuple[Unit, ...], bool]:
    """Narrow same-key units by the type word, then by the diacritics as typed."""
    type_ok = True
    if look.type_word is not None:
        same = tuple(u for u in units if u.type_word == look.type_word)
        type_ok = bool(same)
        units = same or units
    if len(units) > 1 and look.first < look.last and ctx.accented:
        typed = ctx.text[ctx.toks[start + look.first].start : ctx.toks[start + look.last - 1].end]
        want = _accent_key(typed)
        units = tuple(u for u in units if _bare_accent_key(u) == want) or units
    return units, type_ok


def _hits(
    ctx: _Ctx,
    level: _Level,
    end: int,
    accept: Callable[[Unit], bool],
    need_type: bool,
    prefer: Callable[[Unit], bool] | None = None,
) -> list[_Hit]:
    """Phrases of ``level`` ending at token ``end`` that name units ``accept`` keeps.

    Of those units, the ones ``prefer`` picks are kept if there are any (an old ward of the
    very old province named, rather than of another one merged into the same 2025
    province); otherwise all are kept, at a cost.
    """
    hits: list[_Hit] = []
    for start, looks in ctx.phrases(level, end):
        for look in looks:
            units = tuple(u for u in look.units if accept(u))
            if not units or (need_type and not look.marked):
                continue
            loose = not look.marked and not ctx.boundary(start)
            if loose and (level is _Level.WARD or not ctx.single):
                continue
            preferred = tuple(u for u in units if prefer(u)) if prefer else units
            units, type_ok = _refine(ctx, preferred or units, look, start)
            score = _UNIT + _PER_TOKEN * (end - start)
            # A name spelled with a dash ("Bà Rịa - Vũng Tàu") explains what two units would.
            score += _UNIT * sum(1 for t in ctx.toks[start + 1 : end] if t.gap == 1)
            score += _PROVINCE_BONUS if level is _Level.PROVINCE else 0.0
            score += (_TYPED if type_ok else _MISTYPED) if look.marked else 0.0
            score -= (_ALIAS if look.alias else 0.0) + (_LOOSE if loose else 0.0)
            score -= 0.0 if preferred else _STRAY
            hits.append(_Hit(start, units, score, loose, look.alias, type_ok))
            break  # the first reading of this phrase that fits the scope
    return hits


@functools.lru_cache(maxsize=4096)
def _column_units(level: _Level, value: str | None) -> tuple[Unit, ...] | None:
    """Units a separate column names (unscoped), or None if it is blank or names none.

    Cached: an import file repeats the same few thousand ward/district/province values.
    """
    if value is None:
        return None
    ix = load()
    text = ix.nfc(value)
    toks = _tokenize(text, ix.fold)
    ctx = _Ctx(ix, text, toks, single=True, accented=not text.isascii())
    hits = _hits(ctx, level, _noise_start(toks), lambda _: True, need_type=False)
    whole = [h for h in hits if h.start == 0]
    best = max(whole or hits, key=lambda h: h.score, default=None)
    return best.units if best else None


# --- readings -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Choice:
    """What a reading takes at one level: units, and the phrase of the free text it used."""

    units: tuple[Unit, ...]
    hit: _Hit | None
    score: float


@dataclass(frozen=True, slots=True)
class _Reading:
    p: _Choice | None
    d: _Choice | None
    w: _Choice | None
    score: float
    end: int  # token index where the units end
    skipped: int  # unrecognised segments between the units and the end of the text
    targets: tuple[str, ...]  # 2025 wards of ``w``
    pcodes: tuple[str, ...]  # 2025 provinces
    conflicts: int  # columns that did not fit

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the reading resolves to: 2025 wards (a district's, if no ward), provinces."""
        if self.w is None and self.d is not None:
            spread = {t for u in self.d.units if isinstance(u, District) for t in u.targets}
            return tuple(sorted(spread)), self.pcodes
        return self.targets, self.pcodes

    @property
    def empty(self) -> bool:
        return self.p is None and self.d is None and self.w is None


def _options(
    ctx: _Ctx,
    level: _Level,
    end: int,
    accept: Callable[[Unit], bool],
    column: tuple[Unit, ...] | None,
    need_type: bool,
    prefer: Callable[[Unit], bool] | None = None,
) -> tuple[list[_Choice | None], bool]:
    """Choices at one level, and whether the column (if any) failed to fit the scope."""
    hits = _hits(ctx, level, end, accept, need_type and column is None, prefer) if end else []
    if ctx.watch is not None and end <= ctx.watch.floor:
        search = Search(level, end, accept, need_type and column is None, prefer, bool(hits))
        ctx.watch.calls.append(search)
    if column is not None:
        given = tuple(u for u in column if accept(u))
        if prefer is not None:
            given = tuple(u for u in given if prefer(u)) or given
        if given:
            opts: list[_Choice | None] = [_Choice(given, None, _COLUMN)]
            for h in hits:
                both = tuple(u for u in given if u in h.units)
                if both:
                    opts.append(_Choice(both, h, _COLUMN + _ECHO))
            return _split_eras(level, opts), False
    return _split_eras(level, [None, *(_Choice(h.units, h, h.score) for h in hits)]), (
        column is not None
    )


def _split_eras(level: _Level, opts: list[_Choice | None]) -> list[_Choice | None]:
    """Split ward choices that name both 2025 and pre-2025 wards, one choice per era."""
    if level is not _Level.WARD:
        return opts
    out: list[_Choice | None] = []
    for o in opts:
        if o is None:
            out.append(o)
            continue
        for current in (True, False):
            units = tuple(u for u in o.units if isinstance(u, Ward) and u.current is current)
            if units:
                out.append(_Choice(units, o.hit, o.score))
    return out


def _district_scope(pcodes: frozenset[str] | None) -> Callable[[Unit], bool]:
    if pcodes is None:
        return lambda _: True
    return lambda u: isinstance(u, District) and u.province.new_code in pcodes


def _ward_scope(
    ix: Index, pcodes: frozenset[str] | None, districts: tuple[Unit, ...] | None
) -> Callable[[Unit], bool]:
    if districts is not None:
        inside = set(districts)
        inside.update(x for d in districts for x in ix.district_extra.get(d.code, ()))
        around = {d.province.new_code for d in districts if isinstance(d, District)}
        return lambda u: (
            isinstance(u, Ward)
            and (u.province.code in around if u.current else u.district in inside)
        )
    if pcodes is not None:
        return lambda u: isinstance(u, Ward) and u.new_province_code in pcodes
    return lambda _: True


def _old_province_scope(p: _Choice | None) -> Callable[[Unit], bool] | None:
    """Prefer old units of the old province(s) the province phrase named."""
    named = {u for u in p.units if isinstance(u, Province) and not u.current} if p else set()
    if not named:
        return None

    def prefer(u: Unit) -> bool:
        if isinstance(u, District) or (isinstance(u, Ward) and not u.current):
            return u.province in named
        return True

    return prefer


def _legacy_only(choice: _Choice | None) -> bool:
    """The province phrase names only a pre-2025 province ("Bình Dương")."""
    return choice is not None and not any(
        isinstance(u, Province) and u.current for u in choice.units
    )


def _readings(
    ctx: _Ctx, columns: tuple[tuple[Unit, ...] | None, ...]
) -> tuple[list[_Reading], int]:
    """Every reading of the text and columns, best first; and where trailing noise starts."""
    toks = ctx.toks
    stop = _noise_start(toks)
    ends = [stop]
    ends += [k for k in range(stop - 1, 0, -1) if toks[k].gap == 2][:_MAX_SKIPPED]
    col_p, col_d, col_w = columns
    out: list[_Reading] = []
    for skipped, end in enumerate(ends):
        p_opts, bad_p = _options(ctx, _Level.PROVINCE, end, lambda _: True, col_p, False)
        for p in p_opts:
            pcodes = (
                frozenset(u.new_code for u in p.units if isinstance(u, Province)) if p else None
            )
            cur = p.hit.start if p and p.hit else end
            prefer = _old_province_scope(p)
            d_scope = _district_scope(pcodes)
            d_opts, bad_d = _options(ctx, _Level.DISTRICT, cur, d_scope, col_d, False, prefer)
            for d in d_opts:
                cur2 = d.hit.start if d and d.hit else cur
                districts = d.units if d else None
                w_scope = _ward_scope(ctx.ix, pcodes, districts)
                need_type = pcodes is None and districts is None
                w_prefer = prefer if d is None else None
                w_opts, bad_w = _options(
                    ctx, _Level.WARD, cur2, w_scope, col_w, need_type, w_prefer
                )
                conflicts = bad_p + bad_d + bad_w
                out += [_score(ctx.ix, p, d, w, end, skipped, conflicts) for w in w_opts]
    out.sort(key=lambda r: -r.score)  # stable: ties keep the enumeration order
    return out, stop


def _score(
    ix: Index,
    p: _Choice | None,
    d: _Choice | None,
    w: _Choice | None,
    end: int,
    skipped: int,
    conflicts: int,
) -> _Reading:
    score = sum(c.score for c in (p, d, w) if c is not None)
    score -= _SKIPPED * skipped + _CONFLICT * conflicts
    targets: tuple[str, ...] = ()
    if w is not None:
        current = all(isinstance(u, Ward) and u.current for u in w.units)
        if current and (d is not None or _legacy_only(p)):
            score -= _NEW_WITH_OLD
        if not current and d is None:
            score -= _OLD_WITHOUT_DISTRICT
        seen: dict[str, None] = {}
        for u in w.units:
            if isinstance(u, Ward):
                seen.update(dict.fromkeys(u.targets))
        # One old ward: its own order (the source's default first); several: by code.
        targets = tuple(seen) if len(w.units) == 1 else tuple(sorted(seen))
        pcodes = {ix.wards[t].province.code for t in targets}
    elif d is not None:
        pcodes = {u.province.new_code for u in d.units if isinstance(u, District)}
    elif p is not None:
        pcodes = {u.new_code for u in p.units if isinstance(u, Province)}
    else:
        pcodes = set()
    return _Reading(p, d, w, score, end, skipped, targets, tuple(sorted(pcodes)), conflicts)


# --- results ------------------------------------------------------------------------------


class _Old(NamedTuple):
    """One pre-2025 level of a reading: official name and code, when they are certain."""

    name: str | None
    code: str | None


def _old(units: Sequence[Unit]) -> _Old:
    distinct = list({id(u): u for u in units}.values())
    if not distinct or any(u.name != distinct[0].name for u in distinct):
        return _Old(None, None)
    return _Old(distinct[0].name, distinct[0].code if len(distinct) == 1 else None)


def _legacy(r: _Reading) -> tuple[_Old, _Old, _Old]:
    """The pre-2025 province, district and ward a reading used."""
    old_w = [u for u in (r.w.units if r.w else ()) if isinstance(u, Ward) and not u.current]
    # An old ward's own district, even if the text named the district it was moved from.
    districts: list[Unit] = [u.district for u in old_w if u.district] or (
        list(r.d.units) if r.d else []
    )
    old_p: list[Unit] = [u.province for u in old_w] or [
        u.province for u in districts if isinstance(u, District)
    ]
    if not old_p and _legacy_only(r.p) and r.p is not None:
        old_p = list(r.p.units)
    return _old(old_p), _old(districts), _old(old_w)


def _line(ctx: _Ctx, r: _Reading, stop: int) -> str | None:
    """The free text without the units it named and the trailing noise, as typed."""
    starts = [c.hit.start for c in (r.p, r.d, r.w) if c and c.hit]
    if not starts:
        return _clean(ctx, ctx.text)
    parts = [ctx.text[: ctx.toks[min(starts)].start]]
    if r.end < stop:
        parts.append(ctx.text[ctx.toks[r.end].start : ctx.toks[stop - 1].end])
    kept = [_clean(ctx, part) for part in parts]
    return ", ".join(k for k in kept if k) or None


def _clean(ctx: _Ctx, part: str) -> str | None:
    return ctx.ix.nfc(part).strip(_EDGE) or None


def _ward_unit(ix: Index, code: str) -> AdminUnit:
    ward = ix.wards[code]
    return AdminUnit(ward.code, ward.name)


def _province_unit(ix: Index, pcodes: Sequence[str]) -> AdminUnit | None:
    if len(pcodes) != 1:
        return None
    p = ix.provinces[pcodes[0]]
    return AdminUnit(p.code, p.name)


def _unread_unit(ctx: _Ctx, r: _Reading) -> bool:
    """Whether the segment left of the units opens with a ward or district type word.

    "Phường Bến Nghé, Hà Nội" names a ward that Hà Nội does not have: the province is
    right, but something the customer meant as a unit was not understood.
    """
    return unread_before(ctx.toks, first_unit(r))


def first_unit(r: _Reading) -> int:
    """Token index where the units of a reading start (its end if it used no phrase)."""
    starts = [c.hit.start for c in (r.p, r.d, r.w) if c and c.hit]
    return min(starts, default=r.end)


_MARKERS = {**_PREFIX[_Level.WARD], **_PREFIX[_Level.DISTRICT]}


def unread_before(toks: Sequence[_Tok], first: int) -> bool:
    """Whether the segment ending before token ``first`` opens with a ward or district type."""
    seg = first - 1
    while seg > 0 and toks[seg].gap == 0:
        seg -= 1
    if seg < 0:
        return False
    words = tuple(t.word for t in toks[seg : min(seg + 2, first)])
    return first - seg > 1 and (words in _MARKERS or words[:1] in _MARKERS)


def _confidence(best: _Reading, rival: _Reading | None, unread_columns: int, unread: bool) -> float:
    """How sure the best reading is (before ambiguity): see AddressResult.confidence."""
    confidence = 0.7 if unread else 1.0
    for choice in (best.p, best.d, best.w):
        hit = choice.hit if choice else None
        if hit is not None:
            confidence *= 0.85 if hit.loose else 1.0
            confidence *= 0.9 if hit.alias else 1.0
            confidence *= 1.0 if hit.type_ok else 0.9
    confidence *= 0.95 if best.p is None else 1.0  # province inferred
    confidence *= 0.8 ** (best.skipped + best.conflicts + unread_columns)
    if rival is not None and rival.score > best.score - 0.5:
        confidence *= 0.8  # another reading, resolving differently, came close
    return confidence


def normalised_text(ix: Index, raw: str | None) -> str:
    """The text a parse reads: each line NFC with its whitespace collapsed."""
    return "\n".join(ix.nfc(part) for part in (raw or "").splitlines())


def column_units(
    ward: str | None, district: str | None, province: str | None
) -> tuple[tuple[Unit, ...] | None, ...]:
    """Units of the separate columns, province first (``None`` where blank or unknown)."""
    return (
        _column_units(_Level.PROVINCE, province),
        _column_units(_Level.DISTRICT, district),
        _column_units(_Level.WARD, ward),
    )


def parse_general(
    raw: str | None,
    *,
    ward: str | None = None,
    district: str | None = None,
    province: str | None = None,
) -> AddressResult:
    """Parse an address by weighing every reading of the whole text (the reference).

    :func:`~hoso.engine.address.parse_address` returns exactly the same result, faster for
    addresses that share their administrative part with an address parsed before; use it.
    This function is what it falls back to and what it is tested against.

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
        >>> r = parse_general("12 Le Loi, Ben Nghe, Q1, Ho Chi Minh")
        >>> r.ward.name, r.province.name, r.status.value, r.legacy_ward, r.line
        ('Phường Sài Gòn', 'Thành phố Hồ Chí Minh', 'converted', 'Phường Bến Nghé', '12 Le Loi')
    """
    ix = load()
    text = normalised_text(ix, raw)
    columns = column_units(ward, district, province)
    ctx, readings, stop = read(ix, text, _tokenize(text, ix.fold), columns)
    return conclude(ctx, raw, readings, stop, columns, (province, district, ward))[0]


def read(
    ix: Index,
    text: str,
    toks: list[_Tok],
    columns: tuple[tuple[Unit, ...] | None, ...],
    watch: Watch | None = None,
) -> tuple[_Ctx, list[_Reading], int]:
    """Every reading of normalised, tokenized text, best first; and where noise starts."""
    # Without separators, a province or district may sit inside the text ("... q1 hcm"),
    # unless the units have their own columns: then the text is the street.
    single = all(t.gap == 0 for t in toks) and columns == (None, None, None)
    ctx = _Ctx(ix, text, toks, single=single, accented=not text.isascii(), watch=watch)
    readings, stop = _readings(ctx, columns)
    return ctx, readings, stop


def conclude(
    ctx: _Ctx,
    raw: str | None,
    readings: list[_Reading],
    stop: int,
    columns: tuple[tuple[Unit, ...] | None, ...],
    values: tuple[str | None, str | None, str | None],
    unread_units: Sequence[bool | None] = (None,),
) -> list[AddressResult]:
    """The result of the best reading(s), once per ``unread_units`` flag.

    ``values`` are the columns as given (province, district, ward). Each flag says whether
    the segment left of the units looks like a unit that was not understood (None: read it
    from ``ctx``); the suffix memo wants the result both ways, and only ``confidence``
    differs.
    """
    ix = ctx.ix
    best = readings[0]
    if best.empty:
        unknown = AddressResult(
            raw=raw,
            line=_clean(ctx, ctx.text),
            province=None,
            ward=None,
            legacy_province=None,
            legacy_district=None,
            legacy_ward=None,
            status=ConversionStatus.UNKNOWN,
            candidates=(),
            confidence=0.0,
        )
        return [unknown for _ in unread_units]
    tied = [r for r in readings if r.score >= best.score - _TIE]
    rival = next((r for r in readings[len(tied) :] if r.key != best.key), None)
    given = (v for v, c in zip(values, columns, strict=True) if c is None)
    unread = sum(1 for v in given if v is not None and ix.nfc(v))

    if len({r.key for r in tied}) > 1:
        # Equally good readings that disagree: all their 2025 wards are candidates.
        seen: dict[str, None] = {}
        for r in tied:
            seen.update(dict.fromkeys(r.key[0]))
        targets = tuple(seen)
        pcodes = tuple(sorted({c for r in tied for c in r.key[1]}))
        olds = [_legacy(r) for r in tied]
        old_p, old_d, old_w = (
            olds[0][i] if all(o[i] == olds[0][i] for o in olds) else _Old(None, None)
            for i in range(3)
        )
        status = ConversionStatus.AMBIGUOUS
    else:
        targets, pcodes = best.targets, best.pcodes
        old_p, old_d, old_w = _legacy(best)
        if (best.w is not None and len(targets) > 1) or (best.w is None and len(pcodes) != 1):
            status = ConversionStatus.AMBIGUOUS
        elif old_p.name or old_d.name or old_w.name or best.d or _legacy_only(best.p):
            status = ConversionStatus.CONVERTED
        else:
            status = ConversionStatus.EXACT
    candidates: tuple[AdminUnit, ...] = ()
    one_ward = None
    if status is ConversionStatus.AMBIGUOUS:
        if len(targets) <= _MAX_CANDIDATES:
            candidates = tuple(_ward_unit(ix, t) for t in targets)
    elif targets:
        one_ward = _ward_unit(ix, targets[0])
    line = _line(ctx, best, stop)
    province_unit = _province_unit(ix, pcodes)
    out = []
    for flag in unread_units:
        unread_unit = _unread_unit(ctx, best) if flag is None else flag
        confidence = _confidence(best, rival, unread, unread_unit)
        if status is ConversionStatus.AMBIGUOUS:
            confidence *= 1.0 / len(targets) if targets else 0.3
        out.append(
            AddressResult(
                raw=raw,
                line=line,
                province=province_unit,
                ward=one_ward,
                legacy_province=old_p.name,
                legacy_district=old_d.name,
                legacy_ward=old_w.name,
                status=status,
                candidates=candidates,
                confidence=round(confidence, 3),
                legacy_province_code=old_p.code,
                legacy_district_code=old_d.code,
                legacy_ward_code=old_w.code,
            )
        )
    return out


def find_province(text: str) -> AdminUnit | None:
    """The 2025 province a text names, old names and abbreviations included.

    Args:
        text: A province as people write it: "hcm", "TP.HCM", "sài gòn", "Hà Nội", "hn",
            "Bình Dương" (part of Thành phố Hồ Chí Minh since 2025), ...

    Returns:
        The 2025 province, or ``None`` unless the whole text names exactly one.

    Examples:
        >>> find_province("Bình Dương")
        AdminUnit(code='79', name='Thành phố Hồ Chí Minh')
        >>> find_province("tp. ha noi").name
        'Thành phố Hà Nội'
    """
    ix = load()
    value = ix.nfc(text)
    toks = _tokenize(value, ix.fold)
    ctx = _Ctx(ix, value, toks, single=True, accented=not value.isascii())
    hits = _hits(ctx, _Level.PROVINCE, _noise_start(toks), lambda _: True, need_type=False)
    whole = [h for h in hits if h.start == 0]
    if not whole:
        return None
    units = max(whole, key=lambda h: h.score).units
    return _province_unit(ix, sorted({u.new_code for u in units if isinstance(u, Province)}))


def provinces() -> tuple[AdminUnit, ...]:
    """The 34 provinces and centrally-run cities of 2025, by NSO code."""
    ix = load()
    return tuple(AdminUnit(p.code, p.name) for _, p in sorted(ix.provinces.items()))


def data_source() -> Mapping[str, Any]:
    """Where the unit table comes from: package, version, licence, counts (read-only)."""
    return MappingProxyType(load().source)
