"""The dashboard blueprint: HTML pages and the JSON API over one :class:`DashboardData`.

``?team=`` and ``?cycle=`` select one team's and one cycle's objectives on every page and API
route, so a filtered view has a stable URL to share.
"""

from __future__ import annotations

from typing import Protocol

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from syncd.errors import StoreError
from syncd.formatting import format_score, format_value
from syncd.logs import scrub
from syncd.lookup import kr_not_found
from syncd.status import STATUS_LABELS
from syncd.web import api
from syncd.web.auth import SESSION_COOKIE, authorized, safe_next, session_value
from syncd.web.charts import history_chart, sparkline
from syncd.web.data import DashboardData, KRView, UnknownFilter
from syncd.web.present import (
    kr_card,
    local_time,
    objective_bar,
    objective_label,
    source_summary,
)

UNAUTHORIZED = 401
UNAVAILABLE = 503
SEE_OTHER = 303
INLINE_CHARTS = 100
"""Up to this many KRs on the page, each gets its full chart; more get a sparkline each (a full
chart costs milliseconds and kilobytes: a thousand would take seconds and megabytes)."""


class DashboardSource(Protocol):
    """Fresh dashboard data (:func:`~syncd.web.data.load_dashboard_data`); ``histories=False``
    for documents that show no chart."""

    def __call__(self, *, histories: bool = True) -> DashboardData: ...


def dashboard_blueprint(source: DashboardSource, *, token: str | None = None) -> Blueprint:
    """The dashboard's routes; ``source`` is called once per request for fresh data.

    With ``token``, every route (static files included) answers 401 unless the request carries
    ``Authorization: Bearer <token>``, Basic auth with the token as password, or the session
    cookie that signing in at ``/login`` sets (see :mod:`syncd.web.auth`).
    """
    if token is not None and not token:
        raise ValueError("dashboard token must not be empty (use None for no token)")
    blueprint = Blueprint(
        "dashboard",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static/dashboard",
    )

    def selected(*, histories: bool = True) -> DashboardData:
        try:
            return source(histories=histories).select(
                team=request.args.get("team") or None, cycle=request.args.get("cycle") or None
            )
        except UnknownFilter as exc:
            abort(404, description=str(exc))

    @blueprint.before_request
    def authorize() -> Response | tuple[str, int, dict[str, str]] | None:
        if request.endpoint in ("dashboard.login", "dashboard.login_form"):
            return None
        if authorized(
            request.headers.get("Authorization"), request.cookies.get(SESSION_COOKIE), token
        ):
            return None
        challenge = {"WWW-Authenticate": 'Bearer realm="syncd"'}
        if request.path.startswith(("/api/", "/static/")):
            return Response("unauthorized\n", UNAUTHORIZED, challenge, mimetype="text/plain")
        page = render_template("syncd_web/login.html", next=request.full_path.rstrip("?"))
        return page, UNAUTHORIZED, challenge

    @blueprint.after_request
    def no_cache(response: Response) -> Response:
        if request.endpoint != "dashboard.static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @blueprint.errorhandler(StoreError)
    def store_down(error: StoreError) -> tuple[Response | str, int]:
        reason = scrub(str(error))
        if request.path.startswith("/api/"):
            return jsonify(error="store unavailable", detail=reason), UNAVAILABLE
        return render_template("syncd_web/error.html", reason=reason), UNAVAILABLE

    @blueprint.get("/login")
    def login_form() -> str:
        return render_template("syncd_web/login.html", next=safe_next(request.args.get("next")))

    @blueprint.post("/login")
    def login() -> BaseResponse | tuple[str, int]:
        target = safe_next(request.form.get("next"))
        given = request.form.get("token", "")
        if token is None:
            return redirect(target, SEE_OTHER)
        if not authorized(f"Bearer {given}", None, token):
            page = render_template("syncd_web/login.html", next=target, failed=True)
            return page, UNAUTHORIZED
        response = redirect(target, SEE_OTHER)
        response.set_cookie(
            SESSION_COOKIE,
            session_value(token),
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            path="/",
        )
        return response

    @blueprint.post("/logout")
    def logout() -> BaseResponse:
        response = redirect(url_for("dashboard.login_form"), SEE_OTHER)
        response.delete_cookie(SESSION_COOKIE, path="/", samesite="Strict", httponly=True)
        return response

    @blueprint.get("/")
    def index() -> str:
        data = selected()
        cards = {kr_id: kr_card(view, data.now) for kr_id, view in data.key_results.items()}
        many = len(data.key_results) > INLINE_CHARTS
        charts = {
            kr_id: sparkline(view, data.now) if many else history_chart(view, data.tz, now=data.now)
            for kr_id, view in data.key_results.items()
        }
        return render_template(
            "syncd_web/dashboard.html",
            data=data,
            cards=cards,
            charts=charts,
            objective_label=objective_label,
            objective_bar=objective_bar,
            score_text=format_score,
            local_time=local_time,
            source_summary=source_summary,
            status_labels=STATUS_LABELS,
            signed_in=token is not None and SESSION_COOKIE in request.cookies,
        )

    @blueprint.get("/kr/<kr_id>")
    def key_result(kr_id: str) -> str:
        data = source()
        view = _find(data, kr_id)
        rows = [
            {
                "window": f"{local_time(point.window_start, data.tz)} → "
                f"{local_time(point.window_end, data.tz)}",
                "value": format_value(point.value, view.progress.unit),
                "collected": local_time(point.collected_at, data.tz),
                "source": "check-in" if point.source == "manual" else point.source,
                "revision": point.revision,
            }
            for point in reversed(view.history)
        ]
        return render_template(
            "syncd_web/kr.html",
            data=data,
            view=view,
            card=kr_card(view, data.now),
            chart=history_chart(view, data.tz, "large", now=data.now),
            rows=rows,
            local_time=local_time,
        )

    @blueprint.get("/api/v1/objectives")
    def objectives_json() -> Response:
        return jsonify(api.objectives_document(selected(histories=False)))

    @blueprint.get("/api/v1/key-results")
    def key_results_json() -> Response:
        return jsonify(api.key_results_document(selected(histories=False)))

    @blueprint.get("/api/v1/key-results/<kr_id>/history")
    def history_json(kr_id: str) -> Response:
        return jsonify(api.history_document(_find(source(), kr_id)))

    @blueprint.get("/api/v1/sources")
    def sources_json() -> Response:
        return jsonify(api.sources_document(source(histories=False)))

    @blueprint.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[Response | str, int]:
        if request.path.startswith("/api/"):
            return jsonify(error=error.description), 404
        return render_template("syncd_web/error.html", reason=error.description), 404

    return blueprint


def _find(data: DashboardData, kr_id: str) -> KRView:
    """A KR of any known cycle, past ones included."""
    view = data.select(cycle=_cycle_of(data, kr_id)).key_results.get(kr_id)
    if view is None:
        abort(404, description=kr_not_found(kr_id))
    return view


def _cycle_of(data: DashboardData, kr_id: str) -> str | None:
    for objective in data.everything:
        if any(kr.id == kr_id for kr in objective.key_results):
            return objective.cycle
    return None
