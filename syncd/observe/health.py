"""Health checks for ``/livez`` and ``/readyz``: named callables that never raise out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from syncd.logs import scrub

log = structlog.get_logger("syncd.observe")

OK = "ok"
FAILING = "failing"


@dataclass(frozen=True)
class HealthCheck:
    """One probe: ``check()`` returns True when healthy, False or a reason (str) when not."""

    name: str
    check: Callable[[], bool | str]


def run_check(check: HealthCheck) -> str:
    """``"ok"``, or why the check fails: its reason, ``"failing"``, or the exception it raised.

    Only ``True`` is healthy: a check returning any string (even ``"ok"``) reports a failure.

    Exception texts are scrubbed of registered secrets (a store URL's password in a driver
    error, say): the answer goes to unauthenticated callers.
    """
    try:
        result = check.check()
    except Exception as exc:  # a probe must answer, whatever the check does
        reason = scrub(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        log.debug("health.check_raised", check=check.name, error=reason)
        return reason
    if result is True:
        return OK
    if isinstance(result, str) and result.strip() and result != OK:
        return scrub(result)
    return FAILING


def run_checks(checks: Sequence[HealthCheck]) -> dict[str, str]:
    """Each check's answer by name, in the order given."""
    return {check.name: run_check(check) for check in checks}


def all_ok(results: dict[str, str]) -> bool:
    """True when every check answered ``"ok"`` (and so when there are none)."""
    return all(result == OK for result in results.values())
