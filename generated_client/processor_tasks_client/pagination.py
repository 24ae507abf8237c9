# Copied from generator/runtime/pagination.py by generator/regenerate.py. Do not edit here: edit the source.
"""Lazy page walking for list operations that declare ``x-pagination`` in the spec.

The generated ``iter_pages``/``iter_items`` functions (and their async twins) of a paged
operation call :func:`walk_pages` with a function that fetches one page by index. Pages
are fetched one at a time as the caller consumes them, and nothing is kept, so memory
stays flat however many tasks the walk covers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

from .types import Unset

P = TypeVar("P")
T = TypeVar("T")

__all__ = ["awalk_pages", "walk_pages"]


class _Progress:
    """Decides after each page whether another one can hold more matches."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"page size must be at least 1, got {limit}")
        self.limit = limit
        self.seen = 0

    def more_after(self, items: Sequence[object], total: int | Unset | None) -> bool:
        self.seen += len(items)
        if len(items) < self.limit:
            return False  # a short (or empty) page is the last one
        return not (isinstance(total, int) and self.seen >= total)


def walk_pages(
    fetch: Callable[[int], P],
    *,
    items: Callable[[P], Sequence[T]],
    total: Callable[[P], int | Unset | None],
    limit: int,
    first_page: int,
) -> Iterator[P]:
    """Yield pages ``first_page``, ``first_page + 1``, ... until a short page or ``total`` items."""
    progress = _Progress(limit)
    index = first_page
    while True:
        page = fetch(index)
        yield page
        if not progress.more_after(items(page), total(page)):
            return
        index += 1


async def awalk_pages(
    fetch: Callable[[int], Awaitable[P]],
    *,
    items: Callable[[P], Sequence[T]],
    total: Callable[[P], int | Unset | None],
    limit: int,
    first_page: int,
) -> AsyncIterator[P]:
    """Async counterpart of :func:`walk_pages`."""
    progress = _Progress(limit)
    index = first_page
    while True:
        page = await fetch(index)
        yield page
        if not progress.more_after(items(page), total(page)):
            return
        index += 1
