"""The web client's unit tests (Vitest) run as part of the Python suite."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def test_vitest_suite_passes() -> None:
    npm = shutil.which("npm")
    missing = None
    if npm is None:
        missing = "npm is not installed (Node.js 20+ is needed for the web client)"
    elif not (FRONTEND / "node_modules" / ".bin" / "vitest").exists():
        missing = "frontend/node_modules is missing: run `make web` (npm ci) first"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    assert npm is not None
    env = {**os.environ, "CI": "true", "NO_COLOR": "1", "FORCE_COLOR": "0"}
    result = subprocess.run(
        [npm, "test", "--silent"],
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and " failed" not in output, output[-6000:]
