"""One live service (embedded defaults) shared by the security tests of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import make_settings
from tests.security.live import LiveApp


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    # No per-address API limit here: fuzzers send thousands of requests from one address.
    settings = make_settings(tmp_path_factory.mktemp("live"), api_requests_per_minute_per_ip=0)
    app = LiveApp(settings).start()
    yield app
    app.stop()
