"""``python -m mock_server``: serve the mock with uvicorn (settings from the environment)."""

from __future__ import annotations

import sys

import uvicorn

from mock_server.app import create_app
from mock_server.fixtures import FixtureError
from mock_server.settings import Settings, SettingsError
from mock_server.spec import SpecError


def main() -> int:
    """Start serving; return a non-zero status when the configuration is refused."""
    try:
        settings = Settings.from_env()
        app = create_app(settings)
    except (SettingsError, SpecError, FixtureError) as exc:
        print(f"mock_server: refusing to start: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # Headers from a proxy must not rewrite what the signature check sees.
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
