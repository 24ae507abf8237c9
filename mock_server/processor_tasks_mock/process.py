"""Running ``python -m processor_tasks_mock`` as a separate process, for tests over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_mock_server(env: Mapping[str, str] | None = None, timeout: float = 20.0) -> Iterator[str]:
    """Start the mock on a free loopback port, yield its base URL, and stop it afterwards.

    The child gets the current environment without its ``MOCK_*`` variables (so that a
    developer's shell settings cannot leak into tests), plus ``env``; PORT and MOCK_HOST are
    set here. The URL is
    yielded only once ``GET /openapi.json`` answers 200; if the process exits first, or does
    not answer within ``timeout`` seconds, RuntimeError carries its stderr.
    """
    port = free_port()
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("MOCK_")}
    child_env = {**inherited, **(env or {}), "PORT": str(port), "MOCK_HOST": "127.0.0.1"}
    child_env.setdefault("MOCK_LOG_LEVEL", "warning")
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), child_env.get("PYTHONPATH")]))
    # A file rather than a pipe: a pipe nobody reads would block a chatty server.
    stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 -- closed when the server stops, after the with block
    process = subprocess.Popen(
        [sys.executable, "-m", "processor_tasks_mock"],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=stderr_file,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                stderr_file.seek(0)
                stderr = stderr_file.read().decode("utf-8", "replace")
                raise RuntimeError(f"mock server exited with {process.returncode}: {stderr}")
            try:
                with urllib.request.urlopen(base_url + "/openapi.json", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mock server did not answer on {base_url} within {timeout} s")
            time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr_file.close()
