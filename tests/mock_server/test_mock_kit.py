"""The mock as another repository's test double: project of a fixture, credentials, installs, typing.

Each test is one item of issue 21, section 3: what a new user trips over when following
mock_server/README.md literally.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from processor_tasks_client import AkSkAuth, AuthenticatedClient, errors
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_mock import pytest_plugin
from processor_tasks_mock.__main__ import main, settings_from
from processor_tasks_mock.app import create_app
from processor_tasks_mock.fixtures import FixtureError
from processor_tasks_mock.process import running_mock_server
from processor_tasks_mock.settings import DEFAULT_AKSK, DEFAULT_TOKENS, Settings
from processor_tasks_mock.testing import ClientNotInstalledError, MockHandle, _needs_client, in_process, serving

from tests.paths import ROOT

TASKS = [
    {"task_id": "t-1", "name": "alpha", "status": 2, "create_time": 3},
    {"task_id": "t-2", "name": "beta", "status": 1, "create_time": 2},
    {"task_id": "t-3", "name": "gamma", "status": 2, "create_time": 1},
]
IDS = ["t-1", "t-2", "t-3"]
MOCK_README = ROOT / "mock_server" / "README.md"
Variant = Callable[..., AbstractContextManager[MockHandle]]


def _fixture(folder: Path, project: str | None = "team-42", name: str = "tasks.json") -> Path:
    path = folder / name
    data: Any = {"project": project, "tasks": TASKS} if project else TASKS
    path.write_text(json.dumps(data))
    return path


# -- a fixture's own project -----------------------------------------------------------------
@pytest.mark.parametrize("variant", [in_process, serving], ids=["in-process", "socket"])
def test_a_fixture_that_names_its_project_is_the_handles_project(tmp_path: Path, variant: Variant) -> None:
    with variant(fixture=_fixture(tmp_path)) as handle:
        assert handle.project_id == "team-42"
        assert [t["task_id"] for t in handle.tasks()] == IDS
        assert (handle.token, handle.access_key, handle.secret_key) == ("mock-token", "MOCKAK", "MOCKSK")
        for auth in ("token", "aksk"):
            page = list_processor_tasks.sync("team-42", client=handle.client(auth))
            assert [t.task_id for t in page.tasks] == IDS
        assert handle.processor_tasks("aksk").describe_processor_task("t-2").name == "beta"
        # The default credentials moved with the project: they no longer act on mock-project.
        with pytest.raises(errors.ProjectMismatchError) as raised:
            list_processor_tasks.sync("mock-project", client=handle.client(retry=None))
        assert (raised.value.status_code, raised.value.error_code) == (404, "ModelArts.2786")


def test_a_project_given_beside_the_fixture_must_agree_with_it(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path)
    with in_process(Settings(project="team-42"), fixture=fixture) as handle:
        assert handle.project_id == "team-42" and len(handle.tasks()) == 3
    with (
        pytest.raises(FixtureError, match=r"names project 'team-42'.*configured for project 'team-7'"),
        in_process(Settings(project="team-7"), fixture=fixture),
    ):
        pass
    with pytest.raises(FixtureError, match="names project 'team-42'"):
        create_app(Settings(project="team-7", fixture_path=fixture))
    # Given, even as the default's own value, a project is the user's word, not a default to replace.
    for variant in (in_process, serving):
        with (
            pytest.raises(FixtureError, match=r"names project 'team-42'.*configured for project 'mock-project'"),
            variant(Settings(project="mock-project"), fixture=fixture),
        ):
            pass
    with pytest.raises(FixtureError, match="configured for project 'mock-project'"):
        create_app(Settings.from_env({"MOCK_PROJECT": "mock-project", "MOCK_FIXTURE": str(fixture)}))
    # Not given: the fixture's project is served (Settings() and an environment without MOCK_PROJECT).
    assert create_app(Settings(fixture_path=fixture)).settings.project == "team-42"
    assert create_app(Settings.from_env({"MOCK_FIXTURE": str(fixture)})).settings.project == "team-42"
    # A fixture without a project serves the configured one.
    with in_process(Settings(project="team-7"), fixture=_fixture(tmp_path, None, "list.json")) as handle:
        assert handle.project_id == "team-7" and [t["task_id"] for t in handle.tasks("team-7")] == IDS


# -- the default credentials follow the project, in the console script as in the fixtures -------
def test_only_default_credentials_move_to_the_project() -> None:
    moved = Settings(project="team-42").with_default_credentials()
    assert moved.tokens == {"mock-token": "team-42", "other-token": "other-project"}
    assert moved.aksk == {"MOCKAK": ("MOCKSK", "team-42")}
    assert Settings().with_default_credentials().tokens == DEFAULT_TOKENS
    configured = Settings(project="team-42", tokens={"t1": "p1"}).with_default_credentials()
    assert configured.tokens == {"t1": "p1"}, "configured tokens are used as given"
    assert configured.aksk == {"MOCKAK": ("MOCKSK", "team-42")}, "the AK/SK table was left at its default"
    assert Settings(project="team-42", aksk={"K": ("S", "p1")}).with_default_credentials().aksk == {"K": ("S", "p1")}
    assert DEFAULT_AKSK == {"MOCKAK": ("MOCKSK", "mock-project")}  # the defaults themselves never change


async def _astatus(app: Any, project: str, token: str) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
        return (await client.get(f"/v2/{project}/processor-tasks", headers={"X-Auth-Token": token})).status_code


async def test_the_console_scripts_options_move_the_default_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("MOCK_")]:
        monkeypatch.delenv(key)
    app = create_app(settings_from(["--project", "team-42"]))
    assert (await _astatus(app, "team-42", "mock-token"), await _astatus(app, "mock-project", "mock-token")) == (
        200,
        404,
    )
    app = create_app(settings_from(["--fixture", str(_fixture(tmp_path))]))
    assert app.settings.project == "team-42" and await _astatus(app, "team-42", "mock-token") == 200
    monkeypatch.setenv("MOCK_TOKENS", "t1=team-42")
    app = create_app(settings_from(["--project", "team-42"]))
    assert (await _astatus(app, "team-42", "t1"), await _astatus(app, "team-42", "mock-token")) == (200, 401)


def test_the_console_script_refuses_a_project_that_disagrees_with_the_fixture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", "team-7", "--fixture", str(_fixture(tmp_path))]) == 2
    assert "names project 'team-42'" in capsys.readouterr().err
    # Built, not run: without the refusal, main() would serve until killed.
    with pytest.raises(FixtureError, match="configured for project 'mock-project'"):
        create_app(settings_from(["--project", "mock-project", "--fixture", str(_fixture(tmp_path))]))


def test_the_console_script_process_serves_a_fixtures_project_to_token_and_aksk(tmp_path: Path) -> None:
    with running_mock_server({"MOCK_FIXTURE": str(_fixture(tmp_path))}) as url:
        for client in (
            AuthenticatedClient(base_url=url, token="mock-token"),
            AuthenticatedClient(base_url=url, auth=AkSkAuth("MOCKAK", "MOCKSK")),
        ):
            with client:
                assert [t.task_id for t in list_processor_tasks.sync("team-42", client=client).tasks] == IDS
                assert describe_processor_task.sync("team-42", "t-3", client=client).name == "gamma"


# -- installed without the client ----------------------------------------------------------
def test_without_the_client_the_handle_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    with in_process() as handle:
        # None in sys.modules makes the import fail as it does where the client is not installed.
        monkeypatch.setitem(sys.modules, "processor_tasks_client", None)
        for ask in (handle.client, handle.async_client, handle.processor_tasks):
            with pytest.raises(
                ClientNotInstalledError, match=re.escape("pip install ./generated_client ./mock_server")
            ):
                ask()
        # Everything that needs no client still works.
        handle.seed(TASKS)
        assert [t["task_id"] for t in handle.tasks()] == IDS and handle.env()["PROCESSOR_TASKS_TOKEN"] == "mock-token"
    assert issubclass(ClientNotInstalledError, ModuleNotFoundError)


def test_a_module_missing_inside_an_installed_client_keeps_its_own_error() -> None:
    with pytest.raises(ModuleNotFoundError) as raised, _needs_client("x"):
        import processor_tasks_mock_no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert type(raised.value) is ModuleNotFoundError


# -- the distribution ------------------------------------------------------------------------
def test_the_mock_ships_py_typed_and_no_extra_that_pip_would_resolve_on_the_index() -> None:
    project = tomllib.loads((ROOT / "mock_server" / "pyproject.toml").read_text())
    package = ROOT / "mock_server" / "processor_tasks_mock"
    assert (package / "py.typed").is_file()
    assert project["tool"]["pdm"]["build"]["includes"] == ["processor_tasks_mock"]  # the whole folder ships
    requirements = [*project["project"]["dependencies"]]
    requirements += [r for extra in project["project"].get("optional-dependencies", {}).values() for r in extra]
    # The client is not on the package index: naming it would install a stranger's package.
    assert not [r for r in requirements if re.match(r"processor[-_.]tasks", r, re.I)]


# -- the pytest plugin's marker, run as a consumer runs it ---------------------------------------
PLUGIN_TESTS = """
import pytest
from processor_tasks_client import AuthenticatedClient
from processor_tasks_client.api.processor_tasks import list_processor_tasks
from processor_tasks_mock.testing import MockHandle

