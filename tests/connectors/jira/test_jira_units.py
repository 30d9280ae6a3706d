"""The Jira connector's models, traits, JQL, error mapping and arithmetic, without a server."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from jira.exceptions import JIRAError
from pydantic import ValidationError

import connectors.jira
from connectors.jira import JiraConnector, JiraQuery, JiraSourceConfig
from connectors.jira.errors import classify
from connectors.jira.measures import summarize
from connectors.jira.wire import parse_moment
from syncd.abc import ConnectorContext, DaySpan, MetricRequest, ValueKind, Window
from syncd.config.loader import load_config
from syncd.errors import AuthError, ConfigError, QueryError, RateLimited, TransientSourceError

ZURICH = ZoneInfo("Europe/Zurich")
CLOUD = {
    "type": "jira",
    "url": "https://acme.atlassian.net",
    "email": "a@b.c",
    "api_token": "t0k3n",
}
DC = {"type": "jira", "url": "https://jira.acme.example/jira", "token": "p4t-s3cret"}


def test_the_credentials_decide_the_deployment() -> None:
    assert JiraSourceConfig.model_validate(CLOUD).deployment == "cloud"
    assert JiraSourceConfig.model_validate(DC).deployment == "data_center"
    assert "t0k3n" not in repr(JiraSourceConfig.model_validate(CLOUD))


@pytest.mark.parametrize(
    "raw,words",
    [
        (CLOUD | {"token": "x"}, "not both"),
        ({k: v for k, v in CLOUD.items() if k != "email"}, "both email and api_token"),
        ({"type": "jira", "url": "https://a.example"}, r"give email \+ api_token"),
        (DC | {"timezone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_bad_source_settings_are_refused(raw: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        JiraSourceConfig.model_validate(raw)


@pytest.mark.parametrize(
    "query,words",
    [
        ({"jql": "project = ABC ORDER BY created"}, "ORDER BY"),
        ({"jql": "project = ABC", "measure": "sum"}, "needs field"),
        ({"jql": "project = ABC", "field": "Story Points"}, "field applies"),
        ({"jql": "project = ABC", "measure": "sum", "field": "x", "exact": False}, "exact applies"),
        ({"jql": "project = ABC", "stat": "p85"}, "apply to measure duration"),
        ({"jql": "project = ABC", "measure": "duration", "stat": "p100"}, "use median"),
    ],
)
def test_bad_queries_are_refused(query: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        JiraQuery.model_validate(query)


@pytest.mark.parametrize(
    "query,kind",
    [
        ({"jql": "project = ABC", "by": "created"}, ValueKind.COUNT),
        ({"jql": "project = ABC", "by": "resolved", "measure": "sum", "field": "x"}, ValueKind.SUM),
        (
            {"jql": "project = ABC", "by": "resolved", "measure": "avg", "field": "x"},
            ValueKind.NUMBER,
        ),
        ({"jql": "project = ABC", "by": "resolved", "measure": "duration"}, ValueKind.DURATION),
    ],
)
def test_traits_of_a_windowed_query(query: dict, kind: ValueKind) -> None:
    config = JiraSourceConfig.model_validate(CLOUD | {"timezone": "America/New_York"})
    traits = JiraConnector.traits(config, JiraQuery.model_validate(query), ZURICH)
    assert traits.day_zone == ZoneInfo("America/New_York")
    assert (traits.past_windows, traits.past_snapshots, traits.kind) == (True, False, kind)


def test_traits_without_by_read_the_present_in_no_zone() -> None:
    config = JiraSourceConfig.model_validate(DC)
    traits = JiraConnector.traits(config, JiraQuery(jql="status != Done"), ZURICH)
    assert (traits.day_zone, traits.past_windows, traits.past_snapshots) == (None, False, False)
    # Without its own timezone the source counts days of the configuration's zone.
    bound = JiraConnector.traits(config, JiraQuery(jql="x = y", by="created"), ZURICH)
    assert bound.day_zone == ZURICH


def test_jql_binds_by_to_the_days_and_describe_names_custom_fields() -> None:
    connector = JiraConnector(
        JiraSourceConfig.model_validate(CLOUD), ConnectorContext("delivery", ZURICH)
    )
    window = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
    days = DaySpan(date(2026, 10, 1), date(2026, 11, 1))
    query = JiraQuery(jql="project = ABC OR project = OPS", by="resolved", exact=False)
    request = MetricRequest("delivery", query, window, days)
    assert connector.jql(request, clause=lambda by: "resolved") == (
        '(project = ABC OR project = OPS) AND resolved >= "2026-10-01" AND resolved < "2026-11-01"'
    )
    assert connector.describe(request).startswith("approximate count of JQL")
    custom = MetricRequest("delivery", JiraQuery(jql="a = b", by="customfield_10015"), window, days)
    assert 'cf[10015] >= "2026-10-01"' in connector.describe(custom)
    named = MetricRequest("delivery", JiraQuery(jql="a = b", by="Start date"), window, days)
    assert '"Start date" < "2026-11-01"' in connector.describe(named)
    assert "t0k3n" not in connector.describe(named)


def test_parse_moment_reads_jira_dates_and_datetimes() -> None:
    assert parse_moment("2026-10-03T09:15:00.000+0200", ZURICH) == datetime(
        2026, 10, 3, 7, 15, tzinfo=UTC
    )
    assert parse_moment("2026-10-03", ZURICH) == datetime(2026, 10, 3, tzinfo=ZURICH)
    assert parse_moment("2026-10-03T09:15:00.000-0500", ZURICH).utcoffset() == timedelta(hours=-5)
    with pytest.raises(ValueError):
        parse_moment("2026-10-03T09:15:00", ZURICH)


def test_summarize_medians_and_interpolated_percentiles() -> None:
    assert summarize([4.0, 1.0, 3.0, 2.0], "median") == 2.5
    assert summarize([1.0, 2.0, 3.0, 4.0, 5.0], "p90") == pytest.approx(4.6)
    assert summarize([7.0], "p85") == 7.0
    assert summarize([1.0, 2.0], "mean") == 1.5


def _jira_error(status: int, headers: dict[str, str], text: str = "") -> JIRAError:
    response = SimpleNamespace(headers=headers, text=text)
    request = SimpleNamespace(headers={"Authorization": "Basic c2VjcmV0LXRva2Vu"}, text="")
    return JIRAError(
        text,
        status_code=status,
        url="https://acme.atlassian.net/rest/api/3/search/jql",
        request=request,
        response=response,  # type: ignore[arg-type]
    )


def test_the_client_errors_map_onto_the_table_without_request_headers() -> None:
    limited = classify(_jira_error(429, {"Retry-After": "7"}, "Rate limit exceeded."), source="s")
    assert isinstance(limited, RateLimited) and limited.retry_after == 7
    refused = classify(_jira_error(401, {}, "You are not authenticated."), source="s")
    assert isinstance(refused, AuthError)
    assert "Basic" not in str(refused) and "/rest/api/3/search/jql" in str(refused)
    unavailable = classify(_jira_error(503, {}, "<html>Bad gateway</html>"), source="s")
    assert isinstance(unavailable, TransientSourceError) and "an HTML page" in str(unavailable)
    bad = classify(_jira_error(400, {}, "Error in the JQL Query: x"), source="s")
    assert isinstance(bad, QueryError) and "Error in the JQL Query" in str(bad)
    assert classify(ValueError("not ours"), source="s") is None


def test_sample_config_loads() -> None:
    sample = Path(connectors.jira.__file__).with_name("sample.yaml")
    config = load_config(sample, read_secrets=False).config
    delivery, onprem = config.sources["delivery"], config.sources["onprem"]
    assert isinstance(delivery, JiraSourceConfig) and delivery.deployment == "cloud"
    assert isinstance(onprem, JiraSourceConfig) and onprem.deployment == "data_center"
    lead = config.metrics["lead_time_from_start"].query
    assert isinstance(lead, JiraQuery) and lead.from_field == "Start date"


def _initiative_config(tmp_path: Path, sources: str, initiative: str) -> Path:
    path = tmp_path / "syncd.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            timezone: Europe/Zurich
            sources:
              research: {type: manual}
            {sources}
            metrics:
              nps: {source: research, query: {}}
            cycles:
              2026-Q4: {start: 2026-10-01, end: 2026-12-31}
            objectives:
              - id: o
                title: O
                team: t
                cycle: 2026-Q4
                key_results:
                  - {id: k, title: K, metric: nps, focus: user, baseline: 0, target: 1}
            initiatives:
              - id: bet
                title: Bet
                start: 2026-10-12
                moves: [{key_result: k}]
            {initiative}
            """
        )
        .replace("{sources}", sources)
        .replace("{initiative}", initiative)
    )
    return path


