"""The client's address, for the login and registration limits (SPEC §2 TRUSTED_PROXIES).

The socket peer, unless the peer is a trusted proxy: then the rightmost `X-Forwarded-For`
hop that is not one of ours. Hops left of it were written by whoever reached our first proxy,
so they prove nothing. With no trusted proxies the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"
MAX_HOP_LENGTH = 64


def client_address(connection: HTTPConnection, trusted: Sequence[Network]) -> str:
    peer = connection.client.host if connection.client else ""
    peer_address = parse_address(peer)
    if not trusted or peer_address is None or not _is_trusted(peer_address, trusted):
        return str(peer_address) if peer_address is not None else (peer or UNKNOWN)
    hops = [hop.strip() for value in connection.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        address = parse_address(hop)
        if address is None:
            # Written by a proxy of ours (it is the rightmost untrusted hop), e.g. "unknown".
            return hop[:MAX_HOP_LENGTH]
        if not _is_trusted(address, trusted):
            return str(address)
    return str(peer_address)


def parse_address(value: str) -> Address | None:
    """An IP address, also as `1.2.3.4:port`, `[::1]:port` or an IPv4-mapped IPv6 address."""
    text = value.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)
