"""What the benchmark needs beyond roomcast itself: the "bench" extra, checked before any work.

`roomcast serve` never imports this package; `roomcast bench` asks `missing_extra()` first and
stops with one line naming what to install instead of a traceback halfway through a run.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

INSTALL = 'pip install "roomcast[bench]"'

# Import name -> distribution name, for everything the "bench" extra brings.
DISTRIBUTIONS = {
    "picows": "picows",
    "psutil": "psutil",
    "httpx": "httpx",
    "socketio": "python-socketio",
    "matplotlib": "matplotlib",
    "granian": "granian",
    "hypercorn": "hypercorn",
    "wsproto": "wsproto",
}

# Every run: the generator's sockets (load), the server's CPU and RSS and the set-up over REST (targets).
GENERATOR = ("picows", "psutil", "httpx")
SOCKETIO = "socketio"  # the socketio baseline's server
PLOT = "matplotlib"  # --plot


def missing(modules: Iterable[str]) -> list[str]:
    """The distributions of `modules` that cannot be imported, in order, each once."""
    absent: list[str] = []
    for module in dict.fromkeys(modules):
        try:
            importlib.import_module(module)
        except ImportError:
            absent.append(DISTRIBUTIONS.get(module, module))
    return absent


def missing_extra(modules: Iterable[str], command: str = "roomcast bench") -> str | None:
    """None when every module imports, else the one-line message naming the extra to install."""
    absent = missing(modules)
    if not absent:
        return None
    return f'{command} needs the "bench" extra (missing {", ".join(absent)}): {INSTALL}'
