"""``sinks:`` and per-KR ``push:`` in the config: typed by the sink, located errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.config import load_config
from syncd.errors import ConfigError
from syncd.registry import unregister_sink
from tests.sinks.recording import GoalTarget, RecordingConfig, register

BASE = """\
timezone: Europe/Zurich
sources:
  research: {{type: manual}}
{sinks}cycles:
  2026-Q4: {{start: 2026-10-01, end: 2026-12-31}}
metrics:
  nps: {{source: research, query: {{min: -100, max: 100}}, window: snapshot}}
objectives:
  - id: o
    title: Customers love us
    team: growth
    cycle: 2026-Q4
    key_results:
      - id: nps
        title: NPS from 50 to 70
        metric: nps
        focus: user
        baseline: 50
        target: 70
{push}"""

SINKS = """\
sinks:
  tool:
    type: recording
    url: http://127.0.0.1:9
    token: "${env:REC_TOKEN}"
"""


@pytest.fixture(autouse=True)
def _sink() -> Iterator[None]:
    register()
    yield
    unregister_sink("recording")


def write(tmp_path: Path, *, sinks: str = SINKS, push: str = "") -> Path:
    path = tmp_path / "okrs.yaml"
    path.write_text(BASE.format(sinks=sinks, push=push))
    return path


def issues(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={"REC_TOKEN": "s3cret-token"})
    return [issue.render() for issue in raised.value.issues]


def test_sinks_and_push_are_typed_by_the_sink(tmp_path: Path) -> None:
    path = write(tmp_path, push="        push: {tool: {goal: g-1}}\n")
    loaded = load_config(path, environ={"REC_TOKEN": "s3cret-token"})
    sink = loaded.config.sinks["tool"]
    assert isinstance(sink, RecordingConfig)
    assert sink.token.get_secret_value() == "s3cret-token"
    assert "s3cret-token" in loaded.secrets
    _, kr = loaded.config.key_result("nps")
    assert kr.push == {"tool": GoalTarget(goal="g-1")}


def test_a_config_without_sinks_is_unchanged(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, sinks=""))
    assert loaded.config.sinks == {}
    assert loaded.config.key_result("nps")[1].push == {}


def test_an_unknown_sink_name_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, push="        push: {tol: {goal: g-1}}\n")
    found = issues(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}:25:")
    assert "objectives[0].key_results[0].push.tol" in found[0]
    assert "unknown sink 'tol'" in found[0]
    assert "did you mean 'tool'?" in found[0]


def test_a_bad_target_field_is_located_with_the_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, push="        push:\n          tool: {gaol: g-1}\n")
    text = "\n".join(issues(path))
    assert f"{path}:26:" in text
    assert "push.tool.gaol" in text and "unknown key 'gaol'" in text
    assert "did you mean 'goal'?" in text


def test_an_unknown_sink_type_suggests_a_registered_one(tmp_path: Path) -> None:
    path = write(tmp_path, sinks=SINKS.replace("type: recording", "type: recordin"))
    text = "\n".join(issues(path))
    assert "unknown sink type 'recordin'" in text and "did you mean 'recording'?" in text


def test_a_literal_secret_in_a_sink_is_refused_and_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, sinks=SINKS.replace('"${env:REC_TOKEN}"', "literal-t0ken-value"))
    text = "\n".join(issues(path))
    assert "secrets are references, never literals" in text
    assert "literal-t0ken-value" not in text
