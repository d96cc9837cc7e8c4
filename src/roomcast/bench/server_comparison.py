"""`roomcast bench servers`: roomcast under each ASGI server and WebSocket implementation,
measured by `roomcast bench`.

    roomcast bench servers --rates 2000,3000,4000,4500,5000 --duration 8

Each server runs the same app (`roomcast.app:create_app`, embedded mode, a fresh SQLite file)
pinned to core 0; the generator runs on core 1. Under uvicorn with roomcast's own WebSocket
protocol (`roomcast.transport`, what `roomcast serve` runs) the gateway writes finished frames to
the socket; under every other server and WebSocket implementation it goes through plain ASGI
(`gateway.asgi_peer`: `websocket.send_text` from a writer task per socket).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from roomcast.bench.extra import GENERATOR, missing_extra

# httpx and roomcast.bench.targets (picows, psutil) are imported where they are used, after
# main() has checked the "bench" extra.

APP = "roomcast.app:create_app"
# name -> the module run as `python -m <module> <arguments>`, bind arguments left out.
SERVERS: dict[str, list[str]] = {
    "uvicorn, roomcast transport": [
        "uvicorn",
        "--factory",
        APP,
        "--ws",
        "roomcast.transport.websocket:WebSocketProtocol",
        "--loop",
        "uvloop",
        "--ws-max-size",
        "65536",
    ],
    "uvicorn websockets-sansio": ["uvicorn", "--factory", APP, "--ws", "websockets-sansio", "--loop", "uvloop"],
    "uvicorn websockets": ["uvicorn", "--factory", APP, "--ws", "websockets", "--loop", "uvloop"],
    "uvicorn wsproto": ["uvicorn", "--factory", APP, "--ws", "wsproto", "--loop", "uvloop"],
    "hypercorn": ["hypercorn", "--worker-class", "uvloop", f"{APP}()"],
    "granian": ["granian", "--interface", "asgi", "--factory", "--loop", "uvloop", APP],
}
NEEDS: dict[str, tuple[str, ...]] = {  # beyond roomcast's own dependencies (uvicorn, websockets, uvloop)
    "uvicorn wsproto": ("wsproto",),
    "hypercorn": ("hypercorn",),
    "granian": ("granian",),
}


def bind_args(name: str, port: int) -> list[str]:
    if name.startswith("roomcast"):
        return ["--host", "127.0.0.1", "--port", str(port)]
    if name.startswith("uvicorn"):
        return ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    if name == "hypercorn":
        return ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


def measure(
    name: str,
    command: list[str],
    rates: str,
    duration: float,
    scenario: str,
    env_extra: dict[str, str] | None = None,
    pinned: bool = True,
    json_path: Path | None = None,
) -> str:
    """Run `python -m <command>` (plus its bind arguments) on a fresh database, the scenario against it."""
    from roomcast.bench.targets import free_port, roomcast_env

    with tempfile.TemporaryDirectory(prefix="roomcast-asgi-") as workdir:
        env = {**os.environ, **roomcast_env(workdir)}
        env.pop("REDIS_URL", None)  # embedded mode unless `env_extra` says otherwise
        env.update(env_extra or {})
        subprocess.run([sys.executable, "-m", "roomcast", "migrate"], env=env, check=True, capture_output=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        pin = ["taskset", "-c", "0"] if pinned and shutil.which("taskset") else []
        log = open(Path(workdir) / "server.log", "wb")  # noqa: SIM115 - closed with the server below
        server = subprocess.Popen(
            [*pin, sys.executable, "-m", *command, *bind_args(name, port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(url, server)
            load_pin = ["taskset", "-c", "1"] if shutil.which("taskset") else []
            bench = [sys.executable, "-m", "roomcast", "bench", scenario, "--url", url, "--kind", "roomcast"]
            bench += ["--server-pid", str(server.pid), "--rates", rates, "--duration", str(duration)]
            bench += ["--keep-going", "--quiet", "--no-pin"]
            if json_path is not None:
                bench += ["--json", str(json_path)]
            result = subprocess.run([*load_pin, *bench], env=env, capture_output=True, text=True)
            return f"== {name}\n{result.stdout}{result.stderr[-2000:] if result.returncode else ''}"
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="roomcast bench servers", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="2000,3000,4000,4500,5000")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--scenario", default="S1")
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma list of: " + ", ".join(SERVERS))
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s) {', '.join(unknown)}: use {', '.join(SERVERS)}")
    problem = missing_extra([*GENERATOR, *(m for name in names for m in NEEDS.get(name, ()))], "roomcast bench servers")
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    for name in names:
        print(measure(name, SERVERS[name], args.rates, args.duration, args.scenario), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
