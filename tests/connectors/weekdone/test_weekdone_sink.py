"""The weekdone sink through real HTTP against the sandbox: exactly-once writes, retries,
tokens (refresh on expiry and on refusal, revocation) and errors that never carry a secret."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from connectors.weekdone import WeekdoneSink, WeekdoneSinkConfig, WeekdoneTarget
from connectors.weekdone.sandbox import RecordedWrite, WeekdoneSandbox
from syncd.abc import ConnectorContext, Delivery, Receipt, Window
from syncd.errors import AuthError, QueryError, TransientSourceError
from tests.connectors.weekdone.conftest import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    WRITE_DAY,
    ZURICH,
    new_sandbox,
)

DAY = date(2026, 12, 3)


def delivery(target: dict[str, int], value: float, day: date = DAY) -> Delivery[WeekdoneTarget]:
    return Delivery(
        kr_id="activation",
        kr_title="Weekly active teams",
        target=WeekdoneTarget.model_validate(target),
        key=f"activation@{day.isoformat()}",
        value=value,
        unit=None,
        day=day,
        window=Window(datetime(2026, 12, 3, tzinfo=ZURICH), datetime(2026, 12, 4, tzinfo=ZURICH)),
        measured_at=datetime(2026, 12, 4, 5, 0, tzinfo=UTC),
        source="product-db",
        status="on_track",
        note="product-db, 2026-12-03",
    )


def path_of(target: dict[str, int]) -> str:
    return f"/1/objective/{target['objective']}/result/{target['result']}"


def test_registered_as_a_sink() -> None:
    (found,) = [e for e in entry_points(group="syncd.sinks") if e.name == "weekdone"]
    assert found.load() is WeekdoneSink


def test_deliver_once_writes_once_and_the_tool_holds_the_value(
    make_sink, sink_sandbox, target, tool_checkins
) -> None:
    receipt = make_sink().deliver(delivery(target, 1234.5), None)

    remote = f"{target['objective']}/{target['result']}"
    assert receipt == Receipt(True, remote, f"set Weekdone key result {remote} to 1234.5")
    assert sink_sandbox.received == [
        RecordedWrite("PATCH", path_of(target), {"progress": "1234.5"})
    ]
    assert tool_checkins(target) == [(WRITE_DAY, 1234.5)]


def test_a_whole_number_is_sent_without_a_fraction(make_sink, sink_sandbox, target) -> None:
    make_sink().deliver(delivery(target, 412.0), None)
    assert sink_sandbox.received[0].form == {"progress": "412"}


def test_the_same_delivery_again_writes_nothing(make_sink, sink_sandbox, target) -> None:
    sink = make_sink()
    first = sink.deliver(delivery(target, 1234.5), None)
    again = sink.deliver(delivery(target, 1234.5), first)

    assert again.sent is False
    assert again.remote_id == first.remote_id
    assert len(sink_sandbox.received) == 1


def test_a_revised_value_updates_the_same_key_result(
    make_sink, sink_sandbox, target, tool_checkins
) -> None:
    sink = make_sink()
    first = sink.deliver(delivery(target, 1234.5), None)
    revised = sink.deliver(delivery(target, 1250.0), first)

    assert revised.sent is True
    assert [write.form for write in sink_sandbox.received] == [
        {"progress": "1234.5"},
        {"progress": "1250"},
    ]
    assert tool_checkins(target) == [(WRITE_DAY, 1250.0)]


# The seed gives key results whole-number progress from 0 to 100; the values written here lie
# outside that range, so each one is a change.


def test_a_value_the_tool_already_holds_is_not_written(
    make_sink, sink_sandbox, target, tool_checkins
) -> None:
    # Read from the tool's state directly: the value the seed gave this key result.
    ((_, held),) = tool_checkins(target)
    receipt = make_sink().deliver(delivery(target, held), None)

    assert receipt.sent is False
    assert sink_sandbox.received == []


def test_429_with_retry_after_is_retried_and_lands_once(
    make_sink, sink_sandbox, target, tool_checkins, sleeps
) -> None:
    sink_sandbox.faults.add("/result/", status=429, retry_after=2, method="PATCH")
    make_sink().deliver(delivery(target, 177.0), None)

    assert len(sink_sandbox.received) == 1
    assert tool_checkins(target) == [(WRITE_DAY, 177.0)]
    assert max(sleeps) >= 2.0  # never shorter than Retry-After


def test_503_is_retried_and_lands_once(make_sink, sink_sandbox, target, tool_checkins) -> None:
    sink_sandbox.faults.add("/1/objective", status=503, times=2)
    make_sink().deliver(delivery(target, 178.0), None)

    assert len(sink_sandbox.received) == 1
    assert tool_checkins(target) == [(WRITE_DAY, 178.0)]


def test_a_cut_answer_is_retried(make_sink, sink_sandbox, target, tool_checkins) -> None:
    sink_sandbox.faults.add("/1/objective", status=None, truncate=True, method="GET")
    make_sink().deliver(delivery(target, 179.0), None)
    assert tool_checkins(target) == [(WRITE_DAY, 179.0)]


def test_5xx_without_end_is_a_transient_error_and_writes_nothing(
    make_sink, sink_sandbox, target
) -> None:
    sink_sandbox.faults.add("/1/objective", status=502, times=10)
    with pytest.raises(TransientSourceError, match="502"):
        make_sink().deliver(delivery(target, 180.0), None)
    assert sink_sandbox.received == []


def test_revoked_access_is_an_auth_error_without_secrets(
    make_sink, sink_sandbox, target, revoke
) -> None:
    sink = make_sink()
    sink.deliver(delivery(target, 181.0), None)
    revoke()

    with pytest.raises(AuthError) as raised:
        sink.deliver(delivery(target, 182.0), None)

    text = str(raised.value)
    assert "authorize again" in text
    minted = [form.get("refresh_token", "") for form in sink_sandbox.token_requests]
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN, *minted):
        assert secret not in text
    assert "wdsbx-" not in text  # no token of any kind
    assert len(sink_sandbox.received) == 1


def test_unknown_objective_is_a_query_error(make_sink, sink_sandbox, target) -> None:
    missing = {"objective": 999_999, "result": target["result"]}
    with pytest.raises(QueryError, match="no objective 999999"):
        make_sink().deliver(delivery(missing, 1.0), None)
    assert sink_sandbox.received == []


def test_unknown_key_result_is_a_query_error(make_sink, sink_sandbox, target) -> None:
    missing = {"objective": target["objective"], "result": 1}
    with pytest.raises(QueryError, match=f"objective {target['objective']} has no key result 1"):
        make_sink().read(WeekdoneTarget.model_validate(missing))


def test_read_after_deliver_shows_the_value(make_sink, sink_sandbox, target) -> None:
    sink = make_sink()
    sink.deliver(delivery(target, 63.25), None)
    reading = sink.read(WeekdoneTarget.model_validate(target))

    stored = sink_sandbox.key_result(target["objective"], target["result"])
    objective = sink_sandbox.objectives[target["objective"]]
    assert reading.value == 63.25
    assert reading.title == stored.description
    assert reading.day is None
    assert reading.detail == f"objective {objective.description!r}"


def test_check_lists_the_objectives(make_sink) -> None:
    # The seed makes three objectives (sandbox.seeded_objectives).
    assert make_sink().check() == "Weekdone answered with 3 objectives"


def test_the_first_call_mints_an_access_token_from_the_refresh_token(
    make_sink, sink_sandbox
) -> None:
    sink = make_sink()
    sink.check()
    sink.check()

    assert sink_sandbox.token_requests == [
        {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH_TOKEN,
            "client_id": "sandbox-weekdone-client",
            "client_secret": CLIENT_SECRET,
        }
    ]
    assert sink.tokens.refreshes == 1


def test_an_expired_token_is_refreshed_once_and_the_call_repeated(
    make_sink, sink_sandbox, target, tool_checkins
) -> None:
    sink = make_sink()
    sink.deliver(delivery(target, 110.0), None)
    sink_sandbox.expire_access_tokens()

    receipt = sink.deliver(delivery(target, 111.0), None)

    assert receipt.sent is True
    assert sink.tokens.refreshes == 2
    assert len(sink_sandbox.token_requests) == 2
    assert [write.form["progress"] for write in sink_sandbox.received] == ["110", "111"]
    assert tool_checkins(target) == [(WRITE_DAY, 111.0)]


def config_for(sandbox: WeekdoneSandbox, refresh: str) -> WeekdoneSinkConfig:
    return WeekdoneSinkConfig.model_validate(
        {
            "type": "weekdone",
            "url": sandbox.url,
            "auth_url": sandbox.url,
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": refresh,
        }
    )


def test_a_token_about_to_expire_is_refreshed_before_the_call(sleeps) -> None:
    # Tokens living 30 s are always within the sink's 60 s early-refresh margin.
    with new_sandbox(token_lifetime=30) as sandbox:
        _, refresh = sandbox.issue_tokens()
        config = config_for(sandbox, refresh)
        with WeekdoneSink(config, ConnectorContext("weekdone", ZURICH, sleep=sleeps)) as sink:
            sink.check()
            sink.check()
            assert sink.tokens.refreshes == 2
        assert len(sandbox.token_requests) == 2


def test_a_rotated_refresh_token_is_used_for_the_next_refresh(sleeps) -> None:
    with new_sandbox(rotate_refresh_tokens=True) as sandbox:
        _, refresh = sandbox.issue_tokens()
        config = config_for(sandbox, refresh)
        with WeekdoneSink(config, ConnectorContext("weekdone", ZURICH, sleep=sleeps)) as sink:
            sink.check()
            sandbox.expire_access_tokens()
            sink.check()
        used = [form["refresh_token"] for form in sandbox.token_requests]
        assert used[0] == refresh
        assert used[1] != refresh
        assert used[1].startswith("wdsbx-refresh-")


def test_an_access_token_alone_works_until_refused(make_sink, sink_sandbox, target) -> None:
    sink = make_sink(refresh_token=None, access_token=ACCESS_TOKEN)
    sink.deliver(delivery(target, 105.0), None)
    sink_sandbox.expire_access_tokens()

    with pytest.raises(AuthError, match="renew access_token") as raised:
        sink.deliver(delivery(target, 106.0), None)

    assert ACCESS_TOKEN not in str(raised.value)
    assert sink_sandbox.token_requests == []
    assert len(sink_sandbox.received) == 1


def test_a_wrong_client_secret_is_an_auth_error(make_sink, sink_sandbox) -> None:
    with pytest.raises(AuthError) as raised:
        make_sink(client_secret="not-the-secret-123").check()
    assert "not-the-secret-123" not in str(raised.value)
    assert "401" in str(raised.value)


def test_config_needs_a_token(sink_config) -> None:
    raw = {k: v for k, v in sink_config.items() if k != "refresh_token"}
    with pytest.raises(ValidationError, match="give refresh_token"):
        WeekdoneSinkConfig.model_validate(raw)


def test_config_defaults_to_weekdone_hosts_and_hides_secrets() -> None:
    config = WeekdoneSinkConfig.model_validate(
        {"type": "weekdone", "client_id": "c", "client_secret": "s3cr3t", "refresh_token": "r3fr"}
    )
    assert config.api_base == "https://api.weekdone.com"
    assert config.auth_base == "https://weekdone.com"
    assert "s3cr3t" not in repr(config)


def test_target_is_two_ids_and_nothing_else() -> None:
    assert WeekdoneTarget.model_validate({"objective": 7, "result": 9}).remote_id == "7/9"
    with pytest.raises(ValidationError):
        WeekdoneTarget.model_validate({"objective": 7, "result": 9, "kpi": 1})


def test_an_error_answered_with_200_naming_the_token_refreshes_it(
    make_sink, sink_sandbox, target, tool_checkins
) -> None:
    sink = make_sink()
    sink.check()
    refused = {"status": "error", "error": "Invalid access token"}
    sink_sandbox.faults.add("/result/", status=200, body=refused, method="PATCH")

    assert sink.deliver(delivery(target, 140.0), None).sent is True

    assert sink.tokens.refreshes == 2
    assert tool_checkins(target) == [(WRITE_DAY, 140.0)]


def test_another_error_answered_with_200_is_a_query_error(make_sink, sink_sandbox, target) -> None:
    refused = {"status": "error", "error": "Key result is locked"}
    sink_sandbox.faults.add("/result/", status=200, body=refused, method="PATCH")

    with pytest.raises(QueryError, match=r"Weekdone answered an error \(Key result is locked\)"):
        make_sink().deliver(delivery(target, 141.0), None)
    assert sink_sandbox.received == []


def test_threads_refused_the_same_token_share_one_refresh(make_sink, sink_sandbox) -> None:
    sink = make_sink()
    sink.check()
    sink_sandbox.expire_access_tokens()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: sink.check(), range(4)))

    assert answers == ["Weekdone answered with 3 objectives"] * 4
    assert sink.tokens.refreshes == 2  # the first token, then one replacement
    assert len(sink_sandbox.token_requests) == 2


def test_the_sample_validates() -> None:
    import connectors.weekdone

    sample = Path(connectors.weekdone.__file__).with_name("sample.yaml")
    document = YAML(typ="safe").load(sample.read_text())
    config = WeekdoneSinkConfig.model_validate(document["sinks"]["weekdone"])
    (kr,) = document["key_results"]
    target = WeekdoneTarget.model_validate(kr["push"]["weekdone"])

    assert config.refresh_token is not None
    assert config.refresh_token.get_secret_value() == "${env:WEEKDONE_REFRESH_TOKEN}"
    assert target.remote_id == "4711/20533"
