"""The machinery of every extension point: an entry-point group, loaded lazily by name.

A :class:`PluginGroup` finds its plugins under one entry-point group (our own and third-party
packages alike), imports one only when its name is asked for, checks the loaded class against
the extension point's contract before handing it out (so a broken plugin fails with a message
naming it, not deep inside a sync), and lets in-process plugins and tests register classes.
:mod:`syncd.registry` holds the two groups syncd has: connectors and sinks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from syncd.errors import SyncdError

P = TypeVar("P")


class UnknownPlugin(SyncdError, KeyError):
    """No plugin is registered under ``name``; ``available`` lists the names that are."""

    what = "plugin"

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = available
        super().__init__(name)

    def __str__(self) -> str:
        known = ", ".join(self.available) or "none"
        return f"unknown {self.what} {self.name!r} (available: {known})"


class PluginLoadError(SyncdError):
    """A plugin is registered but cannot be used: missing dependency or broken contract."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


class PluginGroup(Generic[P]):
    """The plugins of one entry-point ``group``: ``noun`` names one in messages (``connector``,
    ``sink``); ``check(name, obj)`` returns ``obj`` as a plugin class or raises ``load_error``;
    ``unknown`` is the error for a name nobody registered."""

    def __init__(
        self,
        group: str,
        noun: str,
        check: Callable[[str, object], type[P]],
        *,
        unknown: type[UnknownPlugin],
        load_error: type[PluginLoadError],
    ) -> None:
        self.group = group
        self.noun = noun
        self._check = check
        self.unknown = unknown
        self.load_error = load_error
        self._lock = threading.Lock()
        self._registered: dict[str, type[P]] = {}
        self._loaded: dict[str, type[P]] = {}
        self._installed: dict[str, EntryPoint] | None = None

    def entry_points(self) -> dict[str, EntryPoint]:
        """The installed entry points of the group, by name. Read once per process: it scans
        every installed distribution's metadata; :meth:`load` reads them again for a name not
        found (installed since)."""
        if self._installed is None:
            self._installed = {ep.name: ep for ep in entry_points(group=self.group)}
        return self._installed

    def forget_entry_points(self) -> None:
        """Read the installed entry points again on the next lookup."""
        self._installed = None

    def available(self) -> list[str]:
        """Every name: installed entry points and in-process registrations, sorted."""
        with self._lock:
            registered = set(self._registered)
        return sorted(registered | set(self.entry_points()))

    def check(self, name: str, obj: object) -> type[P]:
        """``obj`` as a plugin class of this group, or the load error naming what is wrong."""
        return self._check(name, obj)

    def load(self, name: str) -> type[P]:
        """The class registered as ``name``, imported on first use and cached.

        Raises ``unknown`` for a name nobody registered, and ``load_error`` when the plugin's
        package (or its vendor SDK) is missing or the loaded object breaks the contract.
        """
        with self._lock:
            if name in self._registered:
                return self._registered[name]
            if name in self._loaded:
                return self._loaded[name]
        eps = self.entry_points()
        if name not in eps:
            self.forget_entry_points()
            eps = self.entry_points()
        if name not in eps:
            raise self.unknown(name, self.available())
        cls = self._check(name, self._load_entry_point(name, eps[name]))
        with self._lock:
            self._loaded[name] = cls
        return cls

    def register(self, name: str, cls: type[P], *, replace: bool = False) -> None:
        """Make ``cls`` available as ``name`` in this process (plugins, tests); it takes
        precedence over an entry point of the same name. Registering a name twice raises
        ``ValueError`` unless ``replace`` is true."""
        checked = self._check(name, cls)
        with self._lock:
            if name in self._registered and not replace and self._registered[name] is not cls:
                raise ValueError(f"{self.noun} {name!r} is already registered in this process")
            self._registered[name] = checked

    def unregister(self, name: str) -> None:
        """Remove an in-process registration; an entry point of the same name shows again."""
        with self._lock:
            if name not in self._registered:
                raise self.unknown(name, sorted(self._registered))
            del self._registered[name]

    def _install_hint(self, name: str, ep: EntryPoint) -> str:
        distribution = ep.dist.name if ep.dist is not None else "syncd"
        extra = ep.extras[0] if ep.extras else name
        if distribution == "syncd":
            return f"pip install 'syncd[{extra}]'"
        return f"pip install '{distribution}[{extra}]' (or reinstall {distribution})"

    def _load_entry_point(self, name: str, ep: EntryPoint) -> object:
        try:
            return ep.load()
        except ImportError as exc:
            missing = exc.name or str(exc)
            raise self.load_error(
                name,
                f"{self.noun} {name!r} needs {missing!r}, which is not installed: "
                f"install it with `{self._install_hint(name, ep)}`",
            ) from exc
        except AttributeError as exc:
            raise self.load_error(
                name, f"{self.noun} {name!r}: entry point {ep.value!r} does not resolve ({exc})"
            ) from exc
