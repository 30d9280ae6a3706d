"""One way to say a KR id names no KR, with one hint, whichever part of syncd is asked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd.checkin import record_checkin
from syncd.config import load_config
from syncd.errors import ConfigError
from syncd.lookup import find_kr, require_krs

CONFIG = """
timezone: UTC
store: sqlite:///{tmp}/store.db
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
objectives:
  - id: o
    title: Listen
    team: web
    cycle: q4
    key_results:
      - {id: signups, title: Signups, focus: user, baseline: 0, target: 10}
      - {id: nps, title: NPS, focus: user, baseline: 0, target: 10}
"""


@pytest.fixture
def loaded(tmp_path: Path):
    path = tmp_path / "syncd.yaml"
    path.write_text(CONFIG.replace("{tmp}", str(tmp_path)))
    return load_config(path)


def test_unknown_ids_each_get_the_message_and_a_did_you_mean(loaded):
    with pytest.raises(ConfigError) as caught:
        require_krs(loaded.config, ["signup", "zzz", "nps"])
    assert [(i.message, i.hint) for i in caught.value.issues] == [
        ("no key result 'signup' is configured", "did you mean 'signups'?"),
        ("no key result 'zzz' is configured", "list them with `syncd status`"),
    ]
    objective, kr = find_kr(loaded.config, "nps")
    assert (objective.id, kr.id) == ("o", "nps")


def test_a_checkin_for_an_unknown_kr_hints_like_every_command(loaded):
    """Changed: a check-in listed every KR id (``known: …``) where the others suggest one."""
    from syncd.store import Store

    at = datetime(2026, 11, 2, tzinfo=UTC)
    with (
        Store.open(loaded.config.store.get_secret_value()) as store,
        pytest.raises(ConfigError) as caught,
    ):
        record_checkin(loaded, store, "signup", 3.0, at=at)
    (issue,) = caught.value.issues
    assert (issue.message, issue.hint) == (
        "no key result 'signup' is configured",
        "did you mean 'signups'?",
    )
