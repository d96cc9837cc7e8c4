"""Refusal logs are throttled: one line per kind and interval, with the count left out."""

from __future__ import annotations

import logging
import time

import pytest

from roomcast.observability.throttle import ThrottledLog


def test_repeated_refusals_write_one_line_and_then_a_count(caplog: pytest.LogCaptureFixture) -> None:
    throttled = ThrottledLog(logging.getLogger("roomcast.test"), interval=0.05)
    with caplog.at_level(logging.INFO, logger="roomcast.test"):
        for _ in range(1000):
            throttled.log("invalid token", "connection refused", reason="invalid token")
        assert len(caplog.records) == 1
        throttled.log("rate limited", "rate limit refused")
        assert len(caplog.records) == 2
        time.sleep(0.06)
        throttled.log("invalid token", "connection refused")
    assert len(caplog.records) == 3
    assert caplog.records[-1].__dict__["suppressed"] == 999
