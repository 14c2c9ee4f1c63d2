"""Result types of the address normaliser: a 2025 unit, a parsed address, its status."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["AddressResult", "AdminUnit", "ConversionStatus"]


class ConversionStatus(StrEnum):
    """How the input's administrative units relate to the 2025 ones."""

    EXACT = "exact"
    """The input already used 2025 units (or only a province that still exists)."""
    CONVERTED = "converted"
    """Pre-2025 units (a district, an old ward or a merged province) mapped to one 2025 unit."""
    AMBIGUOUS = "ambiguous"
    """A split old ward, or a name that fits several units: see ``candidates``."""
    UNKNOWN = "unknown"
    """No administrative unit was recognised."""


@dataclass(frozen=True, slots=True)
class AdminUnit:
    """A 2025 province or ward: its NSO code and official name.

    Attributes:
        code: NSO code as a zero-padded string ("79" for a province, "26740" for a ward).
        name: Official name with its type word ("Thành phố Hồ Chí Minh", "Phường Sài Gòn").
    """

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class AddressResult:
    """One address parsed into 2025 units, keeping the pre-2025 units the input used.

    Attributes:
        raw: The free-text input, untouched.
        line: What is left of ``raw`` once the recognised units are removed (street, house
            number), NFC as typed; ``None`` if nothing is left.
        province: The 2025 province, when known (also for ambiguous wards in one province).
        ward: The 2025 ward or commune, when exactly one fits.
        legacy_province: Official pre-2025 province name, when the input used pre-2025
            units (an old ward or district, or a province merged away such as "Bình Dương").
        legacy_district: Official pre-2025 district name (districts were abolished in 2025):
            the one named, or the district of the old ward named.
        legacy_ward: Official pre-2025 ward name, when the input named a pre-2025 ward.
        status: See :class:`ConversionStatus`.
        candidates: The 2025 wards that fit when ``status`` is ``AMBIGUOUS`` (for a split
            old ward, the source's default ward first); empty otherwise, or when more than a
            dozen fit.
        confidence: 0.0 when nothing was recognised, 1.0 when every unit was named
            explicitly and consistently. Lowered for a former name (x0.9), a unit found
            inside unseparated text (x0.85), a province inferred from its ward or district
            (x0.95), each unrecognised trailing segment, unusable column or close rival
            reading (x0.8), a segment that looks like a unit but was not understood (x0.7),
            and divided by the number of candidates when ambiguous.
        legacy_province_code: NSO code of ``legacy_province`` (pre-2025 code space).
        legacy_district_code: NSO code of ``legacy_district``.
        legacy_ward_code: NSO code of ``legacy_ward`` (pre-2025 code space: an old ward's
            code can be reused by a different 2025 ward).
    """

    raw: str | None
    line: str | None
    province: AdminUnit | None
    ward: AdminUnit | None
    legacy_province: str | None
    legacy_district: str | None
    legacy_ward: str | None
    status: ConversionStatus
    candidates: tuple[AdminUnit, ...]
    confidence: float
    legacy_province_code: str | None = None
    legacy_district_code: str | None = None
    legacy_ward_code: str | None = None
