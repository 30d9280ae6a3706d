"""Tability's own names on the wire, in one place (a correction is a one-line change here).

What each name rests on (H: the vendor's API guide; M: third-party code; A: assumption):

- H ``Authorization: API <personal_api_token>``, ``GET /v2/whoami``:
  guides.tability.app/api/tability-api/authentication.
- H ``GET /v2/workspaces/:workspaceID/outcomes/:outcomeID/checkins`` (outcome by UUID or Nano
  ID), a JSON array of ``{id, workspace_id, nano_slug, outcome_id, checkin_date
  ("2023-11-16T00:00:00.000Z"), score (84.0), confidence ("red"|"yellow"|"green"), body,
  created_at, updated_at, is_remote, …}``, newest ``checkin_date`` first:
  guides.tability.app/api/tability-api/api-reference/checkins.
- H paging: ``X-Per-Page``, ``X-Page``, ``X-Total`` and ``Link`` (``rel="next"`` absent on the
  last page; the guide's example reads the next *page number* from it):
  guides.tability.io/api/tability-api/pagination. A: that the check-ins list pages (the guide
  says "some API endpoints"); syncd follows ``rel="next"`` when it is there.
- H outcome objects ``{id, nano_slug, title, from, to, current_checkin, …}``:
  guides.tability.app/api/tability-api/api-reference/outcomes (listed per plan). M: ``GET
  /v2/workspaces/:ws/outcomes/:outcomeID`` and ``GET /v2/workspaces/:ws`` (a Tability MCP
  client's ``getOutcome``/``getWorkspace``; workspace by UUID or slug).
- M ``POST …/outcomes/:outcomeID/checkins`` with ``{"checkin": {"score", "checkin_date",
  "body", "confidence"}}``, answering the created check-in: the same MCP client's
  ``createCheckin``; the guide's page found shows the GET only. A: ``checkin_date`` accepted
  as ``YYYY-MM-DD``.
- A no update or delete of a check-in is documented (none found in the guide or in third-party
  code), so a revised value for a day is appended as a new check-in.
- A error bodies (``{"error": "…"}``) and statuses beyond 401: not documented.
"""

from __future__ import annotations

BASE_URL = "https://api.tability.app"

AUTH_HEADER = "Authorization"
AUTH_SCHEME = "API"
"""``Authorization: API <token>``."""

WHOAMI = "/v2/whoami"
WORKSPACE = "/v2/workspaces/{workspace}"
OUTCOME = "/v2/workspaces/{workspace}/outcomes/{outcome}"
CHECKINS = "/v2/workspaces/{workspace}/outcomes/{outcome}/checkins"
"""GET lists an outcome's check-ins (paged); POST adds one."""

PAGE_PARAM = "page"
PER_PAGE_HEADER, PAGE_HEADER, TOTAL_HEADER = "X-Per-Page", "X-Page", "X-Total"
NEXT_REL = "next"

CHECKIN_WRAPPER: str | None = "checkin"
"""The POST body's wrapper key (Rails style); None sends the fields flat."""

ID = "id"
NANO_SLUG = "nano_slug"
OUTCOME_ID = "outcome_id"
CHECKIN_DATE = "checkin_date"
SCORE = "score"
CONFIDENCE = "confidence"
BODY = "body"
CREATED_AT = "created_at"

TITLE = "title"
CURRENT_CHECKIN = "current_checkin"
WORKSPACE_NAME = "name"
USER_EMAIL = "email"

CONFIDENCES = ("red", "yellow", "green")
CONFIDENCE_FOR_STATUS = {"on_track": "green", "at_risk": "yellow", "off_track": "red"}
"""syncd's status → Tability's confidence. ``achieved``, ``not_started``, ``stale`` and no
status send none: Tability then picks one from the progress (its check-ins guide)."""

ERROR_KEY = "error"
