"""A local Jira Align REST API 2.0 (key results) for tests and the demo: real HTTP, the wire
names of :mod:`connectors.jiraalign.wire` (see there what is verified and what is assumed).

- ``GET /rest/align/api/2/keyresults`` with OData ``$top`` (1..100), ``$skip`` and
  ``$select``: a JSON array;
- ``GET /rest/align/api/2/keyresults/{id}``: the record, ``valueUpdates`` oldest first;
- ``PATCH /rest/align/api/2/keyresults/{id}`` with a JSON Patch array (``add``, ``replace``,
  ``remove``; paths with or without the leading ``/``, array indexes 0-based, ``-`` for the
  end): applied all or nothing, answered **204**. An operation on a read-only path
  (``sandbox.read_only``: JSON pointers, ``*`` standing for any one segment, matching the path
  and everything under it) is skipped without a word, as Jira Align does; a new value update
  gets an ``id``; a malformed patch is a 400 with a ProblemDetails body.

Resource paths are case-insensitive, as on the real instance (``/Epics`` and ``/epics``). Every
call needs ``Authorization: Bearer <token>`` (the scheme in any case); a bad token, or any
token after :meth:`JiraAlignSandbox.revoke`, gets 401. An unknown key result gets 404 with a
ProblemDetails body. Faults are armed on path prefixes (``sandbox.faults.add(KEY_RESULTS,
status=429, retry_after=1)``; 502/503 answer an HTML page, ``truncate`` cuts the body, and
drops the answer of a PATCH it applied: the connection closes without one).
``sandbox.received`` records each write that reached the API (method, path, JSON body).

Key results are made from ``seed``: ids, titles, baseline and target values, and two value
updates each in November 2026.

Run it in the foreground with ``python -m connectors.jiraalign.sandbox --port 8714``.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.jiraalign import wire
from syncd.testing.sandbox import Faults, LocalServer, ReplyingHandler

Json = Any
DENIED = "Authorization has been denied for this request."
TITLES = (
    "Raise weekly active teams to 120",
    "Cut median lead time to 5 days",
    "Grow net revenue retention to 108 %",
    "Lower escaped defects per release to 3",
    "Onboard 40 partner integrations",
    "Keep p95 API latency under 300 ms",
    "Reach 65 NPS in the enterprise segment",
    "Automate 80 % of regression tests",
)
SEEDED_DAYS = (date(2026, 11, 2), date(2026, 11, 16))


class PatchError(Exception):
    """A patch that cannot be applied: the whole PATCH is refused with 400."""


@dataclass(frozen=True)
class RecordedWrite:
    """One write request the API received (after auth and faults)."""

    method: str
    path: str
    json: Json


def generate(seed: int, count: int) -> dict[int, dict[str, Any]]:
    """``count`` key results made from ``seed``, by id."""
    rng = random.Random(seed)
    records: dict[int, dict[str, Any]] = {}
    next_id = 3600 + rng.randrange(100)
    update_id = 90_000 + rng.randrange(1000)
    for number in range(count):
        baseline = float(rng.randrange(0, 50))
        target = baseline + float(rng.randrange(20, 200))
        updates = []
        for day in SEEDED_DAYS:
            update_id += 1
            value = round(baseline + (target - baseline) * rng.uniform(0.1, 0.6), 1)
            updates.append(
                {
                    wire.UPDATE_ID: update_id,
                    wire.UPDATE_VALUE: value,
                    wire.UPDATE_DATE: wire.day_instant(day),
                    wire.UPDATE_NOTES: "entered by hand",
                }
            )
        records[next_id] = {
            wire.ID: next_id,
            wire.TITLE: TITLES[(seed + number) % len(TITLES)],
            "parentId": 3627,
            "parentType": 44,
            "type": 2,
            wire.BASELINE: baseline,
            wire.TARGET: target,
            "weight": 20,
            "ownerId": "661802",
            "targetDate": "2026-12-31T00:00:00Z",
            "createDate": "2026-10-01T07:34:53Z",
            wire.VALUE_UPDATES: updates,
            "scoreOverrides": [],
        }
        next_id += 1 + rng.randrange(5)
    return records


# ---- JSON Patch --------------------------------------------------------------------------


def _segments(path: str) -> list[str]:
    """A JSON pointer's segments; the leading ``/`` may be left out (Jira Align takes both)."""
    if not isinstance(path, str) or not path.strip("/"):
        raise PatchError(f"the path {path!r} names no field")
    parts = path[1:].split("/") if path.startswith("/") else path.split("/")
    return [part.replace("~1", "/").replace("~0", "~") for part in parts]


