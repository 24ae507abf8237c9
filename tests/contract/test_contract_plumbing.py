"""Unit tests of the suite's own machinery: target selection, signing, the list of checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from tests.contract.support import (
    CUSTOM_CHECKS,
    ENV_AK,
    ENV_BASE_URL,
    ENV_PROJECT_ID,
    ENV_SK,
    ENV_TOKEN,
    INAPPLICABLE_BUILTIN_CHECKS,
    MOCK_AK,
    MOCK_PROJECT,
    AkSkAuth,
    Target,
    TokenAuth,
    builtin_checks,
    contract_checks,
    iter_check_names,
    remote_target_from_env,
)


def test_aksk_signature_matches_the_sdk_test_vector() -> None:
    # The vector is what huaweicloudsdkcore's Signer (pinned in requirements/dev.txt) computes
    # for this request, checked here against the SDK itself: any drift in how the prepared
    # request is handed to the signer (path, query, host) changes this signature.
    auth = AkSkAuth("AKEXAMPLE", "SKEXAMPLE", now=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    request = requests.Request("GET", "http://127.0.0.1:8080/v2/PROJ/processor-tasks?limit=10&offset=0").prepare()
    auth(request)
    assert request.headers["X-Sdk-Date"] == "20240101T000000Z"
    vector = (
        "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-sdk-date, "
        "Signature=b3a5dfff1895ec390ce4e478c9e2363cc5e9ca818329d963faf44b21ad1d6a37"
    )
    sdk_request = SdkRequest(
        method="GET",
        schema="http",
        host="127.0.0.1:8080",
        resource_path="/v2/PROJ/processor-tasks",
        query_params=[("limit", "10"), ("offset", "0")],
        header_params={"Host": "127.0.0.1:8080", "X-Sdk-Date": "20240101T000000Z"},
        body="",
    )
    Signer(BasicCredentials("AKEXAMPLE", "SKEXAMPLE")).sign(sdk_request)
    assert sdk_request.header_params["Authorization"] == vector
    assert request.headers["Authorization"] == vector


def test_aksk_signs_repeated_and_encoded_query_keys_like_the_mock_verifies(mock_server_url: str) -> None:
    # Repeated keys, commas, spaces and slashes are where query canonicalisation goes wrong.
    # version_id carries its list in one comma-joined value (explode: false); the repeated key
    # is an undeclared parameter, which the mock ignores but must still verify as signed.
    url = f"{mock_server_url}/v2/{MOCK_PROJECT}/processor-tasks"
    params = {"version_id": "b v/2,a~1", "extra": ["z", "y y"], "task_name": "a b", "limit": "5"}
    good = requests.get(url, params=params, auth=AkSkAuth(MOCK_AK, "MOCKSK"), timeout=10)
    assert good.status_code == 200, good.text
    # The same request with a wrong secret must not pass, or the AK/SK target would prove nothing.
    bad = requests.get(url, params=params, auth=AkSkAuth(MOCK_AK, "WRONG"), timeout=10)
    assert bad.status_code == 401, bad.text


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {ENV_BASE_URL: "http://x", ENV_PROJECT_ID: "p"},
        {ENV_BASE_URL: "http://x", ENV_TOKEN: "t"},
        {ENV_PROJECT_ID: "p", ENV_TOKEN: "t"},
        {ENV_BASE_URL: "http://x", ENV_PROJECT_ID: "p", ENV_AK: "ak"},
    ],
    ids=["nothing", "no-credentials", "no-project", "no-url", "ak-without-sk"],
)
def test_remote_target_unconfigured_names_every_variable(environ: dict[str, str]) -> None:
    reason = remote_target_from_env(environ)
    assert isinstance(reason, str)
    for name in (ENV_BASE_URL, ENV_PROJECT_ID, ENV_TOKEN, ENV_AK, ENV_SK):
        assert name in reason


def test_remote_target_from_token() -> None:
    target = remote_target_from_env({ENV_BASE_URL: "https://example.test/", ENV_PROJECT_ID: "p1", ENV_TOKEN: "t"})
    assert isinstance(target, Target)
    assert isinstance(target.auth, TokenAuth)
    assert (target.base_url, target.project_id, target.remote) == ("https://example.test", "p1", True)


def test_remote_target_from_aksk() -> None:
    target = remote_target_from_env(
        {ENV_BASE_URL: "https://example.test", ENV_PROJECT_ID: "p1", ENV_AK: "a", ENV_SK: "s"}
    )
    assert isinstance(target, Target)
    assert isinstance(target.auth, AkSkAuth)


def test_every_builtin_check_is_accounted_for() -> None:
    # A schemathesis upgrade that adds a check must make someone decide whether it applies.
    used = set(iter_check_names(contract_checks()))
    builtin = set(builtin_checks())
    assert builtin - used == set(INAPPLICABLE_BUILTIN_CHECKS) & builtin
    assert set(iter_check_names(CUSTOM_CHECKS)) <= used
    # The checks issue 3 names explicitly.
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "ignored_auth",
        "use_after_free",
        "ensure_resource_availability",
    } <= used
