"""The README's client snippets run as written against a server that follows the spec (the mock)."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from processor_tasks_client import AuthenticatedClient
from processor_tasks_client.api.processor_tasks import list_processor_tasks

from tests.paths import README


def snippets() -> list[str]:
    section = README.read_text().split("## Use the client", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def run(code: str, namespace: dict[str, object]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    return out.getvalue()


def test_the_readme_has_both_snippets() -> None:
    assert len(snippets()) == 2
    assert len(snippets()[0].strip().splitlines()) <= 5  # the "three lines" promise, plus import and blank


def test_three_line_snippet_lists_every_task(mock_server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCESSOR_TASKS_BASE_URL", mock_server_url)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "mock-project")
    monkeypatch.setenv("PROCESSOR_TASKS_TOKEN", "mock-token")
    printed = run(snippets()[0], {}).splitlines()
    with AuthenticatedClient(base_url=mock_server_url, token="mock-token") as c:
        count = list_processor_tasks.sync("mock-project", client=c, limit=1).count
    assert len(printed) == count > 0


@pytest.mark.parametrize("auth", ["token", "aksk"])
def test_explicit_snippet_runs(mock_server_url: str, auth: str) -> None:
    code = snippets()[1]
    if auth == "aksk":
        code = code.replace("client = AuthenticatedClient(base_url=BASE_URL, token=IAM_TOKEN)\n", "").replace(
            "# or: AuthenticatedClient(", "client = AuthenticatedClient("
        )
        assert "client = AuthenticatedClient(base_url=BASE_URL, auth=AkSkAuth(ACCESS_KEY, SECRET_KEY))" in code
        assert "token=IAM_TOKEN" not in code
    namespace: dict[str, object] = {
        "BASE_URL": mock_server_url,
        "IAM_TOKEN": "mock-token",
        "ACCESS_KEY": "MOCKAK",
        "SECRET_KEY": "MOCKSK",
        "PROJECT_ID": "mock-project",
    }
    printed = run(code, namespace)
    assert "ModelArts.4700" in printed  # the snippet's describe of an unknown id lands in NotFoundError
    assert re.match(r"\d+ \[", printed)
