"""One upstream call made as ``Connector.call`` makes it (limiter, counting, retries), for the
retry and limiter tests, which exercise those pieces without a connector."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from syncd.abc import ConnectorContext
from syncd.retry import retry_call


def call_upstream(
    fn: Callable[[], Any], context: ConnectorContext, *, what: str, sleep: Any = time.sleep
) -> Any:
    """One upstream call as the runner makes it: through the limiter, counted, retried."""

    def attempt() -> Any:
        if context.limiter is None:
            context.stats.count_call()
            return fn()
        with context.limiter.slot():
            context.stats.count_call()
            return fn()

    return retry_call(
        attempt,
        policy=context.retry,
        stats=context.stats,
        source=context.source,
        what=what,
        sleep=sleep,
    )
