"""`GET /api/search` (SPEC §3): what a person types, read as terms; the store finds them."""

from __future__ import annotations

import re
import uuid

from roomcast.services.attempts import AttemptLimits
from roomcast.services.errors import InvalidContent
from roomcast.storage.search import MIN_INDEXED_TERM, SearchPage, SearchQuery, SearchStore

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 50

# White space as `str.split` sees it, spelled out so that the OpenAPI pattern below means the
# same in every regex dialect (ECMA's `\\s` is not Python's).
_SPACE = "".join(f"\\u{code:04x}" for code in range(0x10000) if chr(code).isspace())
# A "quoted phrase" is one term, its spaces included; otherwise white space separates terms.
_TERM = re.compile(f'"([^"]+)"|([^{_SPACE}]+)')
# What makes a query one the index can answer: a run of MIN_INDEXED_TERM characters inside one
# term. Also the OpenAPI pattern of `q`, so that the schema states exactly what is accepted.
INDEXABLE = f'[^{_SPACE}"\\u0000]{{{MIN_INDEXED_TERM}}}'
QUERY_PATTERN = f"^[^\\u0000]*{INDEXABLE}[^\\u0000]*$"
_INDEXABLE = re.compile(INDEXABLE)


def terms_of(text: str) -> tuple[str, ...]:
    """The distinct terms of a query, in order, compared without regard to case."""
    seen: set[str] = set()
    terms: list[str] = []
    for match in _TERM.finditer(text):
        term = " ".join((match.group(1) or match.group(2)).split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return tuple(terms)


class SearchService:
    def __init__(self, store: SearchStore, limits: AttemptLimits) -> None:
        self._store = store
        self._limits = limits

    async def search(
        self, user_id: uuid.UUID, text: str, room_id: uuid.UUID | None, limit: int, after: uuid.UUID | None
    ) -> SearchPage:
        if _INDEXABLE.search(text) is None:
            raise InvalidContent(f"Search for at least {MIN_INDEXED_TERM} characters in a row")
        terms = terms_of(text)
        await self._limits.search(user_id)
        return await self._store.search(user_id, SearchQuery(terms, limit, room_id, after))
