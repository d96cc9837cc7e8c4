"""What the search index costs the write path: the real group commit's store
(`storage.writer.batch_store`, what `GroupCommitWriter` commits through) storing batches of
new messages in the filled database, with the index and then without it, timed alike.

Measured per message: wall time, CPU time of this process (`time.process_time`, every thread:
the SQLite store runs the statements on the loop and the COMMIT in a worker thread), and on
PostgreSQL the CPU time of the server's backends, where the index is actually maintained. Per
batch too (this process's CPU): FTS5 merges its segments in bursts (automerge), so one batch
can cost several times the median, and a pass must be long enough to average over them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from roomcast.bench.corpus import Corpus
from roomcast.bench.search_databases import SearchDatabase
from roomcast.bench.search_rows import World
from roomcast.storage.models import utcnow
from roomcast.storage.records import CommitResult, Draft, MessageDraft
from roomcast.storage.writer import BatchStore, batch_store

WARMUP_BATCHES = 4


@dataclass(frozen=True)
class WriteCost:
    indexed: bool
    messages: int
    batches: int
    wall_us: float  # per message
    cpu_us: float  # per message, this process
    server_cpu_us: float | None  # per message, the database server's backends (PostgreSQL)
    batch_cpu_us: tuple[float, ...]  # per message, of each batch (this process): merges come in bursts

    def batch_percentile(self, q: float) -> float:
        ordered = sorted(self.batch_cpu_us)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def server_cpu(pids: Sequence[int]) -> float | None:
    """CPU seconds used so far by processes `pids`, or None if they cannot be read from here."""
    if not pids:
        return None
    try:
        import psutil
    except ImportError:
        return None
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None
        total += times.user + times.system
    return total


class Drafts:
    """New messages of `corpus` text, each from a member of its room, in batches."""

    def __init__(self, world: World, corpus: Corpus, seed: int) -> None:
        self._world = world
        self._corpus = corpus
        self._rng = random.Random(seed)
        self._sent = 0

    def batch(self, size: int) -> list[Draft]:
        drafts: list[Draft] = []
        for _ in range(size):
            room = self._rng.randrange(self._world.rooms)
            user = self._rng.choice(self._world.members[room])
            _, text = self._corpus.message(self._rng)
            self._sent += 1
            drafts.append(
                MessageDraft(
                    self._world.room_ids[room],
                    self._world.user_ids[user],
                    f"user{user:04d}",
                    text,
                    f"w{self._sent:x}",
                    "",
                    time.perf_counter(),
                )
            )
        return drafts


async def _commit_all(store: BatchStore, batches: list[list[Draft]]) -> list[float]:
    """Commit each batch in turn: the CPU seconds of each."""
    seconds = []
    for drafts in batches:
        started = time.process_time()
        outcomes = await store.commit(drafts, False, utcnow())
        seconds.append(time.process_time() - started)
        refused = [o for o in outcomes if not isinstance(o, CommitResult)]
        if refused:
            raise RuntimeError(f"the group commit refused a bench message: {refused[0]!r}")
    return seconds


async def _measure(
    database: SearchDatabase, store: BatchStore, drafts: Drafts, messages: int, batch: int, indexed: bool
) -> WriteCost:
    batches = [drafts.batch(batch) for _ in range(max(1, messages // batch))]
    pids = await database.server_pids()
    server_before = server_cpu(pids)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    per_batch = await _commit_all(store, batches)
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    server_after = server_cpu(pids)
    count = len(batches) * batch
    server = None if server_before is None or server_after is None else (server_after - server_before)
    return WriteCost(
        indexed,
        count,
        len(batches),
        wall / count * 1e6,
        cpu / count * 1e6,
        None if server is None else server / count * 1e6,
        tuple(seconds / batch * 1e6 for seconds in per_batch),
    )


async def write_costs(
    database: SearchDatabase,
    world: World,
    corpus: Corpus,
    messages: int,
    batch: int,
    seed: int,
    progress: Callable[[str], None],
) -> list[WriteCost]:
    """The same number of messages committed with the index, then (index dropped) without it."""
    store = batch_store(database.engine)
    drafts = Drafts(world, corpus, seed)
    try:
        await _commit_all(store, [drafts.batch(batch) for _ in range(WARMUP_BATCHES)])
        progress(f"[{database.name}] write path with the index")
        with_index = await _measure(database, store, drafts, messages, batch, True)
        await database.drop_index()
        progress(f"[{database.name}] write path without the index")
        without = await _measure(database, store, drafts, messages, batch, False)
    finally:
        await store.close()
    return [with_index, without]
