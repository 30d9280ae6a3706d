"""A dashboard of many KRs draws a sparkline per KR instead of a full chart each."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import LoadedConfig
from syncd.store import Store
from syncd.web import views
from tests.web.helpers import dashboard_app, kr_markup


@pytest.fixture
def page(
    demo_config: LoadedConfig, store: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setattr(views, "INLINE_CHARTS", 5)  # the demo's 20 KRs count as many
    answer = dashboard_app(demo_config, store_path).test_client().get("/")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_many_krs_get_a_sparkline_each_and_no_full_chart(page: str) -> None:
    assert page.count('<svg class="sparkline"') == 20
    assert page.count("<svg") == 20
    assert "pygal" not in page


def test_a_sparkline_draws_the_values_over_the_cycle(page: str) -> None:
    booking = kr_markup(page, "booking-5d")
    # booking-5d (40 % → 70 %) measured 0.43 … 0.55 on one straight line, days 10 to 50 of a
    # cycle of 92 days 1 hour; the box is 520 × 64 with 2 units of margin, spanning 0.40-0.70:
    # x = 240 h / 2209 h × 520 = 56.5 and 1200 / 2209 × 520 = 282.5; y = 62 - share × 60.
    assert '<path d="M56.5 56 L282.5 32" fill="none" stroke="#2563eb"' in booking
    # The target at 0.70 across the cycle, and the pace from 0.40 at the start to 0.70 at the end.
    assert '<path d="M0 2 L520 2" fill="none" stroke="#16a34a"' in booking
    assert '<path d="M0 62 L520 2" fill="none" stroke="#6b7280"' in booking
