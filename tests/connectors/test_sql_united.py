"""Statements united in one ``UNION ALL``: every request's value or error as when run alone,
on SQLite and PostgreSQL (rows from ``conftest.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from syncd import cost
from syncd.abc import Observation
from syncd.collect import run_connector
from tests.connectors.test_sql import OCT_25, SUM_SQL, WEEK, connector_for, make_request

STATEMENTS = [
    ("SELECT COUNT(*) FROM customers", OCT_25, {}),
    (SUM_SQL.format(table="events_utc"), OCT_25, {}),
    (SUM_SQL.format(table="events_utc"), WEEK, {}),
    (SUM_SQL.format(table="events_local") + " AND amount >= :least", WEEK, {"least": 4}),
    ("SELECT SUM(amount) FROM invoices WHERE invoice_date >= :start_date", WEEK, {}),
    ("SELECT COUNT(*) FROM customers WHERE name = 'a:b' -- a comment: no parameter", OCT_25, {}),
    ("SELECT COUNT(*) FROM customers;", WEEK, {}),
]
BROKEN = [
    ("SELECT amount FROM events_utc WHERE amount > 1000", OCT_25, {}),
    ("SELECT amount FROM events_utc", OCT_25, {}),
    ("SELECT SUM(amount) FROM events_utc WHERE amount > 1000", OCT_25, {}),
    ("SELECT 'many' AS label", OCT_25, {}),
]
TWO_COLUMNS = ("SELECT COUNT(*), SUM(amount) FROM events_utc", OCT_25, {})


def outcomes(url: str, asked: list[Any], choose: cost.Chooser) -> tuple[list[Any], int]:
    requests = [make_request(sql, *window, **params) for sql, window, params in asked]
    with connector_for(url) as connector:
        outcome = run_connector(connector, requests, choose=choose)
    shown = [
        r.value if isinstance(r, Observation) else f"{type(r.error).__name__}: {r.error}"
        for r in outcome.results_in_order(requests)
    ]
    return shown, outcome.stats.calls


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    return str(
        request.getfixturevalue("sql_sqlite_url" if request.param == "sqlite" else "sql_pg_url")
    )


def test_united_statements_give_each_value_in_one_call(url: str) -> None:
    united, calls = outcomes(url, STATEMENTS, cost.cheapest)
    alone, alone_calls = outcomes(url, STATEMENTS, cost.plain)
    assert united == alone
    assert all(isinstance(value, int | float) or hasattr(value, "real") for value in united)
    assert (calls, alone_calls) == (1, len(STATEMENTS))


def test_a_statement_that_does_not_unite_sends_each_alone(url: str) -> None:
    asked = [*STATEMENTS[:2], TWO_COLUMNS]
    united, calls = outcomes(url, asked, cost.cheapest)
    alone, _ = outcomes(url, asked, cost.plain)
    assert united == alone
    assert "returned 2 columns" in united[2]
    assert calls == 1 + len(asked)  # the refused union, then each alone


def test_bad_answers_fail_their_own_request_as_alone(url: str) -> None:
    asked = [STATEMENTS[0], *BROKEN]
    united, _ = outcomes(url, asked, cost.cheapest)
    alone, _ = outcomes(url, asked, cost.plain)
    assert united == alone
    assert united[0] == 3
    assert [u.split(":")[0] for u in united[1:]] == ["QueryError"] * len(BROKEN)
