"""Room events in as they come (live, recovered, read from the log), out exactly once in `seq`
order. Pure bookkeeping, no I/O: the subscription feeds it and reads the log when told to.

The live stream of one socket is gap-free, but the sender's own `message_sent` may overtake
another's `new_message`, and a reconnect replays from the last seq: so a live event past a gap
waits (`pending`) for the gap to fill. When it does not fill in time, or when the reader falls
too far behind, the sequencer turns `lagging`: live events are then dropped (only the highest
seq seen is kept) and the subscription reads the log (`GET …/events`) from `seq` until it has
passed every seq seen live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from roomcast.client.events import LogEvent, RoomEvent


class Sequencer:
    def __init__(self, limit: int) -> None:
        self.limit = limit  # events waiting to be read before live ones are left to the log
        self.seq = 0  # the newest seq handed out (or passed over, from a recovery or the log)
        self.pending: dict[int, LogEvent] = {}
        self.ready: deque[RoomEvent] = deque()
        self.lagging = False
        self.seen = 0  # the newest live seq dropped while lagging

    def start(self, seq: int) -> None:
        """Nothing at or below `seq` is handed out (subscribed from now: the room's last_seq)."""
        self.seq = max(self.seq, seq)
        self._release()

    def live(self, event: LogEvent) -> None:
        seq = event.seq
        if seq <= self.seq or seq in self.pending:
            return
        if self.lagging or len(self.ready) + len(self.pending) >= self.limit:
            self._lag(seq)
            return
        self.pending[seq] = event
        self._release()

    def other(self, event: RoomEvent) -> None:
        """Typing, presence, members: not logged, handed out as they come (dropped when full)."""
        if len(self.ready) < self.limit:
            self.ready.append(event)

    def recovered(self, events: Iterable[LogEvent], upto: int | None) -> None:
        """A recovery (`subscribed` with since_seq): its events in seq order, then the live
        stream from `upto` (the greeting's last_seq), or, when None (`recovered: false`), the
        log from the newest recovered seq."""
        self.pending.clear()
        for event in sorted(events, key=lambda e: e.seq):
            self._hand_out(event)
        if upto is None:
            self._lag(0)
        else:
            self.start(upto)

    def from_log(self, events: Iterable[LogEvent], has_more: bool, last_seq: int) -> None:
        """One page of `GET …/events?after_seq={seq}`."""
        for event in events:
            self._hand_out(event)
        if has_more:
            return
        self.seq = max(self.seq, last_seq)
        if self.seen <= self.seq:  # every seq seen live is covered: live again
            self.lagging = False
            self.seen = 0

    def gap(self) -> bool:
        """Live events wait behind a missing seq."""
        return bool(self.pending) and self.seq + 1 not in self.pending

    def give_up_gap(self) -> None:
        """The gap did not fill in time: read the log instead."""
        if self.gap():
            self._lag(max(self.pending))

    def reset_live(self) -> None:
        """The socket is gone: what waited comes back with the recovery."""
        self.pending.clear()

    def pop(self) -> RoomEvent | None:
        return self.ready.popleft() if self.ready else None

    def _lag(self, seq: int) -> None:
        if self.pending:
            seq = max(seq, *self.pending)
            self.pending.clear()
        self.lagging = True
        self.seen = max(self.seen, seq)

    def _hand_out(self, event: LogEvent) -> None:
        if event.seq > self.seq:
            self.seq = event.seq
            self.ready.append(event)

    def _release(self) -> None:
        while self.seq + 1 in self.pending:
            self.seq += 1
            self.ready.append(self.pending.pop(self.seq))
        for seq in [s for s in self.pending if s <= self.seq]:
            del self.pending[seq]
