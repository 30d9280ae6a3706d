"""The HTTP session and the login of a Salesforce source, through simple-salesforce.

simple-salesforce logs in at ``https://<domain>.salesforce.com``. When ``login_url`` points
elsewhere (a proxy, a regional gateway, the sandbox) the session routes that one origin to
``login_url`` with a transport adapter, so the client's own login code still builds and sends
every grant. TLS is always verified, against ``ca_bundle`` when given.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.login import SalesforceLogin

from connectors.salesforce.config import (
    ClientCredentialsAuth,
    JwtAuth,
    PasswordAuth,
    SalesforceSourceConfig,
    SessionAuth,
)


class _Verifying(HTTPAdapter):
    """Verifies TLS against ``ca_bundle``, whatever ``REQUESTS_CA_BUNDLE`` says.

    requests lets that environment variable override ``Session.verify`` (psf/requests#3829),
    so the bundle is applied where each request is sent.
    """

    def __init__(self, ca_bundle: str | None) -> None:
        super().__init__()
        self._ca_bundle = ca_bundle

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self._ca_bundle is not None:
            kwargs["verify"] = self._ca_bundle
        return super().send(request, **kwargs)


class _RouteTo(_Verifying):
    """Sends requests for one origin to another (scheme, host and port), path unchanged."""

    def __init__(self, target: str, ca_bundle: str | None) -> None:
        super().__init__(ca_bundle)
        self._target = urlsplit(target)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = urlunsplit(
            (self._target.scheme, self._target.netloc, parts.path, parts.query, parts.fragment)
        )
        return super().send(request, **kwargs)


def http_session(config: SalesforceSourceConfig) -> requests.Session:
    """A session verifying TLS (against ``ca_bundle`` if set), login routed to ``login_url``."""
    ca_bundle = str(config.ca_bundle) if config.ca_bundle is not None else None
    session = requests.Session()
    session.mount("https://", _Verifying(ca_bundle))
    if config.login_is_redirected:
        origin = f"https://{config.login_domain}.salesforce.com/"
        session.mount(origin, _RouteTo(config.login_url, ca_bundle))
    return session


def login(config: SalesforceSourceConfig, session: requests.Session) -> tuple[str, str]:
    """``(session_id, instance)`` from the configured flow; ``instance`` is host[:port].

    Raises simple-salesforce's ``SalesforceAuthenticationFailed`` when Salesforce says no.
    """
    auth = config.auth
    common: dict[str, Any] = {
        "session": session,
        "domain": config.login_domain,
        "sf_version": config.api_version,
    }
    if isinstance(auth, JwtAuth):
        session_id, instance = SalesforceLogin(
            username=auth.username,
            consumer_key=auth.client_id,
            privatekey=auth.private_key.get_secret_value(),
            **common,
        )
    elif isinstance(auth, PasswordAuth):
        # The OAuth password grant takes the security token appended to the password.
        secret = auth.password.get_secret_value() + auth.security_token.get_secret_value()
        session_id, instance = SalesforceLogin(
            username=auth.username,
            password=secret,
            consumer_key=auth.client_id,
            consumer_secret=auth.client_secret.get_secret_value(),
            **common,
        )
    elif isinstance(auth, ClientCredentialsAuth):
        session_id, instance = SalesforceLogin(
            consumer_key=auth.client_id,
            consumer_secret=auth.client_secret.get_secret_value(),
            **common,
        )
    else:
        assert isinstance(auth, SessionAuth) and config.instance_url is not None
        return auth.session_id.get_secret_value(), _instance(config.instance_url)
    if config.instance_url is not None:
        instance = _instance(config.instance_url)
    return str(session_id), str(instance)


def can_renew(config: SalesforceSourceConfig) -> bool:
    """Whether an expired session can be replaced by logging in again."""
    return not isinstance(config.auth, SessionAuth)


def _instance(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host if parts.port in (None, 443) else f"{host}:{parts.port}"
