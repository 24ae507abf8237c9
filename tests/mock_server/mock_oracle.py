"""A brute-force, deliberately naive restatement of the list semantics (issue 3), for comparison."""

from __future__ import annotations

import unicodedata
from typing import Any


def _caseless(text: str) -> str:
    # The spec's task_name rule: canonical caseless matching, NFD(casefold(NFD(text))).
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())


def expected_ids(tasks: list[dict[str, Any]], **filters: Any) -> set[str]:
    chosen = set()
    for task in tasks:
        workspace = task.get("workspace_id")
        if (workspace if workspace is not None else "0") != filters.get("workspace_id", "0"):
            continue
        if "status" in filters and task.get("status") != filters["status"]:
            continue
        if "task_type" in filters and (task.get("template") or {}).get("id") != filters["task_type"]:
            continue
        channels = list(task.get("inputs") or [])
        if task.get("data_source"):
            channels.append(task["data_source"])
        if "source_type" in filters or "source" in filters:
            wanted_type = filters.get("source_type")
            wanted_source = filters.get("source")
            hit = [
                c
                for c in channels
                if (wanted_type is None or c.get("type") == wanted_type)
                and (wanted_source is None or c.get("source") == wanted_source)
            ]
            if not hit:
                continue
        if "task_name" in filters and (
            not isinstance(task.get("name"), str) or _caseless(filters["task_name"]) not in _caseless(task["name"])
        ):
            continue
        if "version_id" in filters and task.get("version_id") not in filters["version_id"]:
            continue
        if filters.get("query_current") and not task.get("is_current"):
            continue
        chosen.add(task["task_id"])
    return chosen