def _index(container: list[Any], segment: str, *, end_ok: bool) -> int:
    if end_ok and segment == "-":
        return len(container)
    if not segment.isdigit():
        raise PatchError(f"{segment!r} is not an index")
    index = int(segment)
    if index > len(container) or (index == len(container) and not end_ok):
        raise PatchError(f"index {index} is out of range")
    return index


def _parent(document: Json, segments: list[str]) -> Json:
    node = document
    for segment in segments[:-1]:
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list):
            node = node[_index(node, segment, end_ok=False)]
        else:
            raise PatchError(f"the path does not exist at {segment!r}")
    return node


def apply_operation(document: Json, operation: Json) -> None:
    """Apply one JSON Patch operation (RFC 6902 ``add``/``replace``/``remove``) in place."""
    if not isinstance(operation, dict):
        raise PatchError("each operation is an object with op, path and value")
    op, segments = operation.get("op"), _segments(operation.get("path", ""))
    if op not in ("add", "replace", "remove"):
        raise PatchError(f"the operation {op!r} is not supported")
    parent, last = _parent(document, segments), segments[-1]
    if op in ("add", "replace") and "value" not in operation:
        raise PatchError(f"{op} needs a value")
    value = copy.deepcopy(operation.get("value"))
    if isinstance(parent, dict):
        if op != "add" and last not in parent:
            raise PatchError(f"the field {last!r} does not exist")
        if op == "remove":
            del parent[last]
        else:
            parent[last] = value
    elif isinstance(parent, list):
        index = _index(parent, last, end_ok=op == "add")
        if op == "add":
            parent.insert(index, value)
        elif op == "replace":
            parent[index] = value
        elif op == "remove":
            del parent[index]
    else:
        raise PatchError("the path goes through a value that is not an object or a list")


def _read_only(patterns: set[str], path: str) -> bool:
    segments = [segment.lower() for segment in _segments(path)]
    for pattern in patterns:
        wanted = [segment.lower() for segment in _segments(pattern)]
        if len(segments) >= len(wanted) and all(
            w in ("*", s) for w, s in zip(wanted, segments, strict=False)
        ):
            return True
    return False


def _check_updates(record: dict[str, Any]) -> None:
    updates = record.get(wire.VALUE_UPDATES)
    if not isinstance(updates, list):
        raise PatchError(f"{wire.VALUE_UPDATES} must be a list")
    for update in updates:
        if not isinstance(update, dict):
            raise PatchError("a value update is an object")
        value = update.get(wire.UPDATE_VALUE)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PatchError(f"a value update needs a numeric {wire.UPDATE_VALUE}")
        try:
            wire.day_of(str(update.get(wire.UPDATE_DATE)))
        except ValueError:
            raise PatchError(f"a value update needs a {wire.UPDATE_DATE} (ISO UTC)") from None


# ---- the server ----------------------------------------------------------------------------


