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
``task_count``, ``project``, ``tokens``, ``aksk``, ...), ``fixture=PATH`` (a JSON task file)
or ``lifecycle_path=PATH`` (a JSON file of task timelines, as ``--lifecycle``; they run on
the handle's clock). A relative path in either is read from the test file's folder, not
pytest's working directory. A fixture that names its project makes it the handle's
``project_id``; a ``project=`` that disagrees with it, ``mock-project`` included, is
refused (FixtureError). The default credentials follow the project, exactly as with the
``processor-tasks-mock`` console script. A file that is missing or does not follow the
contract makes the test error at setup with a FixtureError (LifecycleError for timelines)
naming the test, the file and the problem.

The fixtures are synchronous; ``async def`` tests that use them need an async test plugin
(pytest-asyncio, or anyio's ``@pytest.mark.anyio``). The handed-out clients need the
generated client installed beside the mock (else ``ClientNotInstalledError``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from processor_tasks_mock.fixtures import FixtureError
from processor_tasks_mock.settings import Settings, SettingsError
from processor_tasks_mock.testing import MockHandle, in_process, serving

if TYPE_CHECKING:
    from processor_tasks_client import AuthenticatedClient

MARKER = "processor_tasks_mock"
# Marker arguments that name files: read from the test file's folder.
PATH_ARGUMENTS = ("fixture", "lifecycle_path")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that ``--strict-markers`` suites accept it."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixture=PATH, lifecycle_path=PATH, project=..., **settings): configure the processor-tasks "
        "mock for this test; fixture= is a JSON task file, lifecycle_path= a JSON file of task timelines (both "
        "read from the test file's folder when relative), the rest are processor_tasks_mock.settings.Settings "
        "fields",
    )


def _options(request: pytest.FixtureRequest) -> tuple[Settings, Path | None]:
    marker = request.node.get_closest_marker(MARKER)
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    for name in PATH_ARGUMENTS:
        value = kwargs.get(name)
        if value is None:
            continue
        if not isinstance(value, str | PathLike):
            raise SettingsError(f"{_where(request)}: {name}= must be a path (str or Path), got {value!r}")
        # A path written in a test file is read as relative to that file, as `open()` in the
        # test would not be: pytest may be started from the repository root, a subfolder or
        # an IDE. An absolute path stays as it is (joining onto one yields that path).
        kwargs[name] = request.path.parent / Path(value)
    fixture = kwargs.pop("fixture", None)
    return Settings(**kwargs), fixture


def _where(request: pytest.FixtureRequest) -> str:
    return f"@pytest.mark.{MARKER} on {request.node.nodeid}"


@contextmanager
def _named_by_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Errors of the marker's configuration as one line that names the test, not a traceback through the mock."""
    try:
        yield
    except (FixtureError, SettingsError) as exc:
        # Same type, so `pytest.raises(FixtureError)` and `except LifecycleError` still match;
        # `from None` keeps the report to the message, which already names the file.
        raise type(exc)(f"{_where(request)}: {exc}") from None


@pytest.fixture
def processor_tasks_mock(request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    """The mock in-process: seed it, fault it, read back requests, get clients from it."""
    with ExitStack() as stack:
        with _named_by_marker(request):
            settings, fixture = _options(request)
            handle = stack.enter_context(in_process(settings, fixture=fixture))
        yield handle


@pytest.fixture
def processor_tasks_mock_server(request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    """The mock over real HTTP on 127.0.0.1, with the same handle."""
    with ExitStack() as stack:
        with _named_by_marker(request):
            settings, fixture = _options(request)
            handle = stack.enter_context(serving(settings, fixture=fixture))
        yield handle


@pytest.fixture
def processor_tasks_client(processor_tasks_mock: MockHandle) -> AuthenticatedClient:
    """A sync client with the mock's token, wired to the in-process mock."""
    return processor_tasks_mock.client()
