"""The ``quantive`` sink: measured KR values as check-ins on Quantive Results (formerly Gtmhub)
key results.

What of the wire is verified, and where (per field, as of this module's writing):

- ``POST /api/v1/metrics/{id}/checkin`` and its body fields ``actual``, ``checkInDate`` (a
  timestamp), ``comment``: the vendor's own CLI, github.com/gtmhub/gtmhub-cli
  ``gtmhub_client/krs.go`` (path) and ``model/metric.go`` (``CheckInMetricRequest``).
- ``confidence`` (a number, nullable) and ``customFields`` (omitted when empty): same file; the
  CLI never sets confidence. The accounts docs say confidence levels are per-account settings,
  with no documented scale: syncd leaves the field out and writes its status in the comment.
- A key result's ``id``, ``name``, ``actual``, ``target``, ``lastCheckInDate``: the CLI's
  ``model/metric.go`` (``Metric``), read from ``GET /api/v2/metrics`` there; that list endpoint
  (``fields``, ``filter``, ``skip``, ``limit``) is in developer.us.gtmhub.com
  api-reference/metrics.html ("Metrics is the programmatic name of Key Results").
- ``Authorization: Bearer <token>`` and ``gtmhub-accountId: <account id>`` on every request,
  the EU/US hosts ``https://app.quantive.com/results/api/v1/`` and
  ``https://app.us.quantive.com/results/api/v1/``, the 24-hex id format (sample ids):
  developer.quantive.com/api-reference/results/usage.html and …/accounts.html (also the
  developer.us.gtmhub.com copies); the legacy ``app.gtmhub.com``/``app.us.gtmhub.com`` hosts:
  the CLI's ``auth/client.go`` and help.quantive.com "API examples in Python".
- ``GET /api/v1/accounts/{id}`` with ``name`` in the answer, and the statuses 400, 401, 402,
  403, (404), 500: developer.quantive.com/api-reference/results/accounts.html and kpis.html.

Assumptions (not found in a public document; the sandbox follows them):

- ``GET /api/v1/metrics/{id}`` (one key result by id, v1) answering the same fields as the v2
  list items; seen in third-party code (ghelleks/quantive-export), not in the docs read. Should
  it differ, ``GET /api/v2/metrics?filter=…`` (documented) is the fallback: ``wire.METRIC``.
- ``lastCheckInDate`` null (or Go's zero time) for a key result never checked in.
- that ``actual``/``lastCheckInDate`` reflect the check-in with the latest ``checkInDate``; the
  sink never back-fills, so appending order and date order agree for what it writes.
- no check-in history endpoint was found (``/metrics/{id}/checkins``, ``metricHistory``); the
  sink reads the key result's last check-in only, which is what makes a repeat (even after a
  crash between write and receipt) a no-op.
- the error bodies' shape (``{"error", "message"}``) and 429 with ``Retry-After`` (no rate
  limit is published; the shared error table handles it either way).
- the POST's answer (the updated key result): the sink ignores it.
"""

from connectors.quantive.config import QuantiveSinkConfig, QuantiveTarget
from connectors.quantive.sink import QuantiveSink

__all__ = ["QuantiveSink", "QuantiveSinkConfig", "QuantiveTarget"]
