"""``/metrics``: the Prometheus exposition, optionally behind a bearer token."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request

from syncd.observe.metrics import Telemetry

UNAUTHORIZED = 401


def metrics_blueprint(telemetry: Telemetry, token: str | None = None) -> Blueprint:
    """A blueprint serving ``/metrics``; with ``token``, only to ``Authorization: Bearer token``."""
    if token is not None and not token:
        raise ValueError("metrics token must not be empty (use None for no token)")
    blueprint = Blueprint("metrics", __name__)

    @blueprint.get("/metrics")
    def metrics() -> Response:
        if token is not None and not bearer_matches(request.headers.get("Authorization"), token):
            return Response(
                "unauthorized\n",
                status=UNAUTHORIZED,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="syncd"'},
            )
        body, content_type = telemetry.render()
        response = Response(body, content_type=content_type)
        response.headers["Cache-Control"] = "no-store"
        return response

    return blueprint


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` as a bearer token.

    The comparison takes the same time wherever the first differing byte is, so the token
    cannot be guessed byte by byte from response times.
    """
    if not header:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())
