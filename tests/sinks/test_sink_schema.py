"""``syncd schema`` knows the sinks: a sink is one of the sink types' settings, a KR's push
entry one of their targets; a config with sinks validates against it."""

from __future__ import annotations

import jsonschema

from syncd.config import config_schema


def test_the_schema_types_sinks_and_push_entries() -> None:
    schema = config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    defs = schema["$defs"]
    sink_ref = defs["SinkConfig"]["discriminator"]["mapping"]["recording"]
    sink = defs[sink_ref.rsplit("/", 1)[1]]
    assert sink["properties"]["type"]["const"] == "recording"
    assert set(sink["required"]) >= {"type", "url", "token"}
    targets = [defs[v["$ref"].rsplit("/", 1)[1]] for v in defs["TargetModel"]["anyOf"]]
    assert any(set(t["properties"]) == {"goal"} for t in targets)

    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "sinks": {"tool": {"type": "recording", "url": "http://x", "token": "${env:T}"}},
        "objectives": [
            {
                "id": "o",
                "title": "O",
                "team": "t",
                "cycle": "q",
                "key_results": [
                    {
                        "id": "k",
                        "title": "K",
                        "focus": "user",
                        "baseline": 0,
                        "target": 1,
                        "push": {"tool": {"goal": "g-1"}},
                    }
                ],
            }
        ],
    }
    validator.validate(good)
    bad = {"sinks": {"tool": {"type": "recording", "url": "http://x"}}}
    assert not validator.is_valid(bad)  # no token
