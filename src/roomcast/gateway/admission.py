"""What a WebSocket handshake must show before it becomes a connection (SPEC §4, §7).

Pure checks on the request: the browser origin, and the query parameters. The token, the
session and the membership need storage and are checked by the gateway.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from roomcast.protocol.frames import MAX_SEQ

_DIGITS = re.compile(r"[0-9]{1,16}")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class Admission(Exception):
    """The handshake is refused; `reason` is the close reason the client sees (1008)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def origin_allowed(origin: str | None, host: str | None, allowed: frozenset[str]) -> bool:
    """ALLOWED_ORIGINS when set; else the request's own host and localhost on any port.

    No Origin header means a non-browser client, which cross-site scripting cannot drive.
    """
    if origin is None:
        return True
    origin = origin.strip().lower().rstrip("/")
    if allowed:
        return origin in allowed
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (sandboxed frames, file: pages) and anything unparsable
    if parts.hostname in LOCAL_HOSTS:
        return True
    return host is not None and parts.netloc == host.strip().lower()


def parse_since_seq(value: str | None) -> int | None:
    """`since_seq`: absent, or a whole number 0..2^53-1 written in plain digits."""
    if value is None:
        return None
    if not _DIGITS.fullmatch(value) or int(value) > MAX_SEQ:
        raise Admission("invalid since_seq")
    return int(value)