IDS = ["t-1", "t-2", "t-3"]


@pytest.mark.processor_tasks_mock(fixture="data/tasks.json")
def test_relative_fixture_and_its_project(processor_tasks_mock: MockHandle) -> None:
    assert processor_tasks_mock.project_id == "team-42"
    assert [t["task_id"] for t in processor_tasks_mock.tasks()] == IDS
    for auth in ("token", "aksk"):
        page = list_processor_tasks.sync("team-42", client=processor_tasks_mock.client(auth))
        assert [t.task_id for t in page.tasks] == IDS


@pytest.mark.processor_tasks_mock(fixture="data/tasks.json")
def test_over_a_socket(processor_tasks_mock_server: MockHandle) -> None:
    page = list_processor_tasks.sync("team-42", client=processor_tasks_mock_server.client("aksk"))
    assert [t.task_id for t in page.tasks] == IDS


@pytest.mark.processor_tasks_mock(fixture="data/tasks.json")
def test_ready_client(processor_tasks_client: AuthenticatedClient) -> None:
    assert list_processor_tasks.sync("team-42", client=processor_tasks_client).count == 3


@pytest.mark.processor_tasks_mock(fixture=ABSOLUTE, project="team-42")
def test_absolute_fixture_and_the_same_project(processor_tasks_mock: MockHandle) -> None:
    assert processor_tasks_mock.project_id == "team-42" and len(processor_tasks_mock.tasks()) == 3


