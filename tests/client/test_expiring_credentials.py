"""Credentials that expire: providers, refresh windows, a 401 refreshed once, rotation that never fails silently.

Against the mock (in-process, and over a socket on 127.0.0.1 where a provider builds its
own HTTP client), sync and async. No test contacts the real metadata service: every
MetadataProvider here points at the mock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from processor_tasks_client import (
    AkSkAuth,
    AuthenticatedClient,
    AuthenticationError,
    ConfigurationError,
    Credentials,
    CredentialsError,
    EnvironmentProvider,
    MetadataProvider,
    ProcessorTasks,
    ProfileProvider,
    ProviderChain,
    RefreshingCredentials,
    default_chain,
)
from processor_tasks_client.errors import PagingError
from processor_tasks_mock.testing import MockHandle, in_process, serving

MODES = ["sync", "async"]
LIMIT = 50  # the mock's default workspace holds 177 tasks: four pages


@pytest.fixture
def mock() -> Iterator[MockHandle]:
    with in_process() as handle:
        yield handle


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Counting:
    """A provider that hands out numbered tokens, or fails while told to."""

    def __init__(self, ttl: float | None = None, clock: Clock | None = None, delay: float = 0.0) -> None:
        self.calls = 0
        self.fail = False
        self._ttl = ttl
        self._clock = clock
        self._delay = delay
        self._lock = threading.Lock()

    def load(self) -> Credentials:
        with self._lock:
            self.calls += 1
            number = self.calls
        time.sleep(self._delay)
        if self.fail:
            raise CredentialsError("told to fail")
        now = self._clock() if self._clock else time.time()
        return Credentials(token=f"t{number}", expires_at=None if self._ttl is None else now + self._ttl)


def walk(facade: ProcessorTasks, mode: str, *, between: Any = None, **kwargs: Any) -> list[str]:
    """Every task id of a page walk; ``between(index)`` runs after each page is consumed."""
    ids: list[str] = []
    if mode == "sync":
        for index, page in enumerate(facade.iter_list_processor_tasks_pages(limit=LIMIT, **kwargs)):
            ids += [t.task_id for t in page.tasks]
            if between:
                between(index)
        return ids

    async def run() -> list[str]:
        index = 0
        async for page in facade.aiter_list_processor_tasks_pages(limit=LIMIT, **kwargs):
            ids.extend(t.task_id for t in page.tasks)
            if between:
                between(index)
            index += 1
        return ids

    return asyncio.run(run())


def all_ids(mock: MockHandle) -> list[str]:
    """What an undisturbed walk with the same (default) filters yields; not recorded."""
    ids = [
        t.task_id
        for t in ProcessorTasks(mock.client(retry=None), mock.project_id).iter_list_processor_tasks(limit=LIMIT)
    ]
    mock.clear_requests()
    return ids


# -- a walk survives a token that expires halfway ----------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_walk_survives_a_token_that_expires_halfway(mock: MockHandle, mode: str) -> None:
    expected = all_ids(mock)
    provider = mock.token_provider()
    facade = ProcessorTasks(mock.client("refreshing", credentials=provider, retry=None), mock.project_id)

    def expire_after_first(index: int) -> None:
        if index == 1:
            mock.expire(provider.issued[-1])

    ids = walk(facade, mode, between=expire_after_first)
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))
    assert len(provider.issued) == 2  # one refresh, after the 401
    statuses = [r.status for r in mock.requests]
    assert statuses.count(401) == 1 and statuses[statuses.index(401) + 1] == 200
    retried = mock.requests[statuses.index(401) + 1]
    assert retried.headers["x-auth-token"] == provider.issued[1]
    assert retried.query == mock.requests[statuses.index(401)].query  # the same page, repeated


@pytest.mark.parametrize("mode", MODES)
def test_token_is_refreshed_ahead_of_expiry_without_a_401(mock: MockHandle, mode: str) -> None:
    expected = all_ids(mock)
    clock = Clock()
    mock.app.settings = dataclasses.replace(mock.app.settings, clock=clock)  # tokens expire by the same clock
    mock.app.authenticator = dataclasses.replace(mock.app.authenticator, clock=clock)
    provider = mock.token_provider(ttl_seconds=3600)
    credentials = RefreshingCredentials(provider, clock=clock)
    facade = ProcessorTasks(mock.client("refreshing", credentials=credentials, retry=None), mock.project_id)

    def time_passes(index: int) -> None:
        if index == 0:
            clock.now += 3600 - 5 * 60  # into the mandatory window (10 minutes before expiry)

    ids = walk(facade, mode, between=time_passes)
    assert sorted(ids) == sorted(expected)
    assert 401 not in [r.status for r in mock.requests]
    assert len(provider.issued) == 2
    sent = [r.headers["x-auth-token"] for r in mock.requests]
    assert sent == [provider.issued[0]] + [provider.issued[1]] * (len(sent) - 1)


def test_a_second_401_reaches_the_caller(mock: MockHandle) -> None:
    class Stale:
        calls = 0

        def load(self) -> Credentials:
            Stale.calls += 1
            return Credentials(token=f"unknown-{Stale.calls}")

    with pytest.raises(AuthenticationError):
        ProcessorTasks(
            mock.client("refreshing", credentials=Stale(), retry=None), mock.project_id
        ).list_processor_tasks()
    assert [r.status for r in mock.requests] == [401, 401]  # refreshed and repeated once, not more
    assert Stale.calls == 2


# -- temporary AK/SK from the metadata endpoint --------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_temporary_aksk_come_from_the_metadata_endpoint_and_are_refreshed(mock: MockHandle, mode: str) -> None:
    clock = Clock()
    credentials = RefreshingCredentials(mock.metadata_provider(), clock=clock)
    facade = ProcessorTasks(mock.client("metadata", credentials=credentials, retry=None), mock.project_id)

    def call() -> None:
        if mode == "sync":
            facade.list_processor_tasks(limit=1)
        else:
            asyncio.run(facade.alist_processor_tasks(limit=1))

    call()
    call()
    assert len(mock.issued_temporary) == 1  # fetched once, then reused
    first = mock.issued_temporary[0]
    assert {r.access_key for r in mock.requests} == {first["access"]}
    assert all(r.headers["x-security-token"] == first["securitytoken"] for r in mock.requests)
    clock.now += 3600 - 5 * 60  # the mock issues them for an hour: inside the mandatory window
    call()
    assert len(mock.issued_temporary) == 2
    assert mock.requests[-1].access_key == mock.issued_temporary[1]["access"]
    assert [r.status for r in mock.requests] == [200, 200, 200]


@pytest.mark.parametrize("mode", MODES)
def test_expired_temporary_aksk_are_refreshed_after_the_401(mock: MockHandle, mode: str) -> None:
    expected = all_ids(mock)
    facade = mock.processor_tasks("metadata", retry=None)

    def expire(index: int) -> None:
        if index == 0:
            mock.expire(mock.issued_temporary[-1]["access"])

    ids = walk(facade, mode, between=expire)
    assert sorted(ids) == sorted(expected)
    assert len(mock.issued_temporary) == 2
    assert [r.status for r in mock.requests].count(401) == 1


def test_metadata_provider_over_a_socket_with_a_session_token() -> None:
    with serving() as handle:
        provider = MetadataProvider(handle.metadata_endpoint)
        credentials = provider.load()
        assert credentials.access_key == handle.issued_temporary[0]["access"]
        assert credentials.expires_at is not None and 3500 < credentials.expires_at - time.time() <= 3600
        # A session token the service no longer knows: the provider gets a new one and asks again.
        handle.app.metadata_sessions.clear()
        assert provider.load().access_key == handle.issued_temporary[1]["access"]
        assert credentials.secret_key and credentials.secret_key not in repr(credentials)
        assert credentials.security_token and credentials.security_token not in repr(credentials)


def test_metadata_provider_refuses_answers_that_are_not_credentials() -> None:
    with serving() as handle, pytest.raises(CredentialsError, match="answered HTTP 404"):
        MetadataProvider(handle.base_url + "/nothing-here").load()
    with pytest.raises(CredentialsError, match="cannot reach"):
        MetadataProvider("http://127.0.0.1:9", timeout=0.5).load()
    with pytest.raises(ConfigurationError, match="PROCESSOR_TASKS_METADATA_ENDPOINT"):
        MetadataProvider(environ={"PROCESSOR_TASKS_METADATA_ENDPOINT": "eu-de"})


# -- rotating a credential never fails silently -------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_setting_the_token_after_first_use_sends_the_new_one(mock: MockHandle, mode: str) -> None:
    client = mock.client(retry=None)
    facade = ProcessorTasks(client, mock.project_id)
    new = mock.issue_token()

    async def twice() -> None:
        await facade.alist_processor_tasks(limit=1)
        client.token = new
        await facade.alist_processor_tasks(limit=1)

    if mode == "sync":
        facade.list_processor_tasks(limit=1)
        client.token = new
        facade.list_processor_tasks(limit=1)
    else:
        asyncio.run(twice())
    assert [r.headers["x-auth-token"] for r in mock.requests] == [mock.token, new]
    assert new not in repr(client)


def test_setting_a_token_that_cannot_be_used_raises_and_keeps_the_old_one(mock: MockHandle) -> None:
    client = mock.client(retry=None)
    with pytest.raises(ConfigurationError, match="line break"):
        client.token = "abc\n"
    assert client.token == mock.token
    signed = mock.client("aksk", retry=None)
    with pytest.raises(ConfigurationError, match="one of token, auth or credentials"):
        signed.token = "t"
    assert signed.token == ""


@pytest.mark.parametrize("mode", MODES)
def test_with_headers_token_header_gives_the_new_client_the_new_token(mock: MockHandle, mode: str) -> None:
    new = mock.issue_token()
    client = mock.client(retry=None).with_headers({"X-Auth-Token": new, "X-Trace": "1"})
    facade = ProcessorTasks(client, mock.project_id)
    if mode == "sync":
        facade.list_processor_tasks(limit=1)
    else:
        asyncio.run(facade.alist_processor_tasks(limit=1))
    assert mock.requests[-1].headers["x-auth-token"] == new
    assert mock.requests[-1].headers["x-trace"] == "1"


def test_a_credential_header_the_auth_overwrites_is_refused() -> None:
    signed = AuthenticatedClient(base_url="https://example.test", auth=AkSkAuth("AK", "SK", "STS"))
    with pytest.raises(ConfigurationError, match="Authorization"):
        signed.with_headers({"Authorization": "SDK-HMAC-SHA256 forged"})
    with pytest.raises(ConfigurationError, match="X-Security-Token"):
        signed.with_headers({"X-Security-Token": "other"})
    with pytest.raises(ConfigurationError, match="X-Auth-Token"):
        AuthenticatedClient(base_url="https://example.test", token="a", headers={"X-Auth-Token": "b"})
    refreshing = AuthenticatedClient(base_url="https://example.test", credentials=Counting())
    with pytest.raises(ConfigurationError, match="X-Auth-Token"):
        refreshing.with_headers({"X-Auth-Token": "b"})
    with pytest.raises(ConfigurationError, match="one of token, auth or credentials"):
        AuthenticatedClient(base_url="https://example.test", token="a", credentials=Counting())
    with pytest.raises(ConfigurationError, match="load"):
        AuthenticatedClient(base_url="https://example.test", credentials="a token")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
def test_replacing_the_facade_client_during_a_walk_raises_and_the_walk_goes_on_from_there(
    mock: MockHandle, mode: str
) -> None:
    facade = ProcessorTasks(mock.client(retry=None), mock.project_id)

    def replace(index: int) -> None:
        if index == 0:
            facade.client = mock.client(retry=None)

    with pytest.raises(PagingError) as caught:
        walk(facade, mode, between=replace)
    assert caught.value.page == 1 and "start_page=1" in str(caught.value)
    assert len(mock.requests) == 1  # nothing was sent with the old client after the swap
    expected = all_ids(mock)
    rest = walk(facade, mode, start_page=caught.value.page)
    assert sorted(expected[:LIMIT] + rest) == sorted(expected)


# -- a walk that stops on an error says where, and goes on from there ----------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_walk_stopped_by_a_revoked_token_names_the_page_and_resumes(mock: MockHandle, mode: str) -> None:
    expected = all_ids(mock)
    token = mock.issue_token()
    client = mock.client(retry=None)
    client.token = token
    facade = ProcessorTasks(client, mock.project_id)

    def revoke(index: int) -> None:
        if index == 1:
            mock.revoke(token)

    with pytest.raises(AuthenticationError) as caught:
        walk(facade, mode, between=revoke)
    assert caught.value.page == 2
    assert any("start_page=2" in note for note in caught.value.__notes__)
    first = [r for r in mock.requests if r.status == 200]
    assert len(first) == 2
    client.token = mock.issue_token()
    ids = walk(facade, mode, start_page=caught.value.page)
    assert sorted(ids) == sorted(expected[2 * LIMIT :])
    assert dict(mock.requests[-2].query)["offset"] == "2"  # the resumed walk began at the page that failed


def test_start_page_is_checked() -> None:
    facade = ProcessorTasks(AuthenticatedClient(base_url="https://example.test", token="t"), "p")
    with pytest.raises(ValueError, match="start_page"):
        next(iter(facade.iter_list_processor_tasks_pages(start_page=-1)))
    with pytest.raises(TypeError, match="start_page"):
        next(iter(facade.iter_list_processor_tasks_pages(start_page="1")))  # type: ignore[arg-type]


# -- the refresh windows and the lock --------------------------------------------------------


def test_advisory_window_keeps_the_current_credentials_when_refresh_fails(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    provider = Counting(ttl=3600, clock=clock)
    credentials = RefreshingCredentials(provider, clock=clock)
    assert credentials.get().token == "t1"
    clock.now += 3600 - 12 * 60  # advisory (15 min) but not mandatory (10 min)
    provider.fail = True
    with caplog.at_level(logging.WARNING, logger="processor_tasks_client"):
        assert credentials.get().token == "t1"
    assert "advisory" in caplog.text
    clock.now += 5 * 60  # now mandatory
    with pytest.raises(CredentialsError, match="told to fail"):
        credentials.get()
    provider.fail = False
    assert credentials.get().token == "t4"
    clock.now += 3600  # expired credentials from a provider are refused
    provider._clock = Clock()
    provider._clock.now = clock.now - 7200
    with pytest.raises(CredentialsError, match="already expired"):
        credentials.get()


def test_credentials_shorter_than_the_windows_are_not_refreshed_on_every_call() -> None:
    clock = Clock()
    provider = Counting(ttl=120, clock=clock)  # two minutes: inside both windows from the start
    credentials = RefreshingCredentials(provider, clock=clock)
    assert [credentials.get().token for _ in range(3)] == ["t1"] * 3
    clock.now += 61  # past half their time: refreshed
    assert credentials.get().token == "t2"
    assert provider.calls == 2


def test_without_expiry_credentials_are_loaded_once() -> None:
    provider = Counting()
    credentials = RefreshingCredentials(provider)
    assert [credentials.get().token for _ in range(5)] == ["t1"] * 5
    assert provider.calls == 1


def test_threads_in_the_mandatory_window_share_one_refresh() -> None:
    clock = Clock()
    provider = Counting(ttl=3600, clock=clock, delay=0.05)
    credentials = RefreshingCredentials(provider, clock=clock)
    credentials.get()
    clock.now += 3600 - 60
    results: list[str | None] = []
    threads = [threading.Thread(target=lambda: results.append(credentials.get().token)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert provider.calls == 2 and results == ["t2"] * 8


def test_tasks_refused_together_share_one_refresh() -> None:
    provider = Counting(delay=0.05)
    credentials = RefreshingCredentials(provider)

    async def run() -> list[Credentials | None]:
        rejected = await credentials.aget()
        return list(await asyncio.gather(*(credentials.aafter_rejection(rejected) for _ in range(8))))

    fresh = asyncio.run(run())
    assert provider.calls == 2 and {c.token for c in fresh if c} == {"t2"} and None not in fresh


# -- built-in providers ------------------------------------------------------------------


def test_environment_provider_reads_todays_variables() -> None:
    assert EnvironmentProvider({"PROCESSOR_TASKS_TOKEN": "tok"}).load().token == "tok"
    aksk = EnvironmentProvider(
        {"HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": "SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN": "STS"}
    ).load()
    assert (aksk.access_key, aksk.secret_key, aksk.security_token) == ("AK", "SK", "STS")
    with pytest.raises(CredentialsError, match="HUAWEICLOUD_SDK_AK"):
        EnvironmentProvider({}).load()


def test_profile_provider_reads_the_sdk_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[basic]\nak = PAK\nsk = PSK-SECRET\nsecurity_token = PSTS-SECRET\nproject_id = p\n")
    loaded = ProfileProvider(environ={"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)}).load()
    assert (loaded.access_key, loaded.secret_key, loaded.security_token) == ("PAK", "PSK-SECRET", "PSTS-SECRET")
    assert "SECRET" not in repr(loaded)
    path.write_text("[basic]\nak = PAK\n")
    with pytest.raises(CredentialsError, match="needs ak and sk"):
        ProfileProvider(path).load()
    path.write_text("not ini = x SECRET\n")
    with pytest.raises(CredentialsError) as caught:
        ProfileProvider(path).load()
    assert "SECRET" not in str(caught.value)
    with pytest.raises(CredentialsError, match="does not exist"):
        ProfileProvider(tmp_path / "missing").load()


def test_default_chain_falls_through_to_the_metadata_endpoint(tmp_path: Path) -> None:
    with serving() as handle:
        env = {
            "HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(tmp_path / "missing"),
            "PROCESSOR_TASKS_METADATA_ENDPOINT": handle.metadata_endpoint,
        }
        chain = default_chain(env)
        assert chain.load().access_key == handle.issued_temporary[0]["access"]
        assert isinstance(chain.chosen, MetadataProvider)
        env_first = default_chain({**env, "PROCESSOR_TASKS_TOKEN": "tok"})
        assert env_first.load().token == "tok" and isinstance(env_first.chosen, EnvironmentProvider)
    with pytest.raises(CredentialsError) as caught:
        ProviderChain([EnvironmentProvider({}), ProfileProvider(tmp_path / "missing")]).load()
    assert "environment" in str(caught.value) and "profile" in str(caught.value)


def test_from_env_with_metadata_credentials_walks_the_mock() -> None:
    with serving() as handle:
        count = handle.processor_tasks().list_processor_tasks(limit=1).count
        facade = ProcessorTasks.from_env(handle.env("metadata"), httpx_args={"trust_env": False})
        with facade:
            assert facade.list_processor_tasks(limit=1).count == count > 0
        assert len(handle.issued_temporary) == 1
        with pytest.raises(ConfigurationError, match="PROCESSOR_TASKS_CREDENTIALS"):
            ProcessorTasks.from_env({**handle.env(), "PROCESSOR_TASKS_CREDENTIALS": "vault"})


def test_no_credential_in_repr_or_errors() -> None:
    credentials = Credentials(access_key="AK", secret_key="SK-SECRET", security_token="STS-SECRET", expires_at=1.0)
    refreshing = RefreshingCredentials(Counting())
    refreshing._current = credentials
    client = AuthenticatedClient(base_url="https://example.test", credentials=refreshing)
    for text in (repr(credentials), str(credentials), repr(refreshing), repr(client), repr(client._request_auth())):
        assert "SECRET" not in text
    with pytest.raises(ConfigurationError) as caught:
        Credentials(token="TOKEN-SECRET\n")
    assert "SECRET" not in str(caught.value)
