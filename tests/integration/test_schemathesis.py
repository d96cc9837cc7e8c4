"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis).

Bad input must never yield a 5xx, and whatever the server answers must match what it
documents. Cases come from the live server's /openapi.json; they carry a real token and,
half of the time, the id of a real room (and of a real member) so that they get past the
404 of an unknown room and exercise the deeper code. Bounded: no shrinking, a few examples
per operation and mode.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import LiveServer

MAX_EXAMPLES = int(os.environ.get("ROOMCAST_FUZZ_EXAMPLES", "15"))


def fuzz(base_url: str, token: str, known: dict[str, str]) -> tuple[list[str], dict[str, set[int]]]:
    """Run every operation of the schema: the failures found, and the statuses seen per operation."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=10)
    session = requests.Session()
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    operation_label = ""

    def property_test(strategy: st.SearchStrategy[Any], checks: list[Any]) -> Callable[[], None]:
        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(base_url=base_url, session=session, headers=auth, timeout=15)
            statuses.setdefault(operation_label, set()).add(response.status_code)
            case.validate_response(response, checks=checks)

        return run

    for result in schema.get_all_operations():
        operation = result.ok()
        operation_label = operation.label
        path_parameters = {name: value for name, value in known.items() if f"{{{name}}}" in operation.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if path_parameters:
                strategy = st.one_of(strategy, operation.as_strategy(mode, path_parameters=path_parameters))
            checks: list[Any] = [not_a_server_error]
            if mode is GenerationMode.POSITIVE:
                checks.append(response_schema_conformance)
            try:
                property_test(strategy, checks)()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing there to make invalid
            except Exception as exc:
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    return failures, statuses


async def test_the_api_never_answers_5xx_and_matches_its_schema(
    start_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    server = await start_server(MESSAGE_RATE_LIMIT=100_000)
    alice, bob = await server.user(), await server.user()
    room = await server.room(alice, bob, is_private=True)
    for i in range(3):
        assert (await server.post(bob, room["id"], f"@{alice.username} message {i}")).status_code == 201
    await asyncio.wait_for(server.services.notifier.flush(), 5)
    notification = (await server.http.get("/api/notifications", headers=alice.headers)).json()[0]  # type: ignore[union-attr]
    known = {"room_id": room["id"], "user_id": bob.id, "notification_id": notification["id"]}

    failures, statuses = await asyncio.to_thread(fuzz, server.base_url, alice.token, known)

    assert not failures, "\n\n".join(failures)
    assert len(statuses) >= 20  # every operation was exercised ...
    succeeded = {label for label, seen in statuses.items() if any(200 <= code < 300 for code in seen)}
    assert len(succeeded) >= 15, statuses  # ... and most of them past authentication and lookups
    health = await server.http.get("/health")  # type: ignore[union-attr]
    assert health.json()["status"] == "ok"
