"""A local Jira REST API for tests and the demo: real HTTP, Jira's wire shapes.

One sandbox is one site, Cloud (``deployment="Cloud"``) or Data Center (``"Server"``):

- ``GET /rest/api/{2,3}/serverInfo`` (no auth): ``deploymentType``, ``versionNumbers`` …;
- ``GET …/field``: the site's fields (``id``, ``name``, ``custom``, ``clauseNames``,
  ``schema.type``), with Story Points (``customfield_10016``) and Start date (``…10015``);
- ``GET …/myself``; ``GET …/issue/{key}?fields=`` (404 ``Issue does not exist …``);
- Cloud: ``GET|POST …/search/jql`` (``jql``, ``fields``, ``maxResults``, ``nextPageToken``;
  answers ``issues``, ``nextPageToken`` while more remain, ``isLast``; at most 5,000 a page for
  ids only and 100 with fields), ``POST …/search/approximate-count`` (``{"count"}``), and the
  retired ``…/search`` answering 410;
- Data Center: ``GET|POST /rest/api/2/search`` (``startAt``, ``maxResults`` up to 1,000,
  ``total``); nothing under ``/rest/api/3``.

Auth: Cloud takes Basic ``email:api_token``, Data Center ``Bearer <PAT>``; a refusal is 401
with Jira's ``errorMessages`` body. Past ``requests_per_window`` calls the answer is 429 with
``Retry-After`` and the deployment's rate-limit headers. JQL is the subset in
``sandbox_jql``, dates read in ``user_zone``. Faults are armed on paths (substring match):
``sandbox.faults.add("search/jql", status=429, retry_after=1)``; ``status=200`` with ``body``
(a string) answers it as an HTML page, ``truncate=True`` cuts the body short. ``raw_values``
makes the next counts (``count``, ``total``) the given text as sent. ``sandbox.requests``
logs every request.

Run it in the foreground with ``python -m connectors.jira.sandbox --port 8705``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from connectors.jira.data import START_DATE, STORY_POINTS, ZURICH, Dataset, generate
from connectors.jira.sandbox_jql import JqlError, parse
from syncd.testing.sandbox import Faults, LocalServer

Json = dict[str, Any]
ID_FIELDS = {"id", "key", "issuekey"}


def _field(field_id: str, name: str, clauses: str, kind: str | None, custom: str = "") -> Json:
    """One entry of the field list; ``custom`` is a custom field's type key."""
    field: Json = {"id": field_id, "name": name, "custom": bool(custom)}
    field["clauseNames"] = clauses.split(",")
    if kind is not None and custom:
        plugin = "com.atlassian.jira.plugin.system.customfieldtypes:" + custom
        field["schema"] = {"type": kind, "custom": plugin, "customId": int(field_id[12:])}
    elif kind is not None:
        field["schema"] = {"type": kind, "system": field_id}
    return field


FIELDS: list[Json] = [
    _field("issuekey", "Key", "id,issue,issuekey,key", None),
    _field("project", "Project", "project", "project"),
    _field("issuetype", "Issue Type", "issuetype,type", "issuetype"),
    _field("summary", "Summary", "summary", "string"),
    _field("status", "Status", "status", "status"),
    _field("priority", "Priority", "priority", "priority"),
    _field("labels", "Labels", "labels", "array"),
    _field("created", "Created", "created,createdDate", "datetime"),
    _field("updated", "Updated", "updated,updatedDate", "datetime"),
    _field("resolutiondate", "Resolved", "resolutiondate,resolved", "datetime"),
    _field("duedate", "Due date", "due,duedate", "date"),
    _field("parent", "Parent", "parent", "issuelink"),
    _field(STORY_POINTS, "Story Points", "cf[10016],Story Points,story points", "number", "float"),
    _field(START_DATE, "Start date", "cf[10015],Start date,start date", "date", "datepicker"),
]
"""As ``GET /rest/api/3/field`` lists them (a subset)."""

_CLAUSES = {
    clause.lower(): field["id"] for field in FIELDS for clause in field["clauseNames"]
}  # JQL clause name → field id


