"""The Tability API v2 calls the sink makes, through :class:`syncd.http.RestClient`.

Error mapping, Retry-After and redaction are the framework's (one table). Reads go through the
sink's :meth:`~syncd.abc.Upstream.call`, a page per call. :attr:`TabilityClient.direct` makes
its calls as they are, for a caller that already holds a call of its own (the sink's guarded
write, which re-reads before a retried POST).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from connectors.tability import wire
from connectors.tability.config import TabilitySinkConfig
from syncd.http import Call, Json, RestClient, bad_body

VENDOR = "Tability"
T = TypeVar("T")


@dataclass(frozen=True)
class Checkin:
    """One check-in as Tability lists it: its id, its day, its score. ``order`` ranks it among
    the same day's check-ins (higher is later)."""

    id: str
    day: date
    score: float
    order: tuple[str, int]


def _as_is(fn: Callable[[], T], *, what: str) -> T:
    return fn()


class TabilityClient:
    """Authenticated access to one workspace, for one sink."""

    def __init__(self, config: TabilitySinkConfig, *, source: str, call: Call) -> None:
        self.source = source
        self.workspace = config.workspace
        token = config.token.get_secret_value()
        options: dict[str, Any] = {
            "base_url": config.base_url,
            "source": source,
            "vendor": VENDOR,
            "headers": {
                wire.AUTH_HEADER: f"{wire.AUTH_SCHEME} {token}",
                "User-Agent": "syncd-tability",
            },
            "timeout": config.timeout_seconds,
            "secrets": [token],
        }
        self.http = RestClient(call=call, **options)
        self.direct = RestClient(call=_as_is, **options)

    def close(self) -> None:
        self.http.close()
        self.direct.close()

    def _path(self, template: str, outcome: str = "") -> str:
        return template.format(workspace=self.workspace, outcome=outcome)

    def whoami(self) -> Json:
        return self.http.get(wire.WHOAMI, what="whoami")

    def workspace_record(self) -> Json:
        return self.http.get(self._path(wire.WORKSPACE), what=f"workspace {self.workspace}")

    def outcome(self, outcome: str) -> Json:
        return self.http.get(self._path(wire.OUTCOME, outcome), what=f"outcome {outcome}")

    def checkins(self, outcome: str, *, direct: bool = False) -> list[Checkin]:
        """Every check-in of ``outcome``, following the pages."""
        client = self.direct if direct else self.http
        what = f"check-ins of outcome {outcome}"
        found: list[Checkin] = []
        for body in client.follow_link_pages(
            self._path(wire.CHECKINS, outcome), what=what, page_param=wire.PAGE_PARAM
        ):
            if not isinstance(body, list):
                raise bad_body(
                    source=self.source, vendor=VENDOR, what=what, problem="no list of check-ins"
                )
            for item in body:
                checkin = self._checkin(item, len(found), what)
                if checkin is not None:
                    found.append(checkin)
        return found

    def add_checkin(self, outcome: str, fields: Mapping[str, Json]) -> Json:
        """POST one check-in, made as it is (see :attr:`direct`); the created check-in."""
        body = {wire.CHECKIN_WRAPPER: dict(fields)} if wire.CHECKIN_WRAPPER else dict(fields)
        what = f"new check-in of outcome {outcome}"
        created = self.direct.post(self._path(wire.CHECKINS, outcome), what=what, json_body=body)
        if not isinstance(created, dict) or not created.get(wire.ID):
            raise bad_body(
                source=self.source, vendor=VENDOR, what=what, problem="no created check-in id"
            )
        return created

    def _checkin(self, item: Json, position: int, what: str) -> Checkin | None:
        """One listed check-in; None for one without a score (a comment-only check-in)."""
        if isinstance(item, dict) and item.get(wire.SCORE) is None:
            return None
        try:
            day = checkin_day(item[wire.CHECKIN_DATE])
            score = float(item[wire.SCORE])
            ident = str(item[wire.ID])
        except (TypeError, KeyError, ValueError):
            raise bad_body(
                source=self.source,
                vendor=VENDOR,
                what=what,
                problem=f"a check-in without id, {wire.CHECKIN_DATE} and {wire.SCORE}",
            ) from None
        # The list is newest first: an earlier position is a later check-in.
        return Checkin(ident, day, score, (str(item.get(wire.CREATED_AT) or ""), -position))


def checkin_day(text: object) -> date:
    """The day of a ``checkin_date`` (``2023-11-16T00:00:00.000Z`` or ``2023-11-16``)."""
    if not isinstance(text, str):
        raise ValueError("not a date")
    return date.fromisoformat(text[:10])
