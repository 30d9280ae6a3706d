"""The ``weekdone`` sink: measured KR values set Weekdone key results' progress.

What of Weekdone's wire shape was verified, and where (names live in ``wire.py``):

- weekdone.com/developer (official, read up to its OAuth section): requests are form-encoded
  or query parameters, every answer is JSON including errors; OAuth 2.0 authorization-code
  grant only; ``https://weekdone.com/oauth_authorize`` with ``client_id``, ``redirect_uri``,
  ``response_type=code``, optional ``state``; a wrong client id or redirect URI shows a
  plain-text error, other errors go back to the redirect URI.
- Third-party code agreeing (M): the token endpoint ``https://weekdone.com/oauth_token``
  (activepieces' Weekdone piece ``auth.ts``; peterkappus/weekdone-api-explorer; okurl's
  ``WeekdoneAuthFlow``, whose form is ``code``, ``grant_type=authorization_code``,
  ``redirect_uri``, ``client_id``, ``client_secret`` and whose answer holds ``access_token``
  and ``refresh_token``); the refresh-token grant (thaim/weekdone-sdk-ruby refreshes through
  the oauth2 gem, i.e. ``grant_type=refresh_token`` at the token URL, on ``expires_at``;
  MindCloud's Weekdone reference says refresh tokens are supported); the API base
  ``https://api.weekdone.com/1/`` with the token as ``?token=`` (thaim sdk, activepieces,
  adenin-connectors/weekdone); ``GET /1/objective`` answering ``{"status", "data": [objective]}``
  with ``id``, ``type``, ``description``, ``period``, ``progress``, ``results`` (activepieces'
  new-objective trigger); ``PATCH objective/:objectiveId/result/:resultId`` with body
  ``description`` (string) and ``progress`` (number) (MindCloud's native Weekdone reference,
  pointing at weekdone.com/developer#h-key-results).

Assumptions (not found in a public document): a key result in ``results`` has ``id``,
``description`` and ``progress``; ``progress`` holds the KR's current value (not only a
percentage); ``GET /1/objective`` without filters lists every objective the token sees, unpaged;
``expires_in`` in the token answer; error bodies ``{"status": "error", "error": …}`` with 401 for
a bad or expired token and 404 for unknown ids; 429/``Retry-After`` (no limit is published);
a rotated refresh token. Weekdone documents no status, date or comment on a key result, so
syncd's status and the value's day are not sent, and the note is not sent as ``description``
(that is the key result's own text).
"""

from connectors.weekdone.config import WeekdoneSinkConfig, WeekdoneTarget
from connectors.weekdone.sink import WeekdoneSink

__all__ = ["WeekdoneSink", "WeekdoneSinkConfig", "WeekdoneTarget"]
