"""Results of a run as plain values, the tables printed per step, and the optional plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

GEN_CPU_WARNING = 85.0


@dataclass
class StepResult:
    offered: float
    duration: float
    sent: int
    acked: int
    expected: int
    delivered: int
    errors: int
    latencies_ms: tuple[float, float, float, float] | None  # p50, p95, p99, max
    server_cpu: float | None
    server_rss: int | None
    gen_cpu: float
    slo_ms: float
    expect_acks: bool = True
    # --mix: changes sent (counted in `sent`, never acked); an edit's deliveries are in
    # `expected`/`delivered`/`latencies_ms` too, a reaction's only here.
    edits: int = 0
    edit_expected: int = 0
    edit_delivered: int = 0
    edit_latencies_ms: tuple[float, float, float, float] | None = None  # the edits' alone
    reactions: int = 0
    reaction_expected: int = 0
    reaction_delivered: int = 0
    activity: int = 0  # user connections: room_activity frames received while the step sent

    @property
    def messages(self) -> int:
        return self.sent - self.edits - self.reactions

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.delivered)

    @property
    def reactions_lost(self) -> int:
        return max(0, self.reaction_expected - self.reaction_delivered)

    @property
    def generator_bound(self) -> bool:
        return self.gen_cpu >= GEN_CPU_WARNING or self.sent < 0.95 * self.offered * self.duration

    @property
    def ok(self) -> bool:
        acked = not self.expect_acks or self.acked >= self.messages
        p99 = self.latencies_ms[2] if self.latencies_ms else float("inf")
        lost = self.lost + self.reactions_lost
        return lost == 0 and self.errors == 0 and acked and p99 < self.slo_ms and self.sent > 0


@dataclass
class ScenarioResult:
    scenario: str
    target: str
    rooms: int
    users: int
    steps: list[StepResult] = field(default_factory=list)
    sockets: int = 0
    rss_before: int | None = None
    rss_after: int | None = None
    slo_ms: float = 100.0
    note: str = ""
    mix: float = 0.0  # share of the frames that are edits and reactions (--mix)
    # S4: users on user connections, each subscribed to this many rooms; `sockets` and the RSS
    # figures are then the user connections and the server before and after they opened.
    subscriptions: int = 0

    @property
    def best_rate(self) -> float:
        """The highest offered rate that passed, below the first step that failed."""
        best = 0.0
        for step in self.steps:
            if not step.ok:
                break
            best = step.offered
        return best

    @property
    def per_socket_kb(self) -> float | None:
        if self.rss_before is None or self.rss_after is None or not self.sockets:
            return None
        return (self.rss_after - self.rss_before) / self.sockets / 1024


def percentiles(samples_ns: list[int]) -> tuple[float, float, float, float] | None:
    if not samples_ns:
        return None
    ordered = sorted(samples_ns)
    last = len(ordered) - 1

    def at(q: float) -> float:
        return ordered[min(last, int(q * len(ordered)))] / 1e6

    return at(0.50), at(0.95), at(0.99), ordered[last] / 1e6


HEADER = (
    f"{'offered':>8} {'sent/s':>8} {'accept/s':>8} {'deliv/s':>9} {'lost':>7} {'p50':>7} {'p95':>7} "
    f"{'p99':>7} {'max':>8} {'errors':>6} {'srv cpu':>7} {'srv rss':>8} {'gen cpu':>7}  ok"
)
# --mix: the changes of the step after `errors`: edits sent, their deliveries (received/owed;
# also in deliv/s, lost and the latency) and the edits' own p99, reactions sent and theirs.
MIX_COLUMNS = f" {'edits':>6} {'edit-dlv':>13} {'edit-p99':>8} {'reacts':>6} {'react-dlv':>13}"
MIX_HEADER = HEADER.replace(f"{'errors':>6}", f"{'errors':>6}" + MIX_COLUMNS, 1)
# User connections (S4): room_activity frames received per second, after deliv/s.
ACTIVITY_COLUMN = f" {'activity/s':>10}"


def header(mixed: bool = False, activity: bool = False) -> str:
    text = MIX_HEADER if mixed else HEADER
    if activity:
        text = text.replace(f"{'deliv/s':>9}", f"{'deliv/s':>9}" + ACTIVITY_COLUMN, 1)
    return text


def step_row(step: StepResult, mixed: bool = False, activity: bool = False) -> str:
    def ms(value: float) -> str:
        return f"{value:.1f}" if value < 100 else f"{value:.0f}"

    lat = step.latencies_ms
    p50, p95, p99, top = (ms(v) for v in lat) if lat else ("-",) * 4
    edit_p99 = ms(step.edit_latencies_ms[2]) if step.edit_latencies_ms else "-"
    cpu = f"{step.server_cpu:.0f}%" if step.server_cpu is not None else "-"
    rss = f"{step.server_rss / 2**20:.0f}MB" if step.server_rss is not None else "-"
    verdict = "yes" if step.ok else "NO"
    if step.generator_bound:
        verdict += " (generator-bound!)"
    d = step.duration
    changes = ""
    if mixed:
        edit_dlv = f"{step.edit_delivered}/{step.edit_expected}"
        react_dlv = f"{step.reaction_delivered}/{step.reaction_expected}"
        changes = f" {step.edits:>6} {edit_dlv:>13} {edit_p99:>8} {step.reactions:>6} {react_dlv:>13}"
    frames = f" {step.activity / d:>10.0f}" if activity else ""
    return (
        f"{step.offered:>8.0f} {step.sent / d:>8.0f} {step.acked / d:>8.0f} {step.delivered / d:>9.0f}{frames} "
        f"{step.lost:>7} {p50:>7} {p95:>7} {p99:>7} {top:>8} {step.errors:>6}{changes} {cpu:>7} {rss:>8} "
        f"{step.gen_cpu:>6.0f}%  {verdict}"
    )


def scenario_header(result: ScenarioResult) -> str:
    shape = f"{result.rooms} rooms x {result.users} users"
    if result.subscriptions:
        shape = (
            f"{result.users} users on user connections, each subscribed to the {result.subscriptions} of"
            f" {result.rooms} rooms it is in ({result.users * result.subscriptions / result.rooms:g} members per room)"
        )
    text = (
        f"== {result.scenario} on {result.target}: {shape}"
        f" (latency in ms, send -> every receiver; ok = nothing lost, no errors, p99 < {result.slo_ms:g} ms)"
    )
    if result.subscriptions:
        text += (
            "\n   activity/s: room_activity frames received (every room of every user, at most one per room"
            f" per connection per second: {result.users * result.subscriptions}/s at most)"
        )
    if result.mix:
        text += (
            f"\n   mix {result.mix:g}: {100 * result.mix:g} % of the frames change the sender's last message"
            " (an edit, then a reaction toggle); latency, deliv/s and lost: new messages and edits"
        )
    return text


def memory_line(result: ScenarioResult) -> str:
    kb = result.per_socket_kb
    before = f"{result.rss_before / 2**20:.1f} MB" if result.rss_before else "-"
    after = f"{result.rss_after / 2**20:.1f} MB" if result.rss_after else "-"
    if result.subscriptions:
        per = f"{kb:.1f} KB per user connection" if kb is not None else "unknown (no server pid)"
        sockets = f"{result.sockets} user connections, {result.subscriptions} subscriptions each"
    else:
        per = f"{kb:.1f} KB per socket" if kb is not None else "unknown (no server pid)"
        sockets = f"{result.sockets} idle sockets"
    return f"   {sockets}: server RSS {before} -> {after}: {per}"


def scenario_footer(result: ScenarioResult) -> str:
    if result.sockets and not result.subscriptions:
        return memory_line(result)
    lines = [f"   best: {result.best_rate:.0f} msg/s with p99 < {result.slo_ms:g} ms and nothing lost"]
    if any(step.generator_bound for step in result.steps):
        lines.append(
            "   WARNING: the generator used most of its core (or fell behind) in some steps: "
            "those figures are limited by the load generator, not the server"
        )
    steps = result.steps
    sent = sum(s.sent for s in steps)
    if result.mix and sent:
        edits, reactions = sum(s.edits for s in steps), sum(s.reactions for s in steps)
        lines.append(
            f"   changes: {edits + reactions} of {sent} frames ({100 * (edits + reactions) / sent:.0f} %):"
            f" {edits} edits, {sum(s.edit_delivered for s in steps)}/{sum(s.edit_expected for s in steps)}"
            f" deliveries; {reactions} reactions, {sum(s.reaction_delivered for s in steps)}"
            f"/{sum(s.reaction_expected for s in steps)} deliveries"
        )
    if result.subscriptions:
        frames, seconds = sum(s.activity for s in steps), sum(s.duration for s in steps)
        lines.append(
            f"   room_activity: {frames} frames over {seconds:g} s of load"
            + (f" ({frames / seconds:.0f}/s)" if seconds else "")
        )
        lines.append(memory_line(result))
    if result.note:
        lines.append(f"   note: {result.note}")
    return "\n".join(lines)


# What each target is compared with in the summary (the rest: roomcast embedded, this build).
REFERENCE = {"roomcast-scaled-previous": "roomcast-scaled"}


def summary(results: Sequence[ScenarioResult]) -> str:
    """roomcast against each baseline, scenario by scenario."""
    by_key = {(r.scenario, r.target): r for r in results}
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    targets = list(dict.fromkeys(r.target for r in results))
    lines = ["== summary (ratio = roomcast / baseline; scaled / embedded; this build / previous: higher is better)"]
    for scenario in scenarios:
        for target in targets:
            mine = by_key.get((scenario, REFERENCE.get(target, "roomcast")))
            result = by_key.get((scenario, target))
            if result is None:
                continue
            if result.sockets and not result.steps:
                kb = result.per_socket_kb
                value = f"{kb:.1f} KB/socket" if kb is not None else "-"
                ratio = ""
                if mine is not None and target != "roomcast" and kb and mine.per_socket_kb is not None:
                    ratio = f"  {mine.target}/this = {mine.per_socket_kb / kb:.2f} (lower is better)"
            else:
                value = f"{result.best_rate:.0f} msg/s"
                ratio = ""
                if mine is not None and target == "roomcast-scaled":
                    ratio = f"  scaled/embedded = {result.best_rate / mine.best_rate:.2f}" if mine.best_rate else ""
                    ratio += scaled_p50(mine, result)
                elif mine is not None and target != "roomcast":
                    ratio = (
                        f"  {mine.target}/this = {mine.best_rate / result.best_rate:.2f}"
                        if result.best_rate
                        else "  (this passed no step)"
                    )
            lines.append(f"   {scenario:<6} {target:<26} {value:>14}{ratio}")
    return "\n".join(lines)


def scaled_p50(embedded: ScenarioResult, scaled: ScenarioResult) -> str:
    """p50 of both modes at the lowest rate they both ran (issue 14's target: scaled < 5 ms at 1,000)."""
    rates = {s.offered: s for s in embedded.steps if s.latencies_ms}
    both = [(s.offered, rates[s.offered], s) for s in scaled.steps if s.latencies_ms and s.offered in rates]
    if not both:
        return ""
    rate, mine, theirs = min(both, key=lambda item: item[0])
    assert mine.latencies_ms is not None and theirs.latencies_ms is not None
    return f"; p50 at {rate:.0f} msg/s {theirs.latencies_ms[0]:.1f} ms (embedded {mine.latencies_ms[0]:.1f})"


def plot(results: Sequence[ScenarioResult], path: Path) -> Path | None:
    """Latency (p50 and p99) against offered load, one panel per stepped scenario."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    stepped = [r for r in results if r.steps]
    scenarios = list(dict.fromkeys(r.scenario for r in stepped))
    if not scenarios:
        return None
    fig, axes = plt.subplots(1, len(scenarios), figsize=(6 * len(scenarios), 4.2), squeeze=False)
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        for result in (r for r in stepped if r.scenario == scenario):
            points = [(s.offered, s.latencies_ms) for s in result.steps if s.latencies_ms]
            if not points:
                continue
            xs = [x for x, _ in points]
            (line,) = ax.plot(xs, [lat[2] for _, lat in points], marker="o", label=f"{result.target} p99")
            ax.plot(
                xs,
                [lat[0] for _, lat in points],
                marker=".",
                linestyle="--",
                color=line.get_color(),
                label=f"{result.target} p50",
            )
        slo = next(r.slo_ms for r in stepped if r.scenario == scenario)
        ax.axhline(slo, color="grey", linewidth=0.8, linestyle=":")
        ax.set_yscale("log")
        ax.set_xlabel("offered load (msg/s)")
        ax.set_ylabel("latency send -> receiver (ms)")
        ax.set_title(scenario)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
