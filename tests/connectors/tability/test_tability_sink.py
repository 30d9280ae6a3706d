"""The tability sink through real HTTP against the sandbox: exactly one check-in per value and
day, paging, retries, errors. Expected values are written out from the sandbox's seeded state
and the delivery, not computed by the sink's code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import entry_points
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.tability import TabilitySink, TabilitySinkConfig, TabilityTarget
from connectors.tability.sandbox import TabilitySandbox
from syncd.abc import Delivery, Receipt, Window
from syncd.errors import AuthError, QueryError, SourceError
from tests.connectors.tability.conftest import SECRET_VALUES, TOKEN

DAY = date(2026, 12, 1)
NOTE = "MRR over [2026-11-01, 2026-12-01) from billing (sql)"
MakeSink = Callable[..., TabilitySink]
ToolCheckins = Callable[[dict[str, Any]], list[tuple[date, float]]]


def delivery(
    target: dict[str, Any], value: float, *, day: date = DAY, status: str | None = "on_track"
) -> Delivery[TabilityTarget]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return Delivery(
        kr_id="kr-mrr",
        kr_title="MRR",
        target=TabilityTarget.model_validate(target),
        key=f"kr-mrr@{day.isoformat()}",
        value=value,
        unit="CHF",
        day=day,
        window=Window(start, datetime(2026, 12, 1, tzinfo=UTC)),
        measured_at=datetime(2026, 12, 1, 6, tzinfo=UTC),
        source="billing",
        status=status,
        note=NOTE,
    )


def posts(sandbox: TabilitySandbox) -> list[tuple[str, Any, int]]:
    return [(w.path, w.json, w.status) for w in sandbox.received if w.method == "POST"]


def checkins_path(sandbox: TabilitySandbox, outcome: str) -> str:
    return f"/v2/workspaces/{sandbox.workspace_slug}/outcomes/{outcome}/checkins"


def test_a_value_is_one_checkin_with_the_day_note_and_confidence(
    sink_sandbox: TabilitySandbox,
    make_sink: MakeSink,
    target: dict[str, Any],
    tool_checkins: ToolCheckins,
) -> None:
    receipt = make_sink().deliver(delivery(target, 1234.5), None)

    assert posts(sink_sandbox) == [
        (
            checkins_path(sink_sandbox, target["outcome"]),
            {
                "checkin": {
                    "score": 1234.5,
                    "checkin_date": "2026-12-01",
                    "body": NOTE,
                    "confidence": "green",
                }
            },
            200,
        )
    ]
    assert tool_checkins(target) == [(DAY, 1234.5)]
    stored = sink_sandbox.outcomes[2].checkins
    assert receipt.sent is True
    assert receipt.remote_id == stored[0].id


def test_the_same_value_again_writes_nothing(
    sink_sandbox: TabilitySandbox,
    make_sink: MakeSink,
    target: dict[str, Any],
    tool_checkins: ToolCheckins,
) -> None:
    sink = make_sink()
    first = sink.deliver(delivery(target, 42.0), None)
    again = sink.deliver(delivery(target, 42.0), first)
    # A second instance without the receipt (a crash before it was kept) reads first too.
    fresh = make_sink().deliver(delivery(target, 42.0), None)

    assert len(posts(sink_sandbox)) == 1
    assert tool_checkins(target) == [(DAY, 42.0)]
    assert again == Receipt(sent=False, remote_id=first.remote_id, detail=again.detail)
    assert fresh.sent is False and fresh.remote_id == first.remote_id


def test_a_revised_value_is_appended_as_the_days_latest_once(
    sink_sandbox: TabilitySandbox,
    make_sink: MakeSink,
    target: dict[str, Any],
    tool_checkins: ToolCheckins,
) -> None:
    sink = make_sink()
    first = sink.deliver(delivery(target, 10.0), None)
    revised = sink.deliver(delivery(target, 12.0), first)
    repeated = sink.deliver(delivery(target, 12.0), revised)

    # Tability documents no update of a check-in: the day holds both, the revision last.
    assert tool_checkins(target) == [(DAY, 10.0), (DAY, 12.0)]
    assert len(posts(sink_sandbox)) == 2
    assert revised.sent is True and revised.remote_id != first.remote_id
    assert "cannot update" in revised.detail
    assert repeated.sent is False and repeated.remote_id == revised.remote_id
    reading = sink.read(TabilityTarget.model_validate(target))
    assert (reading.value, reading.day) == (12.0, DAY)


def test_an_equal_checkin_on_the_third_page_is_found(
    sink_sandbox: TabilitySandbox, make_sink: MakeSink, tool_checkins: ToolCheckins
) -> None:
    outcome = sink_sandbox.outcomes[0]
    oldest = outcome.checkins[0]  # seeded first: 23 weeks before 2026-11-30
    assert oldest.day == date(2026, 11, 30) - timedelta(days=7 * 23)
    target = {"outcome": outcome.id}
    before = tool_checkins(target)
    assert len(before) == 23
    sink = make_sink()

    receipt = sink.deliver(delivery(target, oldest.score, day=oldest.day), None)

    assert receipt.sent is False
    assert receipt.remote_id == oldest.id
    assert posts(sink_sandbox) == []
    assert tool_checkins(target) == before
    assert sink.context.stats.calls == 3  # pages 1, 2 and 3 of 23 check-ins, 10 a page


def test_a_value_for_a_new_day_after_three_pages_is_added(
    sink_sandbox: TabilitySandbox, make_sink: MakeSink, tool_checkins: ToolCheckins
) -> None:
    outcome = sink_sandbox.outcomes[0]
    target = {"outcome": outcome.nano_slug}
    before = tool_checkins(target)

    receipt = make_sink().deliver(delivery(target, 199_000.0, status="at_risk"), None)

    assert tool_checkins(target) == [*before, (DAY, 199_000.0)]
    assert f"{outcome.nano_slug}: 199000 for 2026-12-01" in receipt.detail
    [(_, body, _)] = posts(sink_sandbox)
    assert body["checkin"]["confidence"] == "yellow"


@pytest.mark.parametrize("status", ["achieved", "not_started", "stale", None])
def test_statuses_without_a_confidence_send_none(
    sink_sandbox: TabilitySandbox, make_sink: MakeSink, target: dict[str, Any], status: str | None
) -> None:
    make_sink().deliver(delivery(target, 5.0, status=status), None)
    [(_, body, _)] = posts(sink_sandbox)
    assert set(body["checkin"]) == {"score", "checkin_date", "body"}


def test_429_with_retry_after_is_waited_for_and_the_value_lands_once(
    sink_sandbox: TabilitySandbox,
    make_sink: MakeSink,
    target: dict[str, Any],
    tool_checkins: ToolCheckins,
    sleeps: list[float],
) -> None:
    path = checkins_path(sink_sandbox, target["outcome"])
    sink_sandbox.faults.add(path, status=429, retry_after=3, method="POST")

    receipt = make_sink().deliver(delivery(target, 7.0), None)

    assert [status for _, _, status in posts(sink_sandbox)] == [429, 200]
    assert tool_checkins(target) == [(DAY, 7.0)]
    assert receipt.sent is True
    assert sleeps and sleeps[0] >= 3


def test_503_on_the_list_and_on_the_write_are_retried(
    sink_sandbox: TabilitySandbox,
    make_sink: MakeSink,
    target: dict[str, Any],
    tool_checkins: ToolCheckins,
) -> None:
    path = checkins_path(sink_sandbox, target["outcome"])
    sink_sandbox.faults.add(path, status=503, method="GET")
    sink_sandbox.faults.add(path, status=503, method="POST")

    make_sink().deliver(delivery(target, 8.0), None)

    assert [status for _, _, status in posts(sink_sandbox)] == [503, 200]
    assert tool_checkins(target) == [(DAY, 8.0)]


def test_a_cut_list_answer_is_read_again(
    sink_sandbox: TabilitySandbox, make_sink: MakeSink
) -> None:
    outcome = sink_sandbox.outcomes[0]
    target = {"outcome": outcome.id}
    oldest = outcome.checkins[0]
    path = checkins_path(sink_sandbox, outcome.id)
    sink_sandbox.faults.add(path, status=None, truncate=True, method="GET")

    receipt = make_sink().deliver(delivery(target, oldest.score, day=oldest.day), None)

    assert (receipt.sent, receipt.remote_id) == (False, oldest.id)
    assert posts(sink_sandbox) == []


def test_a_write_whose_answer_is_lost_is_not_made_twice(
    sink_sandbox: TabilitySandbox,
    make_sink: MakeSink,
    target: dict[str, Any],
    tool_checkins: ToolCheckins,
) -> None:
    sink_sandbox.lose_answers = 1  # the check-in lands, the answer is a 502

    receipt = make_sink().deliver(delivery(target, 9.0), None)

    assert [status for _, _, status in posts(sink_sandbox)] == [502]
    assert tool_checkins(target) == [(DAY, 9.0)]
    assert receipt.remote_id == sink_sandbox.outcomes[2].checkins[0].id


def test_a_revoked_token_is_an_auth_error_without_the_token(
    make_sink: MakeSink, target: dict[str, Any], revoke: Callable[[], None]
) -> None:
    sink = make_sink()
    revoke()
    with pytest.raises(AuthError) as raised:
        sink.deliver(delivery(target, 1.0), None)
    assert "401" in str(raised.value)
    assert all(secret not in str(raised.value) for secret in SECRET_VALUES)
    with pytest.raises(AuthError):
        sink.check()


def test_an_unknown_outcome_is_a_query_error(
    sink_sandbox: TabilitySandbox, make_sink: MakeSink
) -> None:
    sink = make_sink()
    with pytest.raises(QueryError) as raised:
        sink.deliver(delivery({"outcome": "NoSuchOutcome"}, 1.0), None)
    assert "404" in str(raised.value) and "Not found" in str(raised.value)
    with pytest.raises(QueryError):
        sink.read(TabilityTarget(outcome="NoSuchOutcome"))
    assert posts(sink_sandbox) == []


def test_an_unknown_workspace_is_a_query_error(make_sink: MakeSink, target: dict[str, Any]) -> None:
    with pytest.raises(QueryError):
        make_sink(workspace="elsewhere").deliver(delivery(target, 1.0), None)


def test_the_token_never_reaches_an_error_text(
    sink_sandbox: TabilitySandbox, make_sink: MakeSink, target: dict[str, Any]
) -> None:
    path = checkins_path(sink_sandbox, target["outcome"])
    sink_sandbox.faults.add(path, status=400, message=f"bad token API {TOKEN}", method="GET")
    with pytest.raises(SourceError) as raised:
        make_sink().deliver(delivery(target, 1.0), None)
    text = str(raised.value)
    assert TOKEN not in text and "***" in text


def test_read_shows_the_title_and_the_latest_checkin(
    sink_sandbox: TabilitySandbox, make_sink: MakeSink
) -> None:
    outcome = sink_sandbox.outcomes[1]
    latest = outcome.checkins[-1]  # seeded weekly, oldest first: the last is a week ago
    reading = make_sink().read(TabilityTarget(outcome=outcome.nano_slug))
    assert reading.title == "Reduce first reply time to 2 hours"
    assert (reading.value, reading.day) == (latest.score, date(2026, 11, 23))

    empty = make_sink().read(TabilityTarget(outcome=sink_sandbox.outcomes[2].id))
    assert (empty.value, empty.day) == (None, None)


def test_check_names_the_workspace_and_the_user(make_sink: MakeSink) -> None:
    assert make_sink().check() == (
        "Tability workspace Helvetia Health (helvetia) reachable with the token of "
        "okr.bot@helvetia.example"
    )


def test_config_keeps_the_token_secret_and_refuses_bad_ids(sink_config: dict[str, Any]) -> None:
    config = TabilitySinkConfig.model_validate(sink_config)
    assert TOKEN not in repr(config)
    assert TabilitySinkConfig.model_validate(
        {"type": "tability", "token": "x", "workspace": "w"}
    ).base_url == ("https://api.tability.app")
    with pytest.raises(ValidationError) as raised:
        TabilitySinkConfig.model_validate(sink_config | {"workspace": "a/b"})
    assert TOKEN not in str(raised.value)
    with pytest.raises(ValidationError):
        TabilityTarget.model_validate({"outcome": "x", "workspace": "w"})


def test_the_sink_is_registered() -> None:
    [entry] = [e for e in entry_points(group="syncd.sinks") if e.name == "tability"]
    assert entry.load() is TabilitySink


class TestTabilitySinkKit:
    """The attributes the framework's sink conformance kit reads."""

    sink_name = "tability"
    secret_values = SECRET_VALUES

    def test_names(self) -> None:
        assert TabilitySink.config_model is TabilitySinkConfig
        assert TabilitySink.target_model is TabilityTarget