@pytest.mark.processor_tasks_mock(fixture="data/tasks.json", project="team-7")
def test_another_project(processor_tasks_mock: MockHandle) -> None:
    raise AssertionError("the mock must refuse to start")


# Named, even as the default, the project is the user's word: it must agree with the fixture.
@pytest.mark.processor_tasks_mock(fixture="data/tasks.json", project="mock-project")
def test_the_default_project_named(processor_tasks_mock: MockHandle) -> None:
    raise AssertionError("the mock must refuse to start")
"""


def test_the_marker_reads_a_fixture_next_to_the_test_file_and_takes_its_project(tmp_path: Path) -> None:
    suite = tmp_path / "service" / "tests" / "unit"
    (suite / "data").mkdir(parents=True)
    fixture = _fixture(suite / "data")
    (suite / "test_with_fixture.py").write_text(PLUGIN_TESTS.replace("ABSOLUTE", repr(str(fixture))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "generated_client"), str(ROOT / "mock_server")])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "processor_tasks_mock.pytest_plugin", "-p", "no:cacheprovider"],
        cwd=tmp_path,  # pytest started two folders above the test file, as from a repository root
        env={k: v for k, v in env.items() if not k.startswith("MOCK_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "4 passed, 2 errors" in done.stdout, output
    for test, project in (("test_another_project", "team-7"), ("test_the_default_project_named", "mock-project")):
        assert re.search(
            rf"ERROR at setup of {test}.*FixtureError: .*fixture .*names project 'team-42', but the mock is "
            rf"configured for project '{project}'",
            output,
            re.S,
        ), output


LIFECYCLE_TESTS = """
import pytest
from processor_tasks_client.models import TaskStatus
from processor_tasks_mock.testing import MockHandle


@pytest.mark.processor_tasks_mock(fixture="data/tasks.json", lifecycle_path="data/timelines.json")
def test_relative_lifecycle(processor_tasks_mock: MockHandle) -> None:
    tasks = processor_tasks_mock.processor_tasks()
    assert tasks.describe_processor_task("t-1").status == TaskStatus.INITIALIZED
    processor_tasks_mock.advance(3)
    assert tasks.describe_processor_task("t-1").status == TaskStatus.RUNNING
    assert tasks.wait_processor_task("t-1", clock=processor_tasks_mock.clock).status == TaskStatus.COMPLETED


@pytest.mark.processor_tasks_mock(lifecycle_path="data/timelines.json")
def test_relative_lifecycle_over_a_socket(processor_tasks_mock_server: MockHandle) -> None:
    tasks = processor_tasks_mock_server.processor_tasks()
    assert tasks.describe_processor_task("t-1").status == TaskStatus.INITIALIZED  # created by its timeline
    processor_tasks_mock_server.advance(10)
    assert tasks.describe_processor_task("t-1").status == TaskStatus.COMPLETED


@pytest.mark.processor_tasks_mock(lifecycle_path="data/missing.json")
def test_missing(processor_tasks_mock: MockHandle) -> None:
    raise AssertionError("the mock must refuse to start")


@pytest.mark.processor_tasks_mock(lifecycle_path="data/broken.json")
def test_broken(processor_tasks_mock_server: MockHandle) -> None:
    raise AssertionError("the mock must refuse to start")


@pytest.mark.processor_tasks_mock(lifecycle_path="data/bad-step.json")
def test_bad_step(processor_tasks_mock: MockHandle) -> None:
    raise AssertionError("the mock must refuse to start")
"""


def test_the_markers_lifecycle_path_is_read_next_to_the_test_file_and_a_bad_one_is_named(tmp_path: Path) -> None:
    suite = tmp_path / "service" / "tests" / "unit"
    data = suite / "data"
    data.mkdir(parents=True)
    _fixture(data)
    timeline = [{"after": 0, "status": "INITIALIZED"}, {"after": 2, "status": "RUNNING"}, {"after": 5, "status": 2}]
    (data / "timelines.json").write_text(json.dumps({"t-1": timeline}))
    (data / "broken.json").write_text('{"t-1": [')
    (data / "bad-step.json").write_text(json.dumps({"t-1": [{"after": 1, "status": "DONE"}]}))
    (suite / "test_lifecycle.py").write_text(LIFECYCLE_TESTS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "generated_client"), str(ROOT / "mock_server")])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "processor_tasks_mock.pytest_plugin", "-p", "no:cacheprovider"],
        cwd=tmp_path,  # two folders above the test file: data/... does not exist from here
        env={k: v for k, v in env.items() if not k.startswith("MOCK_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "2 passed, 3 errors" in done.stdout, output
    marker = "LifecycleError: @pytest.mark.processor_tasks_mock on service/tests/unit/test_lifecycle.py::"
    for test, problem in (
        ("test_missing", f"lifecycle {data / 'missing.json'}: cannot read it"),
        ("test_broken", f"lifecycle {data / 'broken.json'}: not valid JSON"),
        ("test_bad_step", f"lifecycle {data / 'bad-step.json'}: task 't-1', step 0: status 'DONE' is not a TaskStatus"),
    ):
        assert re.search(rf"ERROR at setup of {test}\b.*{re.escape(marker + test + ': ' + problem)}", output, re.S), (
            output
        )
    # The report is the message, not a traceback through the mock's loading code.
    assert "processor_tasks_mock/lifecycle.py" not in output and "processor_tasks_mock/app.py" not in output, output


# -- the README says what the handle offers --------------------------------------------------
def _handle_table() -> str:
    text = MOCK_README.read_text()
    start = text.index("The handle:")
    return text[start : text.index("\n\n", text.index("| member |", start))]


def test_the_handle_table_names_every_public_member_and_every_inject_parameter() -> None:
    table = _handle_table()
    members = [name for name in vars(MockHandle) if not name.startswith("_")]
    members += ["base_url", "project_id", "token", "access_key", "secret_key"]
    assert [name for name in members if f"`{name}" not in table and f"{name}(" not in table] == []
    inject = next(line for line in table.splitlines() if line.startswith("| `inject("))
    parameters = [name for name in inspect.signature(MockHandle.inject).parameters if name != "self"]
    assert "*_rate=" in inject  # one entry stands for throttle_rate, unavailable_rate, ...
    assert [name for name in parameters if not name.endswith("_rate") and f"{name}=" not in inject] == []


def test_the_mock_readme_says_which_install_gives_what_and_how_to_run_async_tests() -> None:
    text = MOCK_README.read_text()
    assert "pip install ./generated_client ./mock_server" in text and "`pip install ./mock_server` alone" in text
    assert "ClientNotInstalledError" in text and "[client]" in text
    assert "pytest-asyncio" in text and "py.typed" in text
    assert "read from the folder of the test" in text


def test_the_markers_arguments_are_documented_where_users_look() -> None:
    text = MOCK_README.read_text()
    assert "`lifecycle_path=" in text and "`fixture=` or `lifecycle_path=` is read from the folder of the test" in text
    assert '`project="mock-project"`' in text and "LifecycleError" in text
    # `pytest --markers` shows the line the plugin registers (this suite does not load the plugin).
    registered: list[tuple[str, str]] = []

    class Config:
        def addinivalue_line(self, name: str, line: str) -> None:
            registered.append((name, line))

    pytest_plugin.pytest_configure(Config())  # type: ignore[arg-type]
    [(name, line)] = registered
    assert name == "markers" and line.startswith("processor_tasks_mock(")
    assert "fixture=PATH" in line and "lifecycle_path=PATH" in line and "test file's folder" in line
