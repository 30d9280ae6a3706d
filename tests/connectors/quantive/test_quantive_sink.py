"""The quantive sink through real HTTP against the sandbox: check-ins land once, repeats and
crashes write nothing, retries, auth, unknown key results, redaction, read and check.

Expected check-in instants are worked out by hand: noon in Zurich is 11:00 UTC in winter (CET)
and 10:00 UTC in summer (CEST).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import entry_points
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from connectors.quantive import QuantiveSink, QuantiveSinkConfig, QuantiveTarget
from connectors.quantive.sandbox import QuantiveSandbox
from syncd.abc import Delivery, Receipt, Window
from syncd.errors import AuthError, QueryError, TransientSourceError
from tests.connectors.quantive.conftest import ACCOUNT, TOKEN, ZURICH

MakeSink = Callable[..., QuantiveSink]
Checkins = Callable[[dict[str, Any]], list[tuple[date, float]]]
DEC_1 = date(2026, 12, 1)


def delivery(
    target: dict[str, Any],
    value: float,
    day: date = DEC_1,
    *,
    measured_at: datetime | None = None,
    status: str | None = None,
) -> Delivery[QuantiveTarget]:
    start = datetime(day.year, day.month, day.day, tzinfo=ZURICH)
    end = start + timedelta(days=1)
    return Delivery(
        kr_id="kr-bookings",
        kr_title="Bookings per day",
        target=QuantiveTarget.model_validate(target),
        key=f"kr-bookings/{day.isoformat()}",
        value=value,
        unit=None,
        day=day,
        window=Window(start, end),
        measured_at=measured_at or end.astimezone(UTC) + timedelta(hours=6),
        source="web",
        status=status,
        note=f"web, {day.isoformat()}",
    )


def writes(sandbox: QuantiveSandbox) -> list[Any]:
    return [request.json for request in sandbox.received]


class TestQuantiveSink:
    sink_name = "quantive"
    secret_values = (TOKEN,)

    def test_deliver_once_writes_one_checkin_at_local_noon(
        self,
        sink_sandbox: QuantiveSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        receipt = make_sink().deliver(delivery(target, 1234.5, status="at_risk"), None)

        assert receipt.sent
        assert receipt.remote_id == f"{target['metric']}@2026-12-01T11:00:00Z"
        assert writes(sink_sandbox) == [
            {
                "actual": 1234.5,
                "checkInDate": "2026-12-01T11:00:00Z",
                "comment": "web, 2026-12-01 (syncd status: at risk)",
            }
        ]
        assert sink_sandbox.received[0].path == f"/api/v1/metrics/{target['metric']}/checkin"
        assert tool_checkins(target) == [(DEC_1, 1234.5)]

    def test_summer_day_and_an_early_snapshot(
        self, sink_sandbox: QuantiveSandbox, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink = make_sink()
        sink.deliver(delivery(target, 7, date(2026, 7, 1)), None)
        measured = datetime(2026, 12, 3, 9, 15, tzinfo=ZURICH)  # before noon, same day
        sink.deliver(delivery(target, 8, date(2026, 12, 3), measured_at=measured), None)

        stamps = [body["checkInDate"] for body in writes(sink_sandbox)]
        assert stamps == ["2026-07-01T10:00:00Z", "2026-12-03T08:15:00Z"]

    def test_same_delivery_again_with_its_receipt_writes_nothing(
        self,
        sink_sandbox: QuantiveSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 42), None)
        again = sink.deliver(delivery(target, 42), first)

        assert not again.sent
        assert again.remote_id == first.remote_id
        assert len(sink_sandbox.received) == 1
        assert tool_checkins(target) == [(DEC_1, 42.0)]

    def test_crash_between_write_and_receipt_writes_nothing(
        self,
        sink_sandbox: QuantiveSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        make_sink().deliver(delivery(target, 42), None)
        # a new process: no receipt was kept
        again = make_sink().deliver(delivery(target, 42.0), None)

        assert not again.sent
        assert again.remote_id == f"{target['metric']}@2026-12-01T11:00:00Z"
        assert tool_checkins(target) == [(DEC_1, 42.0)]

    def test_revised_value_for_the_day_is_checked_in_once(
        self,
        sink_sandbox: QuantiveSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink = make_sink()
        first = sink.deliver(delivery(target, 40), None)
        revised = sink.deliver(delivery(target, 44), first)
        repeat = sink.deliver(delivery(target, 44), revised)

        assert revised.sent and not repeat.sent
        assert tool_checkins(target) == [(DEC_1, 40.0), (DEC_1, 44.0)]
        assert sink.read(QuantiveTarget.model_validate(target)).value == 44.0

    def test_an_older_day_is_not_back_filled(
        self,
        sink_sandbox: QuantiveSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink = make_sink()
        sink.deliver(delivery(target, 50, date(2026, 12, 2)), None)
        older = sink.deliver(delivery(target, 49, DEC_1), None)

        assert not older.sent
        assert "later check-in (2026-12-02)" in older.detail
        assert tool_checkins(target) == [(date(2026, 12, 2), 50.0)]

    def test_a_key_result_with_earlier_checkins_gets_one_more(
        self, sink_sandbox: QuantiveSandbox, make_sink: MakeSink, tool_checkins: Checkins
    ) -> None:
        seeded = {"metric": sink_sandbox.metric_ids[1]}
        before = tool_checkins(seeded)
        assert len(before) == 1 and before[0][0] < DEC_1  # the seed's September check-in

        assert make_sink().deliver(delivery(seeded, 17), None).sent
        assert tool_checkins(seeded) == [*before, (DEC_1, 17.0)]

    @pytest.mark.parametrize(
        ("status", "retry_after", "method"),
        [(429, 1, "POST"), (503, None, "POST"), (503, 2, "GET"), (502, None, "GET")],
    )
    def test_rate_limits_and_server_errors_are_retried(
        self,
        sink_sandbox: QuantiveSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
        status: int,
        retry_after: int | None,
        method: str,
    ) -> None:
        sink_sandbox.faults.add("/metrics/", status=status, retry_after=retry_after, method=method)
        receipt = make_sink().deliver(delivery(target, 9), None)

        assert receipt.sent
        assert len(sink_sandbox.received) == 1
        assert tool_checkins(target) == [(DEC_1, 9.0)]
        tried = [r.method for r in sink_sandbox.requests if r.path.startswith("/api/v1/metrics")]
        assert tried.count(method) == 2

    def test_a_lost_answer_to_the_write_is_not_written_twice(
        self,
        sink_sandbox: QuantiveSandbox,
        make_sink: MakeSink,
        target: dict[str, Any],
        tool_checkins: Checkins,
    ) -> None:
        sink_sandbox.faults.add("/checkin", status=None, truncate=True, method="POST")
        receipt = make_sink().deliver(delivery(target, 11), None)

        assert receipt.sent
        assert receipt.remote_id == f"{target['metric']}@2026-12-01T11:00:00Z"
        assert tool_checkins(target) == [(DEC_1, 11.0)]
        methods = [r.method for r in sink_sandbox.requests]
        assert methods == ["GET", "POST", "GET"]  # the retry reads, and writes nothing

    def test_revoked_token_is_an_auth_error_without_the_token(
        self,
        make_sink: MakeSink,
        target: dict[str, Any],
        revoke: Callable[[], None],
        tool_checkins: Checkins,
    ) -> None:
        sink = make_sink()
        revoke()
        with pytest.raises(AuthError) as raised:
            sink.deliver(delivery(target, 5), None)

        assert "401" in str(raised.value)
        assert TOKEN not in str(raised.value)
        assert tool_checkins(target) == []

    def test_another_account_id_is_an_auth_error(
        self, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        with pytest.raises(AuthError):
            make_sink(account_id="0" * 24).deliver(delivery(target, 5), None)

    def test_unknown_key_result_is_a_query_error(self, make_sink: MakeSink) -> None:
        with pytest.raises(QueryError) as raised:
            make_sink().deliver(delivery({"metric": "ab" * 12}, 5), None)

        assert not isinstance(raised.value, AuthError)
        assert "404" in str(raised.value) and "abababababababababababab" in str(raised.value)

    def test_an_error_echoing_the_token_is_redacted(
        self, sink_sandbox: QuantiveSandbox, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink_sandbox.faults.add("/checkin", status=400, message=f"token {TOKEN} cannot do that")
        with pytest.raises(QueryError) as raised:
            make_sink().deliver(delivery(target, 5), None)

        assert TOKEN not in str(raised.value)
        assert "token *** cannot do that" in str(raised.value)

    def test_read_after_deliver_shows_the_value(
        self, sink_sandbox: QuantiveSandbox, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink = make_sink()
        parsed = QuantiveTarget.model_validate(target)
        assert sink.read(parsed).day is None  # never checked in
        sink.deliver(delivery(target, 321.25), None)

        reading = sink.read(parsed)
        assert (reading.value, reading.day) == (321.25, DEC_1)
        assert reading.title == sink_sandbox.metrics[target["metric"]].name

    def test_a_legacy_host_without_the_results_prefix(
        self, sink_sandbox: QuantiveSandbox, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        make_sink(url=sink_sandbox.url + "/").deliver(delivery(target, 6), None)
        assert sink_sandbox.requests[-1].path == f"/api/v1/metrics/{target['metric']}/checkin"
        assert writes(sink_sandbox) == [
            {"actual": 6, "checkInDate": "2026-12-01T11:00:00Z", "comment": "web, 2026-12-01"}
        ]

    def test_check_names_the_account(self, make_sink: MakeSink) -> None:
        said = make_sink().check()
        assert f"Helvetia Health ({ACCOUNT})" in said

    def test_check_with_a_revoked_token_fails(
        self, make_sink: MakeSink, revoke: Callable[[], None]
    ) -> None:
        revoke()
        with pytest.raises(AuthError):
            make_sink().check()

    def test_receipt_of_an_unchanged_value_keeps_the_previous_id(
        self, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        sink = make_sink()
        sink.deliver(delivery(target, 3), None)
        kept = Receipt(sent=True, remote_id="kept-id")
        assert sink.deliver(delivery(target, 3), kept).remote_id == "kept-id"


class TestModels:
    def test_config_defaults_and_secret(self) -> None:
        config = QuantiveSinkConfig.model_validate(
            {"type": "quantive", "account_id": ACCOUNT, "token": TOKEN}
        )
        assert config.base_url == "https://app.quantive.com/results"
        assert TOKEN not in repr(config)

    @pytest.mark.parametrize("account", ["acme", "5be26318e5274a0007f17f6", "g" * 24])
    def test_account_id_is_24_hex_digits(self, account: str) -> None:
        with pytest.raises(ValidationError) as raised:
            QuantiveSinkConfig.model_validate(
                {"type": "quantive", "account_id": account, "token": TOKEN}
            )
        assert TOKEN not in str(raised.value)

    def test_target_is_a_24_hex_id(self) -> None:
        assert QuantiveTarget.model_validate({"metric": "5BE26318E5274A0007F17F61"}).metric == (
            "5be26318e5274a0007f17f61"
        )
        for bad in ({"metric": "kr-42"}, {"metric": "5be26318e5274a0007f17f61", "x": 1}, {}):
            with pytest.raises(ValidationError):
                QuantiveTarget.model_validate(bad)

    def test_registered_under_syncd_sinks(self) -> None:
        (found,) = [e for e in entry_points(group="syncd.sinks") if e.name == "quantive"]
        assert found.load() is QuantiveSink


class TestSandbox:
    def test_missing_account_header_is_401(self, sink_sandbox: QuantiveSandbox) -> None:
        url = f"{sink_sandbox.api_url}/api/v1/metrics/{sink_sandbox.metric_ids[0]}"
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(url, headers=bearer).status_code == 401
        answer = httpx.get(url, headers=bearer | {"gtmhub-accountId": ACCOUNT})
        assert answer.status_code == 200
        assert set(answer.json()) >= {"id", "name", "actual", "target", "lastCheckInDate"}

    def test_unknown_metric_is_404_with_an_error_body(self, sink_sandbox: QuantiveSandbox) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "gtmhub-accountId": ACCOUNT}
        answer = httpx.get(f"{sink_sandbox.url}/api/v1/metrics/{'0' * 24}", headers=headers)
        assert answer.status_code == 404
        assert answer.json()["message"] == f"metric with id {'0' * 24} not found"

    def test_same_seed_same_key_results(self) -> None:
        one, two = QuantiveSandbox(seed=7), QuantiveSandbox(seed=7)
        assert one.metric_ids == two.metric_ids
        assert one.metric_ids != QuantiveSandbox(seed=8).metric_ids
        assert all(len(i) == 24 and int(i, 16) >= 0 for i in one.metric_ids)


class TestLastCheckInDate:
    """``lastCheckInDate`` as .NET, Go and JavaScript write it, read as a day in Zurich."""

    @pytest.mark.parametrize(
        ("raw", "day"),
        [
            ("2026-12-01T22:59:59.1234567Z", date(2026, 12, 1)),  # 23:59:59 CET
            ("2026-12-01T23:00:00.000Z", date(2026, 12, 2)),  # midnight CET
            ("2026-07-01T00:30:00+02:00", date(2026, 7, 1)),
            ("2026-12-01T11:00:00", date(2026, 12, 1)),  # no offset: UTC
            ("0001-01-01T00:00:00Z", None),  # Go's zero time
            (None, None),
            ("", None),
        ],
    )
    def test_days(self, make_sink: MakeSink, raw: str | None, day: date | None) -> None:
        shown = {"lastCheckInDate": raw}
        assert make_sink()._last_day(shown, "ab" * 12) == day

    def test_a_date_that_is_no_timestamp_is_retried_as_a_bad_answer(
        self, make_sink: MakeSink
    ) -> None:
        with pytest.raises(TransientSourceError, match="lastCheckInDate"):
            make_sink()._last_day({"lastCheckInDate": "yesterday"}, "ab" * 12)
