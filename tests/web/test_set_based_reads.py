"""Status, dashboard and API read every KR's measurements in a few set-based queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from syncd.config import load_config
from syncd.overview import build_overview
from syncd.store import MeasurementIn, Store
from syncd.web.api import key_results_document, objectives_document, sources_document
from syncd.web.data import load_dashboard_data

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def write_config(path: Path, krs: int) -> Path:
    lines = [
        "timezone: UTC",
        "cycles:",
        "  q4: {start: 2026-10-01, end: 2026-12-31}",
        "  nov: {start: 2026-11-01, end: 2026-11-30}",
        "objectives:",
    ]
    for n in range(krs):
        if n % 4 == 0:
            cycle = "q4" if n % 8 == 0 else "nov"
            lines += [
                f"  - {{id: o{n}, title: O{n}, team: t, cycle: {cycle}, key_results: ["
                + ", ".join(
                    f"{{id: kr-{k}, title: K{k}, focus: user, baseline: 0, target: 100}}"
                    for k in range(n, min(n + 4, krs))
                )
                + "]}"
            ]
    path.write_text("\n".join(lines) + "\n")
    return path


def reads_of_measurements(action) -> tuple[object, int]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "measurements" in statement:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        result = action()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    return result, len(statements)


def test_overview_dashboard_and_api_read_all_krs_in_one_query_per_cycle(tmp_path: Path) -> None:
    loaded = load_config(write_config(tmp_path / "okrs.yaml", 48))
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.sync_definitions(loaded.config)
        store.record_measurements(
            [
                MeasurementIn(
                    key_result_id=f"kr-{n}",
                    value=float(n + day),
                    window_start=NOW - timedelta(days=day + 1),
                    window_end=NOW - timedelta(days=day),
                    collected_at=NOW,
                    source="web",
                    query_fingerprint="f",
                    run_id=None,
                )
                for n in range(48)
                for day in range(5)
            ]
        )
        overview, reads = reads_of_measurements(lambda: build_overview(loaded, store, NOW))
        assert reads == 2  # one per cycle, not one per KR
        values = {kr.id: kr.value for objective in overview for kr in objective.key_results}
        assert values == {f"kr-{n}": float(n) for n in range(48)}  # the latest window's value

        data, reads = reads_of_measurements(lambda: load_dashboard_data(loaded, store, NOW))
        # Per cycle: the progress summed now and a week ago (the week-over-week change), and
        # the charts' history: never one per KR.
        assert reads == 6
        document = key_results_document(data)
        assert [(kr["id"], kr["value"], kr["points"]) for kr in document["key_results"]] == [
            (f"kr-{n}", float(n), 5) for n in range(48)
        ]

        # The JSON documents show no chart: no history is read, and they say the same.
        light, reads = reads_of_measurements(
            lambda: load_dashboard_data(loaded, store, NOW, histories=False)
        )
        assert reads == 4
        assert key_results_document(light) == document
        assert objectives_document(light) == objectives_document(data)
        assert sources_document(light) == sources_document(data)
        assert all(view.history == () for view in light.key_results.values())
        assert {view.source for view in light.key_results.values()} == {"web"}
