from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from roomcast.api.deps import CurrentActor, ServicesDep
from roomcast.api.schemas import INVALID, UNAUTHENTICATED, ErrorOut, NotificationOut

router = APIRouter(prefix="/notifications", tags=["notifications"], responses={**INVALID, **UNAUTHENTICATED})


@router.get("")
async def notifications(actor: CurrentActor, services: ServicesDep) -> list[NotificationOut]:
    return [NotificationOut(**n) for n in await services.notifications.list_for(actor.user_id)]


@router.post("/read-all", status_code=status.HTTP_204_NO_CONTENT)
async def read_all(actor: CurrentActor, services: ServicesDep) -> Response:
    await services.notifications.do_mark_all_read(actor.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT, responses={404: {"model": ErrorOut}})
async def read_one(notification_id: uuid.UUID, actor: CurrentActor, services: ServicesDep) -> Response:
    await services.notifications.do_mark_read(actor.user_id, notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
