"""Mixpanel's names on the wire, in one place: hosts, paths, parameters and answer keys.

Checked against Mixpanel's published OpenAPI file of the Query API (GitHub mixpanel/docs,
``openapi/query.openapi.yaml``) and its reference pages (``reference/rate-limits.mdx``,
``reference/query-api-authentication.mdx``, ``reference/service-accounts.mdx``). A correction
to the vendor's wire format is a change here, not in the connector or the sandbox.
"""

from __future__ import annotations

import json

VENDOR = "Mixpanel"

HOSTS = {
    "us": "https://mixpanel.com",
    "eu": "https://eu.mixpanel.com",
    "in": "https://in.mixpanel.com",
}
"""The Query API's server per data residency (``servers`` of the OpenAPI file)."""

QUERY = "/api/query"
SEGMENTATION = f"{QUERY}/segmentation"
SEGMENTATION_SUM = f"{QUERY}/segmentation/sum"
INSIGHTS = f"{QUERY}/insights"
EVENT_NAMES = f"{QUERY}/events/names"

# Parameters (all GET query parameters).
PROJECT_ID = "project_id"
WORKSPACE_ID = "workspace_id"
EVENT = "event"
FROM_DATE = "from_date"  # yyyy-mm-dd, inclusive, in the project's time zone
TO_DATE = "to_date"  # yyyy-mm-dd, inclusive
UNIT = "unit"
INTERVAL = "interval"  # days per bucket, in lieu of unit when type is not general
TYPE = "type"  # general | unique | average
ON = "on"
WHERE = "where"
BOOKMARK_ID = "bookmark_id"
LIMIT = "limit"

GENERAL, UNIQUE, DAY = "general", "unique", "day"

# Answer keys.
DATA, VALUES, SERIES = "data", "values", "series"  # segmentation: data.values[event][date]
RESULTS = "results"  # segmentation/sum: results[date]
DATE_RANGE = "date_range"  # insights: date_range.{from_date,to_date}, series[name][date]


def property_expression(name: str) -> str:
    """The segmentation expression reading an event property: ``properties["amount"]``."""
    return f"properties[{json.dumps(name)}]"
