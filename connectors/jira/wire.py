"""Jira's wire facts in one place: paths, field ids, JQL clause names, page sizes.

Where each was checked (see the connector's README row and the report of issue 15):

- ``/rest/api/3/search/jql``: ``nextPageToken`` paging, no ``total``; ``maxResults`` up to
  5,000 when only ``id``/``key`` is asked, fewer (100) with fields (Atlassian's OpenAPI, as
  carried by jira.js and other generated clients).
- ``POST /rest/api/3/search/approximate-count``: ``{"jql"}`` → ``{"count"}``; the JQL must be
  bounded (the same OpenAPI: ``JqlCountRequestBean``, ``JQLCountResultsBean``).
- Data Center ``/rest/api/2/search``: ``startAt``/``maxResults``/``total`` (pycontribs/jira).
- Which path the client takes for each call: pycontribs/jira 3.10.5 ``client.py``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

CLOUD = "Cloud"
"""``serverInfo.deploymentType`` of Jira Cloud (Data Center and Server say ``Server``)."""

REST_VERSION = {"cloud": "3", "data_center": "2"}
"""The REST version the client is pointed at: Cloud's search lives at ``/rest/api/3/search/jql``;
Data Center serves ``/rest/api/2`` only."""

COUNT_PAGE = 5000
"""Issues per ``search/jql`` page when only ids are asked (Cloud's documented maximum)."""

ID_ONLY = ["id"]

BUILTIN_DATES: dict[str, tuple[str, str]] = {
    "created": ("created", "created"),
    "resolved": ("resolutiondate", "resolved"),
    "resolutiondate": ("resolutiondate", "resolved"),
    "updated": ("updated", "updated"),
    "due": ("duedate", "due"),
    "duedate": ("duedate", "due"),
}
"""A date field as a query names it → (its id in issue JSON, its JQL clause name)."""

CUSTOM_FIELD = re.compile(r"^customfield_([0-9]+)$")
NUMBER_TYPES = ("number",)
DATE_TYPES = ("date", "datetime")
EPIC_FIELDS = "summary,status,resolutiondate"


def clause_for_custom(field_id: str) -> str:
    """``customfield_10016`` → ``cf[10016]``, the JQL clause that names it unambiguously."""
    match = CUSTOM_FIELD.match(field_id)
    assert match is not None, field_id
    return f"cf[{match.group(1)}]"


def jql_date(day: date) -> str:
    """A JQL date literal; Jira reads it as that day's midnight in the user's profile zone."""
    return f'"{day.isoformat()}"'


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """A Jira date (``2026-10-03``, midnight in ``zone``) or datetime
    (``2026-10-03T09:15:00.000+0200``) as an aware datetime; ``ValueError`` otherwise."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment
