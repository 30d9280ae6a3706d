"""A local Salesforce over TLS: OAuth token endpoint, SOQL query with paging, limits, faults.

Wire behaviour follows the REST API documentation:

- ``POST /services/oauth2/token`` (form-encoded) for the ``password``, ``client_credentials``
  (HTTP Basic client authentication, as simple-salesforce sends it) and
  ``urn:ietf:params:oauth:grant-type:jwt-bearer`` grants; OAuth errors are
  ``{"error": …, "error_description": …}`` with status 400;
- ``GET /services/data/vXX.X/query?q=…`` (and ``queryAll``) answered by the SOQL subset of
  :mod:`connectors.salesforce.soql` over :mod:`connectors.salesforce.data`; more than
  ``batchSize`` rows (``Sforce-Query-Options``, 200…2000, default 2000) are paged through
  ``nextRecordsUrl`` (``/services/data/vXX.X/query/<locator>-<offset>``);
- ``POST /services/data/vXX.X/composite/batch`` with ``{"batchRequests": [{"method": "GET",
  "url": "vXX.X/query/?q=…"}, …], "haltOnError": …}`` (at most 25 subrequests) answers
  ``{"hasErrors": …, "results": [{"statusCode": …, "result": …}, …]}`` in order;
- every REST response carries ``Sforce-Limit-Info: api-usage=<used>/<max>``; past the daily
  allocation the answer is 403 ``REQUEST_LIMIT_EXCEEDED``; an unknown or expired token gets 401
  ``INVALID_SESSION_ID``; REST errors are ``[{"message": …, "errorCode": …}]``.

Tests drive faults (``faults``: statuses, ``Retry-After``, a body cut short, an :class:`HtmlPage`
with 200 as a proxy or a login page answers), a value the next query answers with
(:meth:`SalesforceSandbox.arm_value`), and where ``nextRecordsUrl`` points
(``next_records_prefix``: another host, to prove the client refuses it).

The certificate is throwaway (``trustme``): clients trust it through :attr:`ca_file`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.salesforce.data import SCHEMA, generate
from connectors.salesforce.soql import Evaluator, SoqlError
from syncd.testing.sandbox import Fault, Faults, LocalServer

API_VERSIONS = ("58.0", "59.0", "60.0", "61.0", "62.0")
_DATA_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d)/(?P<rest>.*)$")
_SUBREQUEST_URL = re.compile(
    r"^/?(?:services/data/)?v(?P<version>\d+\.\d)/(?P<rest>[^?]*)(?:\?(?P<query>.*))?$"
)
COMPOSITE_BATCH_LIMIT = 25
_MORE = re.compile(r"^(?P<kind>query|queryAll)/(?P<locator>01g[A-Za-z0-9]+)-(?P<offset>\d+)$")
_JWT_AUDIENCES = re.compile(
    r"^https://(login|test)\.salesforce\.com$|^https://[a-z0-9-]+\.my\.salesforce\.com$"
)
_JSON_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
ORG_ID = "00DKd0000000001EAA"
USER_ID = "005Kd0000000001AAA"


@dataclass(frozen=True)
class LoggedRequest:
    """One request the sandbox received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: str
    headers: dict[str, str]


