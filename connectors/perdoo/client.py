"""GraphQL over :class:`syncd.http.RestClient`: one POST per operation, errors to the tree.

HTTP answers go through the client's one table (401/403 auth, 429/5xx retried, 400 for a
document Perdoo's graphene cannot validate). What is GraphQL's own is here: a 200 whose body
holds ``errors`` is turned into an error by :meth:`PerdooClient.execute`, by its words:
authentication or permission → ``AuthError``, throttling → ``RateLimited``, anything else
(a key result that does not exist, a refused value) → ``QueryError``; the token is replaced by
``***`` in every message, as the REST client does for its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.perdoo import wire
from connectors.perdoo.config import PerdooSinkConfig
from syncd.errors import AuthError, QueryError, RateLimited, SourceError
from syncd.http import Call, Json, RestClient, bad_body
from syncd.logs import scrub

if TYPE_CHECKING:  # httpx loads with the first client, not with the config
    import httpx

VENDOR = "Perdoo"
T = TypeVar("T")


def graphql_error(body: Json, *, source: str, what: str) -> SourceError | None:
    """The error a GraphQL answer to ``what`` carries in ``errors``, else None."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return None
    first = errors[0] if isinstance(errors, list) else errors
    message = first.get("message") if isinstance(first, dict) else first
    words = " ".join(str(message or "no message").split())[:300]
    text = f"{source}: {VENDOR} answered an error to {what}: {words}"
    lowered = words.lower()
    if any(phrase in lowered for phrase in wire.AUTH_PHRASES):
        return AuthError(f"{text}; check the API token and its access", source=source)
    if any(phrase in lowered for phrase in wire.THROTTLE_PHRASES):
        return RateLimited(text, source=source)
    return QueryError(text, source=source)


def direct(fn: Callable[[], T], *, what: str) -> T:
    """Make a call as it is: the sink paces, counts and retries whole operations itself."""
    return fn()


class PerdooClient:
    """Authenticated GraphQL access to one Perdoo company, for one sink."""

    def __init__(
        self,
        config: PerdooSinkConfig,
        *,
        source: str,
        call: Call = direct,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        token = config.token.get_secret_value()
        self._token = token
        self.http = RestClient(
            base_url=config.endpoint,
            source=source,
            vendor=VENDOR,
            call=call,
            headers={
                "Authorization": f"{wire.AUTH_SCHEME} {token}",
                "User-Agent": "syncd-perdoo",
            },
            timeout=config.timeout_seconds,
            secrets=[token],
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def execute(
        self, document: str, operation: str, variables: Mapping[str, Any], *, what: str
    ) -> dict[str, Any]:
        """The ``data`` of one operation; an answer with ``errors`` raises (see the module)."""
        body = self.http.post(
            "/",
            what=what,
            json_body={"operationName": operation, "query": document, "variables": variables},
        )
        error = graphql_error(body, source=self.source, what=what)
        if error is not None:
            error.args = (scrub(str(error).replace(self._token, "***")),)
            raise error
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise bad_body(source=self.source, vendor=VENDOR, what=what, problem="no GraphQL data")
        return data
