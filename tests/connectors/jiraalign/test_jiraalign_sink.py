"""The Jira Align sink through real HTTP against its sandbox: exactly-once value updates, the
read-back that catches a silent 204, retries, auth and errors. Expected bodies and values are
written out by hand."""

from __future__ import annotations

from datetime import date
from importlib.metadata import entry_points
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.jiraalign import JiraAlignSink, JiraAlignSinkConfig, JiraAlignTarget
from connectors.jiraalign.sandbox import JiraAlignSandbox, RecordedWrite
from syncd.abc import Receipt
from syncd.errors import AuthError, QueryError, SourceError
from tests.connectors.jiraalign.conftest import DAY, NOTE, TOKEN, delivery

PATCHES = "/rest/align/api/2/keyresults/{}"


def added(value: float, day: str = "2026-12-03T00:00:00Z", note: str = NOTE) -> list[Any]:
    return [
        {
            "op": "add",
            "path": "/valueUpdates/-",
            "value": {"value": value, "date": day, "notes": note},
        }
    ]


def replaced(index: int, value: float, note: str = NOTE) -> list[Any]:
    return [
        {"op": "replace", "path": f"/valueUpdates/{index}/value", "value": value},
        {"op": "add", "path": f"/valueUpdates/{index}/notes", "value": note},
    ]


