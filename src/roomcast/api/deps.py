"""Request dependencies: the app's services, the authenticated caller and the client's address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from roomcast.api.client_address import client_address
from roomcast.services.auth import TokenClaims
from roomcast.services.errors import Unauthorized
from roomcast.services.messages import Actor
from roomcast.services.registry import Services

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_services(request: Request) -> Services:
    # Set by the app's lifespan; Starlette's `State` holds untyped attributes.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_claims(services: ServicesDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> TokenClaims:
    if not token:
        raise Unauthorized("Not authenticated")
    claims = services.tokens.decode(token)
    # A logged-out, revoked or expired session ends its access tokens at once. The session
    # goes with its user, so this also refuses a well-signed token of a user who is gone.
    if not await services.sessions.is_active(claims.session_id):
        raise Unauthorized("session ended")
    return claims


CurrentClaims = Annotated[TokenClaims, Depends(get_claims)]


async def get_actor(claims: CurrentClaims) -> Actor:
    return Actor(claims.user_id, claims.username)


CurrentActor = Annotated[Actor, Depends(get_actor)]


def get_client_address(request: Request, services: ServicesDep) -> str:
    return client_address(request, services.settings.proxy_networks)


ClientAddress = Annotated[str, Depends(get_client_address)]
