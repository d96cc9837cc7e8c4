"""Changing messages and reading the room's log over REST: the same services as the WebSocket."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from roomcast.api.deps import CurrentActor, ServicesDep
from roomcast.api.schemas import (
    INVALID,
    SEQ_MAX,
    UNAUTHENTICATED,
    ErrorOut,
    EventOut,
    EventPage,
    MessageEditIn,
    MessageOut,
    reaction_pattern,
)
from roomcast.services.messages import MAX_EMOJI_LENGTH
from roomcast.storage.records import DELETED, EDITED, REACTION_ADDED, REACTION_REMOVED

router = APIRouter(prefix="/rooms", tags=["messages"], responses={**INVALID, **UNAUTHENTICATED})

CHANGE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such room or message, or not visible"},
    403: {"model": ErrorOut, "description": "Not allowed"},
    429: {"model": ErrorOut, "description": "ACTION_RATE_LIMIT exceeded"},
    503: {"model": ErrorOut, "description": "Not stored in time; retry"},
}
EVENTS_MAX = 1000

Emoji = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_EMOJI_LENGTH,
        description="URL-encoded; no white space, control or format characters (but emoji joiners)",
        json_schema_extra={"pattern": reaction_pattern()},
    ),
]


@router.patch("/{room_id}/messages/{message_id}", responses={**CHANGE, 409: {"model": ErrorOut}})
async def edit_message(
    room_id: uuid.UUID, message_id: uuid.UUID, body: MessageEditIn, actor: CurrentActor, services: ServicesDep
) -> MessageOut:
    await services.rooms.check_participant(room_id, actor.user_id)
    result = await services.messages.do_change(actor, room_id, message_id, EDITED, content=body.content)
    return MessageOut(**result.update.message.as_dict())


@router.delete("/{room_id}/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE)
async def delete_message(
    room_id: uuid.UUID, message_id: uuid.UUID, actor: CurrentActor, services: ServicesDep
) -> Response:
    await services.rooms.check_participant(room_id, actor.user_id)
    await services.messages.do_change(actor, room_id, message_id, DELETED)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{room_id}/messages/{message_id}/reactions/{emoji}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**CHANGE, 409: {"model": ErrorOut}},
)
async def add_reaction(
    room_id: uuid.UUID, message_id: uuid.UUID, emoji: Emoji, actor: CurrentActor, services: ServicesDep
) -> Response:
    await services.rooms.check_participant(room_id, actor.user_id)
    await services.messages.do_change(actor, room_id, message_id, REACTION_ADDED, emoji=emoji)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{room_id}/messages/{message_id}/reactions/{emoji}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**CHANGE, 409: {"model": ErrorOut}},
)
async def remove_reaction(
    room_id: uuid.UUID, message_id: uuid.UUID, emoji: Emoji, actor: CurrentActor, services: ServicesDep
) -> Response:
    await services.rooms.check_participant(room_id, actor.user_id)
    await services.messages.do_change(actor, room_id, message_id, REACTION_REMOVED, emoji=emoji)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{room_id}/events", responses=CHANGE)
async def events(
    room_id: uuid.UUID,
    actor: CurrentActor,
    services: ServicesDep,
    after_seq: Annotated[int, Query(ge=0, le=SEQ_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=EVENTS_MAX)] = 200,
) -> EventPage:
    access = await services.rooms.check_participant(room_id, actor.user_id)
    page = await services.messages.events(room_id, after_seq, limit)
    return EventPage(
        events=[
            EventOut(seq=e.seq, type="new_message", data={"message": e.message.as_dict()})
            if e.update is None
            else EventOut(seq=e.seq, type="message_updated", data=e.update.as_dict())
            for e in page.events
        ],
        has_more=page.has_more,
        last_seq=max(access.last_seq, page.events[-1].seq if page.events else 0),
    )
