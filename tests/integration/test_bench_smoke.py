"""`roomcast bench` still runs end to end: a tiny load against a roomcast it starts itself.

No timing is asserted (speed lives in the benchmark's output); only that the table is
printed and that nothing was lost.
"""

from __future__ import annotations

import os
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
