"""generated_client/README.md is the user guide a vendoring team gets: its snippets run, its
tables say what the spec, the environment module and the command line say."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
import yaml
from processor_tasks_client import auth, cli, environment
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_client.models import TaskStatus

from tests.paths import GENERATED, SPEC

README = (GENERATED / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_python_snippets_run_in_order_against_the_mock(mock_server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCESSOR_TASKS_BASE_URL", mock_server_url)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "mock-project")
    monkeypatch.setenv("PROCESSOR_TASKS_TOKEN", "mock-token")
    from processor_tasks_client import AuthenticatedClient

    with AuthenticatedClient(base_url=mock_server_url, token="mock-token") as client:
        first = list_processor_tasks.sync("mock-project", client=client, limit=1)
    namespace: dict[str, object] = {
        "BASE_URL": mock_server_url,
        "IAM_TOKEN": "mock-token",
        "ACCESS_KEY": "MOCKAK",
        "SECRET_KEY": "MOCKSK",
        "PROJECT_ID": "mock-project",
        "TASK_ID": first.tasks[0].task_id,
    }
    snippets = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(snippets) == 8
    # The waiting snippet waits on TASK_ID: the seeded store's first task is final (STOPPED), so
    # the wait ends on its first poll.
    assert first.tasks[0].status in (2, 3, 4)
    printed = []
    for code in snippets:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "generated_client/README.md", "exec"), namespace)
        printed.append(out.getvalue().splitlines())
    spec = yaml.safe_load(SPEC.read_text())
    assert printed[0][0] == spec["info"]["version"] and len(printed[0][1]) == 64
    assert len(printed[1]) == first.count  # from_env walked every task of the default workspace
    assert printed[2] == [first.tasks[0].name]  # AK/SK signed describe
    assert printed[3] == ["True"]  # a client whose credentials come from a provider
    assert printed[5] == [line.split()[0] for line in printed[1]]  # concurrency=8: same tasks, same order
    status = TaskStatus(first.tasks[0].status)
    assert printed[6][0].startswith(f"{status.name} 0.")  # progress=, after the one poll
    assert printed[6][1:] == ([] if status == 2 else [f"{status.name} {first.tasks[0].error_msg or None}"])
    assert printed[7][0].startswith("404 ModelArts.4700")


def test_parameter_tables_follow_the_spec() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    rows: dict[str, list[tuple[str, ...]]] = {}
    for line in section("Call the API").splitlines():
        match = re.match(r"^\| `(\w+)` \| (\w+) \| (.*) \| (.*) \|$", line)
        if match:
            rows.setdefault(match.group(1), []).append(match.groups()[1:])
    list_op = spec["paths"]["/v2/{project_id}/processor-tasks"]["get"]
    for parameter in list_op["parameters"]:
        where, values, default = rows[parameter["name"]][0]
        assert where == parameter["in"]
        schema = parameter["schema"]
        ref = schema.get("$ref") or (schema.get("allOf") or [{}])[0].get("$ref")
        if ref:
            for value in spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]:
                assert f"`{value}`" in values, (parameter["name"], value)
        if "maximum" in schema:
            assert values == f"{schema['minimum']} to {schema['maximum']}"
        if "default" in schema:
            expected = str(schema["default"]).lower() if isinstance(schema["default"], bool) else schema["default"]
            assert default == f"`{expected}`"
        else:
            assert default == "-"
    assert rows["task_id"] == [("path", "string", "required")]


def test_environment_table_names_every_variable_the_client_reads() -> None:
    table = section("Configure")
    # Every ENV_* constant of the modules that read the environment, so a new one fails here.
    names = {getattr(m, n) for m in (auth, environment) for n in dir(m) if n.startswith("ENV_")}
    assert len(names) >= 7
    for name in names:
        assert f"`{name}`" in table, name


def test_exit_code_table_matches_the_command_line() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.*) \|$", section("Command line"), flags=re.M))
    for error_class, code in cli.EXIT_CODES.items():
        if error_class.__module__.endswith("errors") and code not in (cli.EXIT_ERROR,):
            assert error_class.__name__ in table[str(code)], (error_class, code)
    failures = {str(c) for c in cli.WAIT_FAILURE_EXIT_CODES.values()}
    assert set(table) == {str(c) for c in cli.EXIT_CODES.values()} | failures | {"0", "130", "141"}
    assert cli.WAITER is not None  # this contract has a waiter
    for name, _value in cli.WAITER["failure"]:
        assert any(name in text for code, text in table.items() if code in failures), name


def test_the_guide_stands_alone() -> None:
    assert "repository's README" not in README
    for heading in (
        "Install",
        "Configure",
        "Authenticate",
        "Credentials that expire",
        "Paging",
        "Errors",
        "Retries, timeouts and limits",
        "Testing",
    ):
        assert f"## {heading}" in README


def test_error_table_names_every_exception_class() -> None:
    from processor_tasks_client import errors

    table = section("Errors")
    exported = [getattr(errors, name) for name in errors.__all__]
    classes = [c for c in exported if isinstance(c, type) and issubclass(c, errors.ProcessorTasksError)]
    for cls in classes:
        if cls not in (errors.ProcessorTasksError, errors.APIStatusError):
            assert f"| `{cls.__name__}` |" in table, cls.__name__


def test_the_traces_section_names_every_attribute_the_client_sets() -> None:
    from processor_tasks_client import _tracing

    source = (GENERATED / "processor_tasks_client" / "_tracing.py").read_text()
    names = set(re.findall(r'"((?:http|url|server|network|error|modelarts)\.[a-z_.]+)"', source))
    assert len(names) >= 15 and _tracing.__name__
    table = section("Traces")
    for name in names - {"http.request.header", "http.response.header"}:
        assert f"`{name}`" in table, name
    for setting in ("CAPTURE_HEADERS_CLIENT_REQUEST", "SANITIZE_FIELDS", "[REDACTED]", "traceparent"):
        assert setting in table, setting


def test_the_region_section_lists_the_contract_s_regions() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    regions = next(s for s in spec["servers"] if "variables" in s)["variables"]["region"]["enum"]
    text = section("Configure")
    assert "### Endpoints by region" in text and "PROCESSOR_TASKS_BASE_URL=eu-nl" in text
    for region in regions:
        assert f"`{region}`" in text, region
