from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syncd import registry
from syncd.config import LoadedConfig, load_config
from syncd.store import Store

from .fakes import DailyConnector


@pytest.fixture(autouse=True)
def daily_connector() -> Iterator[type[DailyConnector]]:
    registry.register_connector("daily", DailyConnector, replace=True)
    DailyConnector.requests = []
    DailyConnector.factor = 1.0
    DailyConnector.barrier = None
    yield DailyConnector
    DailyConnector.barrier = None
    registry.unregister_connector("daily")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], LoadedConfig]:
    def write(text: str) -> LoadedConfig:
        path = tmp_path / "syncd.yaml"
        body = textwrap.dedent(text).replace("{tmp}", str(tmp_path))
        path.write_text(body)
        return load_config(path)

    return write


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.close()
