"""The dashboard blueprint: HTML pages and the JSON API over one :class:`DashboardData`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from syncd.errors import StoreError
from syncd.logs import scrub
from syncd.observe.scrape import bearer_matches
from syncd.render import format_value
from syncd.web import api
from syncd.web.charts import history_chart
from syncd.web.data import DashboardData, KRView
from syncd.web.present import kr_card, local_time, objective_label, score_text, source_summary

UNAUTHORIZED = 401
UNAVAILABLE = 503


def dashboard_blueprint(
    source: Callable[[], DashboardData], *, token: str | None = None
) -> Blueprint:
    """The dashboard's routes; ``source`` is called once per request for fresh data.

    With ``token``, every route (static files included) answers 401 unless the request
    carries ``Authorization: Bearer <token>`` (compared in constant time).
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

    @blueprint.before_request
    def authorize() -> Response | None:
        if token is not None and not bearer_matches(request.headers.get("Authorization"), token):
            return Response(
                "unauthorized\n",
                status=UNAUTHORIZED,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="syncd"'},
            )
        return None

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

    @blueprint.get("/")
    def index() -> str:
        data = source()
        cards = {kr_id: kr_card(view, data.now) for kr_id, view in data.key_results.items()}
        charts = {kr_id: history_chart(view, data.tz) for kr_id, view in data.key_results.items()}
        return render_template(
            "syncd_web/dashboard.html",
            data=data,
            cards=cards,
            charts=charts,
            objective_label=objective_label,
            score_text=score_text,
            local_time=local_time,
            source_summary=source_summary,
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
                "source": point.source,
                "revision": point.revision,
            }
            for point in reversed(view.history)
        ]
        return render_template(
            "syncd_web/kr.html",
            data=data,
            view=view,
            card=kr_card(view, data.now),
            chart=history_chart(view, data.tz, "large"),
            rows=rows,
            local_time=local_time,
        )

    @blueprint.get("/api/v1/objectives")
    def objectives_json() -> Response:
        return jsonify(api.objectives_document(source()))

    @blueprint.get("/api/v1/key-results")
    def key_results_json() -> Response:
        return jsonify(api.key_results_document(source()))

    @blueprint.get("/api/v1/key-results/<kr_id>/history")
    def history_json(kr_id: str) -> Response:
        return jsonify(api.history_document(_find(source(), kr_id)))

    @blueprint.get("/api/v1/sources")
    def sources_json() -> Response:
        return jsonify(api.sources_document(source()))

    @blueprint.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[Response | str, int]:
        if request.path.startswith("/api/"):
            return jsonify(error=error.description), 404
        return render_template("syncd_web/error.html", reason=error.description), 404

    return blueprint


def _find(data: DashboardData, kr_id: str) -> KRView:
    view = data.key_results.get(kr_id)
    if view is None:
        abort(404, description=f"no key result {kr_id!r} is configured")
    return view
