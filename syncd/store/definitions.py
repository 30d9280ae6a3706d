"""Mirroring the configured objectives and key results into the store.

Rows are upserted; ``updated_at`` moves only when something about the row changed. Whatever the
config no longer has is marked inactive, never deleted, so its measurements keep their meaning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, or_, update
from sqlmodel import Session, col, select

from syncd.config.models import Config
from syncd.store.dialect import upsert_insert
from syncd.store.tables import CycleRecord, KeyResultRecord, ObjectiveRecord


def objective_rows(config: Config) -> list[dict[str, Any]]:
    """The ``objectives`` rows the config describes (without ``updated_at``)."""
    return [
        {
            "id": objective.id,
            "cycle": objective.cycle,
            "title": objective.title,
            "team": objective.team,
            "level": objective.level,
            "commitment": objective.commitment,
            "parent_id": objective.parent,
            "opportunity": objective.opportunity,
            "owner": objective.owner,
            "definition": objective.model_dump_json(exclude_none=True),
            "active": True,
        }
        for objective in config.objectives
    ]


def cycle_rows(config: Config) -> list[dict[str, Any]]:
    """The ``cycles`` rows the config describes (without ``updated_at``)."""
    return [
        {"id": name, "start": cycle.start, "end": cycle.end, "active": True}
        for name, cycle in config.cycles.items()
    ]


def key_result_rows(config: Config) -> list[dict[str, Any]]:
    """The ``key_results`` rows the config describes (without ``updated_at``)."""
    return [
        {
            "id": kr.id,
            "objective_id": objective.id,
            "title": kr.title,
            "focus": kr.focus,
            "unit": kr.unit,
            "direction": kr.direction,
            "baseline": kr.baseline,
            "target": kr.target,
            "band_at_least": kr.maintain.at_least if kr.maintain else None,
            "band_at_most": kr.maintain.at_most if kr.maintain else None,
            "weight": kr.weight,
            "metric": kr.metric,
            "schedule": kr.schedule,
            "owner": kr.owner,
            "active": True,
        }
        for objective, kr in config.key_results()
    ]


def duplicates(ids: Iterable[str]) -> list[str]:
    """Ids given more than once, sorted."""
    return sorted(name for name, count in Counter(ids).items() if count > 1)


MAX_PARAMETERS = 30_000
"""Bind parameters per statement at most: PostgreSQL refuses more than 65,535 and SQLite
(3.32 and later) 32,766, so a long list of ids is sent in chunks below both."""


def sync(
    session: Session,
    config: Config,
    now: datetime,
    rows: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> None:
    """Upsert the config's cycles, objectives and KRs and deactivate the ones it dropped. ``rows``:
    ``(objective_rows(config), key_result_rows(config))`` when the caller has them already."""
    cycles: Table = CycleRecord.__table__  # type: ignore[attr-defined]
    objectives: Table = ObjectiveRecord.__table__  # type: ignore[attr-defined]
    key_results: Table = KeyResultRecord.__table__  # type: ignore[attr-defined]
    objective_list, kr_list = rows or (objective_rows(config), key_result_rows(config))
    _upsert(session, cycles, cycle_rows(config), now)
    _deactivate_missing(session, cycles, set(config.cycles), now)
    # Objectives first: key results reference them.
    _upsert(session, objectives, objective_list, now)
    _upsert(session, key_results, kr_list, now)
    _deactivate_missing(session, key_results, {row["id"] for row in kr_list}, now)
    _deactivate_missing(session, objectives, {row["id"] for row in objective_list}, now)


def _chunks(rows: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [rows[start : start + size] for start in range(0, len(rows), max(1, size))]


def _upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    if not rows:
        return
    fields = [name for name in rows[0] if name != "id"]
    # One statement compiled once and executed for every row (executemany; PostgreSQL's
    # driver batches the rows itself): compiling a multi-row VALUES costs more than writing.
    insert = upsert_insert(session, table)
    changed = or_(*(table.c[name].is_distinct_from(insert.excluded[name]) for name in fields))
    statement = insert.on_conflict_do_update(
        index_elements=["id"],
        set_={name: insert.excluded[name] for name in [*fields, "updated_at"]},
        where=changed,
    )
    session.execute(statement, [{**row, "updated_at": now} for row in rows])


def _deactivate_missing(session: Session, table: Table, ids: set[str], now: datetime) -> None:
    # The active ids are read and compared here: a NOT IN of every configured id would exceed
    # the bind parameter limit of a large config.
    active = session.execute(select(table.c.id).where(table.c.active.is_(True))).scalars()
    dropped = sorted(set(active) - ids)
    for chunk in _chunks(dropped, MAX_PARAMETERS):
        session.execute(
            update(table).where(table.c.id.in_(chunk)).values(active=False, updated_at=now)
        )


def stored_objectives(session: Session) -> list[ObjectiveRecord]:
    """Every objective the store knows (active or retired) that carries its definition."""
    query = select(ObjectiveRecord).where(col(ObjectiveRecord.definition).is_not(None))
    return list(session.exec(query.order_by(col(ObjectiveRecord.id))))


def stored_cycles(session: Session) -> list[CycleRecord]:
    """Every cycle the store knows, by start."""
    return list(session.exec(select(CycleRecord).order_by(col(CycleRecord.start))))
