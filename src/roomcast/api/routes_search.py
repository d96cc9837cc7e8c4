"""`GET /api/search`: messages of the caller's rooms, newest first, by what they remember of them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from roomcast.api.deps import CurrentActor, ServicesDep
from roomcast.api.schemas import (
    INVALID,
    TOO_MANY_SEARCHES,
    UNAUTHENTICATED,
    MessageOut,
    SearchPageOut,
    check_text,
)
from roomcast.services.search import MAX_QUERY_LENGTH, MAX_RESULTS, QUERY_PATTERN

router = APIRouter(tags=["search"], responses={**INVALID, **UNAUTHENTICATED})


@router.get("/search", responses=TOO_MANY_SEARCHES)
async def search(
    actor: CurrentActor,
    services: ServicesDep,
    q: Annotated[
        str,
        Query(min_length=1, max_length=MAX_QUERY_LENGTH, json_schema_extra={"pattern": QUERY_PATTERN}),
        AfterValidator(check_text),
    ],
    room_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 20,
    cursor: Annotated[uuid.UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> SearchPageOut:
    """Messages containing every term of `q` (white space separates terms, a "quoted phrase" is
    one), case-insensitively, as words or parts of words, in any script; at least one term of 3
    characters in a row or more. Only rooms the caller participates in now; `room_id` narrows to one."""
    page = await services.search.search(actor.user_id, q, room_id, limit, cursor)
    next_cursor = str(page.results[-1].id) if page.more else None
    return SearchPageOut(results=[MessageOut(**m.as_dict()) for m in page.results], next_cursor=next_cursor)
