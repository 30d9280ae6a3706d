"""The web dashboard and its JSON API (read-only).

:func:`dashboard_blueprint` joins the daemon's status listener
(``syncd.observe.create_app(..., blueprints=[...])``); :func:`create_dashboard_app` is the
stand-alone app of ``syncd serve``. Both read a :class:`DashboardData` per request, built by
:func:`load_dashboard_data`. With a token, every route needs ``Authorization: Bearer <token>``
and answers 401 without it.

HTML: ``/`` (objectives grouped by cycle and team, every KR with value, baseline → target,
progress bar with the expected-pace marker, status, forecast, freshness and a chart; a
source-health strip) and ``/kr/<id>`` (one KR: large chart and history table). Charts are
inline SVG rendered on the server by pygal; the pages need no JavaScript.

JSON (times ISO 8601 in UTC, values in the KR's unit as stored, ``null`` when unknown):

``GET /api/v1/objectives``::

    {"generated_at": str,
     "objectives": [{"id", "title", "team", "cycle", "commitment", "level",
                     "score": float|null, "status": str, "key_results": [kr id, ...]}]}

``GET /api/v1/key-results``::

    {"generated_at": str,
     "key_results": [{"id", "objective", "title", "team", "cycle", "commitment", "unit",
                      "direction", "value", "baseline", "target",
                      "band": {"at_least", "at_most"}|null, "in_band": bool|null,
                      "attainment", "score", "expected", "status", "forecast",
                      "forecast_score", "as_of", "collected_at",
                      "source": str|null, "source_types": [str], "points": int}]}

``GET /api/v1/key-results/<id>/history`` (404 ``{"error"}`` for an unknown KR)::

    {"id", "unit", "baseline", "target", "cycle": {"id", "start", "end"},
     "points": [{"window_start", "window_end", "value", "collected_at", "source",
                 "revision"}],                      # oldest first, this cycle up to now
     "pace": [{"at", "value"}],                     # expected value at each local midnight
     "forecast": float|null}

``GET /api/v1/sources``::

    {"generated_at": str,
     "sources": [{"name", "type", "failing": bool, "last_run_at", "last_outcome",
                  "last_success_at", "last_error_at", "last_error": str|null}]}

A store that cannot be read answers 503 (``{"error", "detail"}`` under ``/api/``).
"""

from syncd.web.app import create_dashboard_app
from syncd.web.data import DashboardData, load_dashboard_data
from syncd.web.views import dashboard_blueprint

__all__ = ["DashboardData", "create_dashboard_app", "dashboard_blueprint", "load_dashboard_data"]
