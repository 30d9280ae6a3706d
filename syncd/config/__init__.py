"""The configuration language (DESIGN §3): loading, validation, secrets, hygiene, schema."""

from syncd.config.hygiene import HygieneWarning
from syncd.config.loader import LoadedConfig, load_config, require_key_results
from syncd.config.schema import config_schema

__all__ = [
    "HygieneWarning",
    "LoadedConfig",
    "config_schema",
    "load_config",
    "require_key_results",
]
