"""The ``tability`` sink: measured KR values as check-ins of Tability outcomes (API v2).

Configured as::

    sinks:
      okrs:
        type: tability
        token: ${env:TABILITY_TOKEN}   # a Personal API token with API access to the workspace
        workspace: acme                # the workspace's slug or UUID
    key_results:
      - id: mrr
        push: {okrs: {outcome: j4Jlkboa7H3g}}   # the outcome's Nano ID or UUID

What is verified against Tability's published guide and what is assumed: see
:mod:`connectors.tability.wire`; how idempotency works on an append-only tool: see
:mod:`connectors.tability.sink`.
"""

from connectors.tability.config import TabilitySinkConfig, TabilityTarget
from connectors.tability.sink import TabilitySink

__all__ = ["TabilitySink", "TabilitySinkConfig", "TabilityTarget"]
