"""Workspaces, users and API keys: the single write path for tenancy and credentials."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hoso.core import audit
from hoso.core.actor import ROLE_PERMISSIONS, Actor, ActorKind, Permission, Role
from hoso.core.clock import utcnow
from hoso.core.db import translate_integrity_errors
from hoso.core.errors import FieldError, ValidationFailed
from hoso.core.types import WorkspaceId
from hoso.engine.normalize import normalize_email
from hoso.workspaces.errors import (
    InvalidApiKey,
    InvalidCredentials,
    UnknownScope,
    UserEmailTaken,
    UserNotFound,
    WorkspaceNotFound,
)
from hoso.workspaces.models import ApiKey, AppUser, Workspace

_hasher = PasswordHasher()
# A verification against this hash keeps login timing the same for unknown emails.
_DUMMY_HASH = _hasher.hash("hoso-timing-equaliser")
MIN_PASSWORD_LENGTH = 10
API_KEY_PREFIX = "hoso"
API_KEY_TOUCH_INTERVAL = timedelta(minutes=5)


def _slugify(name: str) -> str:
    from hoso.engine.normalize import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "workspace"


def create_workspace(session: Session, *, name: str, slug: str | None = None) -> Workspace:
    """Create a workspace (a business) with a unique slug derived from its name."""
    base = slug or _slugify(name)
    candidate, n = base, 1
    while session.scalar(select(Workspace.id).where(Workspace.slug == candidate)) is not None:
        n += 1
        candidate = f"{base}-{n}"
    workspace = Workspace(name=name.strip(), slug=candidate)
    session.add(workspace)
    session.flush()
    audit.record(
        session,
        Actor.system(WorkspaceId(workspace.id)),
        "workspace.created",
        subject_type="workspace",
        subject_id=workspace.id,
        after={"name": workspace.name, "slug": workspace.slug},
    )
    return workspace


def get_workspace(session: Session, *, workspace_id: UUID) -> Workspace:
    """Return the workspace.

    Raises:
        WorkspaceNotFound: No such workspace.
    """
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise WorkspaceNotFound(workspace_id=str(workspace_id))
    return workspace


REQUIRABLE_FIELDS = ("full_name", "phones", "emails", "birth_date", "gender", "addresses")


def set_required_fields(session: Session, *, actor: Actor, fields: list[str]) -> Workspace:
    """Choose which fields a complete customer profile must have (the completeness score).

    Raises:
        PermissionDenied: The actor may not manage custom fields and their rules.
        ValidationFailed: An unknown field, or none chosen.
    """
    actor.require(Permission.ATTRIBUTES_MANAGE)
    unknown = [f for f in fields if f not in REQUIRABLE_FIELDS]
    if unknown or not fields:
        raise ValidationFailed([FieldError("required_fields", "not_allowed", {"fields": unknown})])
    workspace = get_workspace(session, workspace_id=actor.workspace_id)
    before = list(workspace.required_fields or [])
    workspace.required_fields = [f for f in REQUIRABLE_FIELDS if f in fields]
    audit.record(
        session,
        actor,
        "workspace.required_fields",
        subject_type="workspace",
        subject_id=workspace.id,
        before={"fields": before},
        after={"fields": workspace.required_fields},
    )
    session.flush()
    return workspace


def find_workspace_by_slug(session: Session, *, slug: str) -> Workspace | None:
    """Return the workspace with this slug, or None."""
    return session.scalar(select(Workspace).where(Workspace.slug == slug))


def first_workspace(session: Session) -> Workspace | None:
    """Return the oldest workspace, or None on an empty database."""
    return session.scalar(select(Workspace).order_by(Workspace.created_at, Workspace.id).limit(1))


def create_user(
    session: Session,
    *,
    workspace_id: UUID,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    actor: Actor | None = None,
) -> AppUser:
    """Create a staff account with an argon2-hashed password.

    Raises:
        ValidationFailed: The email is malformed or the password too short.
        UserEmailTaken: Another user of this workspace has this email.
        PermissionDenied: The actor may not manage users.
    """
    if actor is not None:
        actor.require(Permission.USERS_MANAGE)
    get_workspace(session, workspace_id=workspace_id)
    errors: list[FieldError] = []
    normalized = normalize_email(email)
    if normalized.value is None:
        errors.append(FieldError("email", "invalid_email"))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", "weak_password", {"min": MIN_PASSWORD_LENGTH}))
    if not display_name.strip():
        errors.append(FieldError("display_name", "required"))
    if errors:
        raise ValidationFailed(errors)
    assert normalized.value is not None  # noqa: S101 - narrowed by the check above
    user = AppUser(
        workspace_id=workspace_id,
        email=normalized.value,
        display_name=display_name.strip(),
        password_hash=_hasher.hash(password),
        role=role.value,
    )
    session.add(user)
    with translate_integrity_errors(
        {"uq_app_user_workspace_email": lambda: UserEmailTaken(email=normalized.value)}
    ):
        session.flush()
    audit.record(
        session,
        actor or Actor.system(WorkspaceId(workspace_id)),
        "user.created",
        subject_type="user",
        subject_id=user.id,
        after={"email": user.email, "role": user.role},
    )
    return user


def authenticate_password(
    session: Session, *, email: str, password: str, workspace_id: UUID | None = None
) -> AppUser:
    """Return the active user with this email and password.

    Raises:
        InvalidCredentials: Unknown email, wrong password or inactive account (one error for
            all three, so the response does not reveal which emails exist).
    """
    query = select(AppUser).where(
        func.lower(AppUser.email) == email.strip().lower(), AppUser.is_active.is_(True)
    )
    if workspace_id is not None:
        query = query.where(AppUser.workspace_id == workspace_id)
    user = session.scalars(query.order_by(AppUser.created_at).limit(1)).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None
    if user is None:
        raise InvalidCredentials()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    audit.record(
        session, actor_for_user(user), "user.login", subject_type="user", subject_id=user.id
    )
    session.flush()
    return user


def get_user(session: Session, *, user_id: UUID) -> AppUser:
    """Return the user.

    Raises:
        UserNotFound: No such user.
    """
    user = session.get(AppUser, user_id)
    if user is None:
        raise UserNotFound(user_id=str(user_id))
    return user


def actor_for_user(user: AppUser) -> Actor:
    """The actor a logged-in user acts as: the permissions of their role."""
    role = Role(user.role)
    return Actor(
        kind=ActorKind.USER,
        id=user.id,
        workspace_id=WorkspaceId(user.workspace_id),
        permissions=ROLE_PERMISSIONS[role],
        display=user.display_name,
        role=role,
    )


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    """A new key: ``secret`` is shown once and never stored."""

    key: ApiKey
    secret: str


def _hash_key(secret: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is safe (unlike passwords).
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    session: Session,
    *,
    workspace_id: UUID,
    name: str,
    scopes: list[str],
    actor: Actor,
) -> IssuedApiKey:
    """Issue an API key with the given scopes; the secret is returned once.

    Raises:
        UnknownScope: A scope is not a known permission.
        PermissionDenied: The actor may not manage API keys or grant a scope it lacks.
    """
    actor.require(Permission.API_KEYS_MANAGE)
    known = {p.value for p in Permission}
    unknown = [s for s in scopes if s not in known]
    if unknown:
        raise UnknownScope(scopes=unknown)
    for scope in scopes:
        actor.require(Permission(scope))
    prefix = secrets.token_hex(4)
    secret = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        workspace_id=workspace_id,
        name=name.strip() or "API key",
        prefix=prefix,
        key_hash=_hash_key(secret),
        scopes=sorted(set(scopes)),
        created_by_id=actor.id if actor.kind is ActorKind.USER else None,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor,
        "api_key.created",
        subject_type="api_key",
        subject_id=key.id,
        after={"name": key.name, "scopes": key.scopes},
    )
    return IssuedApiKey(key=key, secret=secret)


def authenticate_api_key(session: Session, *, secret: str) -> Actor:
    """Return the actor for a presented API key.

    Raises:
        InvalidApiKey: Malformed, unknown or revoked key.
    """
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise InvalidApiKey()
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or key.revoked_at is not None:
        raise InvalidApiKey()
    if not hmac.compare_digest(key.key_hash, _hash_key(secret)):
        raise InvalidApiKey()
    now = utcnow()
    # Record use at most every few minutes: otherwise every read is a write on one hot row.
    if key.last_used_at is None or now - key.last_used_at > API_KEY_TOUCH_INTERVAL:
        key.last_used_at = now
    return Actor(
        kind=ActorKind.API_KEY,
        id=key.id,
        workspace_id=WorkspaceId(key.workspace_id),
        permissions=frozenset(Permission(s) for s in key.scopes),
        display=f"api:{key.name}",
    )


def revoke_api_key(session: Session, *, key_id: UUID, actor: Actor) -> None:
    """Revoke an API key of the actor's workspace.

    Raises:
        InvalidApiKey: No such key in this workspace.
    """
    actor.require(Permission.API_KEYS_MANAGE)
    key = session.get(ApiKey, key_id)
    if key is None or key.workspace_id != actor.workspace_id:
        raise InvalidApiKey()
    key.revoked_at = utcnow()
    audit.record(session, actor, "api_key.revoked", subject_type="api_key", subject_id=key.id)
    session.flush()
