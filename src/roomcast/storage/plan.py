"""One group-commit batch, decided without I/O: which drafts become which room events.

A batch mixes new messages and changes to stored messages (edit, delete, reactions). The
commit (storage.commit) reads what the decision needs inside the transaction — stored
client ids, the actors' participations and roles, the rooms' `last_seq`, the messages the
changes target — and `BatchPlan.apply` hands out each room's next seqs in draft order: one
gap-free sequence per room over messages and changes. A change that alters nothing (a
reaction already there, a message already deleted, an edit to the same text) is answered
with `seq: None` and takes no seq. Everything the transaction then writes comes from the plan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from roomcast.storage.errors import (
    MessageDeleted,
    NotAllowed,
    NotParticipant,
    Refused,
    RoomGone,
    TooManyReactions,
    UnknownMessage,
)
from roomcast.storage.ids import uuid7
from roomcast.storage.records import (
    DELETED,
    EDITED,
    REACTION_ADDED,
    CommitResult,
    Draft,
    MessageDraft,
    MessageRecord,
    MessageUpdate,
    Outcome,
    Reactions,
    UpdateDraft,
    UpdateResult,
    reply_ref,
)

ClientKey = tuple[uuid.UUID, uuid.UUID, str]
Pair = tuple[uuid.UUID, uuid.UUID]
MODERATORS = ("owner", "admin")
# Different emoji on one message (as Slack): its JSON, sent with every change, stays small.
MAX_REACTIONS = 50


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the commit writes for a changed message: its state after the batch's last change of it."""

    message: MessageRecord
    change: str
    actor_id: uuid.UUID
    emoji: str | None


