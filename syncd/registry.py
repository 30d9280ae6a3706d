"""Which connectors and sinks exist, and loading one by the ``type`` name a config declares.

Connectors are found under the entry-point group ``syncd.connectors``, sinks under
``syncd.sinks`` (our own and third-party packages alike), and loaded lazily: resolving
``type: ga4`` imports the GA4 connector (its SDK loads on the first upstream call;
:func:`require` reports a missing one already here), and nothing else. In-process plugins and
tests add them with :func:`register_connector` / :func:`register_sink`.

Every loaded class is checked against the contract of :class:`~syncd.abc.Connector` or
:class:`~syncd.abc.Sink` before it is handed out, so a broken plugin fails with a message naming
it, not deep inside a sync. The machinery is :class:`syncd.plugins.PluginGroup`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from syncd.abc import (
    Connector,
    QueryModel,
    Sink,
    SinkConfig,
    SourceConfig,
    SourcePlugin,
    TargetModel,
)
from syncd.plugins import PluginGroup, PluginLoadError, UnknownPlugin

ENTRY_POINT_GROUP = "syncd.connectors"
SINK_ENTRY_POINT_GROUP = "syncd.sinks"

AnySourcePlugin = type[SourcePlugin[Any, Any]]
AnySink = type[Sink[Any, Any]]


class UnknownConnector(UnknownPlugin):
    """No connector is registered under ``name``; ``available`` lists the names that are."""

    what = "source type"


class ConnectorLoadError(PluginLoadError):
    """A connector is registered but cannot be used: missing dependency or broken contract."""


class UnknownSink(UnknownPlugin):
    """No sink is registered under ``name``; ``available`` lists the names that are."""

    what = "sink type"


class SinkLoadError(PluginLoadError):
    """A sink is registered but cannot be used: missing dependency or broken contract."""


def _check_type_literal(
    noun: str, name: str, obj: type, model: type[BaseModel], error: type[PluginLoadError]
) -> None:
    annotation = model.model_fields["type"].annotation
    if get_origin(annotation) is not Literal or get_args(annotation) != (name,):
        raise error(
            name,
            f"{noun} {name!r}: {model.__qualname__}.type must be Literal[{name!r}], "
            f"found {annotation!r}",
        )


def _check_connector(name: str, obj: object) -> AnySourcePlugin:
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
    _check_type_literal("connector", name, obj, config_model, ConnectorLoadError)
    return obj


def _check_sink(name: str, obj: object) -> AnySink:
    """Return ``obj`` as a sink class, or raise naming what is wrong with it."""
    if not (isinstance(obj, type) and issubclass(obj, Sink)):
        raise SinkLoadError(name, f"sink {name!r} is {obj!r}, not a subclass of syncd.abc.Sink")
    missing = [m for m in ("deliver", "read", "check") if getattr(obj, m) is getattr(Sink, m)]
    if missing:
        raise SinkLoadError(
            name, f"sink {name!r} ({obj.__qualname__}) does not implement {', '.join(missing)}"
        )
    config_model = getattr(obj, "config_model", None)
    if not (isinstance(config_model, type) and issubclass(config_model, SinkConfig)):
        raise SinkLoadError(
            name, f"sink {name!r} ({obj.__qualname__}) has no SinkConfig 'config_model'"
        )
    target_model = getattr(obj, "target_model", None)
    if not (isinstance(target_model, type) and issubclass(target_model, TargetModel)):
        raise SinkLoadError(
            name, f"sink {name!r} ({obj.__qualname__}) has no TargetModel 'target_model'"
        )
    _check_type_literal("sink", name, obj, config_model, SinkLoadError)
    return obj


CONNECTORS: PluginGroup[SourcePlugin[Any, Any]] = PluginGroup(
    ENTRY_POINT_GROUP,
    "connector",
    _check_connector,
    unknown=UnknownConnector,
    load_error=ConnectorLoadError,
)
SINKS: PluginGroup[Sink[Any, Any]] = PluginGroup(
    SINK_ENTRY_POINT_GROUP, "sink", _check_sink, unknown=UnknownSink, load_error=SinkLoadError
)


def require(package: str) -> None:
    """Raise ``ImportError`` naming the distribution ``package`` when it is not installed, without
    importing it. A connector that imports its SDK on first use calls this from its package's
    ``__init__``, so a missing SDK is reported when the config is loaded, with what to install."""
    try:
        distribution(package)
    except PackageNotFoundError:
        raise ModuleNotFoundError(f"{package} is not installed", name=package) from None


# -- connectors ---------------------------------------------------------------------------------


def available_connectors() -> list[str]:
    """Names of every connector: installed entry points and in-process registrations, sorted."""
    return CONNECTORS.available()


def load_connector(name: str) -> AnySourcePlugin:
    """The connector class for source ``type: name``, imported on first use and cached.

    Raises :class:`UnknownConnector` for a name nobody registered, and
    :class:`ConnectorLoadError` when the connector's package (or its vendor SDK) is missing or the
    loaded object breaks the connector contract.
    """
    return CONNECTORS.load(name)


def register_connector(name: str, cls: AnySourcePlugin, *, replace: bool = False) -> None:
    """Make ``cls`` available as ``type: name`` in this process (plugins, tests).

    An in-process registration takes precedence over an entry point of the same name. Registering
    a name twice raises ``ValueError`` unless ``replace`` is true.
    """
    CONNECTORS.register(name, cls, replace=replace)


def unregister_connector(name: str) -> None:
    """Remove an in-process registration; an entry point of the same name shows again."""
    CONNECTORS.unregister(name)


# -- sinks --------------------------------------------------------------------------------------


def available_sinks() -> list[str]:
    """Names of every sink type: installed entry points and in-process registrations, sorted."""
    return SINKS.available()


def load_sink(name: str) -> AnySink:
    """The sink class for ``sinks.<x>.type: name``, imported on first use and cached.

    Raises :class:`UnknownSink` for a name nobody registered and :class:`SinkLoadError` when
    the sink's package is missing or the class breaks the contract (a subclass of
    :class:`~syncd.abc.Sink` with ``deliver``, ``read`` and ``check``, a ``SinkConfig``
    ``config_model`` whose ``type`` is ``Literal[name]``, a ``TargetModel`` ``target_model``).
    """
    return SINKS.load(name)


def register_sink(name: str, cls: AnySink, *, replace: bool = False) -> None:
    """Make sink ``cls`` available as ``type: name`` in this process (plugins, tests)."""
    SINKS.register(name, cls, replace=replace)


def unregister_sink(name: str) -> None:
    """Remove an in-process sink registration."""
    SINKS.unregister(name)
