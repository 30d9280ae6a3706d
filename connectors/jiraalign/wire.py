"""Jira Align's names on the wire, in one place (a correction is a one-line change here).

The authoritative reference is each instance's Swagger page,
``https://<site>.jiraalign.com/rest/align/api/docs/index.html``, which needs a login; what the
public pages confirm is marked **verified** with where, everything else is an **assumption**
(checked against nothing but the research notes, ``shared/research/vendor-apis.md``).

Verified:

- ``/rest/align/api/2/<resource>`` is the URI of every REST 2.0 resource, and the Swagger page
  lives at ``/rest/align/api/docs/index.html`` (help.jiraalign.com "Getting started with the
  REST API 2.0"; support.atlassian.com KB "Jira Align API endpoints for accessing custom room
  data").
- ``Authorization: Bearer <API token>`` (the scheme in any case: the help page writes
  ``bearer``); the token is made on the user's Profile › API Token, looks like
  ``user:<id>|<secret>`` and stays valid until the user makes a new one or is deactivated; an
  invalid token answers 401; the API grants what the user's role grants in the UI
  (help.jiraalign.com "Getting started with the REST API 2.0"; support.atlassian.com KB "How
  to pass a bearer token when making a Jira Align REST API call via Python";
  confluence.atlassian.com/jakb "API Token triggers error 400 on Jira Align Connector").
- OData-like ``$select``, ``$top``, ``$skip`` on list resources, at most 100 items per GET
  (help.jiraalign.com "API 2.0 query syntax" and "API 2.0 GET usage and filters").
- Updates are ``PATCH /<resource>/{id}`` with a JSON Patch array
  ``[{"op": "add"|"replace", "path": "/field", "value": …}]`` (support.atlassian.com KB "How
  to use PATCH on the Feature or Epic tags fields…"; jira.atlassian.com JIRAALIGN-4251).
- A JSON Patch path may index into an array field, 0-based (``customfields/3/…``)
  (confluence.atlassian.com/jakb "How to use PATCH on the Feature/Epic custom fields in the API
  v2 in Jira Align").
- A PATCH of a read-only field answers **204 No Content and changes nothing**; read the record
  back (support.atlassian.com KB "Jira Align REST API - Resolve PATCH operation issues with
  HTTP 204"; jira.atlassian.com JIRAALIGN-8343).

Not supported: Atlassian API tokens (instances behind Atlassian Guard), which the help page
pairs with Basic authentication.

Assumptions (not in any public page found):

- the resource name ``keyresults`` and its fields ``title``/``name``, ``baselineValue``,
  ``targetValue``, ``valueUpdates`` (a list, oldest first) come from the create body quoted in
  JIRAALIGN-5351 (via the research notes; the ticket itself could not be read);
- the fields of one value update: ``id``, ``value``, ``date``, ``notes``;
- that ``add`` to ``/valueUpdates/-`` appends one value update, and that ``replace`` at
  ``/valueUpdates/{index}/value`` edits one in place (the sink reads back after either, and
  falls back to ``add`` when a ``replace`` changed nothing);
- value-update dates as ISO UTC instants (``2023-09-04T07:34:53Z``); syncd writes the local
  day at ``T00:00:00Z`` and reads the date part back;
- a list resource answered as a plain JSON array;
- JSON Patch bodies sent as ``application/json`` (ASP.NET's JSON Patch input also takes
  ``application/json-patch+json``);
- error bodies in ASP.NET's shapes (``{"message"}`` for 401, ProblemDetails ``{"title",
  "status", "detail"}`` for 404/400); a 429 with ``Retry-After`` (no numbers published);
- no status field on a key result: syncd's computed status is not sent.
"""

from __future__ import annotations

from datetime import date

API = "/rest/align/api/2"
"""Every REST 2.0 resource lives under this prefix (verified)."""

KEY_RESULTS = f"{API}/keyresults"
"""The key results list (assumed name, from JIRAALIGN-5351)."""


def key_result_path(key_result: int) -> str:
    """``GET``/``PATCH`` of one key result."""
    return f"{KEY_RESULTS}/{key_result}"


AUTH_HEADER = "Authorization"
AUTH_SCHEME = "Bearer"
"""``Authorization: Bearer <token>`` (verified)."""

# ---- a key result ------------------------------------------------------------------------
ID = "id"
TITLE = "title"
NAME = "name"
"""The key result's name: ``title`` where present, else ``name`` (assumed)."""
BASELINE = "baselineValue"
TARGET = "targetValue"
VALUE_UPDATES = "valueUpdates"
"""The key result's value history, oldest first (assumed)."""

# ---- one value update ---------------------------------------------------------------------
UPDATE_ID = "id"
UPDATE_VALUE = "value"
UPDATE_DATE = "date"
UPDATE_NOTES = "notes"

# ---- JSON Patch (verified: op/path/value; array indexes 0-based) -------------------------
OP = "op"
PATH = "path"
VALUE = "value"
ADD = "add"
REPLACE = "replace"
APPEND_UPDATE = f"/{VALUE_UPDATES}/-"
"""``add`` here appends one value update (assumed path; RFC 6902's ``-`` is the array end)."""


def update_field_path(index: int, field: str) -> str:
    """The JSON Patch path of one field of the value update at ``index`` (0-based)."""
    return f"/{VALUE_UPDATES}/{index}/{field}"


# ---- OData-like query options (verified; 100 items per GET at most) ----------------------
TOP = "$top"
SELECT = "$select"
MAX_PAGE = 100


def day_instant(day: date) -> str:
    """A value update's date as sent: the day's midnight as an ISO UTC instant."""
    return f"{day.isoformat()}T00:00:00Z"


def day_of(instant: str) -> date:
    """The day of a value update's date as the API returns it (``2023-09-04T07:34:53Z``, or a
    plain ``2023-09-04``); raises ``ValueError`` for anything else."""
    return date.fromisoformat(instant.strip()[:10])
