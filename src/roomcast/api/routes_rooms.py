from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import AfterValidator

from roomcast.api.deps import CurrentActor, ServicesDep
from roomcast.api.schemas import (
    INVALID,
    NO_NUL_PATTERN,
    SEQ_MAX,
    TOO_MANY_CHANGES,
    TOO_MANY_CREATED,
    UNAUTHENTICATED,
    ErrorOut,
    MemberIn,
    MemberOut,
    MessageIn,
    MessageOut,
    MessagePage,
    ReadIn,
    ReadOut,
    RoleIn,
    RoomDetailOut,
    RoomIn,
    RoomOut,
    RoomPatchIn,
    RoomSummaryOut,
    check_text,
)
from roomcast.storage.rooms import RoomChanges

router = APIRouter(prefix="/rooms", tags=["rooms"], responses={**INVALID, **UNAUTHENTICATED})
dms_router = APIRouter(prefix="/dms", tags=["rooms"], responses={**INVALID, **UNAUTHENTICATED})

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such room, or not visible"}}
MANAGE: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: {"model": ErrorOut, "description": "Not allowed"},
}
# Membership and settings of a direct message do not change.
MANAGE_ROOM: dict[int | str, dict[str, Any]] = {
    **MANAGE,
    409: {"model": ErrorOut, "description": "A direct message, or already a member"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={404: {"model": ErrorOut, "description": "Unknown member"}, **TOO_MANY_CREATED},
)
async def create_room(body: RoomIn, actor: CurrentActor, services: ServicesDep) -> RoomOut:
    room = await services.rooms.do_create(actor.user_id, body.name, body.description, body.is_private, body.members)
    return RoomOut(**room)


@dms_router.post(
    "",
    status_code=status.HTTP_200_OK,
    responses={
        201: {"model": RoomOut, "description": "Created"},
        404: {"model": ErrorOut, "description": "No such user"},
        **TOO_MANY_CREATED,
    },
)
async def open_direct_message(
    body: MemberIn, actor: CurrentActor, services: ServicesDep, response: Response
) -> RoomOut:
    """The direct-message room of the caller and `username`: one per pair, whichever of the two asks."""
    room, created = await services.rooms.do_open_dm(actor.user_id, body.username)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return RoomOut(**room)


@router.get("")
async def my_rooms(actor: CurrentActor, services: ServicesDep) -> list[RoomSummaryOut]:
    return [RoomSummaryOut(**room) for room in await services.rooms.list_for(actor.user_id)]


@router.get("/public")
async def public_rooms(
    actor: CurrentActor,
    services: ServicesDep,
    q: Annotated[
        str | None, Query(max_length=100, json_schema_extra={"pattern": NO_NUL_PATTERN}), AfterValidator(check_text)
    ] = None,
) -> list[RoomOut]:
    return [RoomOut(**room) for room in await services.rooms.list_public(q)]


@router.api_route("/public", methods=["PATCH", "DELETE"], include_in_schema=False)
async def public_rooms_are_read_only() -> Response:
    # Without it, `/public` would reach the `/{room_id}` routes below and fail as an invalid id.
    return Response(status_code=status.HTTP_405_METHOD_NOT_ALLOWED, headers={"Allow": "GET"})


@router.get("/{room_id}", responses=NOT_FOUND)
async def get_room(room_id: uuid.UUID, actor: CurrentActor, services: ServicesDep) -> RoomDetailOut:
    """The room with its `member_count`: what a public room's preview shows before joining."""
    return RoomDetailOut(**await services.rooms.check_details(room_id, actor.user_id))


@router.patch("/{room_id}", responses={**MANAGE_ROOM, **TOO_MANY_CHANGES})
async def update_room(room_id: uuid.UUID, body: RoomPatchIn, actor: CurrentActor, services: ServicesDep) -> RoomOut:
    """Owner or admin; every connection of the room gets `room_updated {room}`."""
    changes: RoomChanges = {"name": body.name, "description": body.description, "is_private": body.is_private}
    return RoomOut(**await services.rooms.do_update(room_id, actor.user_id, changes))


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT, responses=MANAGE)
async def delete_room(room_id: uuid.UUID, actor: CurrentActor, services: ServicesDep) -> Response:
    """Owner only: the room and its history are gone; its members get `room_removed {reason: "deleted"}`."""
    await services.rooms.do_delete(room_id, actor.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{room_id}/join", responses=MANAGE)
async def join_room(room_id: uuid.UUID, actor: CurrentActor, services: ServicesDep) -> RoomOut:
    return RoomOut(**await services.rooms.do_join(room_id, actor.user_id))


@router.post("/{room_id}/leave", status_code=status.HTTP_204_NO_CONTENT, responses=MANAGE_ROOM)
async def leave_room(room_id: uuid.UUID, actor: CurrentActor, services: ServicesDep) -> Response:
    await services.rooms.do_leave(room_id, actor.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{room_id}/members", responses=MANAGE)
async def members(room_id: uuid.UUID, actor: CurrentActor, services: ServicesDep) -> list[MemberOut]:
    return [MemberOut(**m) for m in await services.rooms.members(room_id, actor.user_id)]


@router.post("/{room_id}/members", status_code=status.HTTP_201_CREATED, responses=MANAGE_ROOM)
async def add_member(room_id: uuid.UUID, body: MemberIn, actor: CurrentActor, services: ServicesDep) -> MemberOut:
    return MemberOut(**await services.rooms.do_add_member(room_id, actor.user_id, body.username))


@router.patch("/{room_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=MANAGE_ROOM)
async def set_role(
    room_id: uuid.UUID, user_id: uuid.UUID, body: RoleIn, actor: CurrentActor, services: ServicesDep
) -> Response:
    await services.rooms.do_set_role(room_id, actor.user_id, user_id, body.role)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{room_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=MANAGE_ROOM)
async def remove_member(room_id: uuid.UUID, user_id: uuid.UUID, actor: CurrentActor, services: ServicesDep) -> Response:
    await services.rooms.do_remove_member(room_id, actor.user_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{room_id}/messages", responses=MANAGE)
async def history(
    room_id: uuid.UUID,
    actor: CurrentActor,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_seq: Annotated[int | None, Query(ge=0, le=SEQ_MAX)] = None,
    after_seq: Annotated[int | None, Query(ge=0, le=SEQ_MAX)] = None,
) -> MessagePage:
    await services.rooms.check_participant(room_id, actor.user_id)
    records, has_more = await services.messages.read(room_id, limit, before_seq, after_seq)
    return MessagePage(messages=[MessageOut(**r.as_dict()) for r in records], has_more=has_more)


@router.post(
    "/{room_id}/messages",
    status_code=status.HTTP_201_CREATED,
    responses={
        **MANAGE,
        409: {"model": ErrorOut},
        422: {"model": ErrorOut},
        429: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
async def post_message(room_id: uuid.UUID, body: MessageIn, actor: CurrentActor, services: ServicesDep) -> MessageOut:
    await services.rooms.check_participant(room_id, actor.user_id)
    result = await services.messages.do_send(actor, room_id, body.content, body.client_id, reply_to=body.reply_to)
    return MessageOut(**result.message.as_dict())


@router.post("/{room_id}/read", responses=MANAGE)
async def mark_read(room_id: uuid.UUID, body: ReadIn, actor: CurrentActor, services: ServicesDep) -> ReadOut:
    state = await services.mark_read(room_id, actor.user_id, body.seq)
    return ReadOut(read_seq=state.read_seq, unread_count=state.unread_count, mention_count=state.mention_count)
