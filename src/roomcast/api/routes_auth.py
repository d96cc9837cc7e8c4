from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from roomcast.api.deps import CurrentActor, ServicesDep
from roomcast.api.schemas import INVALID, UNAUTHENTICATED, ErrorOut, LoginIn, RegisterIn, TokenOut, UserOut
from roomcast.services.errors import Unauthorized
from roomcast.storage.models import User
from roomcast.storage.records import iso_utc

router = APIRouter(tags=["auth"], responses=INVALID)


def user_out(user: User) -> UserOut:
    return UserOut(
        id=str(user.id),
        username=user.username,
        display_name=user.display_name,
        created_at=iso_utc(user.created_at),
    )


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorOut, "description": "Username taken"}},
)
async def register(body: RegisterIn, services: ServicesDep) -> UserOut:
    return user_out(await services.users.do_register(body.username, body.password, body.display_name))


async def _login(services: ServicesDep, username: str, password: str) -> TokenOut:
    user = await services.users.check_credentials(username, password)
    token = services.tokens.issue(user.id, user.username)
    return TokenOut(access_token=token, expires_in=services.tokens.ttl)


@router.post("/auth/login", responses={401: {"model": ErrorOut, "description": "Bad credentials"}})
async def login(body: LoginIn, services: ServicesDep) -> TokenOut:
    return await _login(services, body.username, body.password)


@router.post("/auth/token", responses={401: {"model": ErrorOut, "description": "Bad credentials"}})
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], services: ServicesDep) -> TokenOut:
    return await _login(services, form.username, form.password)


@router.get("/users/me", responses=UNAUTHENTICATED)
async def me(actor: CurrentActor, services: ServicesDep) -> UserOut:
    user = await services.users.get(actor.user_id)
    if user is None:
        raise Unauthorized("invalid token")
    return user_out(user)
