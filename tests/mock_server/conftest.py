"""In-process fixtures for the mock server's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from processor_tasks_mock.app import create_app
from processor_tasks_mock.seed import generate_tasks
from processor_tasks_mock.settings import Settings
from starlette.applications import Starlette


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture(scope="session")
def seeded(settings: Settings) -> list[dict[str, Any]]:
    """The seeded tasks, generated independently of the app (the oracle's input)."""
    return generate_tasks(settings.seed, settings.task_count)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c
