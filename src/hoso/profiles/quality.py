"""Data quality: known problems as SQL predicates, completeness, and the daily trend.

Each problem is one predicate on ``profile``, so the same definition counts the problem for
the quality page and lists the affected customers behind its link.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from hoso.core.clock import utcnow
from hoso.profiles.models import Profile, ProfileAddress, ProfileIdentifier, QualitySnapshot
from hoso.workspaces.service import REQUIRABLE_FIELDS

# Fields a workspace may require; what "present" means for each, as SQL.
REQUIRABLE = REQUIRABLE_FIELDS
DEFAULT_REQUIRED = ("full_name", "phones", "birth_date", "gender", "addresses")


def _has_address() -> ColumnElement[bool]:
    return exists().where(ProfileAddress.profile_id == Profile.id)


def _present(field: str) -> ColumnElement[bool]:
    return {
        "full_name": Profile.full_name != "",
        "phones": Profile.primary_phone.is_not(None),
        "emails": Profile.primary_email.is_not(None),
        "birth_date": Profile.birth_date.is_not(None),
        "gender": Profile.gender != "unknown",
        "addresses": _has_address(),
    }[field]


def _flagged(flag: str) -> ColumnElement[bool]:
    return literal(flag) == func.any(Profile.quality_flags)


def _identifier_flag(kind: str, flag: str) -> ColumnElement[bool]:
    return exists().where(
        ProfileIdentifier.profile_id == Profile.id,
        ProfileIdentifier.kind == kind,
        literal(flag) == func.any(ProfileIdentifier.flags),
    )


def _address_status(status: str) -> ColumnElement[bool]:
    return exists().where(
        ProfileAddress.profile_id == Profile.id, ProfileAddress.admin_status == status
    )


def _shared_phone() -> ColumnElement[bool]:
    mine, other = aliased(ProfileIdentifier), aliased(ProfileIdentifier)
    other_profile = aliased(Profile)
    return exists().where(
        mine.profile_id == Profile.id,
        mine.kind == "phone",
        exists().where(
            other.workspace_id == mine.workspace_id,
            other.kind == "phone",
            other.value == mine.value,
            other.profile_id != mine.profile_id,
            other_profile.id == other.profile_id,
            other_profile.deleted_at.is_(None),
        ),
    )


def problem_predicates() -> dict[str, ColumnElement[bool]]:
    """Every known problem, by stable code (the UI labels them ``problem_<code>``)."""
    return {
        "no_contact": and_(Profile.primary_phone.is_(None), Profile.primary_email.is_(None)),
        "missing_name": Profile.full_name == "",
        "missing_phone": Profile.primary_phone.is_(None),
        "missing_birth_date": Profile.birth_date.is_(None),
        "missing_gender": Profile.gender == "unknown",
        "missing_address": ~_has_address(),
        "name_organisation": _flagged("name_organisation"),
        "name_placeholder": _flagged("name_placeholder"),
        "name_has_digits": _flagged("name_has_digits"),
        "birth_date_ambiguous": _flagged("birth_date_ambiguous"),
        "birth_date_two_digit_year": _flagged("birth_date_two_digit_year"),
        "address_ambiguous": _address_status("ambiguous"),
        "address_unknown": _address_status("unknown"),
        "phone_shared": _shared_phone(),
        "phone_non_personal": _identifier_flag("phone", "non_personal"),
        "phone_foreign": _identifier_flag("phone", "foreign"),
        "phone_legacy_converted": _identifier_flag("phone", "legacy_mobile_converted"),
        "phone_ambiguous_landline": _identifier_flag("phone", "ambiguous_pre2017_landline"),
        "email_role_account": _identifier_flag("email", "role_account"),
        "email_disposable": _identifier_flag("email", "disposable"),
    }


def required_fields(configured: list[str] | None) -> tuple[str, ...]:
    """The workspace's required fields, or the defaults when it chose none."""
    chosen = tuple(f for f in configured or [] if f in REQUIRABLE)
    return chosen or DEFAULT_REQUIRED


def completeness_expr(required: tuple[str, ...]) -> ColumnElement[Any]:
    """Share of required fields a profile has, 0..1, as SQL."""
    parts = [case((_present(f), 1), else_=0) for f in required]
    total: Any = parts[0]
    for part in parts[1:]:
        total = total + part
    return cast(total, Float) / float(len(required))


def completeness(profile: Profile, required: tuple[str, ...]) -> tuple[float, list[str]]:
    """A loaded profile's completeness and the required fields it lacks."""
    present = {
        "full_name": bool(profile.full_name),
        "phones": profile.primary_phone is not None,
        "emails": profile.primary_email is not None,
        "birth_date": profile.birth_date is not None,
        "gender": profile.gender != "unknown",
        "addresses": bool(profile.addresses),
    }
    missing = [f for f in required if not present[f]]
    return (len(required) - len(missing)) / len(required), missing


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The quality page's figures."""

    profiles: int
    completeness: float
    required: tuple[str, ...]
    problems: dict[str, int]
    trend: list[tuple[date, float]]


def report(session: Session, *, workspace_id: UUID, required: tuple[str, ...]) -> QualityReport:
    """Count every problem and the average completeness in one pass over live profiles."""
    predicates = problem_predicates()
    columns = [
        func.count().label("profiles"),
        func.coalesce(func.avg(completeness_expr(required)), literal(0.0)).label("completeness"),
        *[func.count().filter(p).label(code) for code, p in predicates.items()],
    ]
    row = session.execute(
        select(*columns).where(Profile.workspace_id == workspace_id, Profile.deleted_at.is_(None))
    ).one()
    counts = {code: int(getattr(row, code)) for code in predicates}
    trend = [
        (r.day, float(r.completeness))
        for r in session.execute(
            select(QualitySnapshot.day, QualitySnapshot.completeness)
            .where(QualitySnapshot.workspace_id == workspace_id)
            .order_by(QualitySnapshot.day.desc())
            .limit(30)
        )
    ][::-1]
    return QualityReport(int(row.profiles), float(row.completeness), required, counts, trend)


def record_snapshot(session: Session, *, workspace_id: UUID, figures: QualityReport) -> None:
    """Keep today's figures for the trend (one row per day, the latest wins)."""
    today = utcnow().date()
    statement = insert(QualitySnapshot).values(
        workspace_id=workspace_id,
        day=cast(literal(today), Date),
        profiles=figures.profiles,
        completeness=figures.completeness,
        problems=figures.problems,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[QualitySnapshot.workspace_id, QualitySnapshot.day],
            set_={
                "profiles": statement.excluded.profiles,
                "completeness": statement.excluded.completeness,
                "problems": statement.excluded.problems,
            },
        )
    )


def with_problem(code: str) -> ColumnElement[bool] | None:
    """The predicate of a problem code, or None for an unknown code."""
    return problem_predicates().get(code)
