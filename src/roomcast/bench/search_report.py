"""The lines `roomcast bench search` prints: fill, index size, the query table, the target,
the plans and the write path's cost."""

from __future__ import annotations

from collections.abc import Sequence

from roomcast.bench.search_databases import FillTimes, Sizes
from roomcast.bench.search_queries import DESCRIPTIONS, KindResult
from roomcast.bench.search_writes import WriteCost

TARGET_MS = 50.0
TARGET_MESSAGES = 1_000_000
SELECTIVE = "rare"  # the kind the target is about: a query with a handful of matches
MB = 1024 * 1024


def fill_line(database: str, times: FillTimes) -> str:
    rate = times.messages / times.total if times.total else 0.0
    parts = [f"rows written {times.writes:.1f} s ({times.messages / times.writes:,.0f} messages/s)"]
    if times.index:
        what = "FTS5 rebuild" if database == "SQLite" else "GIN index build"
        parts.append(f"{what} {times.index:.1f} s")
    if times.analyze:
        parts.append(f"VACUUM ANALYZE {times.analyze:.1f} s")
    generation = times.total - times.writes - times.index - times.analyze
    parts.append(f"text and rows made {generation:.1f} s")
    return f"fill: {times.messages:,} messages in {times.total:.1f} s ({rate:,.0f} messages/s): " + ", ".join(parts)


def size_line(sizes: Sizes) -> str:
    if not sizes.index:
        return f"index size: {sizes.method}"
    index = sum(sizes.index.values())
    parts = ", ".join(f"{name} {size / MB:.1f}" for name, size in sorted(sizes.index.items(), key=lambda i: -i[1]))
    line = f"index size ({sizes.method}): {index / MB:.1f} MB ({parts})"
    if sizes.table:
        line += (
            f"; messages table {sizes.table / MB:.1f} MB (its other indexes {sizes.table_indexes / MB:.1f} MB): "
            f"index = {index / sizes.table:.2f} x the table"
        )
    return line


def kind_table(results: Sequence[KindResult]) -> str:
    lines = [
        f"{'kind':<10} {'queries':>7} {'terms':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'results':>7}  what"
    ]
    for result in results:
        stats = result.percentiles
        timing = " ".join(f"{value:7.2f}" for value in stats) if stats else " ".join(f"{'-':>7}" for _ in range(4))
        lines.append(
            f"{result.kind:<10} {len(result.latencies_ns):>7} {result.distinct:>5} {timing} "
            f"{result.mean_results:>7.1f}  {DESCRIPTIONS[result.kind]}"
        )
    return "\n".join(lines)


def target_line(database: str, messages: int, results: Sequence[KindResult]) -> str:
    selective = next((r for r in results if r.kind == SELECTIVE), None)
    stats = selective.percentiles if selective is not None else None
    if stats is None:
        return f"target (p99 < {TARGET_MS:.0f} ms, {SELECTIVE} words): not measured"
    verdict = "met" if stats[2] < TARGET_MS else "MISSED"
    scale = "" if messages >= TARGET_MESSAGES else f" (on {messages:,} messages, not the target's 1,000,000)"
    over = [r.kind for r in results if r.percentiles is not None and r.percentiles[2] >= TARGET_MS]
    others = f"; p99 >= {TARGET_MS:.0f} ms: {', '.join(over)}" if over else f"; every kind under {TARGET_MS:.0f} ms"
    return (
        f"target on {database}: p99 < {TARGET_MS:.0f} ms for a selective query ({SELECTIVE} words): "
        f"{verdict}, p99 {stats[2]:.2f} ms{scale}{others}"
    )


def plan_block(database: str, kind: str, terms: Sequence[str], plan: Sequence[str]) -> str:
    title = f"plan on {database}, {kind} query {' '.join(repr(t) for t in terms)}:"
    return "\n".join([title, *(f"    {line}" for line in plan)])


def write_table(database: str, costs: Sequence[WriteCost]) -> str:
    first = costs[0]
    lines = [
        f"write path on {database}: {first.messages:,} messages per pass, {first.batches} group commits of "
        f"{first.messages // first.batches} (storage.writer.batch_store)",
        f"{'index':<8} {'wall us/msg':>11} {'cpu us/msg':>10} {'server cpu us/msg':>17}   "
        f"cpu us/msg of a batch: p50 / p95 / max",
    ]
    for cost in costs:
        server = f"{cost.server_cpu_us:17.1f}" if cost.server_cpu_us is not None else f"{'-':>17}"
        spread = " / ".join(f"{cost.batch_percentile(q):.0f}" for q in (0.5, 0.95, 1.0))
        lines.append(
            f"{'with' if cost.indexed else 'without':<8} {cost.wall_us:11.1f} {cost.cpu_us:10.1f} {server}   {spread}"
        )
    indexed = next((c for c in costs if c.indexed), None)
    bare = next((c for c in costs if not c.indexed), None)
    if indexed is not None and bare is not None:
        cpu = indexed.cpu_us + (indexed.server_cpu_us or 0.0)
        cpu_bare = bare.cpu_us + (bare.server_cpu_us or 0.0)
        lines.append(
            f"the index costs {cpu - cpu_bare:+.1f} us CPU per message ({_share(cpu, cpu_bare)}) and "
            f"{indexed.wall_us - bare.wall_us:+.1f} us of wall time ({_share(indexed.wall_us, bare.wall_us)})"
        )
    return "\n".join(lines)


def _share(value: float, base: float) -> str:
    return f"{100 * (value - base) / base:+.0f} %" if base else "-"
