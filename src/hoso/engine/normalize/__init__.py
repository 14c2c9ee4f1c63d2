"""Pure normalisers for the values a Vietnamese shop keeps about its customers.

Every function here takes a raw cell and returns a frozen result holding the raw value
untouched, a normalised copy and flags. Nothing here does I/O.
"""

from hoso.engine.normalize.dates import DateFlag, DateResult, parse_vn_date
from hoso.engine.normalize.email import (
    EmailFlag,
    EmailResult,
    email_match_key,
    looks_like_email,
    normalize_email,
)
from hoso.engine.normalize.names import (
    FAMILY_NAMES,
    NameFlag,
    NameOrder,
    NameParts,
    name_tokens,
    parse_vn_name,
)
from hoso.engine.normalize.phone import (
    PhoneFlag,
    PhoneResult,
    PhoneType,
    looks_like_phone,
    normalize_vn_phone,
    phone_search_variants,
)
from hoso.engine.normalize.text import fold, is_blank, nfc

__all__ = [
    "FAMILY_NAMES",
    "DateFlag",
    "DateResult",
    "EmailFlag",
    "EmailResult",
    "NameFlag",
    "NameOrder",
    "NameParts",
    "PhoneFlag",
    "PhoneResult",
    "PhoneType",
    "email_match_key",
    "fold",
    "is_blank",
    "looks_like_email",
    "looks_like_phone",
    "name_tokens",
    "nfc",
    "normalize_email",
    "normalize_vn_phone",
    "parse_vn_date",
    "parse_vn_name",
    "phone_search_variants",
]
