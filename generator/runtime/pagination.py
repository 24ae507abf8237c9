"""Lazy page walking for list operations that declare ``x-pagination`` in the spec.

The generated ``iter_pages``/``iter_items`` functions (and their async twins) of a paged
operation call :func:`walk_pages` with a function that fetches one page by index. Pages
are fetched one at a time as the caller consumes them and are not kept.

Pages are addressed by index over a list that can change while it is walked: a task
created or deleted meanwhile shifts every later page by one, so an item can come twice or
be skipped. The walk therefore

- never yields an item twice: it remembers the key of every item it yielded (a 64-bit
  hash each, in one flat array, so that 100,000 items cost about 2 MB) and removes
  repeats from the pages it hands out;
- says when it cannot vouch for having seen every item: the total changed between
  pages, a page repeated items already seen, or the walk ended short of the total. That
  is a WARNING through ``logging.getLogger("processor_tasks_client")``, or a
  :class:`~processor_tasks_client.errors.PagingError` in a strict walk;
- stops with :class:`~processor_tasks_client.errors.PagingError` when the server answers
  the same page again for the next index (it ignores the page parameter: the walk would
  never end), or when two pages in a row hold nothing new.

A walk that stops on an error says where: the error's ``page`` is the index of the page
it could not get (and a note says so), and ``start_page=`` begins a new walk there. The
new walk does not know what the old one yielded, so a list that changed in between can
repeat or skip items across the two.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from .errors import PagingError, ProcessorTasksError
from .types import Unset

P = TypeVar("P")
T = TypeVar("T")

__all__ = ["apinned", "awalk_pages", "pinned", "walk_pages"]

_log = logging.getLogger("processor_tasks_client")

# Pages in a row holding only items already seen after which the walk gives up: one such
# page can be a burst of new tasks shifting the list; two mean the walk is not advancing.
_STALE_PAGES = 2


class _SeenKeys:
    """The set of item keys a walk has yielded, as 64-bit hashes in an open-addressing table.

    A ``set`` of task_id strings costs about 100 bytes per item; this costs 16 to 32.
    Two distinct keys whose hashes collide (odds about n²/2⁶⁵, 3·10⁻¹⁰ for 100,000
    items) would make the second look like a repeat.
    """

    def __init__(self) -> None:
        self._slots = array("q", [0]) * 1024
        self._mask = len(self._slots) - 1
        self._count = 0

    def add(self, key: Hashable) -> bool:
        """Record ``key``; False when it was already there."""
        code = hash(key) or 1  # 0 marks an empty slot
        slots, mask = self._slots, self._mask
        index = code & mask
        while True:
            held = slots[index]
            if held == 0:
                slots[index] = code
                self._count += 1
                if 2 * self._count > mask:
                    self._grow()
                return True
            if held == code:
                return False
            index = (index + 1) & mask

    def _grow(self) -> None:
        old = self._slots
        self._slots = array("q", [0]) * (2 * len(old))  # repeated in place: no bytes object in between
        self._mask = len(self._slots) - 1
        self._count = 0
        for code in old:
            if code:
                self._insert(code)

    def _insert(self, code: int) -> None:
        slots, mask = self._slots, self._mask
        index = code & mask
        while slots[index]:
            index = (index + 1) & mask
        slots[index] = code
        self._count += 1


class _Walk(Generic[T]):
    """Decides, page by page, what is new, what to warn about and whether to go on."""

    def __init__(self, limit: int, key: Callable[[T], Hashable], strict: bool) -> None:
        if limit < 1:
            raise ValueError(f"page size must be at least 1, got {limit}")
        self.limit = limit
        self._key = key
        self._strict = strict
        self._seen = _SeenKeys()
        self._yielded = 0
        self._total: int | None = None
        self._previous: list[Hashable] | None = None
        self._stale = 0

    def fresh(self, index: int, items: Sequence[T], total: int | Unset | None) -> list[T] | None:
        """The items of page ``index`` not yielded before; None when all of them are new."""
        keys = [self._key(item) for item in items]
        if keys and keys == self._previous:
            raise PagingError(
                index,
                f"page {index} holds exactly the items of page {index - 1}: the server seems to ignore "
                "the page index, and the walk would never end",
            )
        self._previous = keys
        if isinstance(total, int) and not isinstance(total, bool):
            if self._total is not None and total != self._total:
                self._unsure(index, f"the total changed from {self._total} to {total} during the walk")
            self._total = total
        new = [item for item, key in zip(items, keys, strict=True) if self._seen.add(key)]
        self._yielded += len(new)
        repeats = len(items) - len(new)
        if not repeats:
            self._stale = 0
            return None
        if new:
            self._stale = 0
            self._unsure(index, f"page {index} repeated {repeats} item(s) already yielded (left out)")
        else:
            self._stale += 1
            if self._stale >= _STALE_PAGES:
                raise PagingError(
                    index, f"{self._stale} pages in a row hold only items already yielded; the walk is not advancing"
                )
            self._unsure(index, f"page {index} holds only items already yielded (left out)")
        return new

    def more_after(self, index: int, page_size: int) -> bool:
        """Whether a page follows page ``index``, which held ``page_size`` items as sent."""
        if page_size < self.limit:
            if self._total is not None and self._yielded < self._total:
                self._unsure(index, f"the walk ended after {self._yielded} of the {self._total} items counted")
            return False  # a short (or empty) page is the last one
        return not (self._total is not None and self._yielded >= self._total)

    def _unsure(self, index: int, reason: str) -> None:
        if self._strict:
            raise PagingError(index, f"{reason}; the list changed while it was walked")
        _log.warning(
            "page walk may have missed items: %s; the list changed while it was walked",
            reason,
            extra={"page": index, "reason": reason},
        )


def _stopped_at(error: ProcessorTasksError, index: int) -> None:
    # The caller learns where the walk ended and how to go on, whatever ended it.
    error.page = index
    error.add_note(f"the page walk stopped at page {index}; pass start_page={index} to go on from there")


def _admit(walk: _Walk[T], index: int, page: P, items: str, total: Callable[[P], int | Unset | None]) -> bool:
    """Strip repeats from ``page`` in place; whether another page follows it."""
    listed: Sequence[T] = getattr(page, items)
    new = walk.fresh(index, listed, total(page))
    if new is not None:
        setattr(page, items, new)
    return walk.more_after(index, len(listed))


def walk_pages(
    fetch: Callable[[int], P],
    *,
    items: str,
    key: Callable[[Any], Hashable],
    total: Callable[[P], int | Unset | None],
    limit: int,
    first_page: int,
    strict: bool = False,
) -> Iterator[P]:
    """Yield pages ``first_page``, ``first_page + 1``, ... until a short page or ``total`` items.

    ``items`` names the page attribute that lists the items; a yielded page lists only the
    items not yielded before (identified by ``key``). ``strict`` turns every warning about
    possibly missed items into a PagingError.
    """
    walk: _Walk[Any] = _Walk(limit, key, strict)
    index = first_page
    while True:
        try:
            page = fetch(index)
        except ProcessorTasksError as error:
            _stopped_at(error, index)
            raise
        more = _admit(walk, index, page, items, total)
        yield page
        if not more:
            return
        index += 1


async def awalk_pages(
    fetch: Callable[[int], Awaitable[P]],
    *,
    items: str,
    key: Callable[[Any], Hashable],
    total: Callable[[P], int | Unset | None],
    limit: int,
    first_page: int,
    strict: bool = False,
) -> AsyncIterator[P]:
    """Async counterpart of :func:`walk_pages`."""
    walk: _Walk[Any] = _Walk(limit, key, strict)
    index = first_page
    while True:
        try:
            page = await fetch(index)
        except ProcessorTasksError as error:
            _stopped_at(error, index)
            raise
        more = _admit(walk, index, page, items, total)
        yield page
        if not more:
            return
        index += 1


def _replaced(index: int) -> PagingError:
    return PagingError(
        index,
        f"the client was replaced during the walk, which would have gone on with the old one; pass "
        f"start_page={index} to go on with the new client (to rotate credentials without a new client, "
        "give it a credential provider: credentials=)",
    )


def pinned(pages: Iterator[P], client: Callable[[], object], first: object, start_page: int) -> Iterator[P]:
    """``pages``, stopped with PagingError before the next page once ``client()`` is not ``first``.

    A facade's walk is bound to the client it started with; one replaced meanwhile
    (``facade.client = new``) would otherwise be ignored without a word.
    """
    index = start_page
    try:
        while True:
            if client() is not first:
                raise _replaced(index)
            try:
                page = next(pages)
            except StopIteration:
                return
            yield page
            index += 1
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


async def apinned(
    pages: AsyncIterator[P], client: Callable[[], object], first: object, start_page: int
) -> AsyncIterator[P]:
    """Async counterpart of :func:`pinned`."""
    index = start_page
    try:
        while True:
            if client() is not first:
                raise _replaced(index)
            try:
                page = await anext(pages)
            except StopAsyncIteration:
                return
            yield page
            index += 1
    finally:
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()
