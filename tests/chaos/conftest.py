"""The chaos suite: hostile runs of the real ``syncd`` processes, one table at the end.

Every test here is marked ``chaos`` (``pytest -m chaos`` runs only them; they also run in the
normal ``pytest``/``make test``). Each scenario records the invariants it checked in the
session's table, printed after the run (``pytest_terminal_summary``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.background import BackgroundRun
from tests.chaos.table import Row, Scenario, render

HERE = Path(__file__).parent
ROWS = pytest.StashKey[list[Row]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.chaos)


@pytest.fixture(scope="session", autouse=True)
def _background_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[type[BackgroundRun], BackgroundRun]]:
    """Start the background run (a module's ``RUN``) of every selected chaos test, together."""
    wanted = {
        item.module.RUN
        for item in request.session.items
        if HERE in item.path.parents and hasattr(item.module, "RUN")
    }
    runs = {kind: kind(tmp_path_factory.mktemp(kind.__name__)) for kind in wanted}
    for run in runs.values():
        run.start()
    yield runs
    for run in runs.values():
        run.close()


@pytest.fixture
def background(request: pytest.FixtureRequest, _background_runs) -> BackgroundRun:
    """This module's background run, finished (what it raised is raised here)."""
    run = _background_runs[request.module.RUN]
    run.result()
    return run


def _rows(config: pytest.Config) -> list[Row]:
    return config.stash.setdefault(ROWS, [])


@pytest.fixture
def scenario(request: pytest.FixtureRequest) -> Iterator[Scenario]:
    """The scenario of this test: ``name`` and ``done`` from the test's ``chaos`` arguments."""
    marker = request.node.get_closest_marker("scenario")
    assert marker is not None, "a chaos test names its scenario: @pytest.mark.scenario(...)"
    name, done = marker.args
    current = Scenario(name, done, _rows(request.config))
    yield current
    if not current.finished:
        current.expect("the scenario ran to its end", "it stopped early (see the failure)", False)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    rows = config.stash.get(ROWS, [])
    if not rows:
        return
    terminalreporter.section("chaos: what was done, what had to hold, what was observed")
    for line in render(rows):
        terminalreporter.write_line(line)