_DEFAULT_FAULT_BODIES: dict[int, list[dict[str, str]]] = {
    401: [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    403: [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    429: [{"message": "Too many concurrent requests.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    503: [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}],
}


@dataclass(frozen=True)
class HtmlPage:
    """A fault body: an HTML page (``Content-Type: text/html``) instead of JSON."""

    text: str = "<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>"


class FaultPlan(Faults):
    """Faults armed per path prefix (status 500 unless given); each fires ``times`` times,
    oldest first."""

    def __init__(self) -> None:
        super().__init__(match="prefix", default_status=500)


@dataclass
class _Cursor:
    rows: list[dict[str, Any]]
    batch: int


class SalesforceSandbox(LocalServer):
    """A Salesforce org on ``https://host:port`` serving seeded records.

    Vendor options: ``client_id``/``client_secret`` (the connected app), ``username``,
    ``password`` and ``security_token`` (the API user), ``daily_limit`` and ``api_used`` (the
    24-hour API allocation), ``today`` (the date relative literals such as ``THIS_QUARTER``
    resolve against; default: today in UTC), ``ca_file`` (where to write the CA certificate;
    default: a temporary file).
    """

    scheme = "https"

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = "syncd-sandbox-app",
        client_secret: str = "sandbox-client-secret",
        username: str = "bot@syncd.example",
        password: str = "sandbox-password",
        security_token: str = "sandboxtoken",
        daily_limit: int = 15000,
        api_used: int = 0,
        today: date | None = None,
        ca_file: str | Path | None = None,
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed = seed
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self.security_token = security_token
        self.daily_limit = daily_limit
        self.api_used = api_used
        self.today = today
        self.records = generate(seed)
        self.evaluator = Evaluator(SCHEMA, self.records)
        self.faults = FaultPlan()
        self.next_records_prefix = ""
        self._value_override: str | None = None
        self.requests: list[LoggedRequest] = []
        self._ca = trustme.CA()
        self._ca_file = Path(ca_file) if ca_file else None
        self._ca_written = False
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwt_private_key = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self._jwt_public_key = key.public_key()
        self._sessions: dict[str, float] = {}
        self._cursors: dict[str, _Cursor] = {}
        self._locators = itertools.count(1)
        self._lock = threading.Lock()

    # ---- lifecycle ------------------------------------------------------------------------------

    @property
    def ca_file(self) -> str:
        """Path of the PEM file with the CA that signed the sandbox's certificate."""
        if self._ca_file is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sf-sandbox-")
            self._ca_file = Path(self._tmp.name) / "ca.pem"
        if not self._ca_written:
            # Every sandbox has a CA of its own: one left by an earlier run (a second `syncd
            # demo` in the same directory) must be replaced, or every TLS handshake fails.
            self._ca_file.parent.mkdir(parents=True, exist_ok=True)
            self._ca.cert_pem.write_to_path(str(self._ca_file))
            self._ca_written = True
        return str(self._ca_file)

    def start(self) -> str:
        """Serve in a background thread; returns the base URL. Idempotent."""
        url = super().start()
        self.ca_file  # noqa: B018  (writes the CA file)
        return url

    def stop(self) -> None:
        """Stop serving and remove the temporary CA file."""
        super().stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._ca_file = None
            self._ca_written = False

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    def _wrap_socket(self, sock: socket.socket) -> socket.socket:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(self.host, "localhost", "127.0.0.1").configure_cert(context)
        return context.wrap_socket(sock, server_side=True)

    # ---- state tests drive --------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """Invalidate every access token issued so far (clients must log in again)."""
        with self._lock:
            self._sessions.clear()

    def issue_session(self) -> str:
        """A valid access token, as if from a login elsewhere (the ``session`` flow)."""
        token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(24)}"
        with self._lock:
            self._sessions[token] = time.time() + 7200
        return token

    def arm_value(self, raw: str | None) -> None:
        """Answer the next query with ``raw`` as its value (``totalSize`` of a ``COUNT()``,
        else the first value of the first row), written as JSON would carry it: a number as
        is (``1e400``, ``NaN``, ``-5``), anything else as a string. None disarms."""
        with self._lock:
            self._value_override = raw

    def _take_value_override(self) -> str | None:
        with self._lock:
            raw, self._value_override = self._value_override, None
        return raw

    def api_calls(self, prefix: str = "/services/data/") -> int:
        """How many logged requests went to paths under ``prefix``."""
        return sum(1 for request in self.requests if request.path.startswith(prefix))

    # ---- OAuth ------------------------------------------------------------------------------

    def token(
        self, form: Mapping[str, str], authorization: str | None
    ) -> tuple[int, dict[str, str]]:
        grant = form.get("grant_type", "")
        if grant == "password":
            return self._password_grant(form)
        if grant == "client_credentials":
            return self._client_credentials_grant(form, authorization)
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._jwt_grant(form)
        if not grant:
            return 400, _oauth_error("invalid_request", "grant type is missing")
        return 400, _oauth_error("unsupported_grant_type", "grant type not supported")

    def _password_grant(self, form: Mapping[str, str]) -> tuple[int, dict[str, str]]:
        if form.get("client_id") != self.client_id:
            return 400, _oauth_error("invalid_client_id", "client identifier invalid")
        if form.get("client_secret") != self.client_secret:
            return 400, _oauth_error("invalid_client", "invalid client credentials")
        if (
            form.get("username") != self.username
            or form.get("password") != self.password + self.security_token
        ):
            return 400, _oauth_error("invalid_grant", "authentication failure")
        return 200, self._token_response(signed=True)

    def _client_credentials_grant(
        self, form: Mapping[str, str], authorization: str | None
    ) -> tuple[int, dict[str, str]]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                decoded = ""
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return 400, _oauth_error("invalid_client", "invalid client credentials")
        return 200, self._token_response(signed=True, scope="api")

    def _jwt_grant(self, form: Mapping[str, str]) -> tuple[int, dict[str, str]]:
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self._jwt_public_key,
                algorithms=["RS256"],
                options={"require": ["iss", "sub", "aud", "exp"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            return 400, _oauth_error("invalid_grant", "expired authorization code")
        except jwt.PyJWTError:
            return 400, _oauth_error("invalid_grant", "invalid assertion")
        if claims["iss"] != self.client_id:
            return 400, _oauth_error("invalid_client_id", "client identifier invalid")
        if not _JWT_AUDIENCES.match(str(claims["aud"])):
            return 400, _oauth_error("invalid_grant", "audience is invalid")
        if claims["sub"] != self.username:
            return 400, _oauth_error("invalid_grant", "user hasn't approved this consumer")
        return 200, self._token_response(signed=False, scope="api")

    def _token_response(self, *, signed: bool, scope: str | None = None) -> dict[str, str]:
        token = self.issue_session()
        issued = str(int(time.time() * 1000))
        body = {
            "access_token": token,
            "instance_url": self.url,
            "id": f"{self.url}/id/{ORG_ID}/{USER_ID}",
            "token_type": "Bearer",
            "issued_at": issued,
        }
        if scope:
            body["scope"] = scope
        if signed:
            digest = hashlib.sha256(f"{body['id']}{issued}".encode()).digest()
            body["signature"] = base64.b64encode(digest).decode()
        return body

    # ---- REST ---------------------------------------------------------------------------------

    def authorized(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        with self._lock:
            expiry = self._sessions.get(authorization[7:])
        return expiry is not None and expiry > time.time()

    def count_api_call(self) -> bool:
        """Count one call against the daily allocation; False once it is used up."""
        with self._lock:
            if self.api_used >= self.daily_limit:
                return False
            self.api_used += 1
            return True

    def limit_info(self) -> str:
        return f"api-usage={self.api_used}/{self.daily_limit}"

    def rest(
        self,
        version: str,
        rest: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
    ) -> tuple[int, Any]:
        """Answer a ``/services/data/vXX.X/<rest>`` GET: status and JSON body."""
        if rest in ("query", "query/", "queryAll", "queryAll/"):
            soql = query.get("q", [""])[0]
            if not soql:
                return 400, _rest_error("MALFORMED_QUERY", "A query string has to be specified")
            return self._query(version, soql, headers)
        if match := _MORE.match(rest):
            return self._query_more(version, match.group("locator"), int(match.group("offset")))
        if rest.rstrip("/") == "limits":
            remaining = self.daily_limit - self.api_used
            return 200, {"DailyApiRequests": {"Max": self.daily_limit, "Remaining": remaining}}
        return 404, _rest_error("NOT_FOUND", "The requested resource does not exist")

    def composite_batch(self, version: str, body: str) -> tuple[int, Any]:
        """Answer ``POST /services/data/vXX.X/composite/batch``: up to 25 GET subrequests, each
        answered as its own REST call would be, in order; ``hasErrors`` when one failed. A
        malformed body is a 400 with no subrequest run (haltOnError is accepted: reads never
        fail half-way)."""
        try:
            document = json.loads(body)
        except ValueError:
            return 400, _rest_error("JSON_PARSER_ERROR", "The request body is not JSON")
        subrequests = document.get("batchRequests") if isinstance(document, dict) else None
        if not isinstance(subrequests, list) or not subrequests:
            return 400, _rest_error("INVALID_BATCH_REQUEST", "batchRequests is required")
        if len(subrequests) > COMPOSITE_BATCH_LIMIT:
            return 400, _rest_error(
                "INVALID_BATCH_REQUEST",
                f"A batch can contain at most {COMPOSITE_BATCH_LIMIT} subrequests",
            )
        parsed: list[tuple[str, str, dict[str, list[str]]]] = []
        for item in subrequests:
            url = item.get("url") if isinstance(item, dict) else None
            match = _SUBREQUEST_URL.match(url) if isinstance(url, str) else None
            if match is None or item.get("method") != "GET":
                return 400, _rest_error("INVALID_BATCH_REQUEST", f"Invalid subrequest: {item}")
            sub_version = match.group("version")
            if sub_version not in API_VERSIONS or float(sub_version) > float(version):
                return 400, _rest_error(
                    "INVALID_BATCH_REQUEST",
                    f"Subrequest version {sub_version} is not available in batch v{version}",
                )
            parsed.append((sub_version, match.group("rest"), parse_qs(match.group("query") or "")))
        results: list[dict[str, Any]] = []
        failed = False
        for index, (sub_version, rest, query) in enumerate(parsed):
            # Each subrequest counts against the allocation (the batch itself was counted).
            if index and not self.count_api_call():
                status, payload = (
                    403,
                    _rest_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
                )
            else:
                status, payload = self.rest(sub_version, rest, query, {})
            if isinstance(payload, RawJson):
                payload = json.loads(payload)
            results.append({"statusCode": status, "result": payload})
            failed = failed or status >= 400
        return 200, {"hasErrors": failed, "results": results}

    def _query(self, version: str, soql: str, headers: Mapping[str, str]) -> tuple[int, Any]:
        today = self.today or datetime.now(UTC).date()
        try:
            rows, total = self.evaluator.run(soql, today)
        except SoqlError as error:
            return 400, _rest_error(error.error_code, error.message)
        raw = self._take_value_override()
        if raw is not None:
            return 200, _with_value({"totalSize": total, "done": True, "records": rows}, raw)
        for row in rows:
            attributes = row["attributes"]
            if "url" in attributes:
                attributes["url"] = attributes["url"].replace("vXX.X", f"v{version}")
        aggregate = bool(rows) and rows[0]["attributes"]["type"] == "AggregateResult"
        batch = 2000 if aggregate else _batch_size(headers.get("Sforce-Query-Options", ""))
        if len(rows) <= batch:
            return 200, {"totalSize": total, "done": True, "records": rows}
        locator = f"01gKd{next(self._locators):010d}AAA"
        with self._lock:
            self._cursors[locator] = _Cursor(rows, batch)
        return 200, {
            "totalSize": total,
            "done": False,
            "nextRecordsUrl": f"{self.next_records_prefix}/services/data/v{version}/query/"
            f"{locator}-{batch}",
            "records": rows[:batch],
        }

    def _query_more(self, version: str, locator: str, offset: int) -> tuple[int, Any]:
        with self._lock:
            cursor = self._cursors.get(locator)
        if cursor is None or offset >= len(cursor.rows):
            return 400, _rest_error("INVALID_QUERY_LOCATOR", "invalid query locator")
        end = offset + cursor.batch
        body: dict[str, Any] = {
            "totalSize": len(cursor.rows),
            "done": end >= len(cursor.rows),
            "records": cursor.rows[offset:end],
        }
        if end < len(cursor.rows):
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        else:
            with self._lock:
                self._cursors.pop(locator, None)
        return 200, body


class RawJson(str):
    """A body sent as it is: JSON with a number such as ``1e400`` or ``NaN`` spliced in, or, as
    a fault body, an empty or malformed document."""


def _with_value(body: dict[str, Any], raw: str) -> RawJson:
    """``body`` with ``raw`` as its value: ``totalSize`` when there are no rows, else the first
    non-attribute value of the first row."""
    number = _JSON_NUMBER.fullmatch(raw) or raw in ("NaN", "Infinity", "-Infinity")
    literal = raw if number else json.dumps(raw)
    marker = "\u0000value\u0000"
    records = body["records"]
    if not records:
        body["totalSize"] = marker
    else:
        first = next(key for key in records[0] if key != "attributes")
        records[0] = {**records[0], first: marker}
    return RawJson(json.dumps(body).replace(json.dumps(marker), literal))


def _batch_size(options: str) -> int:
    match = re.search(r"batchSize=(\d+)", options)
    if match is None:
        return 2000
    return max(200, min(2000, int(match.group(1))))


def _oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def _rest_error(code: str, message: str) -> list[dict[str, str]]:
    return [{"message": message, "errorCode": code}]


def _handler(sandbox: SalesforceSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "SalesforceSandbox/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the request log is ``sandbox.requests``."""

        def _read_body(self) -> str:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length).decode() if length else ""

        def _send(
            self,
            status: int,
            body: Any,
            *,
            extra: Mapping[str, str] | None = None,
            truncate: bool = False,
        ) -> None:
            html = isinstance(body, HtmlPage)
            if html:
                payload = body.text.encode()
            else:
                payload = (body if isinstance(body, RawJson) else json.dumps(body)).encode()
            self.send_response(status)
            content_type = "text/html" if html else "application/json"
            self.send_header("Content-Type", f"{content_type};charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if truncate:
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            body = self._read_body()
            query = parse_qs(parts.query)
            sandbox.requests.append(
                LoggedRequest(method, parts.path, query, body, dict(self.headers.items()))
            )
            fault = sandbox.faults.take(parts.path, method)
            if fault is not None:
                if fault.latency:
                    time.sleep(fault.latency)
                if fault.status is not None and fault.status >= 400:
                    extra = {}
                    if fault.retry_after is not None:
                        extra["Retry-After"] = f"{fault.retry_after:g}"
                    default = _DEFAULT_FAULT_BODIES.get(
                        fault.status,
                        _rest_error("UNKNOWN_EXCEPTION", "An unexpected error occurred."),
                    )
                    self._send(
                        fault.status,
                        fault.body if fault.body is not None else default,
                        extra=extra,
                    )
                    return
                if isinstance(fault.body, HtmlPage | RawJson):  # a 2xx that is not the JSON
                    self._send(fault.status or 200, fault.body)
                    return
                truncate = fault.truncate
            else:
                truncate = False
            if parts.path == "/services/oauth2/token" and method == "POST":
                form = {key: values[0] for key, values in parse_qs(body).items()}
                status, payload = sandbox.token(form, self.headers.get("Authorization"))
                self._send(status, payload, truncate=truncate)
                return
            match = _DATA_PATH.match(parts.path)
            composite = match is not None and match.group("rest").rstrip("/") == "composite/batch"
            if match is None or method != ("POST" if composite else "GET"):
                self._send(404, _rest_error("NOT_FOUND", "The requested resource does not exist"))
                return
            if match.group("version") not in API_VERSIONS:
                self._send(404, _rest_error("NOT_FOUND", "The requested resource does not exist"))
                return
            if not sandbox.authorized(self.headers.get("Authorization")):
                self._send(401, _rest_error("INVALID_SESSION_ID", "Session expired or invalid"))
                return
            if not sandbox.count_api_call():
                self._send(
                    403,
                    _rest_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
                    extra={"Sforce-Limit-Info": sandbox.limit_info()},
                )
                return
            if composite:
                status, payload = sandbox.composite_batch(match.group("version"), body)
            else:
                status, payload = sandbox.rest(
                    match.group("version"), match.group("rest"), query, dict(self.headers.items())
                )
            self._send(
                status,
                payload,
                extra={"Sforce-Limit-Info": sandbox.limit_info()},
                truncate=truncate,
            )

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


def main(argv: list[str] | None = None) -> None:
    """``python -m connectors.salesforce.sandbox --port N --seed S [--ca-file PATH]``."""
    parser = argparse.ArgumentParser(description="A local Salesforce over TLS, seeded data")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument(
        "--ca-file", default="salesforce-sandbox-ca.pem", help="where to write the CA certificate"
    )
    args = parser.parse_args(argv)
    sandbox = SalesforceSandbox(
        seed=args.seed, host=args.host, port=args.port, ca_file=args.ca_file
    )
    url = sandbox.start()
    print(f"Salesforce sandbox on {url} (CA certificate: {sandbox.ca_file})", flush=True)
    print(f"client_id={sandbox.client_id} username={sandbox.username}", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()

__all__ = ["Fault", "FaultPlan", "HtmlPage", "LoggedRequest", "RawJson", "SalesforceSandbox"]
