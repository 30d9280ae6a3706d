"""``syncd plan``: per source, the requests a pass would send, how, and the floor."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from syncd.cli import app
from syncd.cli.common import AsOfOption, ConfigOption, fail, guarded, load, moment, say

LatencyOption = Annotated[
    float,
    typer.Option(
        "--latency",
        metavar="SECONDS",
        help="Seconds one upstream call takes, for the floor",
    ),
]


@app.command()
def plan(
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    latency: LatencyOption = 0.1,
) -> None:
    """Per source: the requests due, the strategy chosen by cost (calls, rows), the
    alternatives, and the floor (max(calls × latency / concurrency, calls / rate)). Asks no
    source anything."""
    if not math.isfinite(latency) or latency < 0:
        fail(f"--latency {latency}: give the seconds one call takes, e.g. --latency 0.08")

    def body() -> None:
        from syncd.sourceplan import plan_sources, render, requests_by_source

        loaded = load(config, read_only=True)
        now = moment(as_of, loaded)
        costs = plan_sources(loaded, requests_by_source(loaded, now), latency=latency)
        for line in render(costs, latency):
            say(line)

    guarded(body)
