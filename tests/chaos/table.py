"""The chaos run's table: one row per scenario and invariant, with what was observed.

A scenario records every invariant it checks (``expect``) before asserting any of them, so the
summary shows the whole picture even when one breaks; :meth:`Scenario.verdict` then fails the
test with every broken invariant.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    """One checked invariant of one scenario."""

    scenario: str
    done: str
    invariant: str
    observed: str
    held: bool


@dataclass
class Scenario:
    """The rows of one scenario, shared with the session's table."""

    name: str
    done: str
    rows: list[Row]
    finished: bool = False
    _mine: list[Row] = field(default_factory=list)

    def expect(self, invariant: str, observed: object, held: bool) -> bool:
        """Record whether ``invariant`` held, with what was observed; returns ``held``."""
        row = Row(self.name, self.done, invariant, str(observed), bool(held))
        self.rows.append(row)
        self._mine.append(row)
        return row.held

    def verdict(self) -> None:
        """Fail with every invariant that did not hold (after all were recorded)."""
        self.finished = True
        broken = [f"{row.invariant}: {row.observed}" for row in self._mine if not row.held]
        assert not broken, f"{self.name}: " + "; ".join(broken)


def render(rows: list[Row], width: int = 100) -> list[str]:
    """The table as text lines: scenario | what was done | invariant | result."""
    header = ("scenario", "invariant", "result")
    cells = [
        (r.scenario, r.invariant, ("held: " if r.held else "BROKEN: ") + r.observed) for r in rows
    ]
    first = max([len(header[0])] + [len(c[0]) for c in cells])
    second = max([len(header[1])] + [len(c[1]) for c in cells])
    lines = [f"{header[0]:<{first}} | {header[1]:<{second}} | {header[2]}"]
    lines.append("-" * min(width, len(lines[0]) + 20))
    done: dict[str, str] = {}
    for row, (scenario, invariant, result) in zip(rows, cells, strict=True):
        done.setdefault(row.scenario, row.done)
        lines.append(f"{scenario:<{first}} | {invariant:<{second}} | {result}")
    lines.append("")
    lines.extend(f"{scenario}: {what}" for scenario, what in done.items())
    return lines
