"""A local Perdoo GraphQL API for tests and the demo: real HTTP, Perdoo's wire shapes.

``POST /graphql/`` with ``{"query", "variables", "operationName"}`` and
``Authorization: Bearer <token>``, over a seeded company whose key results (uuid, name, start
and target value) come from ``seed``. The schema is the part syncd uses (names from
:mod:`connectors.perdoo.wire`, where what is verified is listed):

- ``mutation upsertCommit(input: UpsertCommitMutationInput!)``: adds a commit, or with
  ``id`` updates that one; form errors come back in the payload's ``errors`` with HTTP 200
  (``keyResult``: an unknown key result, ``id``: an unknown commit, ``value``/``commitDate``/
  ``status``: missing or invalid);
- ``result(id: UUID!)``: a key result (``currentValue`` is its latest commit's value, by
  commit date); an unknown one is ``null`` with an error carrying a ``path`` (HTTP 200);
- ``allCommits(first, after, commitDate_Gte, commitDate_Lte)``: a Relay connection with
  graphene's ``arrayconnection:N`` cursors, at most ``max_page_size`` a page;
- ``me`` and ``currentCompany``.

As graphene-django does, a document that does not parse or validate (an unknown field, a
wrong variable type, an unknown operation) is answered 400 with ``{"errors": [...]}`` and is
not executed. A missing, wrong or revoked token is answered 401 (``auth_failure="http"``,
the default) or 200 with a permission error (``auth_failure="graphql"``): which one Perdoo
sends is not documented publicly. Faults are armed on ``/graphql/`` followed by the
operation's name, so ``faults.add("/graphql/")`` hits every request and
``faults.add("SyncdUpsertCommit", truncate=True)`` only that mutation (429 with
``retry_after``, 5xx with an HTML page, a text ``body`` with status 200 answers that page,
``truncate`` cuts the answer after executing it, ``latency`` delays it).

``received`` records every mutation executed (method, path, JSON body); ``requests`` every
operation asked (its name and the HTTP status answered). ``revoke()`` makes the current
token invalid. Run it with ``python -m connectors.perdoo.sandbox --port 8706``.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from connectors.perdoo import wire
from connectors.perdoo.sandbox_graphql import (
    EnumValue,
    Field,
    GraphQLSyntaxError,
    Operation,
    TypeRef,
    Variable,
    parse,
)
from syncd.testing.sandbox import Faults, LocalServer, ReplyingHandler

ENDPOINT = "/graphql/"
DEFAULT_TOKEN = "f3c1b2a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80"
"""64 hexadecimal characters, like a Perdoo API token (nango.dev's connect guide)."""
Json = Any
AuthFailure = Literal["http", "graphql"]

KEY_RESULTS = (
    ("Weekly active teams to 400", 120.0, 400.0),
    ("Net revenue retention to 110 %", 96.0, 110.0),
    ("Median first reply under 2 hours", 5.5, 2.0),
    ("Trial-to-paid conversion to 8 %", 3.2, 8.0),
)
"""The seeded key results: name, start value, target value (their ids come from the seed)."""

COMMIT_STATUSES = ("NO_STATUS", "OFF_TRACK", "NEEDS_ATTENTION", "ON_TRACK", "ACCOMPLISHED")


class DocumentError(Exception):
    """A document that cannot run: answered 400, nothing executed."""


class FieldError(Exception):
    """A resolver's error: the field is null and the error names its path (HTTP 200)."""


@dataclass
class KeyResult:
    """One key result of the company."""

    id: str
    name: str
    start: float
    target: float


@dataclass
class Commit:
    """One commit (check-in) of a key result."""

    id: str
    key_result: str
    value: float
    day: date
    status: str
    description: str
    created: datetime
    sequence: int


@dataclass
class RecordedWrite:
    """A mutation the sandbox executed, as it was sent."""

    method: str
    path: str
    json: Json


# ---- the schema syncd uses ------------------------------------------------------------------

_SCALARS = {"ID", "UUID", "String", "Float", "Int", "Boolean", "Date", "DateTime", "CommitStatus"}
_ARGS: dict[tuple[str, str], dict[str, str]] = {
    ("Query", wire.KEY_RESULT): {"id": "UUID!"},
    ("Query", wire.COMMITS): {
        "first": "Int",
        "last": "Int",
        "offset": "Int",
        "after": "String",
        "before": "String",
        wire.COMMITS_FROM: "Date",
        wire.COMMITS_UNTIL: "Date",
        "user": "UUID",
        "user_Id": "UUID",
        "targetGroup": "UUID",
    },
    ("Mutation", wire.UPSERT_COMMIT): {"input": f"{wire.UPSERT_INPUT_TYPE}!"},
}
_TYPES: dict[str, dict[str, str]] = {
    "Query": {
        wire.KEY_RESULT: "keyResult",
        wire.COMMITS: "commitConnection",
        wire.ME: "user",
        wire.COMPANY: "company",
    },
    "Mutation": {wire.UPSERT_COMMIT: "UpsertCommitMutationPayload"},
    "keyResult": {
        wire.KR_ID: "UUID",
        wire.KR_NAME: "String",
        wire.KR_CURRENT: "Float",
        wire.KR_START: "Float",
        wire.KR_TARGET: "Float",
        "status": "CommitStatus",
        wire.KR_LAST_COMMIT: "commit",
    },
    "commit": {
        wire.COMMIT_ID: "UUID",
        wire.COMMIT_VALUE: "Float",
        wire.COMMIT_DATE: "Date",
        wire.COMMIT_STATUS: "CommitStatus",
        "description": "String",
        "createdDate": "DateTime",
        wire.COMMIT_KEY_RESULT: "keyResult",
    },
    "commitConnection": {"pageInfo": "PageInfo", "edges": "[commitEdge]"},
    "commitEdge": {"node": "commit", "cursor": "String"},
    "PageInfo": {
        "hasNextPage": "Boolean",
        "hasPreviousPage": "Boolean",
        "startCursor": "String",
        "endCursor": "String",
    },
    "UpsertCommitMutationPayload": {
        wire.PAYLOAD_COMMIT: "commit",
        wire.PAYLOAD_ERRORS: "[ErrorType]",
        "clientMutationId": "String",
    },
    "ErrorType": {wire.ERROR_FIELD: "String", wire.ERROR_MESSAGES: "[String]"},
    "user": {"id": "UUID", wire.ME_EMAIL: "String", "firstName": "String", "lastName": "String"},
    "company": {"id": "UUID", wire.COMPANY_NAME: "String"},
}
_INPUTS: dict[str, dict[str, str]] = {
    wire.UPSERT_INPUT_TYPE: {
        wire.IN_ID: "ID",
        wire.IN_KEY_RESULT: "ID",
        wire.IN_VALUE: "Float",
        wire.IN_COMMIT_DATE: "Date",
        wire.IN_STATUS: "CommitStatus",
        wire.IN_DESCRIPTION: "String",
        "clientMutationId": "String",
    }
}


def _cursor(index: int) -> str:
    return base64.b64encode(f"arrayconnection:{index}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1]) + 1
    except (ValueError, IndexError):
        raise FieldError(f'Invalid cursor "{cursor}".') from None


class PerdooSandbox(LocalServer):
    """The sandbox server: one company, its key results (from ``seed``) and their commits."""

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        auth_failure: AuthFailure = "http",
        max_page_size: int = 100,
        clock: Callable[[], datetime] | None = None,
        key_results: Sequence[tuple[str, str, float, float]] | None = None,
    ) -> None:
        """``key_results`` (uuid, name, start value, target value) replace the seeded ones:
        the demo's sandbox holds the key results its config pushes to."""
        super().__init__(host=host, port=port)
        self.faults = Faults()
        self.seed = seed
        self.token = token
        self.auth_failure: AuthFailure = auth_failure
        self.max_page_size = max_page_size
        self.clock = clock or (lambda: datetime.now(UTC))
        self.received: list[RecordedWrite] = []
        self.requests: list[tuple[str, int]] = []
        self._revoked: set[str] = set()
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.company = {"id": self._uuid(), wire.COMPANY_NAME: "Helvetia Health AG"}
        self.user = {
            "id": self._uuid(),
            wire.ME_EMAIL: "okr-bot@helvetia-health.example",
            "firstName": "OKR",
            "lastName": "Bot",
        }
        self.key_results = [KeyResult(self._uuid(), n, s, t) for n, s, t in KEY_RESULTS]
        if key_results is not None:
            self.key_results = [KeyResult(str(uuid.UUID(i)), n, s, t) for i, n, s, t in key_results]
        self.commits: list[Commit] = []

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    # ---- state, for tests -----------------------------------------------------------------

    def revoke(self) -> None:
        """Reject the current token from now on (a revoked API token)."""
        with self._lock:
            self._revoked.add(self.token)

    def key_result(self, key_result_id: str) -> KeyResult | None:
        wanted = key_result_id.lower()
        return next((kr for kr in self.key_results if kr.id == wanted), None)

    def commits_of(self, key_result_id: str) -> list[Commit]:
        """The key result's commits, oldest commit date first (then in creation order)."""
        with self._lock:
            own = [c for c in self.commits if c.key_result == key_result_id.lower()]
        return sorted(own, key=lambda c: (c.day, c.sequence))

    def add_commit(
        self, key_result_id: str, day: date, value: float, *, description: str = "by hand"
    ) -> Commit:
        """A commit someone made in Perdoo itself."""
        with self._lock:
            return self._new_commit(key_result_id.lower(), value, day, "NO_STATUS", description)

    def _new_commit(
        self, key_result: str, value: float, day: date, status: str, description: str
    ) -> Commit:
        commit = Commit(
            self._uuid(),
            key_result,
            value,
            day,
            status,
            description,
            self.clock(),
            len(self.commits),
        )
        self.commits.append(commit)
        return commit

    def current_value(self, kr: KeyResult) -> float:
        commits = self.commits_of(kr.id)
        return commits[-1].value if commits else kr.start

    # ---- GraphQL ----------------------------------------------------------------------------

    def answer(self, body: Json) -> tuple[int, Json, str]:
        """HTTP status, JSON body and operation name for one authenticated POST body."""
        try:
            operation, variables = self._prepare(body)
        except DocumentError as error:
            return 400, {"errors": [{"message": str(error)}]}, "?"
        name = operation.name or "anonymous"
        errors: list[Json] = []
        with self._lock:
            if operation.kind == "mutation":
                self.received.append(RecordedWrite("POST", ENDPOINT, body))
            data = {
                selected.key: self._root(operation.kind, selected, variables, errors)
                for selected in operation.selections
            }
        answer: Json = {"data": data}
        if errors:
            answer = {"errors": errors, "data": data}
        return 200, answer, name

    def _prepare(self, body: Json) -> tuple[Operation, dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise DocumentError("Must provide query string.")
        try:
            operations = parse(body["query"])
        except GraphQLSyntaxError as error:
            raise DocumentError(str(error)) from None
        wanted = body.get("operationName")
        if wanted:
            chosen = [op for op in operations if op.name == wanted]
            if not chosen:
                raise DocumentError(f'Unknown operation named "{wanted}".')
            operation = chosen[0]
        elif len(operations) == 1:
            operation = operations[0]
        else:
            raise DocumentError(
                "Must provide operation name if query contains multiple operations."
            )
        root = "Mutation" if operation.kind == "mutation" else "Query"
        for selected in operation.selections:
            self._validate(root, selected, operation)
        raw = body.get("variables") or {}
        if not isinstance(raw, dict):
            raise DocumentError("Variables are invalid JSON.")
        variables = {}
        for name, (declared, default) in operation.variables.items():
            value = raw.get(name, default)
            variables[name] = _coerce(value, declared, f'Variable "${name}"')
        return operation, variables

    def _validate(self, parent: str, selected: Field, operation: Operation) -> None:
        field_type = _TYPES[parent].get(selected.name)
        if field_type is None:
            raise DocumentError(f'Cannot query field "{selected.name}" on type "{parent}".')
        arguments = _ARGS.get((parent, selected.name), {})
        for argument, value in selected.arguments.items():
            expected = arguments.get(argument)
            if expected is None:
                raise DocumentError(
                    f'Unknown argument "{argument}" on field "{parent}.{selected.name}".'
                )
            if not isinstance(value, Variable):
                where = f'Argument "{argument}"'
                _scalar_or_input(_literal(value, {}), expected.rstrip("!"), where)
            else:
                declared = operation.variables.get(value.name)
                if declared is None:
                    raise DocumentError(f'Variable "${value.name}" is not defined.')
                if not _fits(declared[0], expected):
                    raise DocumentError(
                        f'Variable "${value.name}" of type "{declared[0]}" used in position '
                        f'expecting type "{expected}".'
                    )
        for argument, expected in arguments.items():
            if expected.endswith("!") and argument not in selected.arguments:
                raise DocumentError(
                    f'Field "{selected.name}" argument "{argument}" of type "{expected}" is '
                    "required, but it was not provided."
                )
        named = field_type.strip("[]")
        if named in _SCALARS:
            if selected.selections:
                raise DocumentError(
                    f'Field "{selected.name}" must not have a selection since type '
                    f'"{field_type}" has no subfields.'
                )
            return
        if not selected.selections:
            raise DocumentError(
                f'Field "{selected.name}" of type "{field_type}" must have a selection of '
                "subfields."
            )
        for child in selected.selections:
            self._validate(named, child, operation)

    def _root(
        self, kind: str, selected: Field, variables: dict[str, Any], errors: list[Json]
    ) -> Json:
        parent = "Mutation" if kind == "mutation" else "Query"
        types = _ARGS.get((parent, selected.name), {})
        arguments = {
            name: value
            if value is None or isinstance(raw, Variable)
            else _scalar_or_input(value, types[name].rstrip("!"), f'Argument "{name}"')
            for name, raw in selected.arguments.items()
            for value in [_literal(raw, variables)]
        }
        try:
            if selected.name == wire.KEY_RESULT:
                kr = self.key_result(str(arguments["id"]))
                if kr is None:
                    raise FieldError("keyResult matching query does not exist.")
                value: Json = self._key_result_object(kr)
            elif selected.name == wire.COMMITS:
                value = self._connection(arguments)
            elif selected.name == wire.ME:
                value = self.user
            elif selected.name == wire.COMPANY:
                value = self.company
            else:
                value = self._upsert(arguments["input"])
        except FieldError as error:
            errors.append({"message": str(error), "path": [selected.key]})
            return None
        return _complete(_TYPES[parent][selected.name], value, selected.selections)

    def _key_result_object(self, kr: KeyResult) -> Json:
        commits = [c for c in self.commits if c.key_result == kr.id]
        last = max(commits, key=lambda c: (c.day, c.sequence)) if commits else None
        return {
            wire.KR_ID: kr.id,
            wire.KR_NAME: kr.name,
            wire.KR_CURRENT: last.value if last else kr.start,
            wire.KR_START: kr.start,
            wire.KR_TARGET: kr.target,
            "status": last.status if last else "NO_STATUS",
            wire.KR_LAST_COMMIT: (lambda: self._commit_object(last)) if last else None,
        }

    def _commit_object(self, commit: Commit) -> Json:
        kr = self.key_result(commit.key_result)
        return {
            wire.COMMIT_ID: commit.id,
            wire.COMMIT_VALUE: commit.value,
            wire.COMMIT_DATE: commit.day.isoformat(),
            wire.COMMIT_STATUS: commit.status,
            "description": commit.description,
            "createdDate": commit.created.isoformat(),
            wire.COMMIT_KEY_RESULT: (lambda: self._key_result_object(kr)) if kr else None,
        }

    def _connection(self, arguments: dict[str, Any]) -> Json:
        chosen = [
            c
            for c in self.commits
            if (arguments.get(wire.COMMITS_FROM) is None or c.day >= arguments[wire.COMMITS_FROM])
            and (
                arguments.get(wire.COMMITS_UNTIL) is None or c.day <= arguments[wire.COMMITS_UNTIL]
            )
        ]
        start = _offset(arguments["after"]) if arguments.get("after") else 0
        first = arguments.get("first")
        size = self.max_page_size if first is None else min(int(first), self.max_page_size)
        if size < 0:
            raise FieldError("Argument 'first' must be a non-negative integer.")
        page = chosen[start : start + size]
        edges = [
            {"node": self._commit_object(c), "cursor": _cursor(start + i)}
            for i, c in enumerate(page)
        ]
        return {
            "pageInfo": {
                "hasNextPage": start + len(page) < len(chosen),
                "hasPreviousPage": start > 0,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
            "edges": edges,
        }

    def _upsert(self, given: dict[str, Any]) -> Json:
        """``upsertCommit``: form errors in the payload, never a GraphQL error."""
        problems: list[Json] = []

        def refuse(field: str, message: str) -> None:
            problems.append({wire.ERROR_FIELD: field, wire.ERROR_MESSAGES: [message]})

        existing = None
        if given.get(wire.IN_ID) is not None:
            existing = next((c for c in self.commits if c.id == str(given[wire.IN_ID])), None)
            if existing is None:
                refuse(wire.IN_ID, "Commit matching query does not exist.")
        kr_id = given.get(wire.IN_KEY_RESULT)
        kr = self.key_result(str(kr_id)) if kr_id is not None else None
        if kr_id is None and existing is None:
            refuse(wire.IN_KEY_RESULT, "This field is required.")
        elif kr_id is not None and kr is None:
            refuse(
                wire.IN_KEY_RESULT,
                "Select a valid choice. That choice is not one of the available choices.",
            )
        elif existing is not None and kr is not None and existing.key_result != kr.id:
            refuse(wire.IN_KEY_RESULT, "A commit cannot move to another key result.")
        value = given.get(wire.IN_VALUE)
        if value is None and existing is None:
            refuse(wire.IN_VALUE, "This field is required.")
        elif value is not None and not math.isfinite(value):
            refuse(wire.IN_VALUE, "Enter a number.")
        day = given.get(wire.IN_COMMIT_DATE)
        if day is None and existing is None:
            refuse(wire.IN_COMMIT_DATE, "This field is required.")
        if problems:
            return {wire.PAYLOAD_COMMIT: None, wire.PAYLOAD_ERRORS: problems}
        status = given.get(wire.IN_STATUS) or "NO_STATUS"
        description = given.get(wire.IN_DESCRIPTION) or ""
        if existing is None:
            assert kr is not None and value is not None and day is not None
            commit = self._new_commit(kr.id, float(value), day, status, description)
        else:
            commit = existing
            if value is not None:
                commit.value = float(value)
            if day is not None:
                commit.day = day
            if given.get(wire.IN_STATUS) is not None:
                commit.status = status
            if given.get(wire.IN_DESCRIPTION) is not None:
                commit.description = description
        return {wire.PAYLOAD_COMMIT: self._commit_object(commit), wire.PAYLOAD_ERRORS: []}

    # ---- HTTP -------------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        with self._lock:
            revoked = self.token in self._revoked
        return header == f"{wire.AUTH_SCHEME} {self.token}" and not revoked

    def log(self, operation: str, status: int) -> None:
        with self._lock:
            self.requests.append((operation, status))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler


def _fits(declared: TypeRef, expected: str) -> bool:
    """Whether a variable of type ``declared`` may stand where ``expected`` is asked."""
    non_null = expected.endswith("!")
    base = expected.rstrip("!")
    return declared.of is None and declared.name == base and (declared.non_null or not non_null)


def _coerce(value: Any, declared: TypeRef, where: str) -> Any:
    if value is None:
        if declared.non_null:
            raise DocumentError(f'{where} of non-null type "{declared}" must not be null.')
        return None
    if declared.of is not None:
        items = value if isinstance(value, list) else [value]
        return [_coerce(item, declared.of, where) for item in items]
    return _scalar_or_input(value, str(declared.name), where)


def _scalar_or_input(value: Any, type_name: str, where: str) -> Any:
    shown = json.dumps(value)

    def bad(reason: str) -> DocumentError:
        return DocumentError(f"{where} got invalid value {shown}; {reason}")

    if type_name in _INPUTS:
        if not isinstance(value, dict):
            raise bad(f'Expected type "{type_name}" to be an object.')
        fields = _INPUTS[type_name]
        for key in value:
            if key not in fields:
                raise bad(f'Field "{key}" is not defined by type "{type_name}".')
        return {
            key: None if item is None else _scalar_or_input(item, fields[key], where)
            for key, item in value.items()
        }
    if type_name in ("Float", "Int"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad(f"{type_name} cannot represent non numeric value: {shown}")
        if type_name == "Int" and not float(value).is_integer():
            raise bad(f"Int cannot represent non-integer value: {shown}")
        return int(value) if type_name == "Int" else float(value)
    if type_name in ("String", "ID"):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise bad(f"{type_name} cannot represent a non string value: {shown}")
        return str(value)
    if type_name == "UUID":
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise bad('Expected type "UUID". badly formed hexadecimal UUID string') from None
    if type_name == "Date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise bad(f'Expected type "Date". Invalid isoformat string: {shown}') from None
    if type_name == "CommitStatus":
        name = value.name if isinstance(value, EnumValue) else value
        if name not in COMMIT_STATUSES:
            raise bad(f'Value {shown} does not exist in "CommitStatus" enum.')
        return name
    if type_name == "Boolean":
        if not isinstance(value, bool):
            raise bad(f"Boolean cannot represent a non boolean value: {shown}")
        return value
    raise bad(f'Unknown type "{type_name}".')


def _literal(value: Any, variables: dict[str, Any]) -> Any:
    """An argument's value: a variable's (already coerced) or a literal as Python."""
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, EnumValue):
        return value.name
    if isinstance(value, list):
        return [_literal(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: _literal(item, variables) for key, item in value.items()}
    return value


def _complete(type_name: str, value: Json, selections: tuple[Field, ...]) -> Json:
    """``value`` shaped by the selection (lazy fields are callables)."""
    if callable(value):
        value = value()
    if value is None:
        return None
    if type_name.startswith("["):
        return [_complete(type_name[1:-1], item, selections) for item in value]
    if type_name in _SCALARS:
        return value
    return {
        child.key: _complete(_TYPES[type_name][child.name], value.get(child.name), child.selections)
        for child in selections
    }


_HTML_ERROR = (
    "<!DOCTYPE html><html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
)


class _Handler(ReplyingHandler):
    owner: PerdooSandbox
    protocol_version = "HTTP/1.1"
    server_version = "PerdooSandbox/1.0"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        self._send(405, json.dumps({"errors": [{"message": "Use POST."}]}), "application/json")

    def do_POST(self) -> None:
        sandbox = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.split("?", 1)[0] != ENDPOINT:
            self._send(404, _HTML_ERROR.format(status="404 Not Found"), "text/html")
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        named = body.get("operationName") if isinstance(body, dict) else None
        fault = sandbox.faults.take(f"{ENDPOINT}{named or ''}", "POST")
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status is not None and fault.status != 200:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            sandbox.log("fault", fault.status)
            if fault.status >= 500:
                text = _HTML_ERROR.format(
                    status=f"{fault.status} {HTTPStatus(fault.status).phrase}"
                )
                self._send(fault.status, fault.body or text, "text/html", headers)
                return
            message = fault.message or {429: "Request was throttled."}.get(
                fault.status, HTTPStatus(fault.status).phrase
            )
            payload = fault.body or json.dumps({"errors": [{"message": message}]})
            self._send(fault.status, payload, "application/json", headers)
            return
        if fault is not None and isinstance(fault.body, str):
            sandbox.log("fault", 200)
            self._send(200, fault.body, "text/html")  # a proxy's or a login page
            return
        if not sandbox.authorized(self.headers.get("Authorization")):
            sandbox.log("unauthorized", 401 if sandbox.auth_failure == "http" else 200)
            if sandbox.auth_failure == "http":
                text = json.dumps({"errors": [{"message": "Invalid token."}]})
                self._send(401, text, "application/json", {"WWW-Authenticate": "Bearer"})
            else:
                denied = "You do not have permission to perform this action"
                text = json.dumps({"errors": [{"message": denied, "path": []}], "data": None})
                self._send(200, text, "application/json")
            return
        if body is None:
            self._send(
                400,
                json.dumps({"errors": [{"message": "POST body sent invalid JSON."}]}),
                "application/json",
            )
            return
        status, answer, operation = sandbox.answer(body)
        sandbox.log(operation, status)
        truncate = fault is not None and fault.truncate
        self._send(status, json.dumps(answer), "application/json", truncate=truncate)


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Perdoo GraphQL API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8706)
    parser.add_argument("--seed", type=int, default=20261001)
    args = parser.parse_args(argv)
    sandbox = PerdooSandbox(seed=args.seed, host=args.host, port=args.port)
    url = sandbox.start()
    print(f"Perdoo sandbox on {url}{ENDPOINT} (Bearer {sandbox.token})", flush=True)
    for kr in sandbox.key_results:
        print(f"  key result {kr.id}  {kr.name}", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
