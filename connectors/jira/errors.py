"""The jira client's exceptions onto syncd's error tree, through ``syncd.http``'s one table.

``JIRAError``'s own text carries the request's headers (the credentials among them), so it is
never shown: only its status, the path and the errors Jira wrote in the body.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from syncd.errors import SourceError, TransientSourceError
from syncd.http import bad_body, error_for_status, error_for_transport, retry_after

VENDOR = "Jira"


def classify(exc: Exception, *, source: str) -> SourceError | None:
    """The syncd error for a failed call of the jira client; None for anything else."""
    import requests  # loaded with the client, not the config
    from jira.exceptions import JIRAError

    if isinstance(exc, JIRAError):
        path = urlsplit(exc.url or "").path
        if exc.status_code is None:
            return TransientSourceError(
                f"{source}: Jira gave no usable answer to {path or 'a call'}", source=source
            )
        detail = exc.text or ""
        if detail.lstrip()[:1] == "<":
            detail = "an HTML page"
        headers = exc.response.headers if exc.response is not None else {}
        error = error_for_status(
            exc.status_code,
            source=source,
            vendor=VENDOR,
            where=path,
            detail=detail,
            wait=retry_after(headers)
            if "Retry-After" in headers or exc.status_code == 429
            else None,
        )
        if exc.status_code == 404 and "/rest/api/3/" in path:
            error.args = (f"{error}; a Data Center site takes a personal access token (token)",)
        elif exc.status_code == 410:
            error.args = (f"{error}; Jira Cloud retired this search: use email + api_token",)
        return error
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return bad_body(
            source=source, vendor=VENDOR, what="call", problem="a truncated or non-JSON body"
        )
    if isinstance(exc, requests.exceptions.RequestException):
        return error_for_transport(exc, source=source, vendor=VENDOR, what="call")
    return None


def shape_error(source: str, what: str, problem: str) -> SourceError:
    """A 2xx answer without the document Jira documents (an empty body reads as ``{}``)."""
    return bad_body(source=source, vendor=VENDOR, what=what, problem=problem)
