"""Which connectors exist, and loading one by the ``type`` name a source declares.

Connectors are found under the entry-point group ``syncd.connectors`` (our own and third-party
packages alike) and loaded lazily: resolving ``type: ga4`` imports the GA4 connector (its SDK
loads on the first upstream call; :func:`require` reports a missing one already here),
and nothing else. In-process plugins and tests add connectors with :func:`register_connector`.

Every loaded class is checked against the contract of :class:`~syncd.abc.Connector` before it is
handed out, so a broken plugin fails with a message naming it, not deep inside a sync.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from typing import Literal, get_args, get_origin

from syncd.abc import Connector, QueryModel, SourceConfig, SourcePlugin
from syncd.errors import SyncdError

ENTRY_POINT_GROUP = "syncd.connectors"

_lock = threading.Lock()
_registered: dict[str, type[SourcePlugin]] = {}  # type: ignore[type-arg]
_loaded: dict[str, type[SourcePlugin]] = {}  # type: ignore[type-arg]


class UnknownConnector(SyncdError, KeyError):
    """No connector is registered under ``name``; ``available`` lists the names that are."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = available
        super().__init__(name)

    def __str__(self) -> str:
        known = ", ".join(self.available) or "none"
        return f"unknown source type {self.name!r} (available: {known})"


class ConnectorLoadError(SyncdError):
    """A connector is registered but cannot be used: missing dependency or broken contract."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


@cache
def _installed_entry_points() -> dict[str, EntryPoint]:
    # Read once per process: it scans every installed distribution's metadata, and a config
    # names many source types. A name not found reads them again (installed since).
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _entry_points() -> dict[str, EntryPoint]:
    return _installed_entry_points()


def available_connectors() -> list[str]:
    """Names of every connector: installed entry points and in-process registrations, sorted."""
    with _lock:
        registered = set(_registered)
    return sorted(registered | set(_entry_points()))


def _check_contract(name: str, obj: object) -> type[SourcePlugin]:  # type: ignore[type-arg]
    """Return ``obj`` as a source plugin class, or raise naming what is wrong with it."""
    if not (isinstance(obj, type) and issubclass(obj, SourcePlugin)):
        raise ConnectorLoadError(
            name,
            f"connector {name!r} is {obj!r}, not a subclass of syncd.abc.Connector "
            "or syncd.abc.CheckinSource",
        )
    if issubclass(obj, Connector) and (obj.fetch, obj.fetch_batch) == (
        Connector.fetch,
        Connector.fetch_batch,
    ):
        raise ConnectorLoadError(
            name,
            f"connector {name!r} ({obj.__qualname__}) implements neither fetch nor fetch_batch",
        )
    config_model = getattr(obj, "config_model", None)
    if not (isinstance(config_model, type) and issubclass(config_model, SourceConfig)):
        raise ConnectorLoadError(
            name, f"connector {name!r} ({obj.__qualname__}) has no SourceConfig 'config_model'"
        )
    query_model = getattr(obj, "query_model", None)
    if not (isinstance(query_model, type) and issubclass(query_model, QueryModel)):
        raise ConnectorLoadError(
            name, f"connector {name!r} ({obj.__qualname__}) has no QueryModel 'query_model'"
        )
    annotation = config_model.model_fields["type"].annotation
    if get_origin(annotation) is not Literal or get_args(annotation) != (name,):
        raise ConnectorLoadError(
            name,
            f"connector {name!r}: {config_model.__qualname__}.type must be Literal[{name!r}], "
            f"found {annotation!r}",
        )
    return obj


def _install_hint(name: str, ep: EntryPoint) -> str:
    distribution = ep.dist.name if ep.dist is not None else "syncd"
    extra = ep.extras[0] if ep.extras else name
    if distribution == "syncd":
        return f"pip install 'syncd[{extra}]'"
    return f"pip install '{distribution}[{extra}]' (or reinstall {distribution})"


def _load_entry_point(name: str, ep: EntryPoint) -> object:
    try:
        return ep.load()
    except ImportError as exc:
        missing = exc.name or str(exc)
        raise ConnectorLoadError(
            name,
            f"connector {name!r} needs {missing!r}, which is not installed: "
            f"install it with `{_install_hint(name, ep)}`",
        ) from exc
    except AttributeError as exc:
        raise ConnectorLoadError(
            name, f"connector {name!r}: entry point {ep.value!r} does not resolve ({exc})"
        ) from exc


def require(package: str) -> None:
    """Raise ``ImportError`` naming the distribution ``package`` when it is not installed, without
    importing it. A connector that imports its SDK on first use calls this from its package's
    ``__init__``, so a missing SDK is reported when the config is loaded, with what to install."""
    try:
        distribution(package)
    except PackageNotFoundError:
        raise ModuleNotFoundError(f"{package} is not installed", name=package) from None


def load_connector(name: str) -> type[SourcePlugin]:  # type: ignore[type-arg]
    """The connector class for source ``type: name``, imported on first use and cached.

    Raises :class:`UnknownConnector` for a name nobody registered, and
    :class:`ConnectorLoadError` when the connector's package (or its vendor SDK) is missing or the
    loaded object breaks the connector contract.
    """
    with _lock:
        if name in _registered:
            return _registered[name]
        if name in _loaded:
            return _loaded[name]
    eps = _entry_points()
    if name not in eps:
        _installed_entry_points.cache_clear()
        eps = _entry_points()
    if name not in eps:
        raise UnknownConnector(name, available_connectors())
    cls = _check_contract(name, _load_entry_point(name, eps[name]))
    with _lock:
        _loaded[name] = cls
    return cls


def register_connector(
    name: str,
    cls: type[SourcePlugin],  # type: ignore[type-arg]
    *,
    replace: bool = False,
) -> None:
    """Make ``cls`` available as ``type: name`` in this process (plugins, tests).

    An in-process registration takes precedence over an entry point of the same name. Registering
    a name twice raises ``ValueError`` unless ``replace`` is true.
    """
    checked = _check_contract(name, cls)
    with _lock:
        if name in _registered and not replace and _registered[name] is not cls:
            raise ValueError(f"connector {name!r} is already registered in this process")
        _registered[name] = checked


def unregister_connector(name: str) -> None:
    """Remove an in-process registration; an entry point of the same name shows again."""
    with _lock:
        if name not in _registered:
            raise UnknownConnector(name, sorted(_registered))
        del _registered[name]
