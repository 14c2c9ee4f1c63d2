"""The JSON API (``/api/v1``): its own FastAPI app, OpenAPI and problem+json errors."""

from fastapi import FastAPI
from pydantic import BaseModel

from hoso import __version__
from hoso.api import errors
from hoso.api.deps import CurrentActor
from hoso.api.identity import router as identity_router
from hoso.api.profiles import router as profiles_router


class Me(BaseModel):
    kind: str
    id: str | None
    workspace_id: str
    display: str
    permissions: list[str]


def create_api() -> FastAPI:
    api = FastAPI(
        title="hoso API",
        version=__version__,
        description=(
            "Customer Data Platform for Vietnamese SMEs. Authenticate with "
            "`Authorization: Bearer <API key>`. Errors are `application/problem+json` with a "
            "stable `code`; `detail` follows `Accept-Language` (vi, en)."
        ),
    )
    errors.install(api)
    api.include_router(profiles_router)
    api.include_router(identity_router)

    @api.get("/me", tags=["auth"])
    def me(actor: CurrentActor) -> Me:
        """Who the presented API key acts as, and what it may do."""
        return Me(
            kind=actor.kind.value,
            id=str(actor.id) if actor.id else None,
            workspace_id=str(actor.workspace_id),
            display=actor.display,
            permissions=sorted(p.value for p in actor.permissions),
        )

    @api.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": __version__}

    return api
