"""The client address of the login/registration limits: the peer, or what a trusted proxy saw."""

from __future__ import annotations

import ipaddress

import pytest
from starlette.requests import Request

from roomcast.api.client_address import client_address, parse_address


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


def networks(*entries: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


PROXIES = networks("127.0.0.1", "10.0.0.0/8", "fd00::/8")


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address(request("127.0.0.1", "6.6.6.6"), ()) == "127.0.0.1"


def test_an_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert client_address(request("192.0.2.7", "6.6.6.6"), PROXIES) == "192.0.2.7"


def test_a_trusted_peer_gives_the_rightmost_hop_that_is_not_ours() -> None:
    assert client_address(request("127.0.0.1", "6.6.6.6"), PROXIES) == "6.6.6.6"
    assert client_address(request("127.0.0.1", "1.1.1.1, 6.6.6.6, 10.1.2.3"), PROXIES) == "6.6.6.6"
    # Several headers are one list, in order.
    assert client_address(request("127.0.0.1", "1.1.1.1", "6.6.6.6", "10.1.2.3"), PROXIES) == "6.6.6.6"


def test_spoofed_hops_left_of_the_real_client_change_nothing() -> None:
    for spoof in ("1.1.1.1", "2.2.2.2, 3.3.3.3", "garbage", "10.0.0.1"):
        assert client_address(request("127.0.0.1", f"{spoof}, 6.6.6.6"), PROXIES) == "6.6.6.6"


def test_only_proxies_or_no_header_gives_the_peer() -> None:
    assert client_address(request("127.0.0.1"), PROXIES) == "127.0.0.1"
    assert client_address(request("127.0.0.1", "10.0.0.2, 10.0.0.3"), PROXIES) == "127.0.0.1"
    assert client_address(request("127.0.0.1", " , "), PROXIES) == "127.0.0.1"


def test_an_unparsable_rightmost_hop_is_kept_as_written_and_bounded() -> None:
    assert client_address(request("127.0.0.1", "unknown"), PROXIES) == "unknown"
    assert len(client_address(request("127.0.0.1", "x" * 5000), PROXIES)) == 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        ("1.2.3.4:8080", "1.2.3.4"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("not an address", None),
        ("", None),
    ],
)
def test_parse_address(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed is not None else None) == expected


def test_ipv6_proxies_and_mapped_peers() -> None:
    assert client_address(request("fd00::1", "2001:db8::5"), PROXIES) == "2001:db8::5"
    assert client_address(request("::ffff:127.0.0.1", "6.6.6.6"), PROXIES) == "6.6.6.6"
