"""Prometheus metrics. Names are the contract for dashboards; labels stay low-cardinality."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

OPEN_SOCKETS = Gauge("roomcast_open_sockets", "WebSocket connections open", multiprocess_mode="livesum")
MESSAGES_STORED = Counter("roomcast_messages_stored_total", "Messages committed")
DELIVERIES = Counter("roomcast_deliveries_total", "Frames queued to sockets by fan-out")
RATE_LIMITED = Counter("roomcast_rate_limited_total", "Messages refused by the rate limit")
CACHE = Counter("roomcast_cache_total", "Recent-message cache lookups", ["result"])
ERRORS = Counter("roomcast_errors_total", "Errors by type", ["type"])
COMMIT_LATENCY = Histogram(
    "roomcast_receive_to_commit_seconds", "From frame received to durable commit", buckets=LATENCY_BUCKETS
)
DELIVERY_LATENCY = Histogram(
    "roomcast_receive_to_delivered_seconds",
    "From frame received to the broadcast queued to every local socket",
    buckets=LATENCY_BUCKETS,
)
BATCH_COMMIT = Histogram(
    "roomcast_commit_batch_seconds", "Duration of one group-commit transaction", buckets=LATENCY_BUCKETS
)
BATCH_SIZE = Histogram(
    "roomcast_commit_batch_messages",
    "Messages per group-commit transaction",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
