"""`roomcast bench` without its "bench" extra stops at once with one line naming the extra, and
`roomcast serve` never imports what that extra brings.

A missing package is simulated in the subprocess (`sys.modules[name] = None` makes its import
fail), so these run whether or not the extra is installed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import free_port

# argv: blocked module names (comma list), then the roomcast command line.
WITHOUT = (
    "import sys; sys.modules.update(dict.fromkeys(sys.argv[1].split(','))); "
    "from roomcast.cli import main; sys.exit(main(sys.argv[2:]))"
)
# argv: watched module names (comma list), then the roomcast command line. Any import of one
# of them (or of a submodule) is reported on stderr and fails.
WATCHED = """
import sys

WATCHED = set(sys.argv[1].split(","))


class Refuse:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in WATCHED:
            print(f"imported a bench dependency: {name}", file=sys.stderr, flush=True)
            raise ModuleNotFoundError(f"blocked by the test: {name}", name=name)
        return None


sys.meta_path.insert(0, Refuse)
from roomcast.cli import main

sys.exit(main(sys.argv[2:]))
"""
BENCH_MODULES = ("picows", "psutil", "httpx", "socketio", "engineio", "matplotlib", "granian", "hypercorn", "wsproto")
FREE_RUN = ["--targets", "roomcast", "--rooms", "1", "--users", "2", "--rates", "10", "--duration", "1", "--no-pin"]


def bench_without(blocked: list[str], *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    command = [sys.executable, "-c", WITHOUT, ",".join(blocked), "bench", *arguments]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def assert_names_the_extra(done: subprocess.CompletedProcess[str], command: str, distribution: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "", done.stdout  # nothing started, nothing measured
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    pattern = rf'{command} needs the "bench" extra \(missing [^)]+\): pip install "roomcast\[bench\]"'
    assert re.fullmatch(pattern, lines[0]), lines[0]
    missing = lines[0].split("(missing ", 1)[1].split(")", 1)[0].split(", ")
    assert distribution in missing, lines[0]


@pytest.mark.parametrize("module", ["picows", "psutil", "httpx"])
def test_bench_without_a_generator_dependency_names_the_extra(module: str, tmp_path: Path) -> None:
    done = bench_without([module], *FREE_RUN, cwd=tmp_path)
    assert_names_the_extra(done, "roomcast bench", module)
    assert list(tmp_path.iterdir()) == []


def test_bench_with_a_running_server_still_needs_the_generator(tmp_path: Path) -> None:
    done = bench_without(["picows"], "S1", "--url", "http://127.0.0.1:9", "--kind", "roomcast", cwd=tmp_path)
    assert_names_the_extra(done, "roomcast bench", "picows")


def test_plot_without_matplotlib_is_refused_before_the_run(tmp_path: Path) -> None:
    done = bench_without(["matplotlib"], *FREE_RUN, "--plot", str(tmp_path / "plot.png"), cwd=tmp_path)
    assert_names_the_extra(done, "roomcast bench", "matplotlib")


def test_the_socketio_baseline_without_python_socketio_names_the_extra(tmp_path: Path) -> None:
    done = bench_without(["socketio"], "S1", "--quick", "--targets", "roomcast,socketio", cwd=tmp_path)
    assert_names_the_extra(done, "roomcast bench", "python-socketio")


def test_server_comparison_without_its_server_names_the_extra(tmp_path: Path) -> None:
    done = bench_without(["granian"], "servers", "--servers", "granian", cwd=tmp_path)
    assert_names_the_extra(done, "roomcast bench servers", "granian")


def test_scaled_mode_without_the_generator_names_the_extra(tmp_path: Path) -> None:
    done = bench_without(["psutil"], "scaled", cwd=tmp_path)
    assert_names_the_extra(done, "roomcast bench scaled", "psutil")


def test_serve_imports_no_bench_dependency(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MESSAGE_RATE_LIMIT")}
    env |= {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/serve.db", "JWT_SECRET": uuid.uuid4().hex * 2}
    command = [sys.executable, "-c", WATCHED, ",".join(BENCH_MODULES), "serve", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    status = None
    try:
        deadline = time.monotonic() + 60
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    status = response.status
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            stdout, stderr = server.communicate()
    assert status == 200, stdout + stderr
    assert "imported a bench dependency" not in stderr, stderr
