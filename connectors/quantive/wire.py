"""Quantive Results' (formerly Gtmhub) own names on the wire, in one place: a correction is a
one-line change here. Which of them are verified, and where, is listed in
:mod:`connectors.quantive` (the package docstring).
"""

from __future__ import annotations

API = "/api/v1"
"""Appended to the configured ``url`` (``https://app.quantive.com/results``, or a legacy host)."""

METRIC = API + "/metrics/{metric}"
"""``GET``: one key result ("metric" is the API's name for a key result)."""

CHECKIN = API + "/metrics/{metric}/checkin"
"""``POST``: append one check-in to a key result."""

ACCOUNT = API + "/accounts/{account}"
"""``GET``: the account the token and ``gtmhub-accountId`` name (``check``)."""

ACCOUNT_HEADER = "gtmhub-accountId"
"""Every request names the account in this header, besides ``Authorization: Bearer <token>``."""

# A key result (metric) as GET returns it.
METRIC_ID = "id"
METRIC_NAME = "name"
METRIC_ACTUAL = "actual"
METRIC_TARGET = "target"
METRIC_LAST_CHECKIN = "lastCheckInDate"

# A check-in's body.
CHECKIN_ACTUAL = "actual"
CHECKIN_DATE = "checkInDate"
CHECKIN_COMMENT = "comment"

# An account as GET returns it.
ACCOUNT_NAME = "name"