class TestJiraAlignSink:
    sink_name = "jiraalign"
    secret_values = (TOKEN,)

    def test_a_value_is_added_once_and_the_tool_holds_it(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins
    ) -> None:
        before = tool_checkins(target)
        assert [day for day, _ in before] == [date(2026, 11, 2), date(2026, 11, 16)]
        receipt = make_sink().deliver(delivery(target, 117.0), None)
        assert receipt.sent is True
        path = PATCHES.format(target["key_result"])
        assert sink_sandbox.received == [RecordedWrite("PATCH", path, added(117.0))]
        assert tool_checkins(target) == [*before, (DAY, 117.0)]
        record = sink_sandbox.key_results[target["key_result"]]
        assert receipt.remote_id == str(record["valueUpdates"][2]["id"])

    def test_the_same_delivery_again_writes_nothing(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 117.0), None)
        after_first = tool_checkins(target)
        again = sink.deliver(delivery(target, 117.0), first)
        assert again == Receipt(
            sent=False,
            remote_id=first.remote_id,
            detail=f"key result {target['key_result']} already holds 117 for 2026-12-03",
        )
        assert len(sink_sandbox.received) == 1
        assert tool_checkins(target) == after_first

    def test_a_fresh_sink_without_a_receipt_still_skips_what_the_tool_has(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target
    ) -> None:
        make_sink().deliver(delivery(target, 117.0), None)
        # A restart that lost the receipt: the history read first keeps it single.
        assert make_sink().deliver(delivery(target, 117.0), None).sent is False
        assert len(sink_sandbox.received) == 1

    def test_a_revised_value_edits_the_days_update_in_place(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 117.0), None)
        revised = sink.deliver(delivery(target, 121.5), first)
        assert revised.sent is True
        assert revised.remote_id == first.remote_id
        path = PATCHES.format(target["key_result"])
        assert sink_sandbox.received[1] == RecordedWrite("PATCH", path, replaced(2, 121.5))
        assert [pair for pair in tool_checkins(target) if pair[0] == DAY] == [(DAY, 121.5)]
        assert len(tool_checkins(target)) == 3

    def test_a_hand_entered_update_of_the_day_is_corrected_in_place(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins
    ) -> None:
        day = date(2026, 11, 16)
        make_sink().deliver(delivery(target, 64.25, day=day), None)
        path = PATCHES.format(target["key_result"])
        assert sink_sandbox.received == [RecordedWrite("PATCH", path, replaced(1, 64.25))]
        checkins = tool_checkins(target)
        assert len(checkins) == 2
        assert checkins[1] == (day, 64.25)
        assert sink_sandbox.key_results[target["key_result"]]["valueUpdates"][1]["notes"] == NOTE

    def test_when_in_place_edits_do_not_take_the_revision_is_added(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins
    ) -> None:
        sink_sandbox.read_only.add("/valueUpdates/*/value")
        sink = make_sink()
        first = sink.deliver(delivery(target, 117.0), None)
        revised = sink.deliver(delivery(target, 121.5), first)
        assert revised.sent is True
        path = PATCHES.format(target["key_result"])
        assert [write.json for write in sink_sandbox.received] == [
            added(117.0),
            replaced(2, 121.5),  # answered 204, changed nothing (read back)
            added(121.5),
        ]
        assert all(write.path == path for write in sink_sandbox.received)
        assert [pair for pair in tool_checkins(target) if pair[0] == DAY] == [
            (DAY, 117.0),
            (DAY, 121.5),
        ]
        # The day's latest update now holds the value: a third pass writes nothing.
        assert sink.deliver(delivery(target, 121.5), revised).sent is False
        assert len(sink_sandbox.received) == 3
        assert sink.read(JiraAlignTarget.model_validate(target)).value == 121.5

    def test_a_write_answered_204_without_landing_is_a_query_error(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins
    ) -> None:
        sink_sandbox.read_only.add("/valueUpdates")
        before = tool_checkins(target)
        with pytest.raises(QueryError) as raised:
            make_sink().deliver(delivery(target, 117.0), None)
        kr = target["key_result"]
        assert str(raised.value) == (
            f"align: Jira Align answered the value update of key result {kr} (117 for "
            "2026-12-03) without storing it: a PATCH of a field the API treats as read-only "
            "is answered 204 and changes nothing; check that the token's user may edit this "
            "key result"
        )
        assert len(sink_sandbox.received) == 1
        assert tool_checkins(target) == before

    def test_a_record_without_its_value_history_is_refused_before_any_write(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target
    ) -> None:
        del sink_sandbox.key_results[target["key_result"]]["valueUpdates"]
        with pytest.raises(QueryError) as raised:
            make_sink().deliver(delivery(target, 117.0), None)
        assert str(raised.value) == (
            f"align: Jira Align answered key result {target['key_result']} without its value "
            "history (valueUpdates); nothing was written"
        )
        assert sink_sandbox.received == []

    @pytest.mark.parametrize("method", ["PATCH", "GET"])
    def test_a_429_with_retry_after_is_waited_out_and_the_value_lands_once(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins, sleeps, method
    ) -> None:
        path = PATCHES.format(target["key_result"])
        sink_sandbox.faults.add(path, status=429, retry_after=3, method=method)
        assert make_sink().deliver(delivery(target, 117.0), None).sent is True
        assert sleeps and min(sleeps) >= 3.0
        assert [write.json for write in sink_sandbox.received] == [added(117.0)]
        assert [pair for pair in tool_checkins(target) if pair[0] == DAY] == [(DAY, 117.0)]

    @pytest.mark.parametrize("status", [503, 500])
    def test_a_5xx_is_retried_and_the_value_lands_once(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins, status
    ) -> None:
        path = PATCHES.format(target["key_result"])
        sink_sandbox.faults.add(path, status=status, times=2, method="PATCH")
        assert make_sink().deliver(delivery(target, 117.0), None).sent is True
        assert [write.json for write in sink_sandbox.received] == [added(117.0)]
        assert [pair for pair in tool_checkins(target) if pair[0] == DAY] == [(DAY, 117.0)]

    def test_a_write_whose_answer_is_lost_is_not_repeated(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, tool_checkins
    ) -> None:
        path = PATCHES.format(target["key_result"])
        sink_sandbox.faults.add(path, status=None, truncate=True, method="PATCH")
        sink = make_sink()
        receipt = sink.deliver(delivery(target, 117.0), None)
        assert receipt.sent is True
        assert sink.context.stats.retries == 1
        # The retry read the history again, found the update and sent nothing more.
        assert [write.json for write in sink_sandbox.received] == [added(117.0)]
        assert [pair for pair in tool_checkins(target) if pair[0] == DAY] == [(DAY, 117.0)]

    def test_a_revoked_token_is_an_auth_error_without_the_token(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, revoke
    ) -> None:
        sink = make_sink()
        revoke()
        with pytest.raises(AuthError) as raised:
            sink.deliver(delivery(target, 117.0), None)
        kr = target["key_result"]
        assert str(raised.value) == (
            f"align: Jira Align answered 401 to /rest/align/api/2/keyresults/{kr} "
            f"(Authorization has been denied for this request.); check the credentials"
        )
        assert sink_sandbox.received == []
        with pytest.raises(AuthError):
            sink.check()

    def test_a_wrong_token_is_an_auth_error(self, make_sink, target) -> None:
        with pytest.raises(AuthError):
            make_sink(token="user:4242|not-the-token").check()

    def test_an_unknown_key_result_is_a_query_error(self, make_sink, sink_sandbox) -> None:
        missing = max(sink_sandbox.key_results) + 1000
        with pytest.raises(QueryError) as raised:
            make_sink().deliver(delivery({"key_result": missing}, 117.0), None)
        assert str(raised.value) == (
            f"align: Jira Align answered 404 to /rest/align/api/2/keyresults/{missing} "
            f"(Not Found: Key result {missing} was not found.)"
        )
        with pytest.raises(QueryError):
            make_sink().read(JiraAlignTarget(key_result=missing))

    def test_no_error_text_holds_the_secret(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target, revoke
    ) -> None:
        texts: list[str] = []
        sink = make_sink()
        with pytest.raises(QueryError) as not_found:
            sink.deliver(delivery({"key_result": 1}, 1.0), None)
        texts.append(str(not_found.value))
        sink_sandbox.read_only.add("/valueUpdates")
        with pytest.raises(QueryError) as silent:
            sink.deliver(delivery(target, 1.0), None)
        texts.append(str(silent.value))
        sink_sandbox.faults.add("/rest/align", status=503, times=9, retry_after=1)
        with pytest.raises(SourceError) as unavailable:
            sink.check()
        texts.append(str(unavailable.value))
        sink_sandbox.faults.clear()
        revoke()
        with pytest.raises(AuthError) as refused:
            sink.check()
        texts.append(str(refused.value))
        for text in texts:
            for secret in (*self.secret_values, "ja-s3cr3t"):
                assert secret not in text
        config = JiraAlignSinkConfig.model_validate(
            {"type": "jiraalign", "url": sink_sandbox.url, "token": TOKEN}
        )
        assert TOKEN not in repr(config)

    def test_read_after_deliver_shows_the_value(
        self, make_sink, sink_sandbox: JiraAlignSandbox, target
    ) -> None:
        sink = make_sink()
        record = sink_sandbox.key_results[target["key_result"]]
        before = sink.read(JiraAlignTarget.model_validate(target))
        assert before.title == record["title"]
        assert before.day == date(2026, 11, 16)
        assert before.value == record["valueUpdates"][1]["value"]
        sink.deliver(delivery(target, 117.0), None)
        # A late value for an earlier day is added, and the latest day still shows.
        sink.deliver(delivery(target, 98.0, day=date(2026, 11, 30)), None)
        reading = sink.read(JiraAlignTarget.model_validate(target))
        assert (reading.title, reading.value, reading.day) == (record["title"], 117.0, DAY)
        assert reading.detail == (
            f"key result {target['key_result']}: baseline {record['baselineValue']}, "
            f"target {record['targetValue']}, 4 value updates"
        )

    def test_check_reads_the_key_results(self, make_sink, sink_sandbox) -> None:
        assert make_sink().check() == (
            f"Jira Align at {sink_sandbox.url}: the token reads key results"
        )
        assert sink_sandbox.received == []


def test_the_config_and_target_models() -> None:
    config = JiraAlignSinkConfig.model_validate(
        {"type": "jiraalign", "url": "https://acme.jiraalign.com/", "token": "user:1|x"}
    )
    assert config.base_url == "https://acme.jiraalign.com"
    assert config.token.get_secret_value() == "user:1|x"
    with pytest.raises(ValidationError):
        JiraAlignSinkConfig.model_validate(
            {"type": "jiraalign", "url": "https://acme.jiraalign.com", "token": "t", "tokn": "t"}
        )
    assert JiraAlignTarget.model_validate({"key_result": 3627}).key_result == 3627
    for bad in ({"key_result": 0}, {"key_result": 3627, "objective": 1}, {}):
        with pytest.raises(ValidationError):
            JiraAlignTarget.model_validate(bad)


def test_the_sink_is_registered_under_syncd_sinks() -> None:
    (entry,) = [e for e in entry_points(group="syncd.sinks") if e.name == "jiraalign"]
    assert entry.value == "connectors.jiraalign.sink:JiraAlignSink"
    assert entry.load() is JiraAlignSink
