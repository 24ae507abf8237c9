"""(d) AK/SK signing cost per request: a list call signed with ``AkSkAuth`` vs one with a token.

No target in issue 4; the ratio and the microseconds per signature are reported. Both
clients answer from the same ``httpx.MockTransport`` with an empty page, so no network and
no model decoding is involved: the only difference is ``AkSkAuth.sign`` running inside
httpx's auth flow. The ratio is therefore against the client's fixed per-request cost, the
harshest denominator; against a real 100-task answer (benchmark b) it is far smaller.

Microseconds per signature are measured twice: as the difference of the two list calls, and
directly as ``AkSkAuth.sign`` on a fresh request minus building that request.
"""

from __future__ import annotations

import httpx
from processor_tasks_client import AkSkAuth, AuthenticatedClient
from processor_tasks_client.api.processor_tasks import list_processor_tasks

from benchmarks._support import PROJECT, TOKEN, BenchResult, compare
from benchmarks.list_call import client_url

# Never contacted: the MockTransport answers. Loopback all the same, in case it ever were.
BASE_URL = "http://127.0.0.1:1"
EMPTY_PAGE = b'{"count":0,"tasks":[]}'


def run(smoke: bool = False) -> BenchResult:
    """Median cost of a signed list call against a token list call, and of one signature."""
    seen: dict[str, httpx.Headers] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=EMPTY_PAGE, headers={"Content-Type": "application/json"})

    def recording(request: httpx.Request) -> httpx.Response:
        seen["token" if "X-Auth-Token" in request.headers else "signed"] = request.headers
        return answer(request)

    transport = httpx.MockTransport(answer)
    signed = AuthenticatedClient(
        base_url=BASE_URL, auth=AkSkAuth("MOCKAK", "MOCKSK"), httpx_args={"transport": transport}
    )
    token = AuthenticatedClient(base_url=BASE_URL, token=TOKEN, httpx_args={"transport": transport})

    # One recorded call each proves the setup: one side signs, the other only sends the token.
    probe_args = {"transport": httpx.MockTransport(recording)}
    for probe in (
        AuthenticatedClient(base_url=BASE_URL, auth=AkSkAuth("MOCKAK", "MOCKSK"), httpx_args=dict(probe_args)),
        AuthenticatedClient(base_url=BASE_URL, token=TOKEN, httpx_args=dict(probe_args)),
    ):
        with probe:
            list_processor_tasks.sync(PROJECT, client=probe, limit=100)
    signs = seen["signed"].get("Authorization", "").startswith("SDK-HMAC-SHA256 ") and "X-Sdk-Date" in seen["signed"]
    token_only = "Authorization" not in seen["token"]

    with signed, token:

        def signed_call() -> object:
            return list_processor_tasks.sync(PROJECT, client=signed, limit=100)

        def token_call() -> object:
            return list_processor_tasks.sync(PROJECT, client=token, limit=100)

        repeats, number, warmup = (1, 1, 1) if smoke else (25, 200, 200)
        timing = compare(signed_call, token_call, repeats=repeats, number=number, warmup=warmup)

    auth = AkSkAuth("MOCKAK", "MOCKSK")
    # The URL the client really sends, so the direct measurement signs the same query.
    url = BASE_URL + client_url(100)

    def build_and_sign() -> None:
        request = httpx.Request("GET", url)
        auth.sign(request)

    def build() -> None:
        httpx.Request("GET", url)

    direct = compare(build_and_sign, build, repeats=repeats, number=number * 2, warmup=warmup)
    per_signature_us = (direct.subject_ns - direct.baseline_ns) / 1e3
    return BenchResult(
        key="d",
        title="AK/SK signing per request",
        subject="list call with auth=AkSkAuth(...)",
        baseline="list call with token=...",
        subject_value=timing.subject_ns / 1e3,
        baseline_value=timing.baseline_ns / 1e3,
        unit="us",
        ratio=timing.ratio,
        target="-",
        met=None,
        verdict=f"INFO: {per_signature_us:.1f} us per signature",
        details={
            "signature_us": round(per_signature_us, 2),
            "signature_us_from_calls": round((timing.subject_ns - timing.baseline_ns) / 1e3, 2),
            "signed_request_has_signature": signs,
            "token_request_unsigned": token_only,
            **timing.spread(),
        },
    )
