"""The optional bearer token guards every route, static files included."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from syncd.config import LoadedConfig
from syncd.store import Store
from syncd.web import dashboard_blueprint
from tests.web.helpers import dashboard_app

TOKEN = "dash-token-93b1e7"
ROUTES = [
    "/",
    "/kr/booking-5d",
    "/api/v1/objectives",
    "/api/v1/key-results",
    "/api/v1/key-results/booking-5d/history",
    "/api/v1/sources",
    "/static/dashboard/dashboard.css",
]


@pytest.fixture
def client(demo_config: LoadedConfig, store: Store, store_path: Path) -> FlaskClient:
    return dashboard_app(demo_config, store_path, token=TOKEN).test_client()


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "],
)
def test_without_the_token_every_route_is_401(
    client: FlaskClient, route: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    answer = client.get(route, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="syncd"'
    # Nothing of the OKRs: no title, no value (the sign-in form only echoes the path asked for).
    assert b"book a doctor" not in answer.data
    assert b"onboarding" not in answer.data


@pytest.mark.parametrize("route", ROUTES)
def test_with_the_token_every_route_answers(client: FlaskClient, route: str) -> None:
    answer = client.get(route, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    answer.close()


def test_empty_token_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        dashboard_blueprint(lambda **_: pytest.fail("not called"), token="")
