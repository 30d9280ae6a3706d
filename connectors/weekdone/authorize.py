"""The one-time authorization a Weekdone sink needs: ``python -m connectors.weekdone.authorize``.

Weekdone grants API access through the OAuth authorization-code flow only, so a person approves
the app once in a browser. This helper prints the authorize URL, takes the code (or the whole
address Weekdone redirected to) pasted back, trades it at the token endpoint and prints the
tokens once, with how to store them as secrets. The client secret is read from
``$WEEKDONE_CLIENT_SECRET`` or asked without echo, never taken from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from connectors.weekdone import wire
from connectors.weekdone.auth import Grant, code_form, request_token
from syncd.errors import SourceError
from syncd.http import RestClient

T = TypeVar("T")
SECRET_ENV = "WEEKDONE_CLIENT_SECRET"


class AuthorizeError(Exception):
    """The pasted answer cannot be used (no code, a state mismatch, a refusal)."""


def authorize_url(auth_base: str, client_id: str, redirect_uri: str, state: str) -> str:
    """Where the person approving the app goes."""
    query = {
        wire.AUTHORIZE_CLIENT_ID: client_id,
        wire.AUTHORIZE_REDIRECT_URI: redirect_uri,
        wire.AUTHORIZE_RESPONSE_TYPE: wire.RESPONSE_TYPE_CODE,
        wire.AUTHORIZE_STATE: state,
    }
    return f"{auth_base.rstrip('/')}{wire.AUTHORIZE_PATH}?{urlencode(query)}"


def code_from(pasted: str, state: str) -> str:
    """The authorization code in what was pasted: the code itself, or the redirect address
    (whose ``state`` must be ours, so a stale or forged answer is refused)."""
    text = pasted.strip()
    if not text:
        raise AuthorizeError("nothing was pasted")
    if "?" not in text and "=" not in text:
        return text
    query = {k: v[-1] for k, v in parse_qs(urlsplit(text).query or text).items()}
    if wire.CALLBACK_ERROR in query:
        raise AuthorizeError(f"Weekdone answered {query[wire.CALLBACK_ERROR]!r}")
    if query.get(wire.CALLBACK_STATE) != state:
        raise AuthorizeError("the answer's state is not this run's: start again")
    code = query.get(wire.CALLBACK_CODE)
    if not code:
        raise AuthorizeError("the address holds no code")
    return code


def _direct(fn: Callable[[], T], *, what: str) -> T:
    return fn()


def exchange_code(
    auth_base: str, client_id: str, client_secret: str, redirect_uri: str, code: str
) -> Grant:
    """Trade the authorization code for tokens (one call, no retry: a code works once)."""
    client = RestClient(
        base_url=auth_base,
        source="weekdone authorize",
        vendor="Weekdone OAuth",
        call=_direct,
        secrets=[client_secret, code],
    )
    try:
        return request_token(
            client,
            code_form(client_id, client_secret, redirect_uri, code),
            what="code exchange",
            vendor="Weekdone OAuth",
        )
    finally:
        client.close()


def advice(grant: Grant, client_id: str) -> str:
    """The tokens, shown once, and how to keep them."""
    lines = [
        "Weekdone granted access. Store these as secrets now; they are not shown again:",
    ]
    if grant.refresh_token:
        lines.append(f"  WEEKDONE_REFRESH_TOKEN={grant.refresh_token}")
    lifetime = f" (expires in {grant.expires_in:g} s)" if grant.expires_in else ""
    lines.append(f"  WEEKDONE_ACCESS_TOKEN={grant.access_token}{lifetime}")
    lines += [
        "and refer to them from the config (never paste the values into it):",
        "  sinks:",
        "    weekdone:",
        "      type: weekdone",
        f"      client_id: {client_id}",
        f"      client_secret: ${{env:{SECRET_ENV}}}",
    ]
    if grant.refresh_token:
        lines.append("      refresh_token: ${env:WEEKDONE_REFRESH_TOKEN}")
    else:
        lines += [
            "      access_token: ${env:WEEKDONE_ACCESS_TOKEN}",
            "Weekdone sent no refresh token: renew the access token by running this again "
            "when it expires.",
        ]
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None,
    *,
    read_line: Callable[[str], str] = input,
    read_secret: Callable[[str], str] = getpass.getpass,
    write: Callable[[str], object] = print,
) -> int:
    """Run the authorization; 0 when tokens were printed, 1 (with the reason) otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m connectors.weekdone.authorize",
        description="Authorize syncd's Weekdone app once and print its tokens.",
    )
    parser.add_argument("--client-id", required=True, help="the app's Client ID")
    parser.add_argument(
        "--redirect-uri", required=True, help="the app's Redirect URL, exactly as registered"
    )
    parser.add_argument("--auth-url", default=wire.AUTH_URL, help="default %(default)s")
    args = parser.parse_args(argv)
    state = secrets.token_urlsafe(16)
    try:
        client_secret = os.environ.get(SECRET_ENV) or read_secret("Client Secret: ")
        write("Open this address signed in to Weekdone as the user syncd acts for, approve,")
        write("and paste the address Weekdone sends you back to (or just its code):")
        write(authorize_url(args.auth_url, args.client_id, args.redirect_uri, state))
        code = code_from(read_line("> "), state)
        grant = exchange_code(args.auth_url, args.client_id, client_secret, args.redirect_uri, code)
    except (AuthorizeError, SourceError) as error:
        write(f"error: {error}")
        return 1
    except (EOFError, KeyboardInterrupt):
        write("error: stopped before the code was pasted")
        return 1
    write(advice(grant, args.client_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
