"""roomcast.client: bots and services on a roomcast server, with every room event exactly once
and in `seq` order across reconnects. See docs/client.md.

    async with Client("http://127.0.0.1:8000", username="bot", password="...") as client:
        sub = await client.subscribe(room_id)
        async for event in sub:
            if isinstance(event, NewMessage):
                print(event.message.content)
"""

from roomcast.client.backoff import Backoff
from roomcast.client.client import Client
from roomcast.client.errors import (
    AuthenticationFailed,
    ClientClosed,
    ClientError,
    ConnectionFailed,
    ConnectionRefused,
    MessageRejected,
    NotAParticipant,
    RateLimited,
    TooManySubscriptions,
)
from roomcast.client.events import (
    Event,
    LogEvent,
    MemberChanged,
    MessageUpdated,
    NewMessage,
    ReadMarker,
    RoomActivity,
    RoomAdded,
    RoomEvent,
    RoomRemoved,
    RoomUpdated,
    UnknownEvent,
    UserEvent,
    UserJoined,
    UserLeft,
    UserStoppedTyping,
    UserTyping,
    UserUpdated,
)
from roomcast.client.records import Actor, Message, Reaction, ReplyRef, Room, User
from roomcast.client.subscription import Subscription

__all__ = [
    "Actor",
    "AuthenticationFailed",
    "Backoff",
    "Client",
    "ClientClosed",
    "ClientError",
    "ConnectionFailed",
    "ConnectionRefused",
    "Event",
    "LogEvent",
    "MemberChanged",
    "Message",
    "MessageRejected",
    "MessageUpdated",
    "NewMessage",
    "NotAParticipant",
    "RateLimited",
    "Reaction",
    "ReadMarker",
    "ReplyRef",
    "Room",
    "RoomActivity",
    "RoomAdded",
    "RoomEvent",
    "RoomRemoved",
    "RoomUpdated",
    "Subscription",
    "TooManySubscriptions",
    "UnknownEvent",
    "User",
    "UserEvent",
    "UserJoined",
    "UserLeft",
    "UserStoppedTyping",
    "UserTyping",
    "UserUpdated",
]
