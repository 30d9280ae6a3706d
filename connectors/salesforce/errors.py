"""What is Salesforce's own in its failures; the rest goes through ``syncd.http``'s table.

Every answer passes :func:`refuse_bad_answers` (a ``requests`` response hook) before
simple-salesforce reads it: an error status, or a 2xx that is an HTML page or empty, becomes an
:class:`UpstreamAnswer` carrying status, headers and body, which :func:`classify` maps through
:func:`syncd.http.error_for_status` (one table for every vendor, ``Retry-After`` included). Only
the OAuth token endpoint's own 4xx refusals (``{"error": …, "error_description": …}``) are left to
simple-salesforce, which raises ``SalesforceAuthenticationFailed``.

Salesforce's own words on top of the table: REST errors are ``[{"message": …, "errorCode": …}]``;
``INVALID_SESSION_ID`` (401) may be cured by logging in again (:class:`SessionExpired`);
``REQUEST_LIMIT_EXCEEDED`` in a 403 is the org's daily allocation, not a permission
(:class:`ApiAllocationExhausted`, pausing the source).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from syncd.errors import AuthError, RateLimited, SourceError
from syncd.http import bad_body, error_for_status, error_for_transport, retry_after

if TYPE_CHECKING:  # the SDK loads with the first call (connector.py), not with the config
    import requests

VENDOR = "Salesforce"
TOKEN_PATH = "/services/oauth2/token"


class ApiAllocationExhausted(RateLimited):
    """The org's daily API allocation is used up (``REQUEST_LIMIT_EXCEEDED``) or past the share
    syncd may use: the source pauses for ``retry_after`` seconds. Retrying now cannot help."""

    retryable = False


class SessionExpired(AuthError):
    """The session was refused (``INVALID_SESSION_ID``); a renewable flow logs in again once."""


class UpstreamAnswer(Exception):
    """An answer that is not the document asked for, caught before simple-salesforce reads it."""

    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.path = urlsplit(response.url or "").path
        self.text = response.text
        super().__init__(f"{self.status} from {self.path}")

    @property
    def body(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


def refuse_bad_answers(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Raise :class:`UpstreamAnswer` for an error status (but the token endpoint's OAuth
    refusals) or a 2xx that is HTML or empty. Reading the body here also surfaces a body cut
    short as the transport error it is."""
    status = response.status_code
    if 200 <= status < 300:
        text = response.text.lstrip()
        if text[:1] == "<" or not text:
            raise UpstreamAnswer(response)
        return
    if (
        urlsplit(response.url or "").path == TOKEN_PATH
        and 400 <= status < 500
        and status not in (408, 429)
        and isinstance(UpstreamAnswer(response).body, dict)
    ):
        return  # an OAuth refusal: simple-salesforce reads it
    raise UpstreamAnswer(response)


def error_code(body: Any) -> str | None:
    """The ``errorCode`` of a REST error body, or the ``error`` of an OAuth one."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code = body[0].get("errorCode")
        return str(code) if code is not None else None
    if isinstance(body, dict) and body.get("error") is not None:
        return str(body["error"])
    return None


def error_message(body: Any, text: str = "") -> str:
    """The ``message`` of a REST error body (``error_description`` of an OAuth one)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return " ".join(str(body[0].get("message", "")).split())
    if isinstance(body, dict):
        return " ".join(str(body.get("error_description", "")).split())
    text = text.strip()
    return "an HTML page" if text[:1] == "<" else " ".join(text.split())[:120]


def classify(
    exc: Exception, *, source: str, pause: Callable[[str], ApiAllocationExhausted]
) -> SourceError | None:
    """The syncd error for a failed Salesforce call; ``pause`` pauses the source after
    ``REQUEST_LIMIT_EXCEEDED`` and returns the error saying so."""
    import requests
    from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

    if isinstance(exc, UpstreamAnswer):
        return _answer_error(exc, source=source, pause=pause)
    if isinstance(exc, SalesforceAuthenticationFailed):
        return AuthError(
            f"{source}: Salesforce login failed ({exc.code}): {exc.auth_message}", source=source
        )
    if isinstance(exc, SalesforceError):  # an answer the hook let through (3xx)
        where = urlsplit(exc.url or "").path
        detail = f"{error_code(exc.content)}: {error_message(exc.content)}"
        return error_for_status(
            exc.status, source=source, vendor=VENDOR, where=where, detail=detail
        )
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return bad_body(
            source=source, vendor=VENDOR, what="query", problem="a truncated or non-JSON body"
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return SourceError(
            f"{source}: TLS verification failed ({_first_line(exc)}); "
            "point 'ca_bundle' at the CA that signed the server's certificate",
            source=source,
        )
    if isinstance(exc, requests.exceptions.RequestException):
        return error_for_transport(exc, source=source, vendor=VENDOR, what="call")
    return None


def _answer_error(
    answer: UpstreamAnswer, *, source: str, pause: Callable[[str], ApiAllocationExhausted]
) -> SourceError:
    status, body = answer.status, answer.body
    if 200 <= status < 300:
        problem = "an empty body" if not answer.text.strip() else "an HTML page instead of JSON"
        return bad_body(source=source, vendor=VENDOR, what=answer.path, problem=problem)
    return status_error(
        status,
        body,
        text=answer.text,
        path=answer.path,
        source=source,
        pause=pause,
        wait=retry_after(answer.headers),
    )


def status_error(
    status: int,
    body: Any,
    *,
    text: str = "",
    path: str,
    source: str,
    pause: Callable[[str], ApiAllocationExhausted],
    wait: float | None = None,
) -> SourceError:
    """The syncd error for an error status and REST error body, of a call or of a composite
    subrequest (whose ``path`` is its URL)."""
    code = error_code(body)
    message = error_message(body, text)
    detail = f"{code}: {message}" if code else message
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        return pause(f"{source}: Salesforce refused the call: REQUEST_LIMIT_EXCEEDED: {message}")
    if status == 401 and path != TOKEN_PATH:
        return SessionExpired(
            f"{source}: Salesforce answered 401 to {path} ({detail})", source=source
        )
    if path == TOKEN_PATH and 400 <= status < 500 and status not in (408, 429):
        return AuthError(f"{source}: Salesforce login failed ({status}): {detail}", source=source)
    error = error_for_status(
        status,
        source=source,
        vendor=VENDOR,
        where=path,
        detail=detail,
        wait=wait,
    )
    if code == "INVALID_QUERY_FILTER_OPERATOR" and "dateTime" in message:
        error.args = (f"{error}; use {{window_start:datetime}}/{{window_end:datetime}} there",)
    elif status == 404:
        error.args = (f"{error}; check api_version and instance_url",)
    return error


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
