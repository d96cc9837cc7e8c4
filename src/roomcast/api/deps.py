"""Request dependencies: the app's services and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from roomcast.services.errors import Unauthorized
from roomcast.services.messages import Actor
from roomcast.services.registry import Services

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_actor(services: ServicesDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Actor:
    if not token:
        raise Unauthorized("Not authenticated")
    claims = services.tokens.decode(token)
    # A well-signed token can outlive its user (a reset database, an embedded secret kept in
    # its file): answer 401 here rather than fail later on a foreign key.
    user = await services.users.get(claims.user_id)
    if user is None:
        raise Unauthorized("invalid token")
    return Actor(user.id, user.username)


CurrentActor = Annotated[Actor, Depends(get_actor)]
