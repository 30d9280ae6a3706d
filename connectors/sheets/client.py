"""The Sheets v4 client shared by the ``sheets`` source and sink: the API's resources, built
once per process, and signed HTTP connections, one per thread."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from connectors.sheets import wire
from connectors.sheets.auth import build_credentials
from connectors.sheets.config import SheetsAuth
from connectors.sheets.errors import VENDOR
from syncd.http import parse_body

if TYPE_CHECKING:  # google-auth loads when a spreadsheet is first read, not with the config
    from google.auth.credentials import Credentials


@functools.lru_cache(maxsize=16)
def resources(endpoint: str | None) -> tuple[Any, Any]:
    """The Sheets v4 client's ``spreadsheets`` and ``values`` resources for ``endpoint``, built
    once per process from the discovery document the client ships (building them takes about
    a second: the client writes every method's documentation). They hold no connection or
    credentials: each call is made with the calling thread's own HTTP object."""
    # The client (and google.api_core under it) loads only when a spreadsheet is used, not
    # when a config naming one is loaded.
    import httplib2
    from googleapiclient.discovery import build
    from googleapiclient.model import JsonModel

    class _Text(JsonModel):  # type: ignore[misc]  # the client's model is untyped
        """The client's JSON model handing back the body's text: it is parsed the framework's
        way (numbers keep their upstream text; an HTML page, an empty or a cut body is a
        retryable error, where the stock model would hand such a body back as a string)."""

        def deserialize(self, content: bytes | str) -> str:
            return content.decode("utf-8", "replace") if isinstance(content, bytes) else content

    service = build(
        "sheets",
        wire.VERSION,
        http=httplib2.Http(),
        client_options={"api_endpoint": endpoint + "/"} if endpoint else None,
        model=_Text(),
        static_discovery=True,
        cache_discovery=False,
    )
    return wire.resources(service)


class SheetsSession:
    """Calls to one Sheets API endpoint with one set of credentials: each thread gets its own
    HTTP connection (httplib2 is not thread-safe), signed when there are credentials, which
    are made on the first call."""

    def __init__(
        self,
        *,
        auth: SheetsAuth,
        scopes: Sequence[str],
        endpoint: str | None,
        timeout: float,
        source: str,
    ) -> None:
        self.auth = auth
        self.scopes = tuple(scopes)
        self.endpoint = endpoint
        self.timeout = timeout
        self.source = source
        self._lock = threading.Lock()
        self._local = threading.local()
        self._https: list[Any] = []
        self._credentials: Credentials | None = None
        self._signed_in = False

    @property
    def credentials(self) -> Credentials | None:
        """The credentials once made (None before the first call, or anonymous)."""
        return self._credentials

    def http(self) -> Any:
        """This thread's HTTP connection."""
        http = getattr(self._local, "http", None)
        if http is None:
            with self._lock:
                if not self._signed_in:
                    self._credentials = build_credentials(
                        self.auth, self.scopes, source=self.source
                    )
                    self._signed_in = True
                credentials = self._credentials
            import httplib2
            from google_auth_httplib2 import AuthorizedHttp

            http = httplib2.Http(timeout=self.timeout)
            if credentials is not None:
                http = AuthorizedHttp(credentials, http=http)
            self._local.http = http
            with self._lock:
                self._https.append(http)
        return http

    def execute(self, make: Callable[[Any, Any], Any], *, what: str) -> Any:
        """One exchange, its JSON body parsed (not retried: callers go through their
        ``Upstream.call``); ``make`` gets the ``spreadsheets`` and ``values`` resources and
        returns the client's request."""
        spreadsheets, values = resources(self.endpoint)
        text = make(spreadsheets, values).execute(http=self.http(), num_retries=0)
        return parse_body(text, source=self.source, vendor=VENDOR, what=what)

    def close(self) -> None:
        """Close the HTTP connections (idempotent)."""
        with self._lock:
            https, self._https = self._https, []
            self._local = threading.local()
        for http in https:
            inner = getattr(http, "http", http)
            inner.close()
