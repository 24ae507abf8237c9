"""The in-memory task store and the list semantics (filter, sort, page).

Semantics, all filters combining with AND:

* ``status``: equal to the task's ``status``;
* ``task_type``: equal to ``template.id``;
* ``source_type`` / ``source``: some entry of ``inputs`` or the ``data_source`` has that
  ``type`` / ``source``, compared exactly (when both are given, the same entry must match
  both);
* ``task_name``: literal substring of ``name`` under canonical caseless matching (NFD,
  case fold, NFD), so case and precomposed/decomposed forms do not matter; an empty value
  matches every task with a string ``name``;
* ``version_id``: the task's ``version_id`` is one of the given values (an empty list
  matches nothing);
* ``workspace_id``: equal to the task's ``workspace_id`` (the spec's default is ``"0"``; a
  task whose ``workspace_id`` is missing or null is in workspace ``"0"``);
* ``query_current``: when true, only tasks whose ``is_current`` is true.

Empty values are taken literally (the spec's operation description says so). Sorting is by
``sort_by`` then ``task_id``, both in ``order``, comparing strings by code point; a missing
or null sort value sorts before every present value (numbers before strings before
anything else). Page ``offset`` of size ``limit`` is
``matches[offset*limit:(offset+1)*limit]``; ``count`` is ``len(matches)``.

The sorted matches of the most recent queries are cached (filters and sort only, not the
page), because walking a large store page by page would otherwise filter and sort the whole
store once per page.

Tasks with a timeline (:mod:`processor_tasks_mock.lifecycle`) are brought up to the store's
clock before every read, and the cache is dropped whenever one of them changed, so that
filters and sorting see each task as it is at that moment.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from processor_tasks_mock.lifecycle import Lifecycle

Task = dict[str, Any]

# Each entry holds one reference per match (8 bytes a task: under 1 MB at 100,000 tasks),
# so a few dozen queries stay small next to the store itself.
MATCH_CACHE_SIZE = 32
# Fields that choose the page or trim the answer but not which tasks match or their order.
_PAGE_FIELDS = frozenset({"limit", "offset", "return_result"})


@dataclass(frozen=True)
class ListQuery:
    """The decoded parameters of a list call (defaults already applied by the validator)."""

    limit: int = 10
    offset: int = 0
    order: str = "desc"
    sort_by: str = "create_time"
    query_current: bool = False
    return_result: bool = True
    workspace_id: str = "0"
    status: int | None = None
    task_type: str | None = None
    source_type: str | None = None
    source: str | None = None
    task_name: str | None = None
    version_id: Sequence[str] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ListQuery:
        """Build from validated parameters; names that are not list filters are ignored."""
        known = set(cls.__dataclass_fields__)
        return cls(**{name: value for name, value in params.items() if name in known})


def _cache_key(project: str, query: ListQuery) -> tuple[Hashable, ...]:
    """What decides the sorted match list, in a form where equivalent queries are equal."""
    parts: list[Hashable] = [project]
    # Every field but the page ones, so that a filter added to ListQuery later is keyed too.
    for spec in dataclasses.fields(query):
        if spec.name in _PAGE_FIELDS:
            continue
        value = getattr(query, spec.name)
        if spec.name == "version_id" and value is not None:
            # Only membership is tested, so order and repeats do not matter; an empty list
            # (matches nothing) stays distinct from None (no filter).
            value = frozenset(value)
        elif spec.name == "task_name" and value is not None:
            value = caseless(value)
        parts.append((spec.name, value))
    return tuple(parts)


def caseless(text: str) -> str:
    """The form under which two texts match caselessly (Unicode canonical caseless matching).

    NFD first so that a decomposed letter folds like its precomposed twin, and again after
    folding because case folding can produce characters that decompose further.
    """
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())


def _sources(task: Task) -> list[Mapping[str, Any]]:
    entries: list[Mapping[str, Any]] = []
    inputs = task.get("inputs")
    if isinstance(inputs, list):
        entries.extend(entry for entry in inputs if isinstance(entry, dict))
    data_source = task.get("data_source")
    if isinstance(data_source, dict):
        entries.append(data_source)
    return entries


def matches(task: Task, query: ListQuery) -> bool:
    """Whether ``task`` passes every filter of ``query``."""
    # A task that does not say its workspace is in the default one.
    workspace = task.get("workspace_id")
    if (workspace if workspace is not None else "0") != query.workspace_id:
        return False
    if query.status is not None and task.get("status") != query.status:
        return False
    if query.task_type is not None:
        template = task.get("template")
        if not isinstance(template, dict) or template.get("id") != query.task_type:
            return False
    if (query.source_type is not None or query.source is not None) and not any(
        (query.source_type is None or entry.get("type") == query.source_type)
        and (query.source is None or entry.get("source") == query.source)
        for entry in _sources(task)
    ):
        return False
    if query.task_name is not None:
        name = task.get("name")
        if not isinstance(name, str) or caseless(query.task_name) not in caseless(name):
            return False
    if query.version_id is not None and task.get("version_id") not in query.version_id:
        return False
    return not (query.query_current and task.get("is_current") is not True)


def _sort_key(task: Task, sort_by: str) -> tuple[int, Any, str]:
    value = task.get(sort_by)
    # The leading rank keeps values of different JSON types apart so that they are never
    # compared with each other (a fixture may hold null next to numbers, and a sort field
    # the spec adds later may hold anything).
    if value is None:
        return (0, 0, task["task_id"])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (2, value, task["task_id"])
    if isinstance(value, str):
        return (3, value, task["task_id"])
    return (4, json.dumps(value, sort_keys=True), task["task_id"])


@dataclass
class TaskStore:
    """Tasks by project, read-only once built (tasks with a timeline follow the lifecycle's clock)."""

    projects: dict[str, list[Task]] = field(default_factory=dict)
    lifecycle: Lifecycle | None = None
    _by_id: dict[tuple[str, str], Task] = field(default_factory=dict, init=False, repr=False)
    # Tasks with a timeline: their record as given, and where they sit in their project's list.
    _bases: dict[tuple[str, str], Task] = field(default_factory=dict, init=False, repr=False)
    _places: dict[tuple[str, str], int] = field(default_factory=dict, init=False, repr=False)
    _matches: OrderedDict[tuple[Hashable, ...], list[Task]] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )
    # Guards the cache's bookkeeping only; uvicorn runs handlers on one loop, but in-process
    # users (tests, benchmarks) may share a store between threads.
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for project, tasks in self.projects.items():
            for task in tasks:
                self._by_id[(project, task["task_id"])] = task
        if self.lifecycle is not None:
            for key in self.lifecycle.timelines:
                project, task_id = key
                if key not in self._by_id:
                    # A timeline for a task the store lacks brings the task along.
                    task = {"task_id": task_id}
                    self.projects.setdefault(project, []).append(task)
                    self._by_id[key] = task
                tasks = self.projects[project]
                self._places[key] = next(i for i, t in enumerate(tasks) if t["task_id"] == task_id)
                self._bases[key] = dict(self._by_id[key])
            self._refresh()

    def _refresh(self) -> None:
        """Bring the tasks that have a timeline up to the clock; drop the cache if one changed."""
        if self.lifecycle is None:
            return
        with self._lock:
            changed = False
            for key, steps in self.lifecycle.timelines.items():
                now = self.lifecycle.view(self._bases[key], steps)
                if now != self._by_id[key]:
                    self._by_id[key] = now
                    self.projects[key[0]][self._places[key]] = now
                    changed = True
            if changed:
                self._matches.clear()

    @classmethod
    def single(cls, project: str, tasks: Iterable[Task], lifecycle: Lifecycle | None = None) -> TaskStore:
        """A store in which only ``project`` has tasks (and the timelines of ``lifecycle``)."""
        return cls(projects={project: list(tasks)}, lifecycle=lifecycle)

    def tasks(self, project: str) -> list[Task]:
        """Every task of a project, in store order (unknown projects have none)."""
        self._refresh()
        return self.projects.get(project, [])

    def get(self, project: str, task_id: str) -> Task | None:
        """One task (a shallow copy: nested values are shared and must not be changed), or None."""
        self._refresh()
        task = self._by_id.get((project, task_id))
        return dict(task) if task is not None else None

    def sorted_matches(self, project: str, query: ListQuery) -> list[Task]:
        """Every task of ``project`` that ``query`` matches, in its order (shared: do not change)."""
        self._refresh()
        key = _cache_key(project, query)
        try:
            hash(key)
        except TypeError:
            # A filter whose value is unhashable (a list-valued filter added to the spec
            # later) is still answered, just not cached.
            return self._sorted_matches_uncached(project, query)
        with self._lock:
            found = self._matches.get(key)
            if found is not None:
                self._matches.move_to_end(key)
                return found
        # Computed outside the lock: two threads asking the same new query both compute it,
        # which is harmless, rather than one waiting on the other's whole-store sort.
        found = self._sorted_matches_uncached(project, query)
        with self._lock:
            self._matches[key] = found
            self._matches.move_to_end(key)
            while len(self._matches) > MATCH_CACHE_SIZE:
                self._matches.popitem(last=False)
        return found

    def _sorted_matches_uncached(self, project: str, query: ListQuery) -> list[Task]:
        found = [task for task in self.tasks(project) if matches(task, query)]
        found.sort(key=lambda task: _sort_key(task, query.sort_by), reverse=query.order == "desc")
        return found

    def list(self, project: str, query: ListQuery) -> tuple[int, list[Task]]:
        """(number of all matches, shallow copies of the tasks on the requested page)."""
        found = self.sorted_matches(project, query)
        start = query.offset * query.limit
        # Shallow copies suffice: answers only drop top-level keys, and deep copies were most
        # of the cost of a list call.
        page = [dict(task) for task in found[start : start + query.limit]]
        if not query.return_result:
            for task in page:
                task.pop("result", None)
        return len(found), page
