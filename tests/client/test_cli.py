"""The `processor-tasks` command line, run as a real process against the mock (also a process)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import yaml
from processor_tasks_client import cli, errors
from processor_tasks_mock.process import running_mock_server

from tests.client.stub_server import Answer, StubServer
from tests.paths import GENERATED, SPEC

TOKEN_ENV = {"PROCESSOR_TASKS_TOKEN": "mock-token", "HUAWEICLOUD_SDK_PROJECT_ID": "mock-project"}
AKSK_ENV = {
    "HUAWEICLOUD_SDK_AK": "MOCKAK",
    "HUAWEICLOUD_SDK_SK": "MOCKSK",
    "HUAWEICLOUD_SDK_PROJECT_ID": "mock-project",
}


def run_cli(base_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PROCESSOR_TASKS_", "HUAWEICLOUD_SDK_"))}
    child = {**clean, "PYTHONPATH": str(GENERATED), "PROCESSOR_TASKS_BASE_URL": base_url, **(env or TOKEN_ENV)}
    return subprocess.run(
        [sys.executable, "-m", "processor_tasks_client.cli", *args],
        capture_output=True,
        text=True,
        env=child,
        timeout=60,
        check=False,
    )


def all_tasks(base_url: str, **params: str) -> list[dict[str, object]]:
    with httpx.Client(base_url=base_url, headers={"X-Auth-Token": "mock-token"}) as client:
        found: list[dict[str, object]] = []
        page = 0
        while True:
            body = client.get(
                "/v2/mock-project/processor-tasks", params={**params, "limit": 100, "offset": page}
            ).json()
            found += body["tasks"]
            if len(body["tasks"]) < 100:
                return found
            page += 1


def test_list_all_streams_every_match_as_json_lines_with_progress(mock_server_url: str) -> None:
    result = run_cli(mock_server_url, "list", "--all", "--limit", "7", "--output", "jsonl", "--status", "2")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    expected = all_tasks(mock_server_url, status="2")
    assert [t["task_id"] for t in lines] == [t["task_id"] for t in expected]
    assert len(expected) > 7  # more than one page was walked
    progress = [line for line in result.stderr.splitlines() if "page" in line]
    assert len(progress) == -(-len(expected) // 7)
    assert progress[-1].endswith(f"{len(expected)} of {len(expected)} tasks")


def test_list_all_as_one_json_array_and_aksk_credentials(mock_server_url: str) -> None:
    result = run_cli(
        mock_server_url, "list", "--all", "--output", "json", "--task-type", "sys_data_analyse", "--quiet", env=AKSK_ENV
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    tasks = json.loads(result.stdout)
    assert [t["task_id"] for t in tasks] == [
        t["task_id"] for t in all_tasks(mock_server_url, task_type="sys_data_analyse")
    ]


def test_list_one_page_table_and_describe(mock_server_url: str) -> None:
    page = run_cli(mock_server_url, "list", "--limit", "3", "--order", "asc", "--sort-by", "name", "--output", "json")
    assert page.returncode == 0, page.stderr
    body = json.loads(page.stdout)
    assert len(body["tasks"]) == 3 and body["count"] > 3
    table = run_cli(mock_server_url, "list", "--limit", "3", "--order", "asc", "--sort-by", "name")
    rows = table.stdout.splitlines()
    assert rows[0].split()[0] == "task_id" and len(rows) == 4
    assert [row.split()[0] for row in rows[1:]] == [t["task_id"] for t in body["tasks"]]
    task_id = body["tasks"][0]["task_id"]
    described = run_cli(mock_server_url, "describe", task_id)
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["task_id"] == task_id


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["describe", "no-such-task"], None, 15, "ModelArts.4700"),
        (["list"], {"PROCESSOR_TASKS_TOKEN": "wrong", "HUAWEICLOUD_SDK_PROJECT_ID": "mock-project"}, 4, "401"),
        (["list"], {"PROCESSOR_TASKS_TOKEN": "other-token", "HUAWEICLOUD_SDK_PROJECT_ID": "mock-project"}, 14, "2786"),
        (["list"], {"PROCESSOR_TASKS_TOKEN": "mock-token"}, 3, "HUAWEICLOUD_SDK_PROJECT_ID"),
        (["list", "--limit", "0"], None, 2, "must be between 1 and 100"),
        (["list", "--status", "9"], None, 2, "invalid choice"),
        (["list", "--all", "--offset", "1"], None, 2, "--all"),
    ],
)
def test_each_error_class_exits_with_its_code(
    mock_server_url: str, args: list[str], env: dict[str, str] | None, code: int, message: str
) -> None:
    result = run_cli(mock_server_url, *args, env=env)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_faults_exit_with_their_codes() -> None:
    # Every request answered 503 or dropped: the client retries, then the CLI says which class failed.
    with running_mock_server({"MOCK_FAULT_503_RATE": "1", "MOCK_FAULT_RETRY_AFTER": "0"}) as url:
        result = run_cli(url, "list")
        assert (result.returncode, "503" in result.stderr) == (9, True), result.stderr
        # The client's give-up warning reads like the command's own messages, not bare.
        lines = result.stderr.splitlines()
        assert [line.split(": ")[:2] for line in lines] == [
            ["processor-tasks", "warning"],
            ["processor-tasks", "error"],
        ]
    with running_mock_server({"MOCK_FAULT_429_RATE": "1", "MOCK_FAULT_RETRY_AFTER": "0"}) as url:
        result = run_cli(url, "list")
        assert (result.returncode, "429" in result.stderr) == (8, True), result.stderr
    with running_mock_server({"MOCK_FAULT_DROP_RATE": "1"}) as url:
        result = run_cli(url, "list")
        assert result.returncode == 12, result.stderr
    result = run_cli("http://127.0.0.1:9", "list")  # nothing listens on the discard port
    assert result.returncode == 12, result.stderr


SLOW = 30.0  # the stub's delay: far past any --timeout below, and past what the test waits for


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["list", "--timeout", "0.5"], None),
        (["describe", "task-1", "--timeout", ".5"], None),
        (["list"], {**TOKEN_ENV, "PROCESSOR_TASKS_TIMEOUT": "0.5"}),
        # The option wins over the variable.
        (["list", "--timeout", "0.5"], {**TOKEN_ENV, "PROCESSOR_TASKS_TIMEOUT": "3600"}),
    ],
)
def test_timeout_bounds_a_slow_server_and_exits_11(
    stub: StubServer, args: list[str], env: dict[str, str] | None
) -> None:
    stub.reply(Answer(delay=SLOW, body=b'{"count": 0, "tasks": []}'))
    started = time.monotonic()
    result = run_cli(stub.base_url, *args, env=env)
    waited = time.monotonic() - started
    assert result.returncode == 11, result.stderr
    # Not a speed target: only proof the command gave up instead of waiting for the answer.
    assert waited < SLOW
    assert stub.seen, "the request reached the server"
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("processor-tasks: error: ")
    assert "timed out" in result.stderr.splitlines()[-1]
    assert result.stdout == ""


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf", ""])
def test_a_bad_timeout_is_a_usage_error_naming_the_option(value: str) -> None:
    # Nothing listens on the discard port: a refused value must stop before any request.
    result = run_cli("http://127.0.0.1:9", "list", "--timeout", value)
    assert result.returncode == 2, result.stderr
    assert "--timeout" in result.stderr and "seconds" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_timeout_variable_is_a_configuration_error_naming_it() -> None:
    result = run_cli("http://127.0.0.1:9", "list", env={**TOKEN_ENV, "PROCESSOR_TASKS_TIMEOUT": "-3"})
    assert result.returncode == 3, result.stderr
    assert "PROCESSOR_TASKS_TIMEOUT" in result.stderr and "positive" in result.stderr
    assert "Traceback" not in result.stderr


def test_options_choices_and_help_come_from_the_spec() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    listing = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices.values())  # type: ignore[union-attr]
    options = {a.dest: a for a in listing._actions}
    params = spec["paths"]["/v2/{project_id}/processor-tasks"]["get"]["parameters"]
    for raw in params:
        parameter = raw
        action = options[parameter["name"]]
        shown = (action.help or "").replace("%%", "%")  # argparse help escapes %
        assert " ".join(parameter["description"].split()) in " ".join(shown.split())
        schema = parameter["schema"]
        ref = schema.get("$ref") or (schema.get("allOf") or [{}])[0].get("$ref")
        if ref:
            enum = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]
            assert action.choices == [str(v) for v in enum]


def test_help_keeps_the_paragraphs_and_lists_of_the_operation_description() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    description = spec["paths"]["/v2/{project_id}/processor-tasks"]["get"]["description"]
    items = [line.strip() for line in description.splitlines() if line.strip().startswith("- ")]
    assert len(items) >= 3  # the "How values are read" list
    parser = cli.build_parser()
    listing = parser._subparsers._group_actions[0].choices["list"]  # type: ignore[union-attr, index]
    lines = listing.format_help().splitlines()
    for item in items:
        start = " ".join(item.split()[:4])
        assert any(line.startswith(start) for line in lines), (start, lines)  # not run into the text before
    for paragraph in description.strip().split("\n\n")[1:]:
        start = " ".join(paragraph.split()[:4])
        at = next(i for i, line in enumerate(lines) if line.startswith(start))
        assert lines[at - 1] == "", lines[at - 1 : at + 1]  # a paragraph of its own


def test_exit_codes_are_distinct_per_error_class() -> None:
    classes = [c for c in cli.EXIT_CODES if c not in (ValueError, errors.ProcessorTasksError)]
    codes = [cli.EXIT_CODES[c] for c in classes]
    assert len(set(codes)) == len(codes)
    # Every exception class the client exports has its own documented code.
    exported = [getattr(errors, name) for name in errors.__all__]
    classes_exported = {c for c in exported if isinstance(c, type) and issubclass(c, errors.ProcessorTasksError)}
    assert classes_exported - {errors.APIStatusError} <= set(cli.EXIT_CODES)
    # --help explains each, the wait's code per failure state included
    assert set(cli.EXIT_MEANINGS) == {*cli.EXIT_CODES.values(), *cli.WAIT_FAILURE_EXIT_CODES.values(), 0, 130, 141}
    assert cli.exit_code_for(errors.APITimeoutError("slow")) == 11  # not its parent's 12
    not_found = errors.error_for_status(400, b'{"error_code": "ModelArts.4700", "error_msg": "gone"}', {})
    assert cli.exit_code_for(not_found) == 15  # a 400 with a not-found code is not a BadRequestError's 7


def test_all_writes_each_page_before_fetching_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    # Flat memory: the walk is consumed lazily and every page is written (and flushed) first.

    events: list[str] = []

    class Page:
        def __init__(self, number: int) -> None:
            self.number = number

        def to_dict(self) -> dict[str, object]:
            return {"count": 6, "tasks": [{"task_id": f"t{self.number}{i}"} for i in range(2)]}

    def pages() -> Iterator[Page]:
        for number in range(3):
            events.append(f"fetch {number}")
            yield Page(number)

    class Out(io.StringIO):
        def flush(self) -> None:
            events.append(f"flush {self.getvalue().count(chr(10))}")

    cli._write_list(pages(), "jsonl", Out(), None, single_page=False)
    assert events == ["fetch 0", "flush 2", "fetch 1", "flush 4", "fetch 2", "flush 6"]


def test_a_reader_that_stops_early_ends_the_walk_with_141_and_no_traceback(mock_server_url: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PROCESSOR_TASKS_", "HUAWEICLOUD_SDK_"))}
    env = {**clean, "PYTHONPATH": str(GENERATED), "PROCESSOR_TASKS_BASE_URL": mock_server_url, **TOKEN_ENV}
    command = [sys.executable, "-m", "processor_tasks_client.cli", "list", "--all", "--limit", "1", "--output", "jsonl"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        json.loads(process.stdout.readline())  # like `| head -1`
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 141, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 17)])
def test_a_list_that_grows_during_all_warns_or_with_strict_exits_17(
    strict: bool, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from processor_tasks_mock.testing import serving

    tasks = [{"task_id": f"t{i}", "create_time": 100 - i} for i in range(4)]
    with serving() as mock:
        mock.seed(tasks)

        class GrowingOut(io.StringIO):
            def flush(self) -> None:  # after the first page: a new task appears
                if len(mock.tasks()) == 4:
                    mock.seed([*tasks, {"task_id": "late", "create_time": 1}])

        out = GrowingOut()
        monkeypatch.setattr(sys, "stdout", out)
        args = ["list", "--all", "--limit", "2", "--output", "jsonl", "--quiet", *(["--strict"] if strict else [])]
        assert cli.main(args, environ=mock.env()) == code
    assert out.getvalue().splitlines()[0] == '{"task_id":"t0","create_time":100}'
    if strict:
        assert "page walk stopped" in capsys.readouterr().err


WAIT_TIMELINES = {
    "done": [{"after": 0.3, "status": "RUNNING"}, {"after": 0.4, "status": "COMPLETED"}],
    "fails": [{"after": 0.2, "status": "RUNNING"}, {"after": 0.2, "status": "FAILED", "error_msg": "OBS denied."}],
    "stops": [{"after": 0.2, "status": "STOPPED"}],
    "never": [{"after": 0, "status": "RUNNING"}],
}


@pytest.fixture(scope="module")
def lifecycle_mock_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mock as a process whose tasks follow WAIT_TIMELINES on wall time (--lifecycle's variable)."""
    path = tmp_path_factory.mktemp("lifecycle") / "lifecycle.json"
    path.write_text(json.dumps(WAIT_TIMELINES))
    with running_mock_server({"MOCK_LIFECYCLE": str(path)}) as url:
        yield url


