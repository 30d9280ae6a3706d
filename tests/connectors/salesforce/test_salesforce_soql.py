"""The sandbox's SOQL subset and the connector's templates, on hand-made records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sf_support import ZURICH, local

from connectors.salesforce import SalesforceQuery
from connectors.salesforce.soql import Evaluator, SoqlError, parse, relative_date
from connectors.salesforce.template import literal, parse_template
from syncd.abc import DaySpan, Window

SCHEMA = {
    "Opportunity": {
        "Id": "id",
        "Name": "string",
        "Amount": "currency",
        "IsWon": "boolean",
        "StageName": "picklist",
        "CloseDate": "date",
        "CreatedDate": "datetime",
    }
}
ROWS = [
    {"Id": "006A", "Name": "Alpha", "Amount": 100.0, "IsWon": True, "StageName": "Closed Won",
     "CloseDate": date(2026, 10, 1), "CreatedDate": datetime(2026, 9, 30, 21, 0, tzinfo=UTC)},
    {"Id": "006B", "Name": "Beta", "Amount": 200.0, "IsWon": False, "StageName": "Closed Lost",
     "CloseDate": date(2026, 10, 15), "CreatedDate": datetime(2026, 9, 30, 23, 0, tzinfo=UTC)},
    {"Id": "006C", "Name": "Gamma's", "Amount": 400.0, "IsWon": True, "StageName": "Closed Won",
     "CloseDate": date(2026, 11, 20), "CreatedDate": datetime(2026, 11, 2, 8, 0, tzinfo=UTC)},
    {"Id": "006D", "Name": "Delta", "Amount": None, "IsWon": False, "StageName": "Prospecting",
     "CloseDate": date(2026, 12, 31), "CreatedDate": datetime(2026, 11, 21, 8, 0, tzinfo=UTC)},
]  # fmt: skip
TODAY = date(2026, 11, 21)


def run(soql: str) -> tuple[list[dict], int]:
    return Evaluator(SCHEMA, {"Opportunity": ROWS}).run(soql, TODAY)


@pytest.mark.parametrize(
    ("soql", "total"),
    [
        ("SELECT COUNT() FROM Opportunity", 4),
        ("SELECT COUNT() FROM Opportunity WHERE IsWon = true", 2),
        ("SELECT COUNT() FROM Opportunity WHERE NOT IsWon = true", 2),
        ("SELECT COUNT() FROM Opportunity WHERE Amount > 100 AND Amount <= 400", 2),
        ("SELECT COUNT() FROM Opportunity WHERE Amount = null", 1),
        ("SELECT COUNT() FROM Opportunity WHERE StageName IN ('closed won', 'Prospecting')", 3),
        ("SELECT COUNT() FROM Opportunity WHERE StageName NOT IN ('Closed Won')", 2),
        ("SELECT COUNT() FROM Opportunity WHERE Name LIKE '%a'", 3),
        ("SELECT COUNT() FROM Opportunity WHERE Name LIKE 'Gamma\\'s'", 1),
        (
            "SELECT COUNT() FROM Opportunity WHERE (IsWon = true OR Amount = 200) AND Amount > 150",
            2,
        ),
        (
            "SELECT COUNT() FROM Opportunity "
            "WHERE CloseDate >= 2026-10-01 AND CloseDate < 2026-10-15",
            1,
        ),
        ("SELECT COUNT() FROM Opportunity WHERE CreatedDate >= 2026-09-30T22:00:00Z", 3),
        ("SELECT COUNT() FROM Opportunity WHERE CreatedDate < 2026-10-01T00:00:00+02:00", 1),
        ("SELECT COUNT() FROM Opportunity WHERE CloseDate = THIS_QUARTER", 4),
        ("SELECT COUNT() FROM Opportunity WHERE CloseDate = LAST_N_DAYS:2", 1),
        ("SELECT COUNT() FROM Opportunity WHERE CreatedDate = TODAY", 1),
        ("SELECT COUNT() FROM Opportunity WHERE CloseDate > THIS_MONTH", 1),
    ],
)
def test_where_clauses_pick_the_rows_named(soql: str, total: int) -> None:
    rows, size = run(soql)
    assert (rows, size) == ([], total)


def test_aggregates_name_their_columns_expr_n_unless_aliased() -> None:
    rows, size = run(
        "SELECT SUM(Amount), AVG(Amount) avg_amount, MIN(Amount), MAX(Amount), COUNT(Id), "
        "COUNT(Amount) FROM Opportunity"
    )
    assert size == 1
    assert rows == [
        {
            "attributes": {"type": "AggregateResult"},
            "expr0": 700.0,
            "avg_amount": 700.0 / 3,
            "expr1": 100.0,
            "expr2": 400.0,
            "expr3": 4,
            "expr4": 3,
        }
    ]


def test_group_by_returns_one_row_per_group() -> None:
    rows, size = run("SELECT IsWon, SUM(Amount) total FROM Opportunity GROUP BY IsWon")
    assert size == 2
    assert sorted((row["IsWon"], row["total"]) for row in rows) == [(False, 200.0), (True, 500.0)]


def test_sum_over_no_rows_is_null_like_salesforce() -> None:
    rows, _ = run("SELECT SUM(Amount) FROM Opportunity WHERE Amount > 1000")
    assert rows[0]["expr0"] is None


def test_plain_fields_come_back_with_attributes_and_json_values() -> None:
    rows, size = run("SELECT Id, CloseDate, CreatedDate FROM Opportunity WHERE Name = 'alpha'")
    assert size == 1
    assert rows[0] == {
        "attributes": {
            "type": "Opportunity",
            "url": "/services/data/vXX.X/sobjects/Opportunity/006A",
        },
        "Id": "006A",
        "CloseDate": "2026-10-01",
        "CreatedDate": "2026-09-30T21:00:00.000+0000",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("soql", "code", "fragment"),
    [
        ("SELECT Id FROM Opportunity WHERE IsWon = true AND Amount > 1 OR Amount < 5",
         "MALFORMED_QUERY", "unexpected token: 'OR'"),
        ("SELECT Id FROM Opportunity ORDER BY Name", "MALFORMED_QUERY",
         "unexpected token: 'ORDER'"),
        ("SELECT FROM Opportunity", "MALFORMED_QUERY", "Row:1:Column:8"),
        ("SELECT Id FROM Opportunity WHERE Amount > ", "MALFORMED_QUERY", "<EOF>"),
        ("SELECT Id, SUM(Amount) FROM Opportunity", "MALFORMED_QUERY", "must be grouped"),
        ("SELECT SUM(Name) FROM Opportunity", "MALFORMED_QUERY", "does not support aggregate"),
        ("SELECT Nope__c FROM Opportunity", "INVALID_FIELD", "No such column 'Nope__c'"),
        ("SELECT Id FROM Invoice__c", "INVALID_TYPE", "sObject type 'Invoice__c' is not supported"),
        ("SELECT Id FROM Opportunity WHERE CloseDate >= 2026-10-01T00:00:00Z",
         "INVALID_QUERY_FILTER_OPERATOR", "must be of type date"),
        ("SELECT Id FROM Opportunity WHERE CreatedDate >= 2026-10-01",
         "INVALID_QUERY_FILTER_OPERATOR", "must be of type dateTime"),
        ("SELECT Id FROM Opportunity WHERE CloseDate = '2026-10-01'",
         "INVALID_QUERY_FILTER_OPERATOR", "should not be enclosed in quotes"),
        ("SELECT Id FROM Opportunity WHERE Amount LIKE '1%'",
         "INVALID_QUERY_FILTER_OPERATOR", "invalid operator"),
    ],
)  # fmt: skip
def test_refused_queries_carry_salesforce_error_codes(soql: str, code: str, fragment: str) -> None:
    with pytest.raises(SoqlError) as raised:
        run(soql)
    assert raised.value.error_code == code
    assert fragment in raised.value.message


def test_relative_date_literals_against_a_fixed_today() -> None:
    today = date(2026, 11, 21)  # a Saturday
    assert relative_date("THIS_QUARTER", today) == (date(2026, 10, 1), date(2027, 1, 1))
    assert relative_date("LAST_QUARTER", today) == (date(2026, 7, 1), date(2026, 10, 1))
    assert relative_date("LAST_N_DAYS:7", today) == (date(2026, 11, 15), date(2026, 11, 22))
    assert relative_date("THIS_WEEK", today) == (date(2026, 11, 15), date(2026, 11, 22))
    assert relative_date("LAST_MONTH", today) == (date(2026, 10, 1), date(2026, 11, 1))
    assert relative_date("N_DAYS_AGO:3", today) == (date(2026, 11, 18), date(2026, 11, 19))
    assert relative_date("NEXT_YEAR", today) == (date(2027, 1, 1), date(2028, 1, 1))
    assert relative_date("SOMEDAY", today) is None


def test_parse_knows_count_only_queries() -> None:
    assert parse("select count() from Lead").is_count_only
    assert not parse("SELECT COUNT(Id) FROM Lead").is_count_only


# ---- templates -----------------------------------------------------------------------------------


OCTOBER = Window(local(2026, 10, 1), local(2026, 11, 1))


def test_window_placeholders_render_the_days_and_utc_instants() -> None:
    template = parse_template(
        "SELECT COUNT() FROM Lead WHERE CreatedDate >= {window_start:datetime} AND "
        "CreatedDate < {window_end:datetime} AND ConvertedDate >= {window_start} "
        "AND ConvertedDate < {window_end}",
        {},
    )
    assert template.window_formats == {"date", "datetime"}
    # Zurich is UTC+2 on 1 October and UTC+1 on 1 November (DST ended 25 October).
    october = DaySpan(date(2026, 10, 1), date(2026, 11, 1))
    assert template.render(OCTOBER, october, ZURICH, {}) == (
        "SELECT COUNT() FROM Lead WHERE CreatedDate >= 2026-09-30T22:00:00Z AND "
        "CreatedDate < 2026-10-31T23:00:00Z AND ConvertedDate >= 2026-10-01 "
        "AND ConvertedDate < 2026-11-01"
    )


def test_date_placeholders_render_the_planners_days_not_the_bounds() -> None:
    # A window 06:00..06:00 (a `0 6 * * *` slot) whose days the planner decided: dates come
    # from request.days (end exclusive), never from the instants' local dates.
    template = parse_template("SELECT COUNT() FROM Opportunity WHERE CloseDate >= "
                              "{window_start} AND CloseDate < {window_end}", {})  # fmt: skip
    window = Window(local(2026, 10, 1, 6), local(2026, 10, 8, 6))
    days = DaySpan(date(2026, 10, 2), date(2026, 10, 8))
    assert template.render(window, days, ZURICH, {}).endswith(
        "CloseDate >= 2026-10-02 AND CloseDate < 2026-10-08"
    )
    # A snapshot has no days: its date is the instant's local date.
    moment = local(2026, 10, 31, 23)
    assert template.render(Window(moment, moment), None, ZURICH, {}).endswith(
        "CloseDate >= 2026-10-31 AND CloseDate < 2026-10-31"
    )
    assert parse_template("SELECT COUNT() FROM Lead", {}).window_formats == set()


def test_params_render_as_escaped_literals_never_raw() -> None:
    hostile = "x' OR Name LIKE '%"
    template = parse_template("SELECT COUNT() FROM Account WHERE Name = {name}", {"name": hostile})
    soql = template.render(OCTOBER, None, ZURICH, {"name": hostile})
    assert soql == "SELECT COUNT() FROM Account WHERE Name = 'x\\' OR Name LIKE \\'%'"
    _, total = Evaluator(SCHEMA, {"Opportunity": ROWS}).run(
        soql.replace("Account", "Opportunity"), TODAY
    )
    assert total == 0  # the quote stayed inside the string literal


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "true"), (3, "3"), (2.5, "2.5"), (date(2026, 1, 2), "2026-01-02"),
     ("a\\b\n", "'a\\\\b\\n'")],
)  # fmt: skip
def test_literals(value: object, expected: str) -> None:
    assert literal(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("soql", "message"),
    [
        ("SELECT COUNT() FROM Lead WHERE Name = '{window_start}'", "inside a quoted string"),
        ("SELECT COUNT() FROM Lead WHERE CreatedDate > {window_start:time}", "format is 'date'"),
        ("SELECT COUNT() FROM Lead WHERE Name = {who}", "unknown placeholder {who}"),
        ("SELECT COUNT() FROM Lead WHERE Name = {1}", "unexpected '{'"),
        ("SELECT COUNT() FROM Lead WHERE Name = 'open", "not closed"),
        ("DELETE FROM Lead", "starts with SELECT"),
    ],
)
def test_invalid_templates_are_refused_at_config_load(soql: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        SalesforceQuery.model_validate({"soql": soql})
    assert message in str(raised.value)


def test_reduce_needs_a_value_column() -> None:
    with pytest.raises(ValidationError, match="needs 'value'"):
        SalesforceQuery.model_validate({"soql": "SELECT Amount FROM Opportunity", "reduce": "sum"})