class JiraAlignSandbox(LocalServer):
    """The sandbox server; ``token`` is the API token it accepts until :meth:`revoke`."""

    poll_interval = 0.05  # stopping takes at most this long (tests start one each)

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 20261201,
        token: str = "user:4242|sandbox-jiraalign-token",
        count: int = 6,
    ) -> None:
        super().__init__(host=host, port=port)
        self.token = token
        self.key_results = generate(seed, count)
        self.faults = Faults(match="prefix", default_status=500)
        self.received: list[RecordedWrite] = []
        self.read_only: set[str] = {"/id", "/createDate", "/scoreOverrides"}
        """JSON pointers a PATCH may name but not change (answered 204, nothing changed)."""
        self._revoked = False
        self._lock = threading.Lock()
        self._next_update_id = 100_000

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    # ---- state, read directly by tests --------------------------------------------------

    def revoke(self) -> None:
        """Reject every token from now on (401), as after the user made a new one."""
        self._revoked = True

    def authorised(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        return not self._revoked and scheme.lower() == "bearer" and token == self.token

    def checkins(self, key_result: int) -> list[tuple[date, float]]:
        """The key result's value updates as (day, value), oldest day first (list order
        within a day)."""
        with self._lock:
            updates = list(self.key_results[key_result][wire.VALUE_UPDATES])
        pairs = [
            (wire.day_of(update[wire.UPDATE_DATE]), float(update[wire.UPDATE_VALUE]))
            for update in updates
        ]
        return sorted(pairs, key=lambda pair: pair[0])

    # ---- the API --------------------------------------------------------------------------

    def list_key_results(self, query: dict[str, str]) -> tuple[int, Json]:
        try:
            top = int(query.get(wire.TOP, wire.MAX_PAGE))
            skip = int(query.get("$skip", 0))
        except ValueError:
            return 400, _problem(400, "$top and $skip are whole numbers")
        if not 1 <= top <= wire.MAX_PAGE or skip < 0:
            return 400, _problem(400, f"$top must be between 1 and {wire.MAX_PAGE}")
        with self._lock:
            records = [copy.deepcopy(r) for _, r in sorted(self.key_results.items())]
        page = records[skip : skip + top]
        if wire.SELECT in query:
            fields = [name.strip() for name in query[wire.SELECT].split(",") if name.strip()]
            page = [{f: r[f] for f in fields if f in r} for r in page]
        return 200, page

    def get_key_result(self, key_result: int) -> tuple[int, Json]:
        with self._lock:
            record = self.key_results.get(key_result)
            if record is None:
                return 404, _problem(404, f"Key result {key_result} was not found.")
            return 200, copy.deepcopy(record)

    def patch_key_result(self, key_result: int, path: str, body: Json) -> tuple[int, Json]:
        with self._lock:
            self.received.append(RecordedWrite("PATCH", path, copy.deepcopy(body)))
            record = self.key_results.get(key_result)
            if record is None:
                return 404, _problem(404, f"Key result {key_result} was not found.")
            if not isinstance(body, list):
                return 400, _problem(400, "The body must be a JSON Patch document (an array).")
            patched = copy.deepcopy(record)
            try:
                for operation in body:
                    path_given = operation.get("path", "") if isinstance(operation, dict) else ""
                    if _read_only(self.read_only, path_given):
                        continue
                    apply_operation(patched, operation)
                _check_updates(patched)
            except PatchError as error:
                return 400, _problem(400, f"Cannot update key result {key_result}. {error}.")
            for update in patched[wire.VALUE_UPDATES]:
                if update.get(wire.UPDATE_ID) is None:
                    self._next_update_id += 1
                    update[wire.UPDATE_ID] = self._next_update_id
            self.key_results[key_result] = patched
        return 204, None


def _problem(status: int, detail: str) -> Json:
    """An ASP.NET ProblemDetails body (assumed shape of Jira Align's errors)."""
    return {"title": HTTPStatus(status).phrase, "status": status, "detail": detail}


_HTML_ERROR = "<!DOCTYPE html><html><head><title>{0}</title></head><body>{0}</body></html>"


class _Handler(ReplyingHandler):
    owner: JiraAlignSandbox
    protocol_version = "HTTP/1.1"
    server_version = "JiraAlignSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the write log is ``sandbox.received``."""

    def do_GET(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        sandbox = self.owner
        split = urlsplit(self.path)
        path = split.path.rstrip("/").lower()
        fault = sandbox.faults.take(path, self.command)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status is not None and fault.status != 200:
            headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            if fault.status in (502, 503) and fault.body is None:
                page = _HTML_ERROR.format(f"{fault.status} {HTTPStatus(fault.status).phrase}")
                self._send(fault.status, page, "text/html", headers)
                return
            body = fault.body or _problem(fault.status, fault.message or "Fault armed.")
            self._json(fault.status, body, headers)
            return
        if not sandbox.authorised(self.headers.get(wire.AUTH_HEADER)):
            self._json(401, {"message": DENIED})
            return
        status, body = self._route(path, split.query, raw)
        truncate = fault is not None and fault.truncate
        if status == 204 and truncate:  # the write is applied, its answer lost
            self.close_connection = True
        elif status == 204:
            self._send(204, "", "application/json")
        else:
            self._json(status, body, truncate=truncate)

    def _route(self, path: str, query_text: str, raw: bytes) -> tuple[int, Json]:
        sandbox = self.owner
        collection = wire.KEY_RESULTS.lower()
        query = {k: v[-1] for k, v in parse_qs(query_text, keep_blank_values=True).items()}
        if path == collection:
            if self.command != "GET":
                return 405, _problem(405, f"{self.command} is not supported here.")
            return sandbox.list_key_results(query)
        head, _, tail = path.rpartition("/")
        if head != collection or not tail.isdigit():
            return 404, _problem(404, f"No resource at {path}.")
        key_result = int(tail)
        if self.command == "GET":
            return sandbox.get_key_result(key_result)
        if self.command == "PATCH":
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return 400, _problem(400, "The body is not JSON.")
            return sandbox.patch_key_result(key_result, path, body)
        return 405, _problem(405, f"{self.command} is not supported here.")


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Jira Align REST API 2.0 sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8714)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    sandbox = JiraAlignSandbox(host=args.host, port=args.port, seed=args.seed)
    url = sandbox.start()
    ids = ", ".join(str(key_result) for key_result in sandbox.key_results)
    print(f"Jira Align sandbox on {url} (token {sandbox.token}; key results {ids})", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
