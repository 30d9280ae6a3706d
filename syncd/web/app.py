"""``syncd serve``: the dashboard alone, as a read-only Flask app over a store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask

from syncd.config import LoadedConfig
from syncd.formatting import set_locale
from syncd.observe.headers import add_security_headers
from syncd.store import Store
from syncd.web.data import DashboardData, load_dashboard_data
from syncd.web.jsonprovider import FiniteJSONProvider
from syncd.web.views import dashboard_blueprint


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _LazyStore:
    """Opens the store on first use and keeps it: a store that is down at start-up is
    retried on the next request instead of keeping the dashboard from starting."""

    def __init__(self, factory: Callable[[], Store]) -> None:
        self._factory = factory
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = self._factory()
            return self._store


def create_dashboard_app(
    loaded: LoadedConfig,
    store_factory: Callable[[], Store],
    *,
    token: str | None,
    clock: Callable[[], datetime] = _utcnow,
) -> Flask:
    """The dashboard and its JSON API as a Flask app; every route needs ``token`` when set.

    ``store_factory`` is called once, on the first request that needs the store; ``clock``
    gives the moment progress is evaluated at (now, by default).
    """
    stores = _LazyStore(store_factory)
    set_locale(loaded.config.locale)

    def source(*, histories: bool = True) -> DashboardData:
        return load_dashboard_data(loaded, stores.get(), clock(), histories=histories)

    app = add_security_headers(Flask("syncd.web", static_folder=None))
    app.json = FiniteJSONProvider(app)
    app.json.sort_keys = False  # documents keep their field order
    app.register_blueprint(dashboard_blueprint(source, token=token))
    return app
