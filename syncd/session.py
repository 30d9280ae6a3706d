"""What every command starts with: the configuration, the store, and 'now'."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from syncd import logs
from syncd.config import LoadedConfig, load_config
from syncd.errors import ConfigError, ConfigIssue
from syncd.formatting import set_locale
from syncd.paths import default_config
from syncd.schedule import parse_duration
from syncd.store import Store


def load(config_path: Path | None, *, read_secrets: bool | Collection[str] = True) -> LoadedConfig:
    """Load the given or default configuration, register its secrets for redaction and format
    numbers in its locale from now on.

    ``read_secrets`` may name the sections whose secrets are read (a read-only command reads
    only the store's); the others are checked for their syntax.
    """
    path = config_path or default_config()
    if path is not None and not path.exists():
        from_env = config_path is None and os.environ.get("SYNCD_CONFIG")
        raise ConfigError(
            ConfigIssue(
                f"config {path} does not exist" + (" (from $SYNCD_CONFIG)" if from_env else ""),
                hint="fix SYNCD_CONFIG or unset it, or pass -c PATH"
                if from_env
                else "check the path given to -c; `syncd demo` shows a working example",
            )
        )
    if path is None:
        raise ConfigError(
            ConfigIssue(
                "no configuration found",
                hint="pass -c PATH or set SYNCD_CONFIG; `syncd demo` shows a working example",
            )
        )
    loaded = load_config(path, read_secrets=read_secrets)
    logs.register_secrets(loaded.secrets)
    set_locale(loaded.config.locale)
    return loaded


@contextmanager
def opened_store(loaded: LoadedConfig) -> Iterator[Store]:
    """The store, migrated, with the configured objectives and KRs recorded."""
    store = Store.open(loaded.config.store.get_secret_value())
    store.run_lease = parse_duration(loaded.config.daemon.lease)
    try:
        store.sync_definitions(loaded.config)
        yield store
    finally:
        store.close()


def moment(as_of: datetime | None, loaded: LoadedConfig) -> datetime:
    """``as_of`` in the config time zone (naive means local), or now."""
    if as_of is None:
        return datetime.now(UTC).astimezone(loaded.config.tz)
    if as_of.tzinfo is None:
        return as_of.replace(tzinfo=loaded.config.tz)
    return as_of.astimezone(loaded.config.tz)
