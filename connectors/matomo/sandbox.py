"""A local Matomo Reporting API for tests and the demo: real HTTP, Matomo's wire shapes.

``POST /index.php`` (GET too) with ``module=API&method=…&format=JSON`` and these methods, over
seeded visits (``connectors.matomo.data``) aggregated in the site's time zone:

- ``VisitsSummary.get``: ``{nb_visits, nb_actions, bounce_count, bounce_rate, …}``, ``[]``
  when the period holds no visit; ``nb_uniq_visitors`` for ``period=range`` only when
  ``unique_visitors_range`` (Matomo's ``enable_processing_unique_visitors_range``, off by
  default);
- ``Goals.get`` (``idGoal``): ``{nb_conversions, nb_visits_converted, revenue, conversion_rate}``;
- ``Events.getCategory|getAction|getName`` (``secondaryDimension``, ``label=A>B``): rows
  ``{label, nb_visits, nb_events, nb_events_with_value, sum_event_value, …}``;
- ``Referrers.getReferrerType`` and ``Actions.get`` (for the generic ``report`` measure);
- ``SitesManager.getSiteFromId``, ``API.getMatomoVersion``;
- ``API.getBulkRequest`` (``urls[i]``): a JSON array, one result (or error body) each.

``segment=`` filters visits (``;`` and, ``,`` or; ``==``, ``!=``, ``=@``, ``!@``) on
deviceType, referrerType, visitorType, visitConvertedGoalId and eventCategory/Action/Name.

Errors are ``{"result": "error", "message": …}``: with HTTP 200 when ``version=4``; with 401
(bad token, no access) or 400 (unknown method, bad parameters) when ``version=5``. A token sent
in the URL is refused like Matomo 5's "secure only" tokens. Faults are armed on
``/index.php`` (``sandbox.faults.add("/index.php", status=429, retry_after=1)``; status 500/503
answer an HTML page, ``truncate`` cuts the body, ``latency`` delays it);
``sandbox.raw_values`` replaces every number of the next report answer with a raw text;
``requests_per_minute`` puts a rate-limiting proxy (429 with ``Retry-After``) in front.

Run it in the foreground with ``python -m connectors.matomo.sandbox --port 8705``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from connectors.matomo.data import GOALS, REFERRER_LABELS, Event, VisitRecord, generate
from syncd.testing.sandbox import Faults, LocalServer

ENDPOINT = "/index.php"
VERSION_TEXT = {4: "4.16.1", 5: "5.2.0"}
AUTH_FAILED = (
    "Unable to authenticate with the provided token. It is either invalid, expired or is "
    "required to be sent as a POST parameter."
)
Json = Any


class ApiError(Exception):
    """An error Matomo answers with ``{"result": "error"}``; ``auth`` picks 401 over 400."""

    def __init__(self, message: str, *, auth: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.auth = auth


@dataclass
class RecordedRequest:
    """One request the sandbox received (the token left out)."""

    method: str
    params: dict[str, str]
    token_in_url: bool


# ---- segments ------------------------------------------------------------------------------

_CONDITION = re.compile(r"^([A-Za-z]+)(==|!=|=@|!@)(.*)$")


def _visit_values(visit: VisitRecord, dimension: str) -> list[str]:
    if dimension == "deviceType":
        return [visit.device]
    if dimension == "referrerType":
        return [visit.referrer]
    if dimension == "visitorType":
        return ["returning" if visit.returning else "new"]
    if dimension == "visitConvertedGoalId":
        return [str(goal) for goal, _ in visit.conversions]
    field = {"eventCategory": "category", "eventAction": "action", "eventName": "name"}.get(
        dimension
    )
    if field is None:
        raise ApiError(f"Segment '{dimension}' is not a supported segment.")
    return [getattr(event, field) for event in visit.events]


def segment_filter(definition: str) -> Callable[[VisitRecord], bool]:
    """A predicate on visits for a segment definition (``;`` binds looser than ``,``)."""
    groups: list[list[tuple[str, str, str]]] = []
    for part in definition.split(";"):
        group = []
        for condition in part.split(","):
            match = _CONDITION.match(condition)
            if match is None:
                raise ApiError(f"The segment condition '{condition}' is not valid.")
            dimension, operator, value = match.groups()
            _visit_values_probe(dimension)
            group.append((dimension, operator, unquote(value)))
        groups.append(group)

    def test(visit: VisitRecord, dimension: str, operator: str, value: str) -> bool:
        values = _visit_values(visit, dimension)
        if operator == "==":
            return value in values
        if operator == "!=":
            return value not in values
        if operator == "=@":
            return any(value in v for v in values)
        return not any(value in v for v in values)

    return lambda visit: all(any(test(visit, *c) for c in group) for group in groups)


def _visit_values_probe(dimension: str) -> None:
    """Refuse an unknown dimension even when no visit is looked at."""
    known = (
        "deviceType",
        "referrerType",
        "visitorType",
        "visitConvertedGoalId",
        "eventCategory",
        "eventAction",
        "eventName",
    )
    if dimension not in known:
        raise ApiError(f"Segment '{dimension}' is not a supported segment.")


# ---- reports ---------------------------------------------------------------------------------

_EVENT_FIELDS = {"eventCategory": "category", "eventAction": "action", "eventName": "name"}
_FIRST_LEVEL = {
    "Events.getCategory": ("category", ("eventAction", "eventName"), "eventAction"),
    "Events.getAction": ("action", ("eventName", "eventCategory"), "eventName"),
    "Events.getName": ("name", ("eventAction", "eventCategory"), "eventAction"),
}


def _quotient(a: float, b: float, precision: int) -> float:
    """Matomo's ``Piwik::getQuotientSafe``: 0 for a zero divisor, rounded."""
    return 0 if b == 0 else round(a / b, precision)


