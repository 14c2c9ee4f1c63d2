"""Customer pages: list and search, one page per customer, create and edit forms, notes."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from hoso.core.actor import Permission
from hoso.core.errors import FieldError, ValidationFailed
from hoso.core.i18n import Locale, message
from hoso.http import DbSession, ui_locale
from hoso.identity import queries as identity_queries
from hoso.identity import service as identity
from hoso.profiles import quality, queries, service
from hoso.profiles.errors import ProfileNotFound
from hoso.profiles.models import AttributeDefinition, Profile
from hoso.profiles.schemas import NoteCreate, ProfileCreate, ProfileUpdate
from hoso.web.deps import CsrfChecked, CsrfForm, WebActor, flash, render
from hoso.web.i18n import t
from hoso.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)

_LIST_FIELDS = ("interests", "favourite_products", "favourite_brands")
_TEXT_FIELDS = ("full_name", "occupation", "education", "income_band", "marital_status")


@router.get("/customers")
def list_customers(
    request: Request,
    db: DbSession,
    actor: WebActor,
    q: Annotated[str, Query(max_length=200)] = "",
    after: UUID | None = None,
    problem: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    actor.require(Permission.PROFILES_READ)
    query = q.strip()
    context: dict[str, Any] = {"q": query, "next_after": None, "matches": {}, "problem": problem}
    if query:
        hits = queries.search_profiles(db, workspace_id=actor.workspace_id, query=query, limit=50)
        context["profiles"] = [h.profile for h in hits]
        context["matches"] = {h.profile.id: h.match for h in hits}
    else:
        rows, next_after = queries.list_profiles(
            db, workspace_id=actor.workspace_id, after=after, limit=50, problem=problem
        )
        context["profiles"] = rows
        context["next_after"] = next_after
        if problem is None:
            context["total"] = queries.count_profiles(db, workspace_id=actor.workspace_id)
    template = (
        "customers/_rows.html" if request.headers.get("hx-request") else "customers/list.html"
    )
    return render(request, template, context, actor=actor)


def _attribute_definitions(db: DbSession, workspace_id: UUID) -> list[AttributeDefinition]:
    return queries.list_attributes(db, workspace_id=workspace_id)


def _form_values(profile: Profile | None) -> dict[str, Any]:
    """Prefill the form from a profile (or empty for a new one)."""
    if profile is None:
        return {"gender": "unknown", "attributes": {}}
    address = profile.addresses[0] if profile.addresses else None
    return {
        "full_name": profile.full_name,
        "gender": profile.gender,
        "birth_date": profile.birth_date.strftime("%d/%m/%Y") if profile.birth_date else "",
        "phones": "\n".join(i.value_raw for i in profile.identifiers if i.kind == "phone"),
        "emails": "\n".join(i.value for i in profile.identifiers if i.kind == "email"),
        "address_line": address.line if address else "",
        "address_ward": address.ward if address else "",
        "address_district": address.district if address else "",
        "address_province": address.province if address else "",
        "occupation": profile.occupation or "",
        "education": profile.education or "",
        "income_band": profile.income_band or "",
        "marital_status": profile.marital_status or "",
        "household_size": profile.household_size or "",
        "interests": ", ".join(profile.interests),
        "favourite_products": ", ".join(profile.favourite_products),
        "favourite_brands": ", ".join(profile.favourite_brands),
        "attributes": dict(profile.attributes or {}),
    }


def _payload(form: FormData, definitions: list[AttributeDefinition]) -> dict[str, Any]:
    """Turn the submitted form into the API's profile payload (every field present)."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    payload: dict[str, Any] = {name: text(name) or None for name in _TEXT_FIELDS}
    payload["full_name"] = text("full_name")
    payload["gender"] = text("gender") or "unknown"
    payload["birth_date"] = text("birth_date") or None
    size = text("household_size")
    payload["household_size"] = size or None
    payload["phones"] = [line for line in text("phones").splitlines() if line.strip()]
    payload["emails"] = [line for line in text("emails").splitlines() if line.strip()]
    for name in _LIST_FIELDS:
        payload[name] = [v.strip() for v in text(name).split(",") if v.strip()]
    address = {
        "line": text("address_line") or None,
        "ward": text("address_ward") or None,
        "district": text("address_district") or None,
        "province": text("address_province") or None,
    }
    payload["addresses"] = [address] if any(address.values()) else []
    attributes: dict[str, Any] = {}
    for definition in definitions:
        field = f"attr__{definition.key}"
        if definition.type == "multi_enum":
            attributes[definition.key] = [v for v in form.getlist(field) if isinstance(v, str)]
        elif definition.type == "boolean":
            attributes[definition.key] = text(field) == "on" if field in form else False
        else:
            attributes[definition.key] = text(field) or None
    payload["attributes"] = attributes
    return payload


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        code = "invalid_attribute_value" if loc.startswith("attributes") else "wrong_type"
        if loc == "household_size":
            code = "out_of_range"
            out.append(FieldError(loc, code, {"min": 1, "max": 50}))
            continue
        out.append(FieldError(loc, code, {"type": ""}))
    return out


