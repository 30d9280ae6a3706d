"""Who may read the dashboard: the bearer token, or a browser that proved it knows the token.

Scripts send ``Authorization: Bearer <token>``. A browser cannot, so it may send Basic auth
(any user name, the token as password) or sign in once through a small form that sets a
session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page makes the
browser send it), Secure over HTTPS. The cookie holds an HMAC of the token, never the token;
changing the token signs every browser out. Every comparison takes constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from syncd.observe.scrape import bearer_matches

SESSION_COOKIE = "syncd_session"
_SESSION_CONTEXT = b"syncd dashboard session v1"


def session_value(token: str) -> str:
    """The session cookie's value for ``token`` (an HMAC: the cookie never holds the token)."""
    return hmac.new(token.encode(), _SESSION_CONTEXT, hashlib.sha256).hexdigest()


def basic_matches(header: str | None, token: str) -> bool:
    """Whether ``header`` is Basic auth whose password is ``token`` (any user name)."""
    if not header:
        return False
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    _, colon, password = decoded.partition(":")
    return bool(colon) and hmac.compare_digest(password.encode(), token.encode())


def cookie_matches(cookie: str | None, token: str) -> bool:
    """Whether a session cookie was set by signing in with ``token``."""
    return cookie is not None and hmac.compare_digest(
        cookie.encode(), session_value(token).encode()
    )


def authorized(header: str | None, cookie: str | None, token: str | None) -> bool:
    """Bearer, Basic or session cookie; everything when no token is set."""
    if token is None:
        return True
    return (
        bearer_matches(header, token)
        or basic_matches(header, token)
        or cookie_matches(cookie, token)
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
