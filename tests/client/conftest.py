"""Fixtures for the client tests: a stub server on loopback and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from processor_tasks_client import AuthenticatedClient, RetryPolicy, _decode

from tests.client.stub_server import StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(stub: StubServer) -> Iterator[AuthenticatedClient]:
    """A token client on the stub; retries off so each test sees exactly its answers."""
    with AuthenticatedClient(base_url=stub.base_url, token="stub-token", retry=None) as c:
        yield c


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Retries with millisecond backoff, so retry tests stay fast."""
    return RetryPolicy(max_attempts=4, backoff_base=0.001, backoff_max=0.005, max_elapsed=5.0)


@pytest.fixture(params=["fast", "reference"])
def decoding_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test once on each path; the fast one must really be there (msgspec is pinned for tests)."""
    if request.param == "fast":
        assert _decode.FAST_AVAILABLE, "msgspec is pinned in requirements/dev.txt"
        monkeypatch.setattr(_decode, "FAST", True)
    else:
        monkeypatch.setattr(_decode, "FAST", False)
    yield request.param
