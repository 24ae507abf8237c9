"""``python -m processor_tasks_mock`` as a separate process, over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from mock_helpers import LIST, TOKEN
from processor_tasks_mock.process import running_mock_server


def test_lists_pages_and_describes_over_http(mock_server_url: str) -> None:
    with httpx.Client(base_url=mock_server_url) as client:
        first = client.get(LIST, params={"limit": 5, "offset": 0}, headers=TOKEN)
        second = client.get(LIST, params={"limit": 5, "offset": 1}, headers=TOKEN)
        assert first.status_code == second.status_code == 200
        assert first.headers["x-request-id"] and first.headers["content-type"] == "application/json"
        assert first.json()["count"] == second.json()["count"] > 10
        ids = [t["task_id"] for t in first.json()["tasks"] + second.json()["tasks"]]
        assert len(set(ids)) == 10
        described = client.get(f"{LIST}/{ids[0]}", headers=TOKEN)
        assert described.json() == first.json()["tasks"][0]
        assert client.get(LIST, params={"limit": 0}, headers=TOKEN).status_code == 400
        assert client.get(LIST).status_code == 401
        assert client.post(LIST, headers=TOKEN).status_code == 405


def test_sdk_signed_request_over_http(mock_server_url: str) -> None:
    host = urlsplit(mock_server_url).netloc
    request = SdkRequest(
        method="GET",
        schema="http",
        host=host,
        resource_path=LIST,
        query_params=[("version_id", "b a,é/x"), ("task_name", "PRE"), ("limit", 3)],
        header_params={"X-Sdk-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")},
        body="",
    )
    Signer(BasicCredentials("MOCKAK", "MOCKSK")).sign(request)
    with httpx.Client() as client:
        answer = client.get(httpx.URL(mock_server_url + request.uri), headers=dict(request.header_params))
        assert answer.status_code == 200, answer.text
        tampered = client.get(
            httpx.URL(mock_server_url + request.uri.replace("limit=3", "limit=4")), headers=dict(request.header_params)
        )
        assert tampered.status_code == 401


def test_faults_over_http_drop_the_connection() -> None:
    env = {
        "MOCK_FAULT_DROP_FIRST_N": "1",
        "MOCK_FAULT_503_FIRST_N": "2",
        "MOCK_FAULT_429_FIRST_N": "3",
        "MOCK_FAULT_RETRY_AFTER": "2",
    }
    with (
        running_mock_server(env) as url,
        httpx.Client(base_url=url) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get(LIST, headers=TOKEN)
        assert client.get(LIST, headers=TOKEN).status_code == 503
        throttled = client.get(LIST, headers=TOKEN)
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "2"
        assert client.get(LIST, headers=TOKEN).status_code == 200


def test_environment_overrides_credentials_and_data(tmp_path: Path) -> None:
    fixture = tmp_path / "tasks.json"
    fixture.write_text(json.dumps({"project": "p1", "tasks": [{"task_id": "only", "name": "One"}]}))
    env = {"MOCK_TOKENS": "t1=p1", "MOCK_AKSK": "K1:S1=p1", "MOCK_FIXTURE": str(fixture)}
    with running_mock_server(env) as url, httpx.Client(base_url=url) as client:
        assert client.get("/v2/p1/processor-tasks", headers={"X-Auth-Token": "t1"}).json()["count"] == 1
        assert client.get("/v2/p1/processor-tasks", headers=TOKEN).status_code == 401


def test_a_bad_fixture_stops_the_process_with_the_record_named(tmp_path: Path) -> None:
    fixture = tmp_path / "tasks.json"
    fixture.write_text(json.dumps([{"task_id": "fine"}, {"task_id": "bad", "status": "x"}]))
    with (
        pytest.raises(RuntimeError, match=r"record 1 \(task_id 'bad'\).*\$\.status"),
        running_mock_server({"MOCK_FIXTURE": str(fixture)}),
    ):
        pass
