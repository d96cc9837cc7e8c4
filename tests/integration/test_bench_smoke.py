"""`roomcast bench` still runs end to end: a tiny load against a roomcast it starts itself,
on room sockets and (S4) on user connections.

No timing is asserted (speed lives in the benchmark's output); only that the table is
printed and that nothing was lost.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("picows")

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_and_loses_nothing(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "roomcast", "bench",
        "--targets", "roomcast", "--rooms", "2", "--users", "3", "--rates", "20,40",
        "--duration", "1", "--drain", "5", "--slo", "60000", "--no-pin", "--quiet",
        "--keep-going", "--plot", str(tmp_path / "plot.png"),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    assert "== custom on roomcast: 2 rooms x 3 users" in output, output
    rows = [line.split() for line in output.splitlines() if line.strip().startswith(("20 ", "40 "))]
    assert len(rows) == 2, output
    header = next(line.split() for line in output.splitlines() if line.strip().startswith("offered"))
    for row in rows:
        values = dict(zip(header, row, strict=False))
        assert values["lost"] == "0", output
        assert values["errors"] == "0", output
        assert int(values["deliv/s"]) > 0, output
    assert (tmp_path / "plot.png").exists() or "plot: skipped" in output


def test_bench_mixed_load_edits_and_reacts() -> None:
    """--mix: some frames edit or react to the sender's last message; edits are delivered
    (with latency, to every member, the editor too) and reactions counted, nothing lost."""
    command = [
        sys.executable, "-m", "roomcast", "bench",
        "--targets", "roomcast", "--rooms", "2", "--users", "3", "--rates", "20,40",
        "--duration", "1", "--drain", "5", "--slo", "60000", "--no-pin", "--quiet",
        "--keep-going", "--mix", "0.5",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    assert "mix 0.5" in output, output
    header = next(line.split() for line in output.splitlines() if line.strip().startswith("offered"))
    changes = header[header.index("errors") + 1 : header.index("errors") + 6]
    assert changes == ["edits", "edit-dlv", "edit-p99", "reacts", "react-dlv"], output
    rows = [
        dict(zip(header, line.split(), strict=False))
        for line in output.splitlines()
        if line.split()[:1] in (["20"], ["40"])
    ]
    assert len(rows) == 2, output
    edits = reactions = edit_deliveries = 0
    for values in rows:
        assert values["lost"] == "0", output
        assert values["errors"] == "0", output
        assert int(values["deliv/s"]) > 0, output
        assert values["p99"] != "-", output
        edits += int(values["edits"])
        reactions += int(values["reacts"])
        for column in ("edit-dlv", "react-dlv"):
            delivered, expected = (int(n) for n in values[column].split("/"))
            assert delivered == expected, output
        delivered, expected = (int(n) for n in values["edit-dlv"].split("/"))
        assert expected == 3 * int(values["edits"]), output  # every member of the room, the editor too
        edit_deliveries += delivered
        assert delivered == 0 or values["edit-p99"] != "-", output
    assert edits > 0 and reactions > 0, output
    assert edit_deliveries > 0, output
    assert "   changes: " in output, output


def test_bench_refuses_mix_without_edits() -> None:
    command = [sys.executable, "-m", "roomcast", "bench", "--targets", "fastapi", "S1", "--quick", "--mix", "0.2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--mix needs a server with edits and reactions" in done.stderr, done.stderr


def test_bench_s4_user_connections_quick() -> None:
    """S4 on user connections (`/ws?token=`), scaled down: messages are delivered to every
    subscribed member with nothing lost, `room_activity` is counted, and the memory per user
    connection is measured. No --targets: S4 runs on roomcast alone."""
    command = [
        sys.executable, "-m", "roomcast", "bench", "S4", "--quick", "--rates", "50,100",
        "--duration", "1", "--drain", "5", "--slo", "60000", "--no-pin", "--quiet", "--keep-going",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    assert "== S4 on roomcast: 100 users on user connections, each subscribed to the 5 of 20 rooms" in output, output
    assert "fastapi" not in output and "socketio" not in output, output
    header = next(line.split() for line in output.splitlines() if line.strip().startswith("offered"))
    assert "activity/s" in header, output
    rows = [
        dict(zip(header, line.split(), strict=False))
        for line in output.splitlines()
        if line.split()[:1] in (["50"], ["100"]) and line.split()[1].isdigit()  # not the memory line
    ]
    assert len(rows) == 2, output
    for values in rows:
        assert values["lost"] == "0", output
        assert values["errors"] == "0", output
        assert int(values["accept/s"]) == int(values["sent/s"]) > 0, output
        # 25 members per room: each message is owed to the 24 other members' connections.
        assert int(values["deliv/s"]) == 24 * int(values["sent/s"]), output
        assert int(values["activity/s"]) > 0, output
        assert values["p99"] != "-", output
    activity = re.search(r"room_activity: (\d+) frames over ([\d.]+) s of load", output)
    assert activity is not None and int(activity.group(1)) > 0, output
    memory = re.search(
        r"100 user connections, 5 subscriptions each: server RSS ([\d.]+) MB -> ([\d.]+) MB: "
        r"(-?[\d.]+) KB per user connection",
        output,
    )
    assert memory is not None, output
    before, after, per_connection = (float(memory.group(i)) for i in (1, 2, 3))
    assert before > 0 and after > 0, output
    assert per_connection == pytest.approx((after - before) * 1024 / 100, abs=1.5), output


@pytest.mark.parametrize(
    "arguments",
    [
        ["--targets", "fastapi"],
        ["--targets", "roomcast,socketio"],
        ["--url", "http://127.0.0.1:9", "--kind", "fastapi"],
    ],
)
def test_bench_s4_refuses_servers_without_user_connections(arguments: list[str]) -> None:
    command = [sys.executable, "-m", "roomcast", "bench", "S4", "--quick", *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "S4 runs on user connections (/ws?token=, SPEC §4b), which only roomcast has" in done.stderr, done.stderr
    assert done.stdout == "", done.stdout


def test_bench_s4_refuses_a_mix_and_an_impossible_layout() -> None:
    mix = [sys.executable, "-m", "roomcast", "bench", "S4", "--quick", "--mix", "0.2"]
    done = subprocess.run(mix, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "S4's user connections send new messages only" in done.stderr, done.stderr
    layout = [sys.executable, "-m", "roomcast", "bench", "S4", "--quick", "--subscriptions", "30"]
    done = subprocess.run(layout, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "30 subscriptions per user, but only 20 rooms" in done.stderr, done.stderr


@pytest.mark.postgres
@pytest.mark.redis
def test_bench_scaled_runs_both_modes_in_one_run() -> None:
    """--scaled: the same scenario against roomcast embedded and on PostgreSQL + Redis, compared."""
    from tests.contract.env import postgres_url, redis_url

    server = postgres_url().replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    command = [
        sys.executable, "-m", "roomcast", "bench", "--rooms", "2", "--users", "3", "--rates", "20",
        "--duration", "1", "--drain", "5", "--slo", "60000", "--no-pin", "--quiet", "--scaled",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"ROOMCAST_BENCH_POSTGRES": server, "ROOMCAST_BENCH_REDIS": redis_url()}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    assert "== custom on roomcast: 2 rooms x 3 users" in output, output
    assert "== custom on roomcast-scaled: 2 rooms x 3 users" in output, output
    rows = [line.split() for line in output.splitlines() if line.strip().startswith("20 ")]
    assert len(rows) == 2 and all(row[4] == "0" for row in rows), output  # nothing lost in either mode
    assert re.search(r"roomcast-scaled .* scaled/embedded = \d", output), output
