"""Where the real Redis and PostgreSQL for tests are: skip without them, except in CI.

ROOMCAST_TEST_REDIS_URL=cluster runs every Redis test on a three-node Redis Cluster that the
tests start themselves (`OwnRedisCluster`, on free ports, gone when the run ends).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster as SyncRedisCluster

from roomcast.backends.redis.link import Client, open_client


def require_url(variable: str, what: str) -> str:
    url = os.environ.get(variable, "")
    if url:
        return url
    message = f"{variable} is not set: these tests need {what} (e.g. {EXAMPLES[variable]})"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


EXAMPLES = {
    "ROOMCAST_TEST_REDIS_URL": "redis://127.0.0.1:6379/15",
    "ROOMCAST_TEST_POSTGRES_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/roomcast_test",
}


def redis_url() -> str:
    url = require_url("ROOMCAST_TEST_REDIS_URL", "a Redis whose database they may flush")
    if url == "cluster":
        return session_cluster().url
    return url


_session_cluster: OwnRedisCluster | None = None


def session_cluster() -> OwnRedisCluster:
    """The run's own three-node Redis Cluster, started on first use."""
    global _session_cluster
    if _session_cluster is None:
        workdir = Path(tempfile.mkdtemp(prefix="roomcast-redis-cluster-"))
        _session_cluster = OwnRedisCluster(workdir).start()
        atexit.register(_session_cluster.stop)
        atexit.register(shutil.rmtree, workdir, True)
    return _session_cluster


async def redis_client(url: str) -> Client:
    """A client for inspecting what the backends wrote: a cluster client on a cluster."""
    return await open_client(url)


async def flush(url: str) -> None:
    client = await open_client(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def flush_sync(url: str) -> None:
    with redis.Redis.from_url(url) as probe:
        cluster = bool(probe.info("cluster").get("cluster_enabled"))
    if cluster:
        with SyncRedisCluster.from_url(url) as client:
            client.flushdb(target_nodes=SyncRedisCluster.PRIMARIES)
    else:
        with redis.Redis.from_url(url) as client:
            client.flushdb()


def postgres_url() -> str:
    return require_url("ROOMCAST_TEST_POSTGRES_URL", "a PostgreSQL where they may create databases")


def _binary(name: str) -> str:
    binary = shutil.which(name)
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed", pytrace=False)
        pytest.skip(f"{name} is not installed")
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    """A private redis-server on a free port, for tests that stop and restart Redis."""

    def __init__(self, workdir: Path, cluster: bool = False) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.cluster = cluster
        self.bus_port = free_port() if cluster else 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        # A cluster node keeps its cluster configuration (nodes.conf) across a restart, so it
        # rejoins with its slots, empty (no persistence) as a standalone Redis restarts.
        cluster: list[str] = []
        if self.cluster:
            cluster = ["--cluster-enabled", "yes", "--cluster-port", str(self.bus_port)]
            cluster += ["--cluster-node-timeout", "1000"]
        self.process = subprocess.Popen(
            [
                _binary("redis-server"),
                *cluster,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


class OwnRedisCluster:
    """Three redis-server processes on free ports joined into one Redis Cluster (no replicas),
    for tests that run on a cluster and restart one of its nodes."""

    def __init__(self, workdir: Path, size: int = 3) -> None:
        self.nodes = [OwnRedis(workdir / f"node{index}", cluster=True) for index in range(size)]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self) -> OwnRedisCluster:
        for node in self.nodes:
            node.workdir.mkdir(parents=True, exist_ok=True)
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            [_binary("redis-cli"), "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=30,
        )
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 30) -> None:
        """Until every node says the cluster is ok (all slots served, every node agreed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                states = []
                for node in self.nodes:
                    with redis.Redis(port=node.port, socket_timeout=1) as client:
                        states.append(client.cluster("INFO").get("cluster_state"))
                if states == ["ok"] * len(self.nodes):
                    return
            except (redis.RedisError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not become healthy")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
