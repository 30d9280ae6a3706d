"""Reaching past the store's protocols into what a backend holds: to stage what the protocols
cannot (a run started an hour ago, a retry time already passed) and to read what they do not
return (the definition rows). Each function works on every backend of ``store_url``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import create_engine, select, text, update
from sqlmodel import Session

from syncd.store import MemoryStore
from syncd.store.tables import JobClaim


def is_memory(store_url: str) -> bool:
    return store_url.startswith("memory://")


def _state(store_url: str) -> Any:
    return MemoryStore.open(store_url)._state


def update_run(store_url: str, run_id: str, **values: object) -> None:
    """Overwrite columns of a stored run."""
    if is_memory(store_url):
        runs = _state(store_url).runs
        runs[run_id] = replace(runs[run_id], **values)
        return
    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:
            assignments = ", ".join(f"{name} = :{name}" for name in values)
            connection.execute(
                text(f"UPDATE sync_runs SET {assignments} WHERE id = :id"), {**values, "id": run_id}
            )
    finally:
        engine.dispose()


def pass_retry_time(store_url: str, job: str, slot: datetime) -> timedelta:
    """How long a failed claim waits, and then let that time pass (move it into the past)."""
    past = datetime.now(UTC) - timedelta(1)
    if is_memory(store_url):
        claim = _state(store_url).claims[(job, slot)]
        waited: timedelta = claim.retry_at - claim.finished_at
        claim.retry_at = past
        return waited
    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:
            table = JobClaim.__table__
            where = (table.c.job == job, table.c.slot == slot)
            finished, retry_at = connection.execute(
                select(table.c.finished_at, table.c.retry_at).where(*where)
            ).one()
            connection.execute(update(table).where(*where).values(retry_at=past))
    finally:
        engine.dispose()
    return retry_at - finished


def definition_rows(store_url: str, model: Any) -> dict[str, Any]:
    """The stored rows of a definitions table (``model``: its SQLModel class), by id."""
    if is_memory(store_url):
        stored = getattr(_state(store_url), model.__tablename__)
        return {row_id: SimpleNamespace(**row) for row_id, row in stored.items()}
    engine = create_engine(store_url)
    try:
        with Session(engine) as session:
            return {row.id: row for row in session.scalars(select(model))}
    finally:
        engine.dispose()
