"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from processor_tasks_mock.process import running_mock_server


@pytest.fixture(scope="session")
def mock_server_url() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of ``python -m processor_tasks_mock`` run as a separate process.

    Default settings: token ``mock-token`` for project ``mock-project``, AK/SK ``MOCKAK``/``MOCKSK``,
    no faults. The process is started once per session, on a free loopback port, after it
    answers, and is terminated at the end. For other settings use
    ``processor_tasks_mock.process.running_mock_server(env)`` directly.
    """
    with running_mock_server() as url:
        yield url
