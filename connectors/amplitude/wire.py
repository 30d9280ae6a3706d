"""Amplitude's Dashboard REST API as syncd reads it: every path, parameter and field name.

Kept in one place so a correction is a one-line change. Sources, checked 2026-12-05:

- [DOC] amplitude/amplitude-docs ``content/collections/api/en/dashboard-rest.md`` (the page
  https://amplitude.com/docs/apis/analytics/dashboard-rest): hosts, Basic auth
  ``api_key:secret_key``, the project time zone, ``/api/2/events/segmentation`` with ``e``,
  ``e2``, ``m``, ``start``/``end`` (``YYYYMMDD``, both included), ``i``, ``s``, ``formula``;
  the response's ``data.series``/``seriesCollapsed``/``xValues``; ``/api/2/events/list``; the
  limits (5 concurrent requests, cost = days × conditions × query cost, 1,000 cost per five
  minutes, 108,000 per hour; a 429 "includes information on how you are exceeding the limit").
- [CODE] ``/api/3/chart/{id}/query`` answering ``{"data": {series, seriesCollapsed,
  xValues…}}`` for segmentation charts: several independent public clients; the page above
  names ``/api/3/chart/{id}/csv`` (a CSV text inside JSON) for the same purpose.
- [ASSUMED] the exact words of a 429 body (the docs say only that it names the limit hit):
  :data:`LIMIT_WORDS` matches them loosely; and how the cost of a saved chart is counted.
"""

from __future__ import annotations

from typing import Final

HOSTS: Final = {"us": "https://amplitude.com", "eu": "https://analytics.eu.amplitude.com"}

SEGMENTATION: Final = "/api/2/events/segmentation"
EVENTS_LIST: Final = "/api/2/events/list"
CHART: Final = "/api/3/chart/{chart_id}/query"

# segmentation parameters
EVENT: Final = "e"
SECOND_EVENT: Final = "e2"
METRIC: Final = "m"
START: Final = "start"
END: Final = "end"
INTERVAL: Final = "i"
SEGMENTS: Final = "s"
FORMULA: Final = "formula"
DATE_FORMAT: Final = "%Y%m%d"
DAILY: Final = "1"
MAX_DAYS: Final = 365
"""Daily segmentation covers at most this many days."""

# inside an event (``e``)
EVENT_TYPE: Final = "event_type"
FILTERS: Final = "filters"
GROUP_BY: Final = "group_by"
# response
DATA: Final = "data"
SERIES: Final = "series"
COLLAPSED: Final = "seriesCollapsed"
X_VALUES: Final = "xValues"
VALUE: Final = "value"

# limits
CONCURRENT_REQUESTS: Final = 5
COST_PER_5_MINUTES: Final = 1000
COST_PER_HOUR: Final = 108_000
GROUP_BY_COST: Final = 4

LIMIT_WORDS: Final = {
    "concurrent": ("concurrent", "concurrency", "simultaneous"),
    "hourly": ("per hour", "hourly", "108000", "108,000"),
}
"""Words of a 429 body naming the limit hit; a 429 naming neither is the five-minute budget."""
