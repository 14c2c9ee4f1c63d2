"""API authentication: ``Authorization: Bearer <api key>``. The web UI has its own routes."""

from typing import Annotated

from fastapi import Depends, Request

from hoso.core.actor import Actor
from hoso.core.errors import Unauthenticated
from hoso.http import DbSession
from hoso.workspaces import service as workspaces


def current_actor(request: Request, db: DbSession) -> Actor:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    return workspaces.authenticate_api_key(db, secret=token.strip())


CurrentActor = Annotated[Actor, Depends(current_actor)]
