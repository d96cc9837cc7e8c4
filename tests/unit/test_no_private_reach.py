"""roomcast uses its servers' public interfaces only: any uvicorn or Starlette release may change
the rest. Fails on a private name imported from them, on reaching into a bound method's object
or a server's private attributes, and on replacing a library's attribute (a monkeypatch)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "roomcast"
LIBRARIES = ("uvicorn", "starlette", "fastapi", "websockets")
MODULES = sorted(SOURCE.rglob("*.py"))


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_no_private_name_of_a_server_library_is_used(path: Path) -> None:
    found = violations(path)
    assert not found, f"{path.relative_to(SOURCE)}: " + "; ".join(found)


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    imported: dict[str, str] = {}  # local name -> library module it came from
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in LIBRARIES:
            if _private(node.module):
                found.append(f"line {node.lineno}: from {node.module} import ...")
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"line {node.lineno}: imports {alias.name} from {node.module}")
                imported[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in LIBRARIES:
                    if _private(alias.name):
                        found.append(f"line {node.lineno}: import {alias.name}")
                    imported[(alias.asname or alias.name).split(".")[0]] = alias.name
        elif isinstance(node, ast.Attribute) and node.attr == "__self__":
            found.append(f"line {node.lineno}: reads a bound method's __self__")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in ("__self__", "transport", "receive", "_server", "client_state")
        ):
            found.append(f"line {node.lineno}: {node.func.id}(..., {node.args[1].value!r}) on a server's object")
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root(target) in imported:
                    found.append(f"line {node.lineno}: assigns to an attribute of {imported[_root(target)]}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _root(node) in imported and _private(node.attr):
            found.append(f"line {node.lineno}: reads {node.attr} of {imported[_root(node)]}")
    return found


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def test_the_check_sees_what_it_forbids(tmp_path: Path) -> None:
    """The test above would fail on the patterns the transport replaced."""
    offending = tmp_path / "offending.py"
    offending.write_text(
        "from uvicorn.supervisors import multiprocess\n"
        "from uvicorn.protocols.websockets.websockets_sansio_impl import _private\n"
        "multiprocess.Process = object\n"
        "owner = print.__self__\n"
        "transport = getattr(owner, 'transport', None)\n"
    )
    message = "; ".join(violations(offending))
    assert "imports _private" in message
    assert "assigns to an attribute of uvicorn.supervisors" in message
    assert "__self__" in message
    assert "getattr(..., 'transport')" in message