@pytest.mark.parametrize(
    ("task_id", "args", "code", "status"),
    [
        ("done", [], 0, 2),
        ("fails", [], 23, 3),
        ("stops", [], 24, 4),
        ("never", ["--timeout", "1"], 21, 1),
        ("never", ["--until", "running"], 0, 1),
        ("no-such-task", [], 15, None),
    ],
)
def test_wait_exits_with_one_code_per_outcome(
    lifecycle_mock_url: str, task_id: str, args: list[str], code: int, status: int | None
) -> None:
    result = run_cli(lifecycle_mock_url, "wait", task_id, "--poll", "0.1", *args)
    assert result.returncode == code, result.stderr
    if status is None:
        assert result.stdout == "" and "error: HTTP 404" in result.stderr
        return
    # The final task (or the last one seen) on stdout, as JSON.
    task = json.loads(result.stdout)
    assert task["task_id"] == task_id and task["status"] == status
    assert f"processor-tasks: task {task_id}: " in result.stderr  # progress, one line per poll
    if code == 23:
        assert (
            task["error_msg"] == "OBS denied." and "error: task_id fails ended in FAILED: OBS denied." in result.stderr
        )
    if code == 21:
        assert "gave up waiting" in result.stderr


def test_wait_quiet_and_its_options_come_from_the_contract(lifecycle_mock_url: str) -> None:
    result = run_cli(lifecycle_mock_url, "wait", "done", "--poll", "0.1", "--quiet")
    assert result.returncode == 0 and result.stderr == "" and json.loads(result.stdout)["status"] == 2
    bad = run_cli(lifecycle_mock_url, "wait", "done", "--until", "DONE")
    assert bad.returncode == 2 and "--until" in bad.stderr
    parser = cli.build_parser()
    waiting = parser._subparsers._group_actions[0].choices["wait"]  # type: ignore[union-attr, index]
    until = next(a for a in waiting._actions if a.dest == "until")
    assert list(until.choices or []) == ["COMPLETED", "FAILED", "STOPPED", "INITIALIZED", "RUNNING"]
    assert cli.WAIT_FAILURE_EXIT_CODES == {3: 23, 4: 24}
    assert cli.exit_code_for(errors.WaitTimeoutError("t", task=None, status=None, state=None, elapsed=1, polls=1)) == 21