def _error_map(errors: list[FieldError], locale: Locale) -> dict[str, list[str]]:
    """Group field errors by form field: ``phones.1`` belongs to the ``phones`` box."""
    grouped: dict[str, list[str]] = {}
    for err in errors:
        head = err.field.split(".")[0]
        name = err.field if head == "attributes" else head
        if head == "addresses":
            name = "address"
        grouped.setdefault(name, []).append(message(err.code, locale, err.params))
    return grouped


def _render_form(
    request: Request,
    actor: WebActor,
    db: DbSession,
    *,
    profile: Profile | None,
    values: dict[str, Any],
    errors: list[FieldError] | None = None,
) -> Response:
    locale = ui_locale(request)
    return render(
        request,
        "customers/form.html",
        {
            "profile": profile,
            "values": values,
            "errors": _error_map(errors or [], locale),
            "definitions": _attribute_definitions(db, actor.workspace_id),
        },
        status=422 if errors else 200,
        actor=actor,
    )


@router.get("/customers/new")
def new_customer(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_WRITE)
    return _render_form(request, actor, db, profile=None, values=_form_values(None))


@router.post("/customers/new")
def create_customer(request: Request, db: DbSession, actor: WebActor, form: CsrfForm) -> Response:
    actor.require(Permission.PROFILES_WRITE)
    definitions = _attribute_definitions(db, actor.workspace_id)
    try:
        data = ProfileCreate.model_validate(_payload(form, definitions))
        with db.begin_nested():
            profile = service.create_profile(db, actor=actor, data=data, source="ui")
    except ValidationError as exc:
        errors = _pydantic_errors(exc)
    except ValidationFailed as exc:
        errors = exc.errors
    else:
        flash(request, "created_flash")
        return RedirectResponse(f"/customers/{profile.id}", status_code=303)
    return _render_form(
        request, actor, db, profile=None, values=_form_echo(form, definitions), errors=errors
    )


