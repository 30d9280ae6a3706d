"""Building the dashboard app over the test store, and cutting one KR's markup out of a page."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from syncd.config import LoadedConfig
from syncd.store import Store
from syncd.web import create_dashboard_app
from tests.web.conftest import NOW


def dashboard_app(loaded: LoadedConfig, store_path: Path, token: str | None = None) -> Flask:
    """The ``syncd serve`` app on the test store, evaluated at ``NOW``."""
    return create_dashboard_app(
        loaded, lambda: Store.open(f"sqlite:///{store_path}"), token=token, clock=lambda: NOW
    )


def kr_markup(page: str, kr_id: str) -> str:
    """The ``<li>`` of one KR on the dashboard page."""
    start = page.index(f'data-kr="{kr_id}"')
    return page[start : page.index("</li>", start)]
