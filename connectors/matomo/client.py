"""The Matomo Reporting API calls syncd makes: form POSTs through :class:`syncd.http.RestClient`.

Error mapping, Retry-After and redaction are the framework's; what is Matomo's own is here: the
token in the POST body (never in a URL), error bodies ``{"result": "error"}`` that Matomo 4
sends with HTTP 200 (the ``check`` hook turns them into errors; Matomo 5 sends 400/401 and the
client's table applies), and ``API.getBulkRequest`` carrying many report calls in one POST.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from connectors.matomo import wire
from connectors.matomo.config import MatomoSourceConfig
from syncd.errors import AuthError, QueryError, SourceError
from syncd.http import Call, Json, RestClient, bad_body

if TYPE_CHECKING:  # httpx loads with the first client, not with the config
    import httpx

VENDOR = "Matomo"
Params = Mapping[str, str]


def error_in(body: Json, *, source: str) -> SourceError | None:
    """The error an answer (or one result of a bulk answer) carries, else None."""
    if not isinstance(body, dict) or body.get(wire.ERROR_KEY) != wire.ERROR_VALUE:
        return None
    message = " ".join(str(body.get(wire.ERROR_MESSAGE) or "no message").split())[:300]
    text = f"{source}: {VENDOR} answered an error: {message}"
    lowered = message.lower()
    if any(phrase in lowered for phrase in wire.AUTH_PHRASES):
        return AuthError(f"{text}; check token_auth and its view access to the site", source=source)
    return QueryError(text, source=source)


def query_string(params: Params) -> str:
    """One report call as ``API.getBulkRequest`` takes it in ``urls[i]``."""
    return urlencode(params)


class MatomoClient:
    """Authenticated access to one Matomo instance, for one source."""

    def __init__(
        self,
        config: MatomoSourceConfig,
        *,
        source: str,
        call: Call,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self._token = config.token_auth.get_secret_value()
        self.http = RestClient(
            base_url=config.base_url,
            source=source,
            vendor=VENDOR,
            call=call,
            headers={"User-Agent": "syncd-matomo"},
            timeout=config.timeout_seconds,
            secrets=[self._token],
            check=lambda body: error_in(body, source=source),
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def _post(self, params: Params, *, what: str) -> Json:
        form = {"module": wire.MODULE, "format": wire.FORMAT, **params}
        form[wire.TOKEN_PARAM] = self._token
        return self.http.post(wire.ENDPOINT, what=what, data=form)

    def report(self, params: Params, *, what: str) -> Json:
        """One Reporting API call's answer (an error body raises)."""
        return self._post(params, what=what)

    def bulk(self, calls: Sequence[Params], *, what: str) -> list[Json]:
        """The answers of ``calls`` in one ``API.getBulkRequest``, in order; a result that is an
        error body stays in the list (it fails only its own requests)."""
        form = {wire.BULK_PARAM.format(index=i): query_string(c) for i, c in enumerate(calls)}
        body = self._post({"method": wire.BULK_METHOD, **form}, what=what)
        if not isinstance(body, list) or len(body) != len(calls):
            got = f"{len(body)} results" if isinstance(body, list) else type(body).__name__
            raise bad_body(
                source=self.source,
                vendor=VENDOR,
                what=what,
                problem=f"{got} for {len(calls)} bulk calls",
            )
        return body

    def site(self, site_id: int) -> Json:
        """``SitesManager.getSiteFromId``: the website's name, URL and time zone."""
        return self._post(
            {"method": wire.SITE_METHOD, "idSite": str(site_id)}, what=f"site {site_id}"
        )