def jira_time(moment: datetime, zone: ZoneInfo) -> str:
    """Jira's datetime format: ``2026-10-03T09:15:00.000+0200``."""
    local = moment.astimezone(zone)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + local.strftime("%z")
    )


@dataclass
class RecordedRequest:
    """One request the sandbox received."""

    method: str
    path: str
    params: dict[str, list[str]]
    body: Any
    authorization: str | None


class RawJson(str):
    """A body sent as it is (a value Jira would never send, an HTML page)."""


def _error(status: int, *messages: str) -> tuple[int, Json]:
    return status, {"errorMessages": list(messages), "errors": {}}


class JiraSandbox(LocalServer):
    """The sandbox site. ``now`` fixes its clock (default: the real time); ``user_zone`` is the
    profile zone of the account JQL dates are read in."""

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        deployment: str = "Cloud",
        now: datetime | None = None,
        user_zone: ZoneInfo = ZURICH,
        email: str = "delivery@acme.example",
        api_token: str = "sandbox-api-token",
        pat: str = "sandbox-pat",
        requests_per_window: int = 100_000,
        rate_window: float = 60.0,
        id_page_limit: int = 5000,
        field_page_limit: int = 100,
    ) -> None:
        super().__init__(host=host, port=port)
        if deployment not in ("Cloud", "Server"):
            raise ValueError("deployment is Cloud or Server")
        self.deployment = deployment
        self.fixed_now = now
        self.user_zone = user_zone
        self.email, self.api_token, self.pat = email, api_token, pat
        self.dataset: Dataset = generate(seed)
        self.faults = Faults(match="substring", default_status=500)
        self.raw_values: list[str] = []
        """Texts the next counts (``count``, ``total``) answer with, as sent."""
        self.requests: list[RecordedRequest] = []
        self.requests_per_window = requests_per_window
        self.rate_window = rate_window
        self.id_page_limit = id_page_limit
        self.field_page_limit = field_page_limit
        self._lock = threading.Lock()
        self._opened, self._used = float("-inf"), 0

    @property
    def cloud(self) -> bool:
        return self.deployment == "Cloud"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    def now(self) -> datetime:
        return self.fixed_now if self.fixed_now is not None else datetime.now(UTC)

    def log(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def requests_to(self, fragment: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if fragment in request.path]

    def take_budget(self) -> tuple[bool, int, float]:
        """Count one request: (allowed, remaining, seconds until the window resets)."""
        now = time.monotonic()
        with self._lock:
            if now - self._opened >= self.rate_window:
                self._opened, self._used = now, 0
            reset = self.rate_window - (now - self._opened)
            if self._used >= self.requests_per_window:
                return False, 0, reset
            self._used += 1
            return True, self.requests_per_window - self._used, reset

    # ---- issues as JQL sees them and as JSON shows them -------------------------------------

    def visible(self) -> list[Json]:
        """Every issue (epics included) as the JQL evaluator sees it at the sandbox's clock."""
        now = self.now()
        zone = self.user_zone
        views: list[Json] = []
        for epic in self.dataset.epics:
            if epic.created_at > now:
                continue
            resolved = epic.resolved_at if epic.resolved_at and epic.resolved_at <= now else None
            started = epic.started_at is not None and epic.started_at <= now
            views.append(
                {
                    "_id": 10000 - len(views) - 1,
                    "issuekey": epic.key,
                    "project": "ABC",
                    "issuetype": "Epic",
                    "summary": epic.summary,
                    "status": "Done" if resolved else "In Progress" if started else "To Do",
                    "priority": "Medium",
                    "labels": [],
                    "created": epic.created_at.astimezone(zone),
                    "updated": (resolved or epic.created_at).astimezone(zone),
                    "resolutiondate": resolved.astimezone(zone) if resolved else None,
                    "duedate": None,
                    "parent": None,
                    STORY_POINTS: None,
                    START_DATE: None,
                }
            )
        for issue in self.dataset.issues:
            if issue.created_at > now:
                break
            resolved = issue.resolved_at if issue.resolved_at and issue.resolved_at <= now else None
            started = issue.started_at is not None and issue.started_at <= now
            last = max(t for t in (issue.created_at, issue.started_at, resolved) if t and t <= now)
            views.append(
                {
                    "_id": issue.id,
                    "issuekey": issue.key,
                    "project": issue.project,
                    "issuetype": issue.issue_type,
                    "summary": issue.summary,
                    "status": "Done" if resolved else "In Progress" if started else "To Do",
                    "priority": issue.priority,
                    "labels": list(issue.labels),
                    "created": issue.created_at.astimezone(zone),
                    "updated": last.astimezone(zone),
                    "resolutiondate": resolved.astimezone(zone) if resolved else None,
                    "duedate": None,
                    "parent": issue.parent,
                    STORY_POINTS: issue.story_points,
                    START_DATE: issue.start_date,
                }
            )
        views.sort(key=lambda view: view["_id"])
        return views

    def matching(self, jql: str) -> list[Json]:
        predicate = parse(jql, self.user_zone, _CLAUSES)
        return [view for view in self.visible() if predicate(view)]

    def issue_json(self, base: str, view: Json, fields: list[str]) -> Json:
        body: Json = {"id": str(view["_id"]), "key": view["issuekey"]}
        body["self"] = f"{base}/rest/api/{'3' if self.cloud else '2'}/issue/{view['_id']}"
        wanted = [f for f in fields if f not in ID_FIELDS]
        if "*all" in wanted or "*navigable" in wanted:
            wanted = [field["id"] for field in FIELDS if field["id"] not in ID_FIELDS]
        if wanted:
            body["fields"] = {
                name: self.field_json(name, view.get(name)) for name in wanted if name in view
            }
        return body

    def field_json(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime):
            return jira_time(value, self.user_zone)
        if isinstance(value, date):
            return value.isoformat()
        if name == "status":
            category = {"Done": "done", "In Progress": "indeterminate"}.get(value, "new")
            return {"name": value, "statusCategory": {"key": category}}
        if name in ("project", "issuetype", "priority"):
            return {"name": value} | ({"key": value} if name == "project" else {})
        if name == "parent":
            return {"key": value}
        return value

    # ---- endpoints --------------------------------------------------------------------------

    def route(
        self, method: str, path: str, params: dict[str, list[str]], body: Any, base: str
    ) -> tuple[int, Json | list[Json] | RawJson]:
        prefix, _, rest = path.partition("/rest/api/")
        version, _, endpoint = rest.partition("/")
        if prefix or version not in ("2", "3", "latest") or (version == "3" and not self.cloud):
            return _error(404, "null for uri: " + path)
        args = {key: values[-1] for key, values in params.items()}
        if isinstance(body, dict):
            args |= {key: value for key, value in body.items() if not isinstance(value, list)}
        fields = _fields(params, body)
        if endpoint == "serverInfo":
            return 200, self.server_info(base)
        if endpoint == "field":
            return 200, FIELDS
        if endpoint == "myself":
            return 200, self.myself()
        if endpoint.startswith("issue/"):
            return self.issue(base, endpoint.removeprefix("issue/"), fields)
        if endpoint == "search/approximate-count" and self.cloud and method == "POST":
            return self.approximate_count(args)
        if endpoint == "search/jql" and self.cloud:
            return self.search_jql(base, args, fields)
        if endpoint == "search":
            if self.cloud:
                return _error(
                    410,
                    "The requested API has been removed. "
                    "Please migrate to the /rest/api/3/search/jql API.",
                )
            return self.search(base, args, fields)
        return _error(404, "null for uri: " + path)

    def server_info(self, base: str) -> Json:
        cloud = self.cloud
        return {
            "baseUrl": base,
            "displayUrl": base,
            "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.8",
            "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 8],
            "deploymentType": self.deployment,
            "buildNumber": 100280 if cloud else 9120008,
            "buildDate": "2026-10-01T00:00:00.000+0000",
            "serverTime": jira_time(self.now(), self.user_zone),
            "scmInfo": "0000000000000000000000000000000000000000",
            "serverTitle": "Jira",
        }

    def myself(self) -> Json:
        if self.cloud:
            return {
                "accountId": "5b10ac8d82e05b22cc7d4ef5",
                "emailAddress": self.email,
                "displayName": "Delivery bot",
                "timeZone": str(self.user_zone),
                "active": True,
            }
        return {
            "name": "delivery-bot",
            "displayName": "Delivery bot",
            "timeZone": str(self.user_zone),
        }

    def issue(self, base: str, key: str, fields: list[str]) -> tuple[int, Json]:
        for view in self.visible():
            if view["issuekey"] == key or str(view["_id"]) == key:
                return 200, self.issue_json(base, view, fields or ["*all"])
        return _error(404, "Issue does not exist or you do not have permission to see it.")

    def _count_text(self) -> str | None:
        with self._lock:
            return self.raw_values.pop(0) if self.raw_values else None

    def approximate_count(self, args: Json) -> tuple[int, Json | RawJson]:
        jql = str(args.get("jql") or "").strip()
        if not jql:
            return _error(
                400,
                "Unbounded JQL queries are not allowed here. "
                "Please add a search restriction to your query.",
            )
        try:
            count = len(self.matching(jql))
        except JqlError as exc:
            return _error(400, str(exc))
        raw = self._count_text()
        return 200, RawJson('{"count": ' + _token(raw) + "}") if raw is not None else {
            "count": count
        }

    def search_jql(self, base: str, args: Json, fields: list[str]) -> tuple[int, Json]:
        jql = str(args.get("jql") or "")
        try:
            matching = self.matching(jql)
            offset = _decode(str(args["nextPageToken"]), jql) if args.get("nextPageToken") else 0
            asked = int(args.get("maxResults", 50))
        except JqlError as exc:
            return _error(400, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        ids_only = not fields or set(fields) <= ID_FIELDS
        size = max(1, min(asked, self.id_page_limit if ids_only else self.field_page_limit))
        chunk = matching[offset : offset + size]
        more = offset + size < len(matching)
        body: Json = {"issues": [self.issue_json(base, v, fields or ["id"]) for v in chunk]}
        if more:
            body["nextPageToken"] = _encode(offset + size, jql)
        body["isLast"] = not more
        return 200, body

    def search(self, base: str, args: Json, fields: list[str]) -> tuple[int, Json | RawJson]:
        jql = str(args.get("jql") or "")
        try:
            matching = self.matching(jql)
            start = int(args.get("startAt", 0))
            size = max(0, min(int(args.get("maxResults", 50)), 1000))
        except JqlError as exc:
            return _error(400, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        chunk = matching[start : start + size]
        issues = [self.issue_json(base, v, fields or ["*navigable"]) for v in chunk]
        raw = self._count_text()
        if raw is not None:
            head = json.dumps({"expand": "schema,names", "startAt": start, "maxResults": size})
            return 200, RawJson(
                head[:-1] + ', "total": ' + _token(raw) + ', "issues": ' + json.dumps(issues) + "}"
            )
        return 200, {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(matching),
            "issues": issues,
        }

    # ---- gatekeeping --------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        scheme, _, credentials = (header or "").partition(" ")
        if self.cloud and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            return decoded == f"{self.email}:{self.api_token}"
        return not self.cloud and scheme.lower() == "bearer" and credentials == self.pat

    def rate_headers(self, remaining: int, reset: float) -> dict[str, str]:
        limit = str(self.requests_per_window)
        if self.cloud:
            at = (datetime.now(UTC) + timedelta(seconds=reset)).strftime("%Y-%m-%dT%H:%MZ")
            return {
                "X-RateLimit-Limit": limit,
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": at,
            }
        return {
            "X-RateLimit-Limit": limit,
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-FillRate": limit,
            "X-RateLimit-Interval-Seconds": f"{self.rate_window:g}",
        }  # fmt: skip


def _fields(params: dict[str, list[str]], body: Any) -> list[str]:
    """``fields`` as repeated parameters, a comma list, or a JSON array."""
    raw: list[str] = []
    for value in params.get("fields", []):
        raw += value.split(",")
    if isinstance(body, dict) and isinstance(body.get("fields"), list):
        raw += [str(value) for value in body["fields"]]
    return [name.strip() for name in raw if name.strip()]


def _encode(offset: int, jql: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}|{jql}".encode()).decode()


def _decode(token: str, jql: str) -> int:
    try:
        offset, _, asked = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        if asked != jql:
            raise ValueError
        return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("The provided next page token is invalid or expired.") from None


def _token(raw: str) -> str:
    """``raw`` as a JSON value token: numbers and NaN/Infinity bare, anything else a string."""
    try:
        float(raw)
    except ValueError:
        return json.dumps(raw)
    return raw


class _Handler(BaseHTTPRequestHandler):
    owner: JiraSandbox
    protocol_version = "HTTP/1.1"
    server_version = "JiraSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        sandbox = self.owner
        split = urlsplit(self.path)
        params = parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(
                400,
                {"errorMessages": ["Unexpected character in the request body."], "errors": {}},
                {},
            )
            return
        authorization = self.headers.get("Authorization")
        sandbox.log(RecordedRequest(method, split.path, params, body, authorization))
        base = f"http://{self.headers.get('Host') or f'{sandbox.host}:{sandbox.port}'}"
        allowed, remaining, reset = sandbox.take_budget()
        headers = sandbox.rate_headers(remaining, reset)
        fault = sandbox.faults.take(split.path, method)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status == 200 and isinstance(fault.body, str):
            self._send(200, RawJson(fault.body), headers, content_type="text/html")
            return
        if fault is not None and fault.status is not None and fault.status != 200:
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            if fault.status == 429 and sandbox.cloud:
                headers["RateLimit-Reason"] = "jira-burst-based"
            default = _DEFAULT_BODIES.get(fault.status, _DEFAULT_BODIES[500])
            self._send(fault.status, fault.body or default(fault.message), headers)
            return
        if not split.path.endswith("/serverInfo") and not sandbox.authorized(authorization):
            self._send(
                401,
                _DEFAULT_BODIES[401](None),
                headers | {"WWW-Authenticate": 'OAuth realm="jira"'},
            )
            return
        if not allowed:
            headers["Retry-After"] = str(max(1, round(reset)))
            if sandbox.cloud:
                headers["RateLimit-Reason"] = "jira-burst-based"
            self._send(429, _DEFAULT_BODIES[429](None), headers)
            return
        status, payload = sandbox.route(method, split.path, params, body, base)
        self._send(status, payload, headers, truncate=fault is not None and fault.truncate)

    def _send(
        self,
        status: int,
        payload: Json | list[Json] | RawJson,
        headers: dict[str, str],
        *,
        truncate: bool = False,
        content_type: str = "application/json",
    ) -> None:
        data = payload.encode() if isinstance(payload, RawJson) else json.dumps(payload).encode()
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", f"{content_type};charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if truncate else data)


def _messages(default: str) -> Callable[[str | None], Json]:
    return lambda message: {"errorMessages": [message or default], "errors": {}}


_DEFAULT_BODIES: dict[int, Callable[[str | None], Json]] = {
    400: _messages("Error in the JQL Query: The query is not valid."),
    401: _messages("You are not authenticated. Authentication required to perform this operation."),
    403: _messages("You do not have the permission to see the specified issue."),
    429: _messages("Rate limit exceeded."),
    500: _messages("Internal server error"),
    503: _messages("Service Unavailable"),
}


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Jira REST API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8705)
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--deployment", choices=["Cloud", "Server"], default="Cloud")
    args = parser.parse_args(argv)
    sandbox = JiraSandbox(
        seed=args.seed, host=args.host, port=args.port, deployment=args.deployment
    )
    url = sandbox.start()
    auth = f"{sandbox.email} / api token" if sandbox.cloud else "a personal access token"
    print(f"Jira {args.deployment} sandbox on {url} ({auth})", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
