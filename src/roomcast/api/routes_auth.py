"""Accounts and sessions (SPEC §3): register, log in, refresh, log out, change the password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import AfterValidator

from roomcast.api.deps import ClientAddress, CurrentClaims, ServicesDep
from roomcast.api.schemas import (
    INVALID,
    NO_NUL_PATTERN,
    RETRY_AFTER,
    UNAUTHENTICATED,
    ErrorOut,
    LoginIn,
    PasswordChangeIn,
    ProfileIn,
    RefreshIn,
    RegisterIn,
    TokenOut,
    UserOut,
    check_text,
)
from roomcast.services.errors import Unauthorized
from roomcast.services.sessions import IssuedTokens
from roomcast.services.users import user_as_dict
from roomcast.storage.users import UserRecord

router = APIRouter(tags=["auth"], responses=INVALID)

Responses = dict[int | str, dict[str, Any]]
BAD_CREDENTIALS: Responses = {401: {"model": ErrorOut, "description": "Bad credentials"}}
TOO_MANY_LOGINS: Responses = {
    429: {"model": ErrorOut, "description": "Too many failed logins (LOGIN_RATE_LIMIT)", "headers": RETRY_AFTER}
}
TOO_MANY_REGISTRATIONS: Responses = {
    429: {"model": ErrorOut, "description": "Too many registrations (REGISTER_RATE_LIMIT)", "headers": RETRY_AFTER}
}
BAD_REFRESH: Responses = {401: {"model": ErrorOut, "description": "Unknown, used, revoked or expired refresh token"}}
WRONG_PASSWORD: Responses = {403: {"model": ErrorOut, "description": "The current password is wrong"}}
USERNAME_TAKEN: Responses = {409: {"model": ErrorOut, "description": "Username taken"}}


def user_out(user: UserRecord) -> UserOut:
    return UserOut(**user_as_dict(user))


def token_out(issued: IssuedTokens) -> TokenOut:
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in, refresh_token=issued.refresh_token)


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    responses=USERNAME_TAKEN | TOO_MANY_REGISTRATIONS,
)
async def register(body: RegisterIn, services: ServicesDep, address: ClientAddress) -> UserOut:
    async with services.attempts.registration(address):
        user = await services.users.do_register(body.username, body.password, body.display_name)
    return user_out(user)


async def _login(services: ServicesDep, address: str, username: str, password: str) -> TokenOut:
    async with services.attempts.login(username, address):
        user = await services.users.check_credentials(username, password)
    return token_out(await services.sessions.do_start(user.id, user.username))


@router.post("/auth/login", responses=BAD_CREDENTIALS | TOO_MANY_LOGINS)
async def login(body: LoginIn, services: ServicesDep, address: ClientAddress) -> TokenOut:
    return await _login(services, address, body.username, body.password)


@router.post("/auth/token", responses=BAD_CREDENTIALS | TOO_MANY_LOGINS)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], services: ServicesDep, address: ClientAddress
) -> TokenOut:
    return await _login(services, address, form.username, form.password)


@router.post("/auth/refresh", responses=BAD_REFRESH)
async def refresh(body: RefreshIn, services: ServicesDep) -> TokenOut:
    return token_out(await services.sessions.do_refresh(body.refresh_token))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def logout(body: RefreshIn, services: ServicesDep) -> None:
    await services.sessions.do_logout(body.refresh_token)


@router.get("/users", responses=UNAUTHENTICATED)
async def find_users(
    claims: CurrentClaims,
    services: ServicesDep,
    q: Annotated[
        str, Query(max_length=64, json_schema_extra={"pattern": NO_NUL_PATTERN}), AfterValidator(check_text)
    ] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[UserOut]:
    """Users whose username or display name starts with `q` (case-insensitive): to start a DM or add a member."""
    return [UserOut(**user) for user in await services.users.search(q, limit)]


@router.get("/users/me", responses=UNAUTHENTICATED)
async def me(claims: CurrentClaims, services: ServicesDep) -> UserOut:
    user = await services.users.get(claims.user_id)
    if user is None:
        raise Unauthorized("invalid token")
    return user_out(user)


@router.patch("/users/me", responses=UNAUTHENTICATED)
async def update_me(body: ProfileIn, claims: CurrentClaims, services: ServicesDep) -> UserOut:
    """Every room the user is in sees the new name live (`user_updated`)."""
    return UserOut(**await services.rename(claims.user_id, body.display_name))


@router.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=UNAUTHENTICATED | WRONG_PASSWORD | TOO_MANY_LOGINS,
)
async def change_password(
    body: PasswordChangeIn, claims: CurrentClaims, services: ServicesDep, address: ClientAddress
) -> None:
    """Every other session of the user is logged out; this one stays signed in."""
    async with services.attempts.login(claims.username, address):
        await services.users.do_change_password(claims.user_id, body.current_password, body.new_password)
    await services.sessions.do_revoke_others(claims.user_id, keep=claims.session_id)