JIRA_SOURCE = "  d{n}: {{type: jira, url: https://a.example, token: '${{env:PAT}}'}}"
"""A Data Center source named d1, d2 … (format it with ``n``)."""


@pytest.mark.parametrize(
    "sources,initiative,words",
    [
        ("", "    jira: ABC-2", "needs one jira source, and there is none"),
        (
            JIRA_SOURCE.format(n=1) + "\n" + JIRA_SOURCE.format(n=2),
            "    jira: ABC-2",
            "there are 2",
        ),
        (JIRA_SOURCE.format(n=1), "    jira: ABC-2\n    jira_source: d9", "unknown jira source"),
        (JIRA_SOURCE.format(n=1), "    jira: abc 2", "initiatives[0].jira: invalid name 'abc 2'"),
    ],
)
def test_an_epic_needs_a_jira_source(tmp_path: Path, sources: str, initiative: str, words: str):
    path = _initiative_config(tmp_path, sources, initiative)
    with pytest.raises(ConfigError) as raised:
        load_config(path, read_secrets=False)
    assert len(raised.value.issues) == 1
    assert words in str(raised.value)


def test_an_epic_with_its_one_jira_source_loads(tmp_path: Path) -> None:
    path = _initiative_config(tmp_path, JIRA_SOURCE.format(n=1), "    jira: ABC-2")
    (initiative,) = load_config(path, read_secrets=False).config.initiatives
    assert initiative.jira == "ABC-2"


def test_window_offsets_are_unused_by_jql_but_days_are() -> None:
    # A window in another zone still binds the days the planner decided.
    connector = JiraConnector(JiraSourceConfig.model_validate(DC), ConnectorContext("d", ZURICH))
    tokyo = timezone(timedelta(hours=9))
    window = Window(datetime(2026, 10, 1, tzinfo=tokyo), datetime(2026, 10, 8, tzinfo=tokyo))
    request = MetricRequest(
        "d",
        JiraQuery(jql="a = b", by="created"),
        window,
        DaySpan(date(2026, 9, 30), date(2026, 10, 7)),
    )
    assert connector.jql(request, clause=lambda by: by).endswith(
        'created >= "2026-09-30" AND created < "2026-10-07"'
    )
