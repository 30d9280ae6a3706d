"""The JSON Schema of the configuration language, for editors (``syncd schema``).

The connector-typed parts are filled in from the installed connectors: a source is one of their
settings models (a union discriminated on ``type``), a metric query any of their query models.
"""

from __future__ import annotations

from typing import Any, get_args

import structlog
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from syncd import registry
from syncd.abc import QueryModel, SinkConfig, SourceConfig, TargetModel
from syncd.config.merge import EXTENSION_PREFIX
from syncd.config.models import Config

log = structlog.get_logger(__name__)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    """The whole language as one JSON Schema document, with every loadable connector.

    A connector whose vendor SDK is not installed is left out (and logged), not fatal.
    """
    connectors = []
    for name in registry.available_connectors():
        try:
            connectors.append(registry.load_connector(name))
        except registry.ConnectorLoadError as exc:
            log.warning("schema.connector_skipped", connector=name, error=str(exc))
    sinks = []
    for name in registry.available_sinks():
        try:
            sinks.append(registry.load_sink(name))
        except registry.SinkLoadError as exc:
            log.warning("schema.sink_skipped", sink=name, error=str(exc))
    sink_models = [s.config_model for s in sinks]
    target_models = list(dict.fromkeys(s.target_model for s in sinks))
    source_models = [c.config_model for c in connectors]
    query_models = list(dict.fromkeys(c.query_model for c in connectors))
    models: list[type[BaseModel]] = [
        Config,
        SourceConfig,
        QueryModel,
        *source_models,
        *query_models,
        SinkConfig,
        TargetModel,
        *sink_models,
        *target_models,
    ]
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in models]
    refs, document = models_json_schema(inputs, ref_template="#/$defs/{model}")
    defs: dict[str, Any] = document["$defs"]

    def ref_of(model: type[BaseModel]) -> dict[str, str]:
        return refs[(model, "validation")]

    def name_of(model: type[BaseModel]) -> str:
        return ref_of(model)["$ref"].rsplit("/", 1)[-1]

    if source_models:
        defs[name_of(SourceConfig)] = {
            "description": "a source: its 'type' names the connector, the rest is its settings",
            "oneOf": [ref_of(m) for m in source_models],
            "discriminator": {
                "propertyName": "type",
                "mapping": {
                    get_args(m.model_fields["type"].annotation)[0]: ref_of(m)["$ref"]
                    for m in source_models
                },
            },
        }
    if query_models:
        defs[name_of(QueryModel)] = {
            "description": "what the metric asks of its source; the keys depend on its type",
            "anyOf": [ref_of(m) for m in query_models],
        }
    if sink_models:
        defs[name_of(SinkConfig)] = {
            "description": "a sink: its 'type' names the OKR tool, the rest is its settings",
            "oneOf": [ref_of(m) for m in sink_models],
            "discriminator": {
                "propertyName": "type",
                "mapping": {
                    get_args(m.model_fields["type"].annotation)[0]: ref_of(m)["$ref"]
                    for m in sink_models
                },
            },
        }
    if target_models:
        defs[name_of(TargetModel)] = {
            "description": "where this KR's values go in the sink; the keys depend on its type",
            "anyOf": [ref_of(m) for m in target_models],
        }
    root = defs.pop(name_of(Config))
    # The default store is not a secret, but SecretStr would show it masked.
    root["properties"]["store"]["default"] = Config.model_fields["store"].default.get_secret_value()
    root["patternProperties"] = {f"^{EXTENSION_PREFIX}": {"description": "holds YAML anchors"}}
    return {"$schema": SCHEMA_DIALECT, **root, "title": "syncd configuration", "$defs": defs}
