"""Weekdone's own names on the wire, in one place (a correction is a one-line change here).

Verified against which public source, and what is still an assumption, is listed field by field
in the package docstring (``connectors/weekdone/__init__.py``).
"""

from __future__ import annotations

API_URL = "https://api.weekdone.com"
"""The REST API; every path below starts with its version, ``/1``."""

AUTH_URL = "https://weekdone.com"
"""Where the OAuth endpoints live (not the API host)."""

# ---- OAuth 2.0 (authorization-code grant only) ---------------------------------------------

AUTHORIZE_PATH = "/oauth_authorize"
"""``GET`` in the user's browser: ``client_id``, ``redirect_uri``, ``response_type=code``,
``state``; Weekdone redirects back with ``code`` (and ``state``)."""
AUTHORIZE_CLIENT_ID = "client_id"
AUTHORIZE_REDIRECT_URI = "redirect_uri"
AUTHORIZE_RESPONSE_TYPE = "response_type"
AUTHORIZE_STATE = "state"
RESPONSE_TYPE_CODE = "code"
CALLBACK_CODE = "code"
CALLBACK_STATE = "state"
CALLBACK_ERROR = "error"

TOKEN_PATH = "/oauth_token"
"""``POST`` form-encoded: one of the two grants below, always with the client's id and secret."""
GRANT_TYPE = "grant_type"
GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"
TOKEN_CODE = "code"
TOKEN_REDIRECT_URI = "redirect_uri"
TOKEN_REFRESH_TOKEN = "refresh_token"
TOKEN_CLIENT_ID = "client_id"
TOKEN_CLIENT_SECRET = "client_secret"

GRANT_ACCESS_TOKEN = "access_token"
GRANT_REFRESH = "refresh_token"
GRANT_EXPIRES_IN = "expires_in"
"""The token endpoint's answer: ``{"access_token", "refresh_token", "expires_in", …}``."""
OAUTH_ERROR = "error"
OAUTH_ERROR_DESCRIPTION = "error_description"
INVALID_GRANT = "invalid_grant"

TOKEN_PARAM = "token"
"""Every API call carries the access token as this query parameter (not a header)."""

# ---- objectives and their key results -------------------------------------------------------

OBJECTIVES_PATH = "/1/objective"
"""``GET``: ``{"status": "ok", "data": [objective, …]}``."""
RESULT_PATH = "/1/objective/{objective}/result/{result}"
"""``PATCH`` form-encoded ``progress`` (and optionally ``description``): sets the key result."""

STATUS = "status"
STATUS_OK = "ok"
STATUS_ERROR = "error"
DATA = "data"

OBJECTIVE_ID = "id"
OBJECTIVE_DESCRIPTION = "description"
"""An objective's (and a key result's) text, its name in Weekdone's UI."""
OBJECTIVE_RESULTS = "results"

RESULT_ID = "id"
RESULT_DESCRIPTION = "description"
RESULT_PROGRESS = "progress"
"""The key result's current value: what syncd sets."""

ERROR_KEYS = ("error", "message", "error_description")
"""Where an error body (``{"status": "error", …}``) may put its words."""
AUTH_PHRASES = ("token",)
"""Words of an error body answered with HTTP 200 that mean the access token is not accepted."""
