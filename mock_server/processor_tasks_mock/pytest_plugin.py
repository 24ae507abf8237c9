"""pytest plugin (entry point ``pytest11``): the mock as fixtures for a consumer's test suite.

Installed with the ``processor-tasks-mock`` distribution, it is active in every pytest run of
that environment and adds:

``processor_tasks_mock``
    A :class:`~processor_tasks_mock.testing.MockHandle` served in-process (ASGI transport,
    no socket; fast). Use ``handle.client()``, ``handle.async_client()`` or
    ``handle.processor_tasks()`` for clients wired to it.
``processor_tasks_mock_server``
    The same handle, served by uvicorn on a free 127.0.0.1 port (real HTTP end to end);
    ``handle.base_url`` and ``handle.env()`` point other code, even another process, at it.
``processor_tasks_client``
    A ready sync ``AuthenticatedClient`` (token) on the in-process mock.

Each test gets a fresh mock. Mark a test ``@pytest.mark.processor_tasks_mock(**settings)``
to configure it with :class:`~processor_tasks_mock.settings.Settings` fields (``seed``,
``task_count``, ``project``, ``tokens``, ``aksk``, ...) or ``fixture=Path`` (a JSON task file;
a relative path is read from the test file's folder, not pytest's working directory). A
fixture that names its project makes it the handle's ``project_id``; a ``project=`` that
disagrees with it is refused (FixtureError). The default credentials follow the project,
exactly as with the ``processor-tasks-mock`` console script.

The fixtures are synchronous; ``async def`` tests that use them need an async test plugin
(pytest-asyncio, or anyio's ``@pytest.mark.anyio``). The handed-out clients need the
generated client installed beside the mock (else ``ClientNotInstalledError``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from processor_tasks_mock.settings import Settings
from processor_tasks_mock.testing import MockHandle, in_process, serving

if TYPE_CHECKING:
    from processor_tasks_client import AuthenticatedClient

MARKER = "processor_tasks_mock"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that ``--strict-markers`` suites accept it."""
    config.addinivalue_line("markers", f"{MARKER}(**settings): configure the processor-tasks mock for this test")


def _options(request: pytest.FixtureRequest) -> tuple[Settings, Path | None]:
    marker = request.node.get_closest_marker(MARKER)
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    fixture = kwargs.pop("fixture", None)
    # A path written in a test file is read as relative to that file, as `open()` in the test
    # would not be: pytest may be started from the repository root, a subfolder or an IDE.
    # An absolute path stays as it is (joining onto an absolute path yields that path).
    path = request.path.parent / Path(fixture) if fixture is not None else None
    return Settings(**kwargs), path


@pytest.fixture
def processor_tasks_mock(request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    """The mock in-process: seed it, fault it, read back requests, get clients from it."""
    settings, fixture = _options(request)
    with in_process(settings, fixture=fixture) as handle:
        yield handle


@pytest.fixture
def processor_tasks_mock_server(request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    """The mock over real HTTP on 127.0.0.1, with the same handle."""
    settings, fixture = _options(request)
    with serving(settings, fixture=fixture) as handle:
        yield handle


@pytest.fixture
def processor_tasks_client(processor_tasks_mock: MockHandle) -> AuthenticatedClient:
    """A sync client with the mock's token, wired to the in-process mock."""
    return processor_tasks_mock.client()
