"""OKR hygiene (DESIGN §1): habits worth pointing out, as warnings that never block loading."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from syncd.config.models import Config, KeyResult, Objective
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.errors import ConfigIssue

MAX_OBJECTIVES = 3
LOUD_OBJECTIVES = 5
MIN_KRS = 2
MAX_KRS = 4
BINARY_UNITS = frozenset({"boolean", "bool", "binary", "yes-no", "yes/no", "yesno", "done"})
SHARE_UNITS = frozenset({"share", "percent", "%", "ratio", "fraction", "rate", "probability"})


@dataclass(frozen=True)
class HygieneWarning:
    """A hygiene finding, located like a :class:`~syncd.errors.ConfigIssue`."""

    message: str
    path: KeyPath
    file: str | None
    line: int | None
    loud: bool = False

    def render(self) -> str:
        """``warning: file:line: key.path: message`` — the one-line shape of config errors."""
        issue = ConfigIssue(self.message, path=self.path, file=self.file, line=self.line)
        return f"warning: {issue.render()}"


def hygiene_warnings(config: Config, positions: SourceMap) -> list[HygieneWarning]:
    """Every hygiene finding of a valid config, in config order."""

    def warn(message: str, path: KeyPath, *, loud: bool = False) -> HygieneWarning:
        where = positions.nearest(path)
        return HygieneWarning(
            message, path, where.file if where else None, where.line if where else None, loud
        )

    warnings = _too_many_objectives(config, warn)
    for index, objective in enumerate(config.objectives):
        path: KeyPath = ("objectives", index)
        warnings.extend(_objective_warnings(objective, path, warn))
        for kr_index, kr in enumerate(objective.key_results):
            warnings.extend(_kr_warnings(kr, (*path, "key_results", kr_index), warn))
    return warnings


def _too_many_objectives(config: Config, warn: _Warn) -> list[HygieneWarning]:
    by_team: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, objective in enumerate(config.objectives):
        by_team[(objective.team, objective.cycle)].append(index)
    warnings = []
    for (team, cycle), indexes in by_team.items():
        count = len(indexes)
        if count > MAX_OBJECTIVES:
            loud = count > LOUD_OBJECTIVES
            warnings.append(
                warn(
                    f"team {team!r} has {count} objectives in cycle {cycle!r}"
                    + ("; that many cannot all be focus" if loud else "")
                    + f": keep it to {MAX_OBJECTIVES} or fewer",
                    ("objectives", indexes[MAX_OBJECTIVES]),
                    loud=loud,
                )
            )
    return warnings


def _objective_warnings(objective: Objective, path: KeyPath, warn: _Warn) -> list[HygieneWarning]:
    warnings = []
    count = len(objective.key_results)
    if count < MIN_KRS or count > MAX_KRS:
        warnings.append(
            warn(
                f"objective {objective.id!r} has {count} key result{'s' if count != 1 else ''}; "
                f"{MIN_KRS} to {MAX_KRS} keep it measurable and focused",
                path,
            )
        )
    focuses = {kr.focus for kr in objective.key_results}
    lacking = [focus for focus in ("user", "business") if focus not in focuses]
    if lacking:
        warnings.append(
            warn(
                f"objective {objective.id!r} has no {' and no '.join(lacking)} key result; a "
                "balanced objective proves both the customer outcome and the business effect",
                path,
            )
        )
    return warnings


def _kr_warnings(kr: KeyResult, path: KeyPath, warn: _Warn) -> list[HygieneWarning]:
    warnings = []
    if _is_binary(kr):
        warnings.append(
            warn(
                f"key result {kr.id!r} is binary (done or not): measure the outcome the task "
                "should move instead",
                path,
            )
        )
    if kr.metric is None:
        warnings.append(
            warn(
                f"key result {kr.id!r} has no metric binding: values only by check-in",
                path,
            )
        )
    return warnings


def _is_binary(kr: KeyResult) -> bool:
    unit = (kr.unit or "").strip().lower()
    if unit in BINARY_UNITS:
        return True
    if unit in SHARE_UNITS or kr.baseline is None or kr.target is None:
        return False
    return {kr.baseline, kr.target} == {0.0, 1.0}


class _Warn(Protocol):
    """The shape of the ``warn`` helper handed to each rule."""

    def __call__(self, message: str, path: KeyPath, *, loud: bool = False) -> HygieneWarning: ...
