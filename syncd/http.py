"""The HTTP client of every REST connector, and the one table from HTTP answers to errors.

A REST connector builds a :class:`RestClient` and asks it for JSON; the client makes each call
through the connector's :meth:`~syncd.abc.Connector.call` (limiter, call counting) and turns
every answer that is not the JSON it should be into the error tree, by one table:

=====================================  ==========================================  =========
answer                                 error                                       retried
=====================================  ==========================================  =========
401, 403                               ``AuthError``                               no
429; 503 with ``Retry-After``          ``RateLimited(retry_after)``                yes
408, 5xx                               ``TransientSourceError``                    yes
other 4xx                              ``QueryError``                              no
2xx with HTML, a truncated or non-     ``TransientSourceError`` (a proxy, a login  yes
JSON body                              page or a cut connection produces these)
204 No Content                         None (the answer of many updates)           -
timeout, refused or reset connection   ``TransientSourceError``                    yes
=====================================  ==========================================  =========

The wait comes from ``Retry-After`` (seconds or an HTTP date), else ``RateLimit-Reset`` or
``X-RateLimit-Reset`` (seconds, or an epoch time). SDK-based connectors map their SDK's
exceptions through :func:`error_for_status` in their ``classify``, so the table is the same.

Every message names the source, the vendor, the status and the path, never a credential:
secrets the client was given, every secret the config loaded and the value of a credential
query parameter in a URL (``?token=…``, ``&access_token=…``) are replaced by ``***``.

Paging helpers follow cursors, next-page URLs (only on the configured host: a next URL
elsewhere would carry our credentials away) and ``Link: <…?page=N>; rel="next"`` headers (the
page number only). :func:`mock_transport` is the seam for
unit tests (``httpx.MockTransport``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import parse_qs, urljoin, urlsplit

from syncd.abc import UpstreamFloat
from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError
from syncd.logs import scrub

if TYPE_CHECKING:  # httpx loads with the first client: loading a config needs only the table
    import httpx

T = TypeVar("T")
Json = Any


class Call(Protocol):
    """How a client makes one upstream call: :meth:`syncd.abc.Connector.call`."""

    def __call__(self, fn: Callable[[], T], *, what: str) -> T: ...


_MAX_DETAIL = 200
_SECRET_PARAMS = re.compile(
    r"(?i)([?&](?:token|access_token|refresh_token|client_secret|token_auth|api_key|key|code)=)"
    r"[^&#\s'\"]+"
)
"""A credential in a URL's query string (APIs that take the token as ``?token=``)."""


def retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait before asking again, from the answer's headers; None when unsaid."""
    value = headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    for name in ("RateLimit-Reset", "X-RateLimit-Reset"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if number > 1e9:  # an epoch time, not a delay
            number -= (now or datetime.now(UTC)).timestamp()
        return max(0.0, number)
    return None


def error_for_status(
    status: int,
    *,
    source: str,
    vendor: str,
    where: str,
    detail: str = "",
    wait: float | None = None,
) -> SourceError:
    """The error for a non-2xx answer (see the module's table)."""
    detail = scrub(" ".join(detail.split()))[:_MAX_DETAIL]
    message = f"{source}: {vendor} answered {status} to {where}" + (
        f" ({detail})" if detail else ""
    )
    if status in (401, 403):
        hint = "check the credentials" if status == 401 else "the credentials lack a permission"
        return AuthError(f"{message}; {hint}", source=source)
    if status == 429 or (status == 503 and wait is not None):
        return RateLimited(message, retry_after=wait, source=source)
    if status == 408 or status >= 500:
        return TransientSourceError(message, source=source)
    return QueryError(message, source=source)


def error_for_transport(exc: Exception, *, source: str, vendor: str, what: str) -> SourceError:
    """The error for a call that got no complete answer (retryable)."""
    text = scrub(str(exc))[:_MAX_DETAIL]
    return TransientSourceError(
        f"{source}: {vendor} {what} failed ({type(exc).__name__}: {text})", source=source
    )


def bad_body(*, source: str, vendor: str, what: str, problem: str) -> SourceError:
    """A 2xx answer that is not the document the vendor documents (retryable)."""
    return TransientSourceError(f"{source}: {vendor} {what} returned {problem}", source=source)


def parse_body(text: str, *, source: str, vendor: str, what: str) -> Json:
    """A 2xx body as JSON whose numbers keep their upstream text; an HTML page, an empty or a
    cut body is a ``TransientSourceError`` (SDK connectors that read raw bodies use it too)."""
    if text.lstrip()[:1] == "<":
        problem = "an HTML page instead of JSON (a proxy or a login page?)"
    elif not text.strip():
        problem = "an empty body"
    else:
        try:
            return json.loads(text, parse_float=UpstreamFloat, parse_constant=UpstreamFloat)
        except ValueError:
            problem = "a truncated or non-JSON body"
    raise bad_body(source=source, vendor=vendor, what=what, problem=problem)


def json_detail(body: Json) -> str:
    """The usual places vendors put an error's words: ``message``, ``error``, ``errors``…"""
    if not isinstance(body, dict):
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return json_detail(body[0])
        return ""
    parts: list[str] = []
    for key in ("error", "errorCode", "title", "message", "description", "detail"):
        value = body.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("title")
        if isinstance(value, str) and value and value not in parts:
            parts.append(value)
    errors = body.get("errors")
    if not parts and isinstance(errors, list) and errors:
        parts.append(json_detail(errors[0]) or str(errors[0]))
    return ": ".join(parts)


def _response_detail(response: httpx.Response, detail: Callable[[Json], str]) -> str:
    try:
        return detail(response.json())
    except (ValueError, UnicodeDecodeError):
        text = response.text.strip()
        return "an HTML page" if text[:1] == "<" else text[:120]


class RestClient:
    """JSON over HTTP for one source, on one base URL.

    ``call`` is the connector's :meth:`~syncd.abc.Connector.call` (pacing and counting);
    ``detail`` extracts the vendor's error words from a JSON error body; ``check`` may turn a
    2xx body into an error (APIs that answer errors with 200). ``transport`` replaces the
    network (tests: :func:`mock_transport`).
    """

    def __init__(
        self,
        *,
        base_url: str,
        source: str,
        vendor: str,
        call: Call,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        secrets: Sequence[str] = (),
        detail: Callable[[Json], str] = json_detail,
        check: Callable[[Json], SourceError | None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.source = source
        self.vendor = vendor
        self._call = call
        self._secrets = [s for s in secrets if s and len(s) >= 4]
        self._detail = detail
        self._check = check
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            headers={"Accept": "application/json", "User-Agent": "syncd", **(headers or {})},
            params=dict(params or {}),
            timeout=timeout,
            transport=transport,
        )
        self._origin = _origin(self.base_url)

    def _redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return scrub(_SECRET_PARAMS.sub(r"\1***", text))

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        json_body: Json = None,
        data: Mapping[str, Any] | None = None,
    ) -> Json:
        """One call; its JSON body, or the error the table says."""
        return self._exchange(
            method, path, what=what, params=params, json_body=json_body, data=data
        )[0]

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        json_body: Json = None,
        data: Mapping[str, Any] | None = None,
    ) -> tuple[Json, Mapping[str, Mapping[str, str]]]:
        """One call: its JSON body and its ``Link`` header's links by relation (RFC 8288)."""
        import httpx

        url = self.pinned(path)

        def attempt() -> tuple[Json, Mapping[str, Mapping[str, str]]]:
            try:
                response = self._http.request(method, url, params=params, json=json_body, data=data)
            except httpx.HTTPError as exc:
                raise self._sanitised(
                    error_for_transport(exc, source=self.source, vendor=self.vendor, what=what)
                ) from None
            body = self._body(response, what)
            return body, {str(rel): link for rel, link in response.links.items()}

        return self._call(attempt, what=what)

    def get(self, path: str, *, what: str, params: Mapping[str, Any] | None = None) -> Json:
        return self.request("GET", path, what=what, params=params)

    def post(
        self,
        path: str,
        *,
        what: str,
        json_body: Json = None,
        data: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Json:
        return self.request("POST", path, what=what, json_body=json_body, data=data, params=params)

    def patch(self, path: str, *, what: str, json_body: Json = None) -> Json:
        """A PATCH (JSON Patch or merge patch, as the vendor takes it); None for a 204."""
        return self.request("PATCH", path, what=what, json_body=json_body)

    def _sanitised(self, error: SourceError) -> SourceError:
        error.args = (self._redact(str(error)),)
        return error

    def _body(self, response: httpx.Response, what: str) -> Json:
        if not response.is_success:
            raise self._sanitised(
                error_for_status(
                    response.status_code,
                    source=self.source,
                    vendor=self.vendor,
                    where=response.request.url.path,
                    detail=_response_detail(response, self._detail),
                    # A 503 is a rate limit only when it says when to come back.
                    wait=retry_after(response.headers)
                    if response.status_code == 429
                    else retry_after({"Retry-After": response.headers.get("Retry-After", "")})
                    if "Retry-After" in response.headers
                    else None,
                )
            )
        if response.status_code == 204:  # No Content: an update that says nothing more
            return None
        body = parse_body(response.text, source=self.source, vendor=self.vendor, what=what)
        if self._check is not None and (error := self._check(body)) is not None:
            raise self._sanitised(error)
        return body

    def pinned(self, path_or_url: str) -> str:
        """``path_or_url`` as a URL on the configured host; a URL elsewhere is refused."""
        if "://" not in path_or_url:
            return path_or_url
        if _origin(path_or_url) != self._origin:
            raise QueryError(
                f"{self.source}: {self.vendor} pointed the next page to "
                f"{_origin(path_or_url)}, not {self._origin}; refusing to follow it",
                source=self.source,
            )
        return path_or_url

    def follow_next_urls(
        self,
        path: str,
        *,
        what: str,
        next_url: Callable[[Json], str | None],
        params: Mapping[str, Any] | None = None,
        max_pages: int = 10_000,
    ) -> Iterator[Json]:
        """Each page's body, following the next-page URL ``next_url`` finds in it."""
        url: str | None = path
        page_params = params
        for page in range(1, max_pages + 1):
            assert url is not None
            body = self.get(url, what=f"{what} page {page}", params=page_params)
            yield body
            url = next_url(body)
            if not url:
                return
            url = urljoin(self.base_url + "/", url) if "://" not in url else url
            page_params = None
        raise QueryError(f"{self.source}: {what} has more than {max_pages} pages")

    def follow_cursors(
        self,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any],
        cursor: Callable[[Json], str | None],
        cursor_param: str,
        method: str = "GET",
        max_pages: int = 10_000,
        before_page: Callable[[], object] | None = None,
    ) -> Iterator[Json]:
        """Each page's body; the next page asks ``cursor_param=<cursor(body)>`` (GET params or
        POST JSON) until the cursor is empty. ``before_page`` runs before each call (an
        endpoint's own pacing)."""
        current = dict(params)
        for page in range(1, max_pages + 1):
            label = f"{what} page {page}"
            if before_page is not None:
                before_page()
            if method == "GET":
                body = self.get(path, what=label, params=current)
            else:
                body = self.post(path, what=label, json_body=current)
            yield body
            after = cursor(body)
            if not after:
                return
            current = {**current, cursor_param: after}
        raise QueryError(f"{self.source}: {what} has more than {max_pages} pages")

    def follow_link_pages(
        self,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        page_param: str = "page",
        max_pages: int = 10_000,
    ) -> Iterator[Json]:
        """Each page's body of a list paged by page number and a ``Link`` header (RFC 8288;
        ``X-Page``/``X-Total`` style APIs): the next page is ``path`` asked again with the
        ``page_param`` of the ``rel="next"`` link, until an answer has no such link. Only the
        page number is taken from the link, so its host and path never matter; a next link
        without one is a ``QueryError`` (stopping there would hide the rest of the list)."""
        current = dict(params or {})
        for page in range(1, max_pages + 1):
            body, links = self._exchange("GET", path, what=f"{what} page {page}", params=current)
            yield body
            if "next" not in links:
                return
            following = _query_value(links["next"].get("url", ""), page_param)
            if not following:
                raise QueryError(
                    f"{self.source}: {self.vendor} named a next page of {what} without a "
                    f"{page_param!r} number; refusing to guess it",
                    source=self.source,
                )
            current = {**current, page_param: following}
        raise QueryError(f"{self.source}: {what} has more than {max_pages} pages")

    def close(self) -> None:
        self._http.close()


def _query_value(url: str, name: str) -> str | None:
    """The last value of query parameter ``name`` in ``url``, or None."""
    values = parse_qs(urlsplit(url).query).get(name)
    return values[-1] if values else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def mock_transport(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    """A transport answering every request with ``handler`` (unit tests of REST connectors)."""
    import httpx

    return httpx.MockTransport(handler)
