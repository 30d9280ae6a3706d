"""The Perdoo sink through real HTTP against the sandbox: exactly one commit per key, the
receipt's commit updated in place, read-first after a lost receipt, retries, auth, unknown
key results, secrets, read and check. Expected values are written out from the seed
(conftest) and from the deliveries each test makes, never taken from the sink."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.perdoo import PerdooSink, PerdooSinkConfig, PerdooTarget
from connectors.perdoo.sandbox import ENDPOINT, PerdooSandbox
from syncd.errors import AuthError, QueryError, SourceError, TransientSourceError
from tests.connectors.perdoo.conftest import DAY, TOKEN, delivery

MakeSink = Callable[..., PerdooSink]
Checkins = Callable[[dict[str, Any]], list[tuple[date, float]]]
UPSERT = "SyncdUpsertCommit"


def inputs(sandbox: PerdooSandbox) -> list[dict[str, Any]]:
    """The ``input`` of every mutation the sandbox executed, in order."""
    return [write.json["variables"]["input"] for write in sandbox.received]


class TestPerdooSink:
    sink_name = "perdoo"
    secret_values = (TOKEN,)

    def test_a_first_value_is_one_commit_with_the_day_status_and_note(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        receipt = make_sink().deliver(delivery(target, 250.0, status="at_risk"), None)

        assert receipt.sent is True
        assert tool_checkins(target) == [(date(2026, 11, 20), 250.0)]
        assert receipt.remote_id == sink_sandbox.commits_of(target["key_result"])[0].id
        assert [(w.method, w.path) for w in sink_sandbox.received] == [("POST", "/graphql/")]
        assert inputs(sink_sandbox) == [
            {
                "keyResult": target["key_result"],
                "value": 250.0,
                "commitDate": "2026-11-20",
                "status": "NEEDS_ATTENTION",
                "description": "booking-db: bookings of 2026-11-20 (Europe/Zurich)",
            }
        ]

    def test_the_same_value_again_with_its_receipt_adds_no_commit(
        self, make_sink: MakeSink, target: dict[str, Any], tool_checkins: Checkins
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 250.0), None)
        again = sink.deliver(delivery(target, 250.0), first)

        assert again.remote_id == first.remote_id
        assert tool_checkins(target) == [(DAY, 250.0)]

    def test_a_revised_value_updates_the_same_commit(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 250.0), None)
        revised = sink.deliver(delivery(target, 265.5, status="off_track"), first)

        assert revised.sent is True and revised.remote_id == first.remote_id
        assert tool_checkins(target) == [(DAY, 265.5)]
        update = inputs(sink_sandbox)[-1]
        assert update["id"] == first.remote_id
        assert (update["value"], update["status"]) == (265.5, "OFF_TRACK")
        assert sink_sandbox.commits_of(target["key_result"])[0].status == "OFF_TRACK"

    def test_a_lost_receipt_adopts_the_commit_instead_of_adding_one(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        written = make_sink().deliver(delivery(target, 250.0), None)
        # the process died before the receipt was kept: a fresh sink, no previous receipt
        redone = make_sink().deliver(delivery(target, 250.0), None)

        assert redone.sent is False
        assert redone.remote_id == written.remote_id
        assert len(sink_sandbox.received) == 1
        assert tool_checkins(target) == [(DAY, 250.0)]

    def test_an_answer_lost_after_the_write_is_not_written_twice(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink_sandbox.faults.add(UPSERT, status=None, truncate=True)

        receipt = make_sink().deliver(delivery(target, 250.0), None)

        assert len(sink_sandbox.received) == 1  # executed once; its answer was cut
        assert tool_checkins(target) == [(DAY, 250.0)]
        assert receipt.remote_id == sink_sandbox.commits_of(target["key_result"])[0].id

    def test_someone_elses_commit_of_the_day_is_left_alone(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink_sandbox.add_commit(target["key_result"], DAY, 999.0)
        other_kr = sink_sandbox.key_results[1].id
        sink_sandbox.add_commit(other_kr, DAY, 250.0)  # the same value, another key result

        receipt = make_sink().deliver(delivery(target, 250.0), None)

        assert receipt.sent is True
        assert tool_checkins(target) == [(DAY, 999.0), (DAY, 250.0)]
        assert tool_checkins({"key_result": other_kr}) == [(DAY, 250.0)]

    def test_the_day_is_read_across_pages(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink_sandbox.max_page_size = 2
        for kr in sink_sandbox.key_results[1:]:
            sink_sandbox.add_commit(kr.id, DAY, 250.0)
        written = make_sink().deliver(delivery(target, 250.0), None)  # 4th commit: page 2

        redone = make_sink().deliver(delivery(target, 250.0), None)

        assert (redone.sent, redone.remote_id) == (False, written.remote_id)
        assert tool_checkins(target) == [(DAY, 250.0)]
        pages = [op for op, _ in sink_sandbox.requests if op == "SyncdCommitsOfDay"]
        assert len(pages) == 2 + 2  # two pages before the write, two for the redo

    def test_each_status_is_sent_as_perdoos(
        self, sink_sandbox: PerdooSandbox, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink = make_sink()
        statuses = ["on_track", "at_risk", "off_track", "achieved", "not_started", "stale", None]
        for offset, status in enumerate(statuses):
            sink.deliver(
                delivery(target, 100.0 + offset, date(2026, 11, 1 + offset), status=status), None
            )

        assert [i["status"] for i in inputs(sink_sandbox)] == [
            "ON_TRACK",
            "NEEDS_ATTENTION",
            "OFF_TRACK",
            "ACCOMPLISHED",
            "NO_STATUS",
            "NO_STATUS",
            "NO_STATUS",
        ]

    def test_a_deleted_commit_is_replaced_by_one_new_commit(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 250.0), None)
        sink_sandbox.commits.clear()  # someone deleted it in Perdoo

        revised = sink.deliver(delivery(target, 260.0), first)

        assert revised.sent is True and revised.remote_id != first.remote_id
        assert tool_checkins(target) == [(DAY, 260.0)]

    def test_a_kr_mapped_to_another_key_result_gets_a_commit_there(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 250.0), None)
        moved = {"key_result": sink_sandbox.key_results[2].id}

        again = sink.deliver(delivery(moved, 4.5), first)

        assert again.sent is True and again.remote_id != first.remote_id
        assert tool_checkins(target) == [(DAY, 250.0)]
        assert tool_checkins(moved) == [(DAY, 4.5)]
        with pytest.raises(QueryError, match="no key result 0b6e7f52"):
            missing = {"key_result": "0b6e7f52-1d7a-4c1e-9f43-2a9d5c0e8b11"}
            sink.deliver(delivery(missing, 1.0), again)

    def test_429_and_503_are_retried_and_the_value_lands_once(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
        waits: list[float],
    ) -> None:
        sink_sandbox.faults.add(ENDPOINT, status=429, retry_after=2)
        sink_sandbox.faults.add(UPSERT, status=503)

        receipt = make_sink().deliver(delivery(target, 250.0), None)

        assert receipt.sent is True
        assert tool_checkins(target) == [(DAY, 250.0)]
        assert len(sink_sandbox.received) == 1
        assert max(waits) >= 2.0  # the 429's Retry-After was honoured
        assert [s for _, s in sink_sandbox.requests if s >= 400] == [429, 503]

    @pytest.mark.parametrize("fault", [{"html": True}, {"truncate": True}, {"status": 500}])
    def test_a_login_page_a_cut_answer_or_a_500_is_retried(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
        arm_fault: Callable[..., None],
        fault: dict[str, Any],
    ) -> None:
        arm_fault(**fault, times=2)

        receipt = make_sink().deliver(delivery(target, 250.0), None)

        assert receipt.sent is True
        assert tool_checkins(target) == [(DAY, 250.0)]
        assert len(sink_sandbox.received) == 1

    def test_a_lasting_outage_is_a_transient_error(
        self, sink_sandbox: PerdooSandbox, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink_sandbox.faults.add(ENDPOINT, status=502, times=10)

        with pytest.raises(TransientSourceError, match="502"):
            make_sink().deliver(delivery(target, 250.0), None)
        assert sink_sandbox.received == []

    @pytest.mark.parametrize("answer", ["http", "graphql"])
    def test_a_revoked_token_is_an_auth_error(
        self,
        sink_sandbox: PerdooSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        revoke: Callable[[], None],
        answer: str,
    ) -> None:
        sink_sandbox.auth_failure = "http" if answer == "http" else "graphql"
        sink = make_sink()
        sink.deliver(delivery(target, 250.0), None)
        revoke()

        for attempt in (
            lambda: sink.deliver(delivery(target, 260.0, date(2026, 11, 21)), None),
            lambda: sink.read(PerdooTarget.model_validate(target)),
            sink.check,
        ):
            with pytest.raises(AuthError) as raised:
                attempt()
            assert TOKEN not in str(raised.value)
        assert len(sink_sandbox.received) == 1

    def test_an_unknown_key_result_is_a_query_error(
        self, sink_sandbox: PerdooSandbox, make_sink: MakeSink
    ) -> None:
        missing = {"key_result": "0b6e7f52-1d7a-4c1e-9f43-2a9d5c0e8b11"}
        sink = make_sink()

        with pytest.raises(QueryError, match="0b6e7f52-1d7a-4c1e-9f43-2a9d5c0e8b11"):
            sink.deliver(delivery(missing, 250.0), None)
        with pytest.raises(QueryError, match=r"key result 0b6e7f52.*does not exist"):
            sink.read(PerdooTarget.model_validate(missing))
        assert sink_sandbox.commits == []

    def test_the_secret_never_appears_in_an_error(
        self, sink_sandbox: PerdooSandbox, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink = make_sink()
        errors: list[SourceError] = []
        sink_sandbox.faults.add(ENDPOINT, status=400, message=f"Bad header Bearer {TOKEN}")
        sink_sandbox.faults.add(ENDPOINT, status=429, retry_after=60, message=f"slow, {TOKEN}")
        for _ in range(2):
            with pytest.raises(SourceError) as raised:
                sink.deliver(delivery(target, 250.0), None)
            errors.append(raised.value)
        sink_sandbox.revoke()
        with pytest.raises(AuthError) as revoked:
            sink.check()
        errors.append(revoked.value)

        assert [type(e).__name__ for e in errors] == ["QueryError", "RateLimited", "AuthError"]
        for error in errors:
            assert TOKEN not in str(error) and TOKEN[:16] not in str(error)
        assert "***" in str(errors[0])

    def test_read_shows_the_key_result_before_and_after_deliveries(
        self, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink = make_sink()
        kr = PerdooTarget.model_validate(target)

        before = sink.read(kr)
        sink.deliver(delivery(target, 250.0, date(2026, 11, 20)), None)
        sink.deliver(delivery(target, 262.0, date(2026, 11, 21)), None)
        after = sink.read(kr)

        assert (before.title, before.value, before.day) == (
            "Weekly active teams to 400",
            120.0,
            None,
        )
        assert (after.title, after.value, after.day) == (
            "Weekly active teams to 400",
            262.0,
            date(2026, 11, 21),
        )
        assert after.detail == "from 120 to 400"

    def test_check_names_the_user_and_company(self, make_sink: MakeSink) -> None:
        assert make_sink().check() == (
            "Perdoo: signed in as okr-bot@helvetia-health.example in Helvetia Health AG"
        )


def test_the_target_is_a_uuid_and_the_config_has_perdoos_defaults() -> None:
    assert PerdooTarget.model_validate({"key_result": "0B6E7F52-1D7A-4C1E-9F43-2A9D5C0E8B11"})
    with pytest.raises(ValidationError):
        PerdooTarget.model_validate({"key_result": "booking-5d"})
    with pytest.raises(ValidationError):
        PerdooTarget.model_validate({"key_result": str(uuid.uuid4()), "row": 3})
    config = PerdooSinkConfig.model_validate({"type": "perdoo", "token": TOKEN})
    assert config.endpoint == "https://eu.perdoo.com/graphql/"
    with pytest.raises(ValidationError) as raised:
        PerdooSinkConfig.model_validate({"type": "perdoo", "token": TOKEN, "tokne": TOKEN})
    assert TOKEN not in str(raised.value)
