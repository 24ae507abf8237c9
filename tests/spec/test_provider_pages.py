"""Optional: provider_facts.yaml against the provider's own pages, where a copy is at hand.

The repository carries the facts as data (tests/spec/provider_facts.yaml) and the spec tests
compare against that; these tests only re-derive the facts from the pages, to catch a typo
when the data is written or refreshed. Two copies are looked for:

- `MODELARTS_DOCS`: a checkout of the provider's documentation repository (the one named in
  provider_facts.yaml, at its revision). Every fact is checked, error codes and example
  requests included.
- `PROVIDER_SEEDS`: a folder holding the two pages as reStructuredText
  (`list-processor-tasks.rst`, `describe-processor-task.rst`), such as the seed copies on the
  project's development machine. They are an OLDER revision of the two pages. Only the facts that did not change between the revisions are
  checked: names, types, values, defaults, ranges and statuses.

Both are named explicitly: nothing here looks outside the repository on its own, so a plain
clone reads only its own files. Without either, the tests skip and say what to set. The skip is not the check:
tests/spec/test_spec_facts.py always runs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.spec import provider_facts
from tests.spec.provider_facts import Facts, Field

FACTS = provider_facts.load()
SEEDS = Path(os.environ["PROVIDER_SEEDS"]) if os.environ.get("PROVIDER_SEEDS") else None
SEED_FILES = {"list": "list-processor-tasks.rst", "describe": "describe-processor-task.rst"}


def _copies() -> list[Any]:
    found: list[Any] = []
    docs = os.environ.get("MODELARTS_DOCS")
    if docs:
        pages = {key: Path(docs) / page["path"] for key, page in FACTS.pages.items()}
        found.append(pytest.param(pages, True, id="provider-docs"))
    else:
        found.append(
            pytest.param(
                {},
                True,
                id="provider-docs",
                marks=pytest.mark.skip(
                    reason=f"set MODELARTS_DOCS to a checkout of {FACTS.repository} at {FACTS.revision[:7]} to check the facts against its pages"
                ),
            )
        )
    if SEEDS is not None and SEEDS.is_dir():
        found.append(pytest.param({k: SEEDS / f for k, f in SEED_FILES.items()}, False, id="shared-seeds"))
    else:
        found.append(
            pytest.param(
                {},
                False,
                id="shared-seeds",
                marks=pytest.mark.skip(
                    reason=f"set PROVIDER_SEEDS to a folder with {' and '.join(SEED_FILES.values())} to check the facts against them"
                    if SEEDS is None
                    else f"PROVIDER_SEEDS={SEEDS} is not a folder"
                ),
            )
        )
    return found


# --- reading rst grid tables ---------------------------------------------------------------


def table(rst: str, title: str) -> dict[str, list[str]]:
    """Rows of the grid table whose title ends with `title` (case-insensitive): name -> cells."""
    match = re.search(r"\.\. table:: \*\*Table \d+\*\* " + re.escape(title) + r"\s*\n", rst, re.IGNORECASE)
    assert match, f"no table {title!r}"
    rows: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in rst[match.end() :].splitlines():
        line = raw.strip()
        if not line:
            if rows:
                break
            continue
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0]:
            current = rows.setdefault(cells[0], [""] * (len(cells) - 1))
        if current is not None:
            for i, cell in enumerate(cells[1:]):
                current[i] += "\n" + cell
    rows.pop("Parameter", None)
    return rows


def provider_type(cell: str) -> str:
    text = " ".join(cell.split())
    ref = re.search(r"`(\w+) <[^>]*>`(?:__)? objects?", text)
    if ref:
        return f"Array of {ref.group(1)}" if text.startswith("Array of") else ref.group(1)
    return text


def typed(value: str, type_name: str) -> Any:
    if type_name in ("Integer", "Long"):
        return int(value)
    if type_name == "Boolean":
        return value == "true"
    return value


def field_from_page(name: str, type_cell: str, description: str, mandatory: str | None) -> Field:
    type_name = provider_type(type_cell)
    text = " ".join(description.split())
    bullets = re.findall(r"- \*\*(\w+)\*\*:([^-]*)", text)
    values = tuple(typed(v, type_name) for v, _ in bullets) or None
    default: Any = None
    has_default = False
    for value, rest in bullets:
        if "default value" in rest.lower():
            default, has_default = typed(value, type_name), True
    if stated := re.search(r"default value is \*\*(\w+)\*\*", text):
        default, has_default = typed(stated.group(1), type_name), True
    minimum = maximum = min_length = max_length = None
    if limits := re.search(r"ranges from (\d+) to (\d+)", text):
        minimum, maximum = int(limits.group(1)), int(limits.group(2))
    if lengths := re.search(r"contain (\d+) to (\d+) characters", text):
        min_length, max_length = int(lengths.group(1)), int(lengths.group(2))
    return Field(
        name=name,
        type=type_name,
        mandatory=None if mandatory is None else " ".join(mandatory.split()) == "Yes",
        values=values,
        default=default,
        has_default=has_default,
        minimum=minimum,
        maximum=maximum,
        min_length=min_length,
        max_length=max_length,
    )


def comparable(field: Field) -> tuple[Any, ...]:
    """What a page states about a field (the facts' character set is our reading of prose)."""
    values = field.values if field.type != "Boolean" else None
    return (field.type, field.mandatory, values, field.default, field.minimum, field.maximum, field.max_length)


def params_from_page(rst: str, title: str) -> dict[str, Field]:
    return {n: field_from_page(n, cells[1], cells[2], cells[0]) for n, cells in table(rst, title).items()}


def statuses(rst: str) -> set[int]:
    block = rst[rst.index("Status Codes") :]
    return {int(code) for code in re.findall(r"^(\d{3}) ", block, re.MULTILINE)}


def example_queries(rst: str) -> list[str]:
    return re.findall(r"GET https://\{endpoint\}/v2/\{project_id\}/processor-tasks\?(\S+)", rst)


def appendix(rst: str) -> dict[int, set[str]]:
    listed: dict[int, set[str]] = {}
    for status, code in re.findall(r"^\| (\d{3}) +\| (ModelArts\.\d{4}) ", rst, re.MULTILINE):
        listed.setdefault(int(status), set()).add(code)
    return listed


# --- the checks ---------------------------------------------------------------------------

RESPONSE_TABLES = {"list": {"ListProcessorTasksResp": "Response body parameters"}, "describe": {}}
RESPONSE_TABLES["describe"]["DescribeProcessorTaskResp"] = "Response body parameters"


def page_problems(facts: Facts, pages: dict[str, Path], newest: bool) -> list[str]:
    problems: list[str] = []
    texts = {key: path.read_text(encoding="utf-8") for key, path in pages.items()}
    for op in facts.operations.values():
        rst = texts[op.page]
        found = params_from_page(rst, "Path parameters")
        if op.query_parameters:
            found |= params_from_page(rst, "Query parameters")
        ours = op.path_parameters | op.query_parameters
        if set(found) != set(ours):
            problems.append(f"{op.operation_id}: page has parameters {sorted(found)}, facts {sorted(ours)}")
        for name in set(found) & set(ours):
            if comparable(found[name]) != comparable(ours[name]):
                problems.append(
                    f"{op.operation_id}.{name}: page {comparable(found[name])} != facts {comparable(ours[name])}"
                )
        if statuses(rst) != op.statuses:
            problems.append(f"{op.operation_id}: page statuses {sorted(statuses(rst))} != facts {sorted(op.statuses)}")
        if newest and example_queries(rst) != list(op.example_queries):
            problems.append(
                f"{op.operation_id}: page examples {example_queries(rst)} != facts {list(op.example_queries)}"
            )
    for obj in facts.objects.values():
        for page in obj.pages:
            title = RESPONSE_TABLES[page].get(obj.name, obj.name)
            rows = table(texts[page], title)
            found = {n: field_from_page(n, cells[0], cells[1], None) for n, cells in rows.items()}
            if set(found) != set(obj.fields):
                problems.append(f"{page} {obj.name}: page has {sorted(found)}, facts {sorted(obj.fields)}")
            for name in set(found) & set(obj.fields):
                if comparable(found[name]) != comparable(obj.fields[name]):
                    problems.append(
                        f"{page} {obj.name}.{name}: page {comparable(found[name])} != facts {comparable(obj.fields[name])}"
                    )
    if newest:
        listed = appendix(texts[facts.error_codes_page])
        for status, codes in facts.error_codes.items():
            if extra := codes - listed.get(status, set()):
                problems.append(f"appendix: {sorted(extra)} are not listed under {status}")
        everywhere = set().union(*listed.values())
        if stale := facts.not_listed_codes & everywhere:
            problems.append(f"appendix: {sorted(stale)} are listed after all")
    return problems


@pytest.mark.parametrize(("pages", "newest"), _copies())
def test_facts_match_the_provider_pages(pages: dict[str, Path], newest: bool) -> None:
    problems = page_problems(FACTS, pages, newest)
    assert not problems, "\n".join(problems)


def test_page_reader_sees_a_changed_value(tmp_path: Path) -> None:
    # The reader must notice one edited value, or the comparison above proves nothing. It
    # runs on a small page written here, so it needs no copy of the provider's pages.
    page = tmp_path / "list.rst"
    page.write_text(
        ".. table:: **Table 2** Query Parameters\n\n"
        "   +-------+-----------+---------+------------------------------------------------+\n"
        "   | limit | No        | Integer | Records per page. It ranges from 1 to 50.      |\n"
        "   |       |           |         | The default value is **10**.                   |\n"
        "   +-------+-----------+---------+------------------------------------------------+\n"
        "   | order | No        | String  | Direction:                                     |\n"
        "   |       |           |         |                                                |\n"
        "   |       |           |         | -  **asc**: up                                 |\n"
        "   |       |           |         | -  **desc**: down (default value)              |\n"
        "   +-------+-----------+---------+------------------------------------------------+\n",
        encoding="utf-8",
    )
    found = params_from_page(page.read_text(encoding="utf-8"), "Query parameters")
    limit = FACTS.operations["ListProcessorTasks"].query_parameters["limit"]
    order = FACTS.operations["ListProcessorTasks"].query_parameters["order"]
    assert comparable(found["order"]) == comparable(order)
    assert (found["limit"].minimum, found["limit"].maximum, found["limit"].default) == (1, 50, 10)
    assert comparable(found["limit"]) != comparable(limit)
