"""Security headers on every answer of syncd's web apps (dashboard, API, probes, metrics).

The dashboard needs no script at all, so the policy allows none: pages load their stylesheet
from the app itself; inline styles stay allowed because the progress bars and pygal's inline
SVG charts carry them (styles cannot run code). Nothing may frame the pages, no answer is
sniffed into another type, and no referrer leaves the dashboard.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def add_security_headers(app: Flask) -> Flask:
    """Send :data:`SECURITY_HEADERS` with every response of ``app`` (errors included)."""

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