class BatchPlan:
    def __init__(self, drafts: Sequence[Draft], existing: Mapping[ClientKey, MessageRecord]) -> None:
        self.drafts = drafts
        self.outcomes: list[Outcome | None] = [None] * len(drafts)
        self._first_of_key: dict[ClientKey, int] = {}
        self._live: list[int] = []  # drafts still to decide, in order
        # (room, user) of every draft still in play: whose participation the commit checks.
        self.actors: set[Pair] = set()
        for index, draft in enumerate(drafts):
            key = _client_key(draft)
            if key is not None and key in existing:
                assert isinstance(draft, MessageDraft)
                self.outcomes[index] = CommitResult(existing[key], True, draft)
                continue
            if key is not None and key in self._first_of_key:
                continue  # resolved in results(), once the first copy has its seq
            if key is not None:
                self._first_of_key[key] = index
            self._live.append(index)
            self.actors.add(_actor(draft))
        # The ids of the new messages, made now so that a statement can carry them (`new_messages`).
        self._ids = {index: uuid7() for index in self._live if isinstance(drafts[index], MessageDraft)}
        self.inserts: list[MessageRecord] = []
        self.changed: dict[uuid.UUID, StoredState] = {}
        self.read_marks: dict[Pair, int] = {}
        self.last_seqs: dict[uuid.UUID, int] = {}
        self._roles: Mapping[Pair, str] = {}
        # Messages edited or deleted, with the outcome of their last such change: replies quote them.
        self._quoted: dict[uuid.UUID, int] = {}

    def refuse_outsiders(self, roles: Mapping[Pair, str]) -> None:
        """Drafts whose actor no longer participates in their room get NotParticipant, no seq."""
        self._roles = roles
        if len(roles) == len(self.actors):
            return  # every actor participates: the common case costs nothing more
        kept = []
        for index in self._live:
            if _actor(self.drafts[index]) in roles:
                kept.append(index)
            else:
                self.outcomes[index] = NotParticipant("not a participant")
        self._live = kept

    def new_messages(self) -> list[tuple[int, MessageDraft, uuid.UUID]]:
        """The drafts that may become new messages, in order: (index, draft, the id it gets)."""
        found = []
        for index in self._live:
            draft = self.drafts[index]
            if isinstance(draft, MessageDraft):
                found.append((index, draft, self._ids[index]))
        return found

    def rooms(self) -> list[uuid.UUID]:
        """The rooms the batch may write, sorted: the lock order, so writers cannot deadlock."""
        return sorted({self.drafts[index].room_id for index in self._live})

    def targets(self) -> set[uuid.UUID]:
        """The stored messages the decision needs: those changed, and the parents of replies."""
        wanted = set()
        for index in self._live:
            draft = self.drafts[index]
            if isinstance(draft, UpdateDraft):
                wanted.add(draft.message_id)
            elif draft.reply_to is not None:
                wanted.add(draft.reply_to)
        return wanted

    def apply(
        self, last_seqs: Mapping[uuid.UUID, int], targets: Mapping[uuid.UUID, MessageRecord], now: datetime
    ) -> None:
        """Decide every draft in order; `last_seqs` lacks the rooms that no longer exist."""
        state = dict(targets)
        for index in self._live:
            draft = self.drafts[index]
            room_id = draft.room_id
            if room_id not in last_seqs:
                self.outcomes[index] = RoomGone("room no longer exists")
                continue
            try:
                if isinstance(draft, MessageDraft):
                    self._add(index, draft, state, last_seqs, now)
                else:
                    self._change(index, draft, state, last_seqs, now)
            except Refused as refusal:
                self.outcomes[index] = refusal

    def _next_seq(self, room_id: uuid.UUID, last_seqs: Mapping[uuid.UUID, int]) -> int:
        seq = self.last_seqs.get(room_id, last_seqs[room_id]) + 1
        self.last_seqs[room_id] = seq
        return seq

    def _add(
        self,
        index: int,
        draft: MessageDraft,
        state: Mapping[uuid.UUID, MessageRecord],
        last_seqs: Mapping[uuid.UUID, int],
        now: datetime,
    ) -> None:
        reply_to = None
        if draft.reply_to is not None:
            parent = state.get(draft.reply_to)
            if parent is None or parent.room_id != draft.room_id:
                raise UnknownMessage("the message replied to is not in this room")
            if parent.deleted:
                raise MessageDeleted("the message replied to was deleted")
            reply_to = reply_ref(parent.id, parent.seq, parent.sender_username, parent.content, False)
        seq = self._next_seq(draft.room_id, last_seqs)
        record = MessageRecord(
            id=self._ids[index],
            room_id=draft.room_id,
            seq=seq,
            sender_id=draft.sender_id,
            sender_username=draft.sender_username,
            content=draft.content,
            client_id=draft.client_id,
            created_at=now,
            reply_to=reply_to,
        )
        self.outcomes[index] = CommitResult(record, False, draft)
        self.inserts.append(record)
        # A sender has read their own messages: stored in the same transaction.
        self.read_marks[(draft.room_id, draft.sender_id)] = seq

    def _change(
        self,
        index: int,
        draft: UpdateDraft,
        state: dict[uuid.UUID, MessageRecord],
        last_seqs: Mapping[uuid.UUID, int],
        now: datetime,
    ) -> None:
        current = state.get(draft.message_id)
        if current is None or current.room_id != draft.room_id:
            raise UnknownMessage("no such message in this room")
        actor = str(draft.actor_id)
        new: MessageRecord | None
        if draft.change == DELETED:
            if current.sender_id != draft.actor_id and self._roles.get(_actor(draft)) not in MODERATORS:
                raise NotAllowed("only the sender, the owner or an admin can delete a message")
            new = None if current.deleted else current.evolve(content="", deleted=True, reactions=())
        elif current.deleted:
            raise MessageDeleted("the message was deleted")
        elif draft.change == EDITED:
            if current.sender_id != draft.actor_id:
                raise NotAllowed("only the sender can edit a message")
            assert draft.content is not None
            new = None if draft.content == current.content else current.evolve(content=draft.content, edited_at=now)
        else:
            assert draft.emoji is not None
            adding = draft.change == REACTION_ADDED
            if adding and len(current.reactions) >= MAX_REACTIONS and draft.emoji not in dict(current.reactions):
                raise TooManyReactions(f"a message takes at most {MAX_REACTIONS} different reactions")
            reactions = _react(current.reactions, draft.emoji, actor, adding)
            new = None if reactions == current.reactions else current.evolve(reactions=reactions)
        if new is None:
            unchanged = MessageUpdate(None, draft.change, draft.actor_id, draft.actor_username, draft.emoji, current)
            self.outcomes[index] = UpdateResult(unchanged, draft)
            return
        new.version = self._next_seq(draft.room_id, last_seqs)
        state[new.id] = new
        update = MessageUpdate(new.version, draft.change, draft.actor_id, draft.actor_username, draft.emoji, new)
        self.outcomes[index] = UpdateResult(update, draft, current)
        self.changed[new.id] = StoredState(new, draft.change, draft.actor_id, draft.emoji)
        if draft.change in (EDITED, DELETED):
            self._quoted[new.id] = index

    def quoted(self) -> list[uuid.UUID]:
        """The messages whose text this batch changed: their replies' quotes change with them."""
        return sorted(self._quoted)

    def add_replies(self, replies: Iterable[MessageRecord]) -> None:
        for reply in replies:
            assert reply.reply_to is not None
            outcome = self.outcomes[self._quoted[reply.reply_to.id]]
            assert isinstance(outcome, UpdateResult)
            outcome.replies.append(reply)

    def results(self) -> list[Outcome]:
        for index, draft in enumerate(self.drafts):
            if self.outcomes[index] is None:
                key = _client_key(draft)
                assert key is not None and isinstance(draft, MessageDraft)
                first = self.outcomes[self._first_of_key[key]]
                self.outcomes[index] = (
                    CommitResult(first.message, True, draft) if isinstance(first, CommitResult) else first
                )
        return [o for o in self.outcomes if o is not None]


def _client_key(draft: Draft) -> ClientKey | None:
    if isinstance(draft, MessageDraft) and draft.client_id:
        return (draft.room_id, draft.sender_id, draft.client_id)
    return None


def _actor(draft: Draft) -> Pair:
    return (draft.room_id, draft.sender_id if isinstance(draft, MessageDraft) else draft.actor_id)


def _react(reactions: Reactions, emoji: str, user_id: str, add: bool) -> Reactions:
    result: list[tuple[str, tuple[str, ...]]] = []
    found = False
    for existing, user_ids in reactions:
        if existing == emoji:
            found = True
            if add and user_id not in user_ids:
                user_ids = (*user_ids, user_id)
            elif not add:
                user_ids = tuple(u for u in user_ids if u != user_id)
            if not user_ids:
                continue
        result.append((existing, user_ids))
    if add and not found:
        result.append((emoji, (user_id,)))
    return tuple(result)
