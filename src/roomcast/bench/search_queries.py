"""The queries of `roomcast bench search`, by kind, and their timing through the real store.

Every kind draws distinct terms the way a person would type them (from the vocabulary, or from
messages actually written, so most find something); a kind with fewer distinct terms than
queries repeats them in turn. Queries run as one user in `World.rooms_per_user` rooms, the
kinds interleaved (one of each in turn, so a noisy moment on the machine spreads over all),
after a warm-up round of other terms of every kind.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from roomcast.bench.corpus import CJK_LANGUAGES, Corpus, windows
from roomcast.bench.report import percentiles
from roomcast.bench.search_rows import Sample, World
from roomcast.storage.search import SearchPage, SearchQuery, SearchStore

LIMIT = 20  # the page size GET /api/search answers by default
COMMON_WORDS = 100  # the most frequent vocabulary words of 3+ letters: each in 1 % of messages or more
RARE_MATCHES = 30  # a rare word is expected in about this many messages of the whole database
KINDS = ("common", "rare", "substring", "cjk", "two terms", "room", "page 2")
DESCRIPTIONS = {
    "common": f"one of the {COMMON_WORDS} most frequent words of 3+ letters",
    "rare": f"a word of 7+ letters expected in ~{RARE_MATCHES} messages of all rooms",
    "substring": "3 letters from inside a word of a written message",
    "cjk": "3 characters of a written Japanese, Chinese or Korean message",
    "two terms": "two words of 4+ letters of one message in the user's rooms",
    "room": "a word of 4+ letters of a message, in that message's room (room_id)",
    "page 2": "a common word again, the second page (after = page 1's last)",
}


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[str, ...]
    room_id: uuid.UUID | None = None


@dataclass
class KindResult:
    kind: str
    latencies_ns: list[int] = field(default_factory=list)
    results: int = 0
    distinct: int = 0

    @property
    def percentiles(self) -> tuple[float, float, float, float] | None:
        return percentiles(self.latencies_ns)

    @property
    def mean_results(self) -> float:
        return self.results / len(self.latencies_ns) if self.latencies_ns else 0.0


def build_queries(world: World, corpus: Corpus, count: int, seed: int) -> dict[str, list[Query]]:
    """`count` queries of each kind (distinct terms while there are enough)."""
    rng = random.Random(seed)
    mine = world.searcher_rooms()
    english = [s for s in world.samples if s.language == "en"]
    own = [s for s in english if s.room_id in mine] or english
    cjk = [s for s in world.samples if s.language in CJK_LANGUAGES]
    common = [Query((w,)) for w in _words(corpus.english.words[: corpus.head], 3)[:COMMON_WORDS]]
    first_rare = corpus.rank_for(RARE_MATCHES)
    rare = [Query((w,)) for w in _words(corpus.english.words[first_rare:], 7)[: 4 * count]]
    substrings = _distinct(rng, count, lambda: _substring(rng, english))
    cjk_windows = _distinct(rng, count, lambda: _cjk_window(rng, cjk))
    pairs = _distinct(rng, count, lambda: _pair(rng, own))
    in_room = _distinct(rng, count, lambda: _in_room(rng, own))
    queries = {
        "common": common,
        "rare": rng.sample(rare, min(count, len(rare))),
        "substring": substrings,
        "cjk": cjk_windows,
        "two terms": pairs,
        "room": in_room,
        "page 2": common[::-1],
    }
    return {kind: _cycle(found, count) for kind, found in queries.items()}


def distinct_terms(queries: Sequence[Query]) -> int:
    return len(set(queries))


async def measure(
    store: SearchStore,
    user_id: uuid.UUID,
    queries: dict[str, list[Query]],
    warmup: dict[str, list[Query]],
    progress: Callable[[str], None],
) -> list[KindResult]:
    for kind, round_ in warmup.items():
        for query in round_:
            await _timed(store, user_id, kind, query)
    results = {kind: KindResult(kind, distinct=distinct_terms(found)) for kind, found in queries.items()}
    rounds = max(len(found) for found in queries.values())
    for index in range(rounds):
        for kind, found in queries.items():
            if index < len(found):
                timed = await _timed(store, user_id, kind, found[index])
                if timed is not None:
                    results[kind].latencies_ns.append(timed[0])
                    results[kind].results += len(timed[1].results)
        if index % 10 == 0:
            progress(f"queries: round {index + 1}/{rounds}")
    return [results[kind] for kind in queries]


async def _timed(store: SearchStore, user_id: uuid.UUID, kind: str, query: Query) -> tuple[int, SearchPage] | None:
    """One search as the API runs it; for "page 2", the first page untimed, then the second
    (None when there is no second page)."""
    search = SearchQuery(query.terms, LIMIT, query.room_id)
    if kind == "page 2":
        first = await store.search(user_id, search)
        if not first.more:
            return None
        search = SearchQuery(query.terms, LIMIT, query.room_id, first.results[-1].id)
    started = time.perf_counter_ns()
    page = await store.search(user_id, search)
    return time.perf_counter_ns() - started, page


def _words(words: Sequence[str], minimum: int) -> list[str]:
    return [w for w in words if len(w) >= minimum and w.isalpha()]


def _distinct(rng: random.Random, count: int, draw: Callable[[], Query | None]) -> list[Query]:
    found: dict[Query, None] = {}
    for _ in range(20 * count):
        query = draw()
        if query is not None:
            found[query] = None
            if len(found) == count:
                break
    return list(found)


def _substring(rng: random.Random, samples: Sequence[Sample]) -> Query | None:
    words = _words(rng.choice(samples).text.split(), 5) if samples else []
    if not words:
        return None
    word = rng.choice(words).lower()
    start = rng.randrange(1, len(word) - 3)  # inside the word: neither its start nor its end
    return Query((word[start : start + 3],))


def _cjk_window(rng: random.Random, samples: Sequence[Sample]) -> Query | None:
    runs = windows(rng.choice(samples).text) if samples else []
    return Query((rng.choice(runs),)) if runs else None


def _pair(rng: random.Random, samples: Sequence[Sample]) -> Query | None:
    words = list(dict.fromkeys(w.lower() for w in _words(rng.choice(samples).text.split(), 4))) if samples else []
    if len(words) < 2:
        return None
    return Query(tuple(rng.sample(words, 2)))


def _in_room(rng: random.Random, samples: Sequence[Sample]) -> Query | None:
    sample = rng.choice(samples) if samples else None
    words = _words(sample.text.split(), 4) if sample is not None else []
    if sample is None or not words:
        return None
    return Query((rng.choice(words).lower(),), sample.room_id)


def _cycle(queries: list[Query], count: int) -> list[Query]:
    return [queries[i % len(queries)] for i in range(count)] if queries else []
