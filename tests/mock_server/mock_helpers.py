"""Helpers shared by the mock server's tests."""

from __future__ import annotations

from typing import Any

import httpx

PROJECT = "mock-project"
TOKEN = {"X-Auth-Token": "mock-token"}
LIST = f"/v2/{PROJECT}/processor-tasks"


async def list_all(
    client: httpx.AsyncClient, params: dict[str, Any], limit: int = 100
) -> tuple[int, list[dict[str, Any]]]:
    """Walk every page; check count is the same on each; return (count, every task in order)."""
    tasks: list[dict[str, Any]] = []
    counts = set()
    offset = 0
    while True:
        answer = await client.get(LIST, params={**params, "limit": limit, "offset": offset}, headers=TOKEN)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        counts.add(body["count"])
        tasks.extend(body["tasks"])
        if len(body["tasks"]) < limit:
            break
        offset += 1
    assert len(counts) == 1, counts
    return counts.pop(), tasks
