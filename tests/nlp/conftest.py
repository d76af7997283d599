"""One Analyzer for the whole test session: building the cache takes a few seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from fengqiao.nlp.analyzer import Analyzer, default_config_dir


@pytest.fixture(scope="session")
def nlp_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlp-data")


@pytest.fixture(scope="session")
def analyzer(nlp_cache: Path) -> Analyzer:
    return Analyzer.load(default_config_dir(), nlp_cache)