def _form_echo(form: FormData, definitions: list[AttributeDefinition]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["attributes"] = {
        d.key: (
            form.getlist(f"attr__{d.key}")
            if d.type == "multi_enum"
            else form.get(f"attr__{d.key}", "")
        )
        for d in definitions
    }
    return values


def _lineage(
    db: DbSession, profile: Profile, definitions: dict[str, AttributeDefinition], locale: Locale
) -> list[dict[str, Any]]:
    """Per observed field: each value its sources gave, who gave it, and which one is used."""
    settings = identity.get_settings(db, workspace_id=profile.workspace_id)
    out = []
    choices = service.golden_choices(
        db,
        profile_id=profile.id,
        field_rules=settings.field_rules or None,
        trust=settings.source_trust or None,
    )
    for name, (choice, rows) in sorted(choices.items()):
        values: dict[str, dict[str, Any]] = {}
        for row in rows:
            shown = row.value if not isinstance(row.value, list) else ", ".join(map(str, row.value))
            entry = values.setdefault(str(shown), {"value": shown, "chosen": False, "sources": []})
            entry["sources"].append((row.source, row.observed_at, row.manual))
            if str(row.id) in choice.supporting:
                entry["chosen"] = True
        if name.startswith("attributes."):
            d = definitions.get(name.removeprefix("attributes."))
            label = (d.label_vi if locale == "vi" else d.label_en) if d else name
        else:
            label = t(f"field_{name}", locale)
        out.append(
            {
                "field": name,
                "label": label,
                "entries": list(values.values()),
                "rule": choice.rule.value if choice.rule else "agreed",
            }
        )
    return out


@router.get("/customers/{profile_id}")
def customer_page(profile_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    try:
        profile = service.access_profile(db, actor=actor, profile_id=profile_id)
    except ProfileNotFound:
        live = service.live_profile_id(db, workspace_id=actor.workspace_id, profile_id=profile_id)
        if live is None or live == profile_id:
            raise
        flash(request, "identity_merged_redirect")
        return RedirectResponse(f"/customers/{live}", status_code=303)
    merges = identity_queries.merges_of(db, workspace_id=actor.workspace_id, profile_id=profile.id)
    pending = identity_queries.pending_for(
        db, workspace_id=actor.workspace_id, profile_id=profile.id
    )
    names = identity_queries.names_of(
        db,
        workspace_id=actor.workspace_id,
        ids={m.survivor_id for m in merges}
        | {m.merged_id for m in merges}
        | {p.profile_a for p in pending}
        | {p.profile_b for p in pending},
    )
    items, _ = queries.timeline(
        db, workspace_id=actor.workspace_id, profile_id=profile.id, limit=100
    )
    definitions = {d.key: d for d in _attribute_definitions(db, actor.workspace_id)}
    return render(
        request,
        "customers/detail.html",
        {
            "p": profile,
            "age": _age(profile.birth_date),
            "timeline": items,
            "orders": queries.list_orders(
                db, workspace_id=actor.workspace_id, profile_id=profile.id, limit=50
            ),
            "notes": queries.list_notes(db, workspace_id=actor.workspace_id, profile_id=profile.id),
            "completeness": quality.completeness(
                profile,
                quality.required_fields(
                    workspaces.get_workspace(db, workspace_id=actor.workspace_id).required_fields
                ),
            ),
            "stats": queries.order_stats(
                db, workspace_id=actor.workspace_id, profile_id=profile.id
            ),
            "definitions": definitions,
            "merges": merges,
            "pending_pairs": pending,
            "names": names,
            "lineage": _lineage(db, profile, definitions, ui_locale(request)),
            "can_merge": actor.can(Permission.PROFILES_MERGE),
            "can_write": actor.can(Permission.PROFILES_WRITE),
            "can_delete": actor.can(Permission.PROFILES_DELETE),
            "can_note": actor.can(Permission.NOTES_WRITE),
        },
        actor=actor,
    )


def _age(birth: date | None) -> int | None:
    if birth is None:
        return None
    today = date.today()  # noqa: DTZ011 - age in the shop's local calendar is close enough
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@router.get("/customers/{profile_id}/edit")
def edit_customer(profile_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_WRITE)
    profile = service.access_profile(db, actor=actor, profile_id=profile_id)
    return _render_form(request, actor, db, profile=profile, values=_form_values(profile))


@router.post("/customers/{profile_id}/edit")
def update_customer(
    profile_id: UUID, request: Request, db: DbSession, actor: WebActor, form: CsrfForm
) -> Response:
    profile = service.access_profile(db, actor=actor, profile_id=profile_id)
    definitions = _attribute_definitions(db, actor.workspace_id)
    version = form.get("version")
    try:
        data = ProfileUpdate.model_validate(_payload(form, definitions))
        with db.begin_nested():
            service.update_profile(
                db,
                actor=actor,
                profile_id=profile_id,
                data=data,
                source="ui",
                expected_version=int(version)
                if isinstance(version, str) and version.isdigit()
                else None,
            )
    except ValidationError as exc:
        errors = _pydantic_errors(exc)
    except ValidationFailed as exc:
        errors = exc.errors
    else:
        flash(request, "saved_flash")
        return RedirectResponse(f"/customers/{profile_id}", status_code=303)
    return _render_form(
        request, actor, db, profile=profile, values=_form_echo(form, definitions), errors=errors
    )


@router.post("/customers/{profile_id}/delete", dependencies=[CsrfChecked])
def delete_customer(profile_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    service.delete_profile(db, actor=actor, profile_id=profile_id)
    flash(request, "deleted_flash")
    return RedirectResponse("/customers", status_code=303)


@router.post("/customers/{profile_id}/notes", dependencies=[CsrfChecked])
def add_note(
    profile_id: UUID,
    db: DbSession,
    actor: WebActor,
    body: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    if body.strip():
        service.add_note(db, actor=actor, profile_id=profile_id, data=NoteCreate(body=body))
    return RedirectResponse(f"/customers/{profile_id}#notes", status_code=303)
