"""bi views: syncd_kr_history, syncd_kr_latest, syncd_objective_scores (version 1)

Read-only SQL views for BI tools (Looker Studio, Metabase, Power BI, Grafana): see docs/bi.md.
The same SQL runs on SQLite and PostgreSQL. Views are versioned with the migrations: a later
migration may add columns; one that changes or drops a column creates ``*_v2`` views beside
these instead.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# attainment = (value - baseline) / (target - baseline); score clamps it to [0, 1]; a band KR
# scores 1 when the value is in its band, else 0 (the progress engine's share-in-band and
# ceilings are richer: /api/v1 and `syncd status -f json` carry those).
HISTORY = """
CREATE VIEW syncd_kr_history AS
SELECT
    m.key_result_id AS kr_id,
    k.title AS kr_title,
    k.objective_id AS objective_id,
    o.title AS objective_title,
    o.team AS team,
    o.cycle AS cycle,
    o.commitment AS commitment,
    COALESCE(k.owner, o.owner) AS owner,
    k.unit AS unit,
    k.direction AS direction,
    k.baseline AS baseline,
    k.target AS target,
    k.band_at_least AS band_at_least,
    k.band_at_most AS band_at_most,
    k.weight AS weight,
    m.window_start AS window_start,
    m.window_end AS window_end,
    m.value AS value,
    m.collected_at AS collected_at,
    m.source AS source,
    m.revision AS revision,
    m.note AS note,
    CASE
        WHEN k.baseline IS NOT NULL AND k.target IS NOT NULL AND k.target <> k.baseline
        THEN (m.value - k.baseline) / (k.target - k.baseline)
    END AS attainment,
    CASE
        WHEN k.baseline IS NOT NULL AND k.target IS NOT NULL AND k.target <> k.baseline THEN
            CASE
                WHEN (m.value - k.baseline) / (k.target - k.baseline) < 0 THEN 0.0
                WHEN (m.value - k.baseline) / (k.target - k.baseline) > 1 THEN 1.0
                ELSE (m.value - k.baseline) / (k.target - k.baseline)
            END
        WHEN (k.band_at_least IS NULL OR m.value >= k.band_at_least)
            AND (k.band_at_most IS NULL OR m.value <= k.band_at_most) THEN 1.0
        ELSE 0.0
    END AS score,
    k.active AS active
FROM measurements m
JOIN key_results k ON k.id = m.key_result_id
JOIN objectives o ON o.id = k.objective_id
"""

LATEST = """
CREATE VIEW syncd_kr_latest AS
SELECT h.*
FROM (
    SELECT
        syncd_kr_history.*,
        ROW_NUMBER() OVER (
            PARTITION BY kr_id ORDER BY window_end DESC, collected_at DESC
        ) AS position
    FROM syncd_kr_history
) h
WHERE h.position = 1
"""

OBJECTIVE_SCORES = """
CREATE VIEW syncd_objective_scores AS
SELECT
    o.id AS objective_id,
    o.title AS objective_title,
    o.team AS team,
    o.cycle AS cycle,
    o.level AS level,
    o.commitment AS commitment,
    o.owner AS owner,
    o.parent_id AS parent_id,
    o.active AS active,
    COUNT(k.id) AS key_results,
    COUNT(l.kr_id) AS measured,
    SUM(l.score * l.weight) / SUM(CASE WHEN l.kr_id IS NOT NULL THEN k.weight END) AS score
FROM objectives o
LEFT JOIN key_results k ON k.objective_id = o.id
LEFT JOIN syncd_kr_latest l ON l.kr_id = k.id
GROUP BY o.id, o.title, o.team, o.cycle, o.level, o.commitment, o.owner, o.parent_id, o.active
"""


def upgrade() -> None:
    op.execute(HISTORY)
    op.execute(LATEST)
    op.execute(OBJECTIVE_SCORES)


def downgrade() -> None:
    op.execute("DROP VIEW syncd_objective_scores")
    op.execute("DROP VIEW syncd_kr_latest")
    op.execute("DROP VIEW syncd_kr_history")
