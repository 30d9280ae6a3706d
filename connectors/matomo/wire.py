"""Matomo's own names on the wire, in one place (a correction is a one-line change here).

Sources, read for this module (see the connector's docstring for which are verified):
developer.matomo.org/api-reference/reporting-api (matomo-org/developer-documentation
``docs/5.x/reporting-api.md``), matomo-org/matomo ``plugins/Events/API.php``,
``plugins/API/API.php`` (``getBulkRequest``), ``core/API/DataTableManipulator/LabelFilter.php``,
``plugins/CoreHome/Columns/Metrics/BounceRate.php``, ``config/global.ini.php``.
"""

from __future__ import annotations

ENDPOINT = "/index.php"
"""Every Reporting API call: ``POST /index.php`` with the parameters form-encoded."""

MODULE = "API"
FORMAT = "JSON"
TOKEN_PARAM = "token_auth"
"""Sent in the POST body only: Matomo 5's "secure only" tokens are refused in the URL."""

BULK_METHOD = "API.getBulkRequest"
BULK_PARAM = "urls[{index}]"
"""``urls[0]=<url-encoded query string>``…; the answer is a JSON array, one result each."""

SITE_METHOD = "SitesManager.getSiteFromId"
SITE_TIMEZONE = "timezone"
SITE_NAME = "name"

RANGE = "range"
"""``period=range&date=FIRST,LAST``: both days included, in the site's time zone."""

ERROR_KEY, ERROR_VALUE, ERROR_MESSAGE = "result", "error", "message"
"""An error body: ``{"result": "error", "message": "…"}`` (HTTP 200 before Matomo 5)."""

AUTH_PHRASES = (
    "authenticate",  # "Unable to authenticate with the provided token…" (Matomo 5)
    "token_auth",
    "you can't access this resource",  # "…as it requires 'view' access for the website id = 1"
    "you must be logged in",
    "requires 'view' access",
)
"""Words of an error body that mean the token cannot read the site (an auth failure)."""

VISITS_METHOD = "VisitsSummary.get"
GOALS_METHOD = "Goals.get"
GOAL_PARAM = "idGoal"

EVENT_METHODS = {
    "category": "Events.getCategory",
    "action": "Events.getAction",
    "name": "Events.getName",
}
"""Each event report by its first-level dimension."""

EVENT_DIMENSIONS = {"category": "eventCategory", "action": "eventAction", "name": "eventName"}
"""The ``secondaryDimension`` value naming each event dimension (the report's sub-level)."""

SECONDARY_PARAM = "secondaryDimension"
LABEL_PARAM = "label"
LABEL_SEPARATOR = ">"
"""``label=Category>Action`` selects a row of a report's subtable; each part url-encoded."""

MEASURE_COLUMNS = {
    "visits": "nb_visits",
    "unique_visitors": "nb_uniq_visitors",
    "actions": "nb_actions",
    "bounce_count": "bounce_count",
    "bounce_rate": "bounce_rate",
    "conversions": "nb_conversions",
    "revenue": "revenue",
}
"""The column of ``VisitsSummary.get`` or ``Goals.get`` each measure reads."""

EVENT_COLUMNS = (
    "nb_events",
    "nb_visits",
    "nb_events_with_value",
    "sum_event_value",
    "avg_event_value",
    "min_event_value",
    "max_event_value",
)

ADDITIVE_COLUMNS = frozenset(
    {
        "nb_visits",
        "nb_actions",
        "bounce_count",
        "nb_conversions",
        "nb_visits_converted",
        "revenue",
        "nb_events",
        "nb_events_with_value",
        "sum_event_value",
    }
)
"""Columns that are 0 when Matomo has no row for the window (an empty report ``[]``)."""

UNIQUE_RANGE_HINT = (
    "Matomo computes unique visitors over custom date ranges only with "
    "enable_processing_unique_visitors_range = 1 in config.ini.php ([General])"
)
