"""Writing rows out as CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly) or XLSX.

Both writers stream: rows are written as they come, so exporting every customer of a large
workspace keeps memory flat (openpyxl's write-only workbook).
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from hoso.core.actor import Actor, Permission
from hoso.core.i18n import Locale
from hoso.profiles import queries as profile_queries
from hoso.profiles.models import Profile

PROFILE_COLUMNS: list[tuple[str, str, str]] = [
    # key, Vietnamese header, English header
    ("id", "Mã hồ sơ", "Profile id"),
    ("full_name", "Họ và tên", "Full name"),
    ("gender", "Giới tính", "Gender"),
    ("birth_date", "Ngày sinh", "Birth date"),
    ("phones", "Số điện thoại", "Phones"),
    ("emails", "Email", "Emails"),
    ("address", "Địa chỉ", "Address"),
    ("occupation", "Nghề nghiệp", "Occupation"),
    ("interests", "Sở thích", "Interests"),
    ("attributes", "Trường tùy chỉnh", "Custom fields"),
    ("created_at", "Ngày tạo", "Created at"),
]


def _cell(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def write_table(path: Path, header: list[str], rows: Iterable[list[Any]]) -> int:
    """Write ``rows`` under ``header`` to ``path`` (.xlsx or .csv by extension); count rows."""
    count = 0
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(v) for v in row])
            count += 1
        workbook.save(path)
        return count
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(
                [v.isoformat() if isinstance(v, date | datetime) else _cell(v) for v in row]
            )
            count += 1
    return count


def _profile_row(profile: Profile) -> list[Any]:
    address = profile.addresses[0] if profile.addresses else None
    return [
        profile.id,
        profile.full_name,
        profile.gender,
        profile.birth_date,
        [i.value for i in profile.identifiers if i.kind == "phone"],
        [i.value for i in profile.identifiers if i.kind == "email"],
        ", ".join(p for p in (address.line, address.ward, address.district, address.province) if p)
        if address
        else "",
        profile.occupation,
        profile.interests,
        profile.attributes,
        profile.created_at,
    ]


def profile_rows(
    session: Session, *, actor: Actor, query: str | None = None, batch: int = 500
) -> Iterator[list[Any]]:
    """Every live customer (or the search result for ``query``) as export rows.

    Raises:
        PermissionDenied: The actor may not read profiles.
    """
    actor.require(Permission.PROFILES_READ)
    if query:
        hits = profile_queries.search_profiles(
            session, workspace_id=actor.workspace_id, query=query, limit=profile_queries.MAX_PAGE
        )
        ids = [h.profile.id for h in hits]
        for profile in profile_queries.load_profiles(
            session, workspace_id=actor.workspace_id, profile_ids=ids
        ):
            yield _profile_row(profile)
        return
    after: UUID | None = None
    while True:
        page, after = profile_queries.list_profiles(
            session, workspace_id=actor.workspace_id, after=after, limit=batch
        )
        loaded = profile_queries.load_profiles(
            session, workspace_id=actor.workspace_id, profile_ids=[p.id for p in page]
        )
        for profile in loaded:
            yield _profile_row(profile)
        session.expunge_all()  # keep memory flat across pages
        if after is None:
            return


def export_profiles(
    session: Session, *, actor: Actor, path: Path, locale: Locale, query: str | None = None
) -> int:
    """Write customers to ``path`` (.csv or .xlsx); return how many.

    Raises:
        PermissionDenied: The actor may not read profiles.
    """
    header = [vi if locale == "vi" else en for _, vi, en in PROFILE_COLUMNS]
    return write_table(path, header, profile_rows(session, actor=actor, query=query))
