"""Fault injection, in-process: each mode by first-N and by rate, deterministic for a seed."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest
from mock_helpers import LIST, TOKEN
from processor_tasks_mock.app import create_app
from processor_tasks_mock.faults import DroppedConnection
from processor_tasks_mock.settings import FaultSettings, Settings


def client_for(faults: FaultSettings) -> httpx.AsyncClient:
    app = create_app(Settings(faults=faults))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def statuses(client: httpx.AsyncClient, n: int) -> list[int | str]:
    seen: list[int | str] = []
    for _ in range(n):
        try:
            seen.append((await client.get(LIST, headers=TOKEN)).status_code)
        except DroppedConnection:
            seen.append("drop")
    return seen


async def test_faults_are_off_by_default() -> None:
    assert not FaultSettings().enabled
    async with client_for(FaultSettings()) as client:
        assert await statuses(client, 20) == [200] * 20


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (FaultSettings(throttle_first_n=2), [429, 429, 200, 200]),
        (FaultSettings(unavailable_first_n=1), [503, 200, 200, 200]),
        (FaultSettings(drop_first_n=3), ["drop", "drop", "drop", 200]),
        # Precedence: drop, then 503, then 429, on the same request counter.
        (FaultSettings(drop_first_n=1, unavailable_first_n=2, throttle_first_n=3), ["drop", 503, 429, 200]),
    ],
)
async def test_first_n(faults: FaultSettings, expected: list[int | str]) -> None:
    async with client_for(faults) as client:
        assert await statuses(client, len(expected)) == expected


async def test_throttle_answer_has_retry_after_and_error_body() -> None:
    async with client_for(FaultSettings(throttle_first_n=1, retry_after_seconds=7)) as client:
        answer = await client.get(LIST, headers=TOKEN)
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "7"
    assert answer.headers["x-request-id"]
    assert answer.json()["error_code"] == "ModelArts.2799"


async def test_unavailable_answer_has_error_body() -> None:
    async with client_for(FaultSettings(unavailable_first_n=1)) as client:
        answer = await client.get(LIST, headers=TOKEN)
    assert answer.status_code == 503 and answer.headers["x-request-id"]
    assert set(answer.json()) == {"error_code", "error_msg"}


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        (FaultSettings(throttle_rate=0.3, seed=5), 429),
        (FaultSettings(unavailable_rate=0.3, seed=5), 503),
        (FaultSettings(drop_rate=0.3, seed=5), "drop"),
    ],
)
async def test_rate_is_roughly_the_rate_and_repeatable(faults: FaultSettings, kind: int | str) -> None:
    async with client_for(faults) as client:
        first = await statuses(client, 120)
    async with client_for(faults) as client:
        second = await statuses(client, 120)
    assert first == second
    assert set(first) == {200, kind}
    assert 15 <= Counter(first)[kind] <= 60  # 36 expected
    async with client_for(FaultSettings(**{**faults.__dict__, "seed": 6})) as client:
        assert await statuses(client, 120) != first


async def test_latency_first_n_and_rate() -> None:
    async with client_for(FaultSettings(latency_ms=80, latency_first_n=1)) as client:
        start = time.perf_counter()
        assert (await client.get(LIST, headers=TOKEN)).status_code == 200
        slow = time.perf_counter() - start
        start = time.perf_counter()
        await client.get(LIST, headers=TOKEN)
        fast = time.perf_counter() - start
    assert slow >= 0.08 > fast
    async with client_for(FaultSettings(latency_ms=30, latency_rate=1.0)) as client:
        start = time.perf_counter()
        await statuses(client, 3)
        assert time.perf_counter() - start >= 0.09


async def test_spec_documents_are_never_faulted_nor_counted() -> None:
    async with client_for(FaultSettings(unavailable_first_n=1, drop_rate=0.0)) as client:
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get(LIST, headers=TOKEN)).status_code == 503


@pytest.mark.parametrize(
    "bad",
    [{"drop_rate": 1.5}, {"throttle_rate": -0.1}, {"latency_ms": -1}, {"drop_first_n": -2}],
)
def test_out_of_range_fault_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultSettings(**bad)  # type: ignore[arg-type]