def event_row(label: str, items: list[tuple[int, Event]], segment: str) -> Json:
    """One row of an event report: the events ``items`` (visit id, event)."""
    values = [event.value for _, event in items if event.value is not None]
    total = round(sum(values), 3)
    return {
        "label": label,
        "nb_visits": len({visit for visit, _ in items}),
        "nb_events": len(items),
        "nb_events_with_value": len(values),
        "sum_event_value": total,
        "min_event_value": min(values) if values else 0,
        "max_event_value": max(values) if values else 0,
        "avg_event_value": _quotient(total, len(values), 2),
        "segment": segment,
    }


def _grouped(items: list[tuple[int, Event]], field: str) -> dict[str, list[tuple[int, Event]]]:
    groups: dict[str, list[tuple[int, Event]]] = {}
    for item in items:
        groups.setdefault(getattr(item[1], field), []).append(item)
    return groups


class MatomoSandbox(LocalServer):
    """The sandbox server. ``now`` fixes its clock (visits after it do not exist yet);
    ``token`` is the auth token it accepts for ``site_id``."""

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        now: datetime | None = None,
        token: str = "sandbox-matomo-token",
        site_id: int = 1,
        site_name: str = "Helvetia Health",
        site_timezone: str = "Europe/Zurich",
        version: int = 5,
        unique_visitors_range: bool = False,
        requests_per_minute: int | None = None,
        bulk_limit: int = -1,
    ) -> None:
        super().__init__(host=host, port=port)
        if version not in VERSION_TEXT:
            raise ValueError("version is 4 or 5")
        self.fixed_now = now
        self.token = token
        self.site_id = site_id
        self.site_name = site_name
        self.site_timezone = site_timezone
        self.zone = ZoneInfo(site_timezone)
        self.version = version
        self.unique_visitors_range = unique_visitors_range
        self.requests_per_minute = requests_per_minute
        self.bulk_limit = bulk_limit
        self.visits = generate(seed)
        self._starts = [visit.started_at for visit in self.visits]
        self.faults = Faults(match="exact", default_status=500)
        self.raw_values: list[str] = []
        """Value texts the next report answers carry instead of their numbers, as sent."""
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._minute: tuple[float, int] = (float("-inf"), 0)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    # ---- data -------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.fixed_now if self.fixed_now is not None else datetime.now(UTC)

    def local_midnight(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.zone)

    def visits_between(self, first: date, last: date) -> list[VisitRecord]:
        """Visits started on the site's days ``first`` to ``last`` (both included), until now."""
        start = self.local_midnight(first)
        end = min(self.local_midnight(last + timedelta(days=1)), self.now())
        low = bisect.bisect_left(self._starts, start)
        high = bisect.bisect_left(self._starts, end)
        return self.visits[low:high]

    # ---- the API ----------------------------------------------------------------------------

    def take_budget(self) -> float | None:
        """Count a request against the proxy's minute budget; the wait when it is spent."""
        if self.requests_per_minute is None:
            return None
        now = time.monotonic()
        with self._lock:
            opened, used = self._minute
            if now - opened >= 60:
                opened, used = now, 0
            if used >= self.requests_per_minute:
                return max(1.0, 60 - (now - opened))
            self._minute = (opened, used + 1)
        return None

    def answer(self, params: dict[str, str], token: str | None, token_in_url: bool) -> Json:
        """The body of one API request; raises :class:`ApiError` for an error answer."""
        if params.get("module") != "API":
            raise ApiError("The request must name module=API.")
        if token != self.token or token_in_url:
            raise ApiError(AUTH_FAILED, auth=True)
        method = params.get("method", "")
        if method == "API.getBulkRequest":
            return self._bulk(params)
        return self.call(method, params)

    def _bulk(self, params: dict[str, str]) -> Json:
        urls = sorted(
            (int(key[5:-1]), value)
            for key, value in params.items()
            if key.startswith("urls[") and key.endswith("]") and key[5:-1].isdigit()
        )
        if self.bulk_limit > -1 and len(urls) > self.bulk_limit:
            raise ApiError(f"The maximum number of bulk request URLs is {self.bulk_limit}.")
        outer = {k: v for k, v in params.items() if not k.startswith("urls[") and k != "method"}
        results: list[Json] = []
        for _, url in urls:
            inner = {k: v[-1] for k, v in parse_qs(url, keep_blank_values=True).items()}
            try:
                results.append(self.call(inner.get("method", ""), inner | outer | inner))
            except ApiError as error:
                results.append({"result": "error", "message": error.message})
        return results

    def call(self, method: str, params: dict[str, str]) -> Json:
        handlers: dict[str, Callable[[dict[str, str]], Json]] = {
            "VisitsSummary.get": self._visits_summary,
            "Goals.get": self._goals,
            "Events.getCategory": self._events,
            "Events.getAction": self._events,
            "Events.getName": self._events,
            "Referrers.getReferrerType": self._referrer_types,
            "Actions.get": self._actions,
            "SitesManager.getSiteFromId": self._site,
            "API.getMatomoVersion": lambda _: {"value": VERSION_TEXT[self.version]},
        }
        handler = handlers.get(method)
        if handler is None:
            module, _, action = method.partition(".")
            raise ApiError(
                f"The method '{action}' does not exist or is not available in the module "
                f"'\\Piwik\\Plugins\\{module}\\API'."
            )
        body = handler({**params, "method": method})
        if self.raw_values and method not in ("SitesManager.getSiteFromId",):
            body = RawNumbers(body, self.raw_values.pop(0))
        return body

    def _site_visits(self, params: dict[str, str]) -> list[VisitRecord]:
        if params.get("idSite") != str(self.site_id):
            raise ApiError(
                "You can't access this resource as it requires 'view' access for the website "
                f"id = {params.get('idSite')}.",
                auth=True,
            )
        period, text = params.get("period"), params.get("date")
        if not period:
            raise ApiError("Please specify a value for 'period'.")
        if not text:
            raise ApiError("Please specify a value for 'date'.")
        try:
            if period == "range":
                first_text, last_text = text.split(",")
                first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
            elif period == "day":
                first = last = date.fromisoformat(text)
            else:
                raise ApiError(f"The period '{period}' is not supported by this sandbox.")
        except ValueError:
            raise ApiError(f"Date format must be: YYYY-MM-DD. {text}") from None
        if last < first:
            raise ApiError(f"The date range '{text}' ends before it starts.")
        visits = self.visits_between(first, last)
        segment = params.get("segment")
        if segment:
            matches = segment_filter(segment)
            visits = [visit for visit in visits if matches(visit)]
        return visits

    def _unique(self, params: dict[str, str], visits: list[VisitRecord]) -> Json:
        if params.get("period") == "range" and not self.unique_visitors_range:
            return {}
        return {"nb_uniq_visitors": len({visit.visitor for visit in visits})}

    def _visits_summary(self, params: dict[str, str]) -> Json:
        visits = self._site_visits(params)
        if not visits:
            return []
        count = len(visits)
        actions = sum(visit.actions for visit in visits)
        bounces = sum(visit.bounced for visit in visits)
        length = sum(visit.seconds for visit in visits)
        return {
            **self._unique(params, visits),
            "nb_users": 0,
            "nb_visits": count,
            "nb_actions": actions,
            "nb_visits_converted": sum(bool(visit.conversions) for visit in visits),
            "bounce_count": bounces,
            "sum_visit_length": length,
            "max_actions": max(visit.actions for visit in visits),
            "bounce_rate": _quotient(bounces, count, 2),
            "nb_actions_per_visit": _quotient(actions, count, 1),
            "avg_time_on_site": round(length / count),
        }

    def _goals(self, params: dict[str, str]) -> Json:
        visits = self._site_visits(params)
        goal_text = params.get("idGoal")
        goal = None
        if goal_text:
            if not goal_text.isdigit() or int(goal_text) not in GOALS:
                raise ApiError(f"The goal id {goal_text} couldn't be found.")
            goal = int(goal_text)
        if not visits:
            return []
        picked = [
            (visit.id, cents)
            for visit in visits
            for converted, cents in visit.conversions
            if goal is None or converted == goal
        ]
        converted_visits = len({visit for visit, _ in picked})
        return {
            "nb_conversions": len(picked),
            "nb_visits_converted": converted_visits,
            "revenue": sum(cents for _, cents in picked) / 100,
            "conversion_rate": _quotient(converted_visits, len(visits), 4),
        }

    def _events(self, params: dict[str, str]) -> Json:
        visits = self._site_visits(params)
        first_field, secondaries, default = _FIRST_LEVEL[params["method"]]
        secondary = params.get("secondaryDimension") or default
        if secondary not in secondaries:
            raise ApiError(
                f"Secondary dimension '{secondary}' is not valid for the action "
                f"{params['method']}. Valid: {', '.join(secondaries)}."
            )
        items = [(visit.id, event) for visit in visits for event in visit.events]
        label = params.get("label")
        first_dim = next(k for k, v in _EVENT_FIELDS.items() if v == first_field)
        rows = _grouped(items, first_field)
        if not label:
            table = [event_row(k, v, f"{first_dim}=={k}") for k, v in rows.items()]
            table.sort(key=lambda row: (-row["nb_visits"], row["label"]))
            return table[: int(params.get("filter_limit") or 100)]
        parts = [unquote(part) for part in label.split(">")]
        if parts[0] not in rows:
            return []
        if len(parts) == 1:
            return [event_row(parts[0], rows[parts[0]], f"{first_dim}=={parts[0]}")]
        sub = _grouped(rows[parts[0]], _EVENT_FIELDS[secondary])
        if len(parts) > 2 or parts[1] not in sub:
            return []
        return [event_row(parts[1], sub[parts[1]], f"{secondary}=={parts[1]}")]

    def _referrer_types(self, params: dict[str, str]) -> Json:
        visits = self._site_visits(params)
        rows = []
        for code, name in REFERRER_LABELS.items():
            group = [visit for visit in visits if visit.referrer == code]
            if group:
                rows.append(
                    {
                        "label": name,
                        **self._unique(params, group),
                        "nb_visits": len(group),
                        "nb_actions": sum(visit.actions for visit in group),
                        "bounce_count": sum(visit.bounced for visit in group),
                        "nb_visits_converted": sum(bool(visit.conversions) for visit in group),
                        "segment": f"referrerType=={code}",
                    }
                )
        rows.sort(key=lambda row: -row["nb_visits"])
        label = params.get("label")
        return [row for row in rows if row["label"] == unquote(label)] if label else rows

    def _actions(self, params: dict[str, str]) -> Json:
        visits = self._site_visits(params)
        if not visits:
            return []
        return {
            "nb_pageviews": sum(visit.actions for visit in visits),
            "nb_downloads": sum(e.category == "Download" for v in visits for e in v.events),
            "nb_outlinks": 0,
        }

    def _site(self, params: dict[str, str]) -> Json:
        if params.get("idSite") != str(self.site_id):
            raise ApiError(
                "You can't access this resource as it requires 'view' access for the website "
                f"id = {params.get('idSite')}.",
                auth=True,
            )
        return {
            "idsite": str(self.site_id),
            "name": self.site_name,
            "main_url": "https://www.helvetia-health.example",
            "timezone": self.site_timezone,
            "currency": "CHF",
            "type": "website",
        }

    def log(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class RawNumbers:
    """A report answer whose numbers are sent as one raw text (``1e400``, ``NaN``, ``-5``…)."""

    def __init__(self, body: Json, raw: str) -> None:
        self.body = body
        self.raw = raw

    def render(self) -> str:
        token = _json_token(self.raw)
        marker = "\u0000RAW\u0000"

        def swap(value: Json) -> Json:
            if isinstance(value, dict):
                return {k: swap(v) if k != "label" else v for k, v in value.items()}
            if isinstance(value, list):
                return [swap(v) for v in value]
            if isinstance(value, int | float) and not isinstance(value, bool):
                return marker
            return value

        return json.dumps(swap(self.body)).replace(json.dumps(marker), token)


def render(body: Json) -> str:
    """A body as Matomo's JSON (raw values included)."""
    if isinstance(body, RawNumbers):
        return body.render()
    if isinstance(body, list):
        return "[" + ",".join(render(item) for item in body) + "]"
    return json.dumps(body)


def _json_token(raw: str) -> str:
    """``raw`` as a JSON value token: numbers and NaN/Infinity bare, anything else a string."""
    try:
        float(raw)
    except ValueError:
        return json.dumps(raw)
    return raw


_HTML_ERROR = (
    "<!DOCTYPE html><html><head><title>{status}</title></head><body>{status}</body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    owner: MatomoSandbox
    protocol_version = "HTTP/1.1"
    server_version = "MatomoSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length) if length else b"")

    def _serve(self, body: bytes) -> None:
        sandbox = self.owner
        split = urlsplit(self.path)
        url_params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        form = {
            k: v[-1]
            for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
        }
        params = url_params | form
        token_in_url = "token_auth" in url_params
        token = params.pop("token_auth", None)
        sandbox.log(RecordedRequest(self.command, params, token_in_url))
        if split.path not in (ENDPOINT, "/"):
            self._send(404, _HTML_ERROR.format("404 Not Found"), "text/html")
            return
        fault = sandbox.faults.take(ENDPOINT, self.command)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        headers: dict[str, str] = {}
        if fault is not None and fault.status is not None and fault.status != 200:
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            if fault.status >= 500:
                text = _HTML_ERROR.format(
                    status=f"{fault.status} {HTTPStatus(fault.status).phrase}"
                )
                self._send(fault.status, fault.body or text, "text/html", headers)
                return
            message = fault.message or {
                401: AUTH_FAILED,
                403: "You can't access this resource.",
                429: "Too many requests.",
            }.get(fault.status, "Bad request.")
            payload = fault.body or json.dumps({"result": "error", "message": message})
            self._send(fault.status, payload, "application/json", headers)
            return
        if fault is not None and isinstance(fault.body, str):
            self._send(200, fault.body, "text/html")
            return
        wait = sandbox.take_budget()
        if wait is not None:
            headers["Retry-After"] = str(round(wait))
            text = json.dumps({"result": "error", "message": "Too many requests."})
            self._send(429, text, "application/json", headers)
            return
        try:
            answer = render(sandbox.answer(params, token, token_in_url))
            status = 200
        except ApiError as error:
            answer = json.dumps({"result": "error", "message": error.message})
            status = 200 if sandbox.version == 4 else (401 if error.auth else 400)
        truncate = fault is not None and fault.truncate
        self._send(status, answer, "application/json", headers, truncate=truncate)

    def _send(
        self,
        status: int,
        text: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        truncate: bool = False,
    ) -> None:
        data = text.encode()
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if truncate else data)


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Matomo Reporting API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8705)
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--version", type=int, choices=(4, 5), default=5)
    args = parser.parse_args(argv)
    sandbox = MatomoSandbox(seed=args.seed, host=args.host, port=args.port, version=args.version)
    url = sandbox.start()
    print(f"Matomo {args.version} sandbox on {url} (token_auth {sandbox.token})", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
