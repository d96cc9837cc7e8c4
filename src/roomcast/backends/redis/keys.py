"""Every Redis key and channel roomcast uses, in one place (SPEC §5).

The part in braces is the key's hash tag: in a Redis Cluster only it decides the slot, so a
room's cache, presence and channel live on one shard, a user's connections on one, an
instance's bookkeeping on one, and every Lua script touches keys of a single slot. Standalone
Redis ignores the braces; both modes use the same names.
"""

from __future__ import annotations

ROOM_CHANNEL_PREFIX = "room:{"
PRESENCE_INSTANCES = "presence:instances"
CONNECTION_INSTANCES = "connection_instances"
DRAINING = "draining"


def room_channel(room_id: str) -> str:
    """The room's pub/sub channel (a shard channel in a cluster)."""
    return f"{ROOM_CHANNEL_PREFIX}{room_id}}}"


def room_of_channel(channel: bytes) -> str:
    return channel[len(ROOM_CHANNEL_PREFIX) : -1].decode()


def room_cache(room_id: str) -> str:
    return f"room_messages:{{{room_id}}}"


def room_cache_as_of(room_id: str) -> str:
    return f"room_messages_seq:{{{room_id}}}"


def presence_room(room_id: str) -> list[str]:
    """Who is online, their connections, and their connection counts: one slot per room."""
    base = f"presence:{{{room_id}}}"
    return [base, f"{base}:connections", f"{base}:counts"]


def presence_owned(instance_id: str) -> str:
    """`{room_id}|{connection_id}` entries an instance registered, for sweeping it when it dies."""
    return f"presence:instance:{{{instance_id}}}"


def user_connections(user_id: str) -> str:
    return f"connections:{{{user_id}}}"


def connections_owned(instance_id: str) -> str:
    """`{user_id}|{connection_id}` entries an instance registered, for sweeping it when it dies."""
    return f"connection_instance:{{{instance_id}}}"


def rate_limit(key: str) -> str:
    return f"rate_limit:{key}"
