"""The BI views (migration 0007) on SQLite and PostgreSQL: what a BI tool reads. SQL-only
(``sql_store``): views are SQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from syncd.config.models import Band
from syncd.store import Store
from tests.store.helpers import config, item, kr, objective

VIEWS = ("syncd_kr_history", "syncd_kr_latest", "syncd_objective_scores")


@pytest.fixture
def engine(sql_store: Store, sql_store_url: str) -> Iterator[Engine]:
    store, store_url = sql_store, sql_store_url
    store.sync_definitions(
        config(
            objective(
                "o1",
                kr("kr-a", owner="Lea"),  # 0 → 10
                kr("kr-b", baseline=None, target=None, maintain=Band(at_most=5), weight=3),
                owner="Mia",
            ),
            objective("o2", kr("kr-c", baseline=10.0, target=0.0), parent="o1", team="care"),
            objective("o3", kr("kr-d")),  # never measured
        )
    )
    store.record_measurements(
        [
            item("kr-a", 4.0, 1),
            item("kr-a", 12.0, 2),  # over target: attainment 1.2, score 1
            item("kr-b", 7.0, 1),  # out of band
            item("kr-b", 4.0, 2),  # in band
            item("kr-c", 7.5, 2),  # 10 → 0 at 7.5: 0.25
        ]
    )
    store.record_measurements([item("kr-a", 6.0, 2, run_id="run-2")])  # restated: now 6
    opened = create_engine(store_url)
    try:
        yield opened
    finally:
        opened.dispose()


def rows(engine: Engine, sql: str) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(sql))]


def test_history_has_every_measurement_with_its_objective_owner_and_score(engine: Engine):
    found = rows(engine, "SELECT * FROM syncd_kr_history ORDER BY kr_id, window_end")
    assert [(r["kr_id"], r["value"], r["revision"]) for r in found] == [
        ("kr-a", 4.0, 1),
        ("kr-a", 6.0, 2),
        ("kr-b", 7.0, 1),
        ("kr-b", 4.0, 1),
        ("kr-c", 7.5, 1),
    ]
    first = found[0]
    assert (first["objective_id"], first["team"], first["cycle"], first["owner"]) == (
        "o1",
        "growth",
        "2026-Q4",
        "Lea",
    )
    assert found[2]["owner"] == "Mia"  # a KR without an owner: its objective's
    assert [r["attainment"] for r in found] == pytest.approx([0.4, 0.6, None, None, 0.25])
    assert [r["score"] for r in found] == pytest.approx([0.4, 0.6, 0.0, 1.0, 0.25])


def test_latest_is_one_row_per_measured_kr(engine: Engine):
    found = rows(engine, "SELECT kr_id, value, score FROM syncd_kr_latest ORDER BY kr_id")
    assert [(r["kr_id"], r["value"]) for r in found] == [
        ("kr-a", 6.0),
        ("kr-b", 4.0),
        ("kr-c", 7.5),
    ]


def test_objective_scores_weight_the_latest_kr_scores(engine: Engine):
    found = {
        r["objective_id"]: r
        for r in rows(engine, "SELECT * FROM syncd_objective_scores ORDER BY objective_id")
    }
    # o1: (0.6 × 1 + 1.0 × 3) / 4 = 0.9
    assert found["o1"]["score"] == pytest.approx(0.9)
    assert (found["o1"]["key_results"], found["o1"]["measured"]) == (2, 2)
    assert found["o1"]["owner"] == "Mia"
    assert found["o2"]["score"] == pytest.approx(0.25)
    assert found["o2"]["parent_id"] == "o1"
    assert found["o3"]["score"] is None
    assert (found["o3"]["key_results"], found["o3"]["measured"]) == (1, 0)


def test_the_views_are_listed_as_views(engine: Engine):
    from sqlalchemy import inspect

    assert set(VIEWS) <= set(inspect(engine).get_view_names())


def test_downgrading_past_0007_drops_the_views(engine: Engine):
    from alembic import command
    from sqlalchemy import inspect

    from syncd.store import migrate

    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0006")
    assert not set(VIEWS) & set(inspect(engine).get_view_names())
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "head")
    assert set(VIEWS) <= set(inspect(engine).get_view_names())
