"""Finding a configured KR by id: one message and one did-you-mean hint for every command."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from syncd.config.models import Config, KeyResult, Objective
from syncd.errors import ConfigError, ConfigIssue


def suggestion(name: str, known: Iterable[str]) -> str:
    """``did you mean 'x'?`` when a known name is close, else where to list them."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else "list them with `syncd status`"


def kr_not_found(kr_id: str) -> str:
    """The one way syncd says a KR id names no configured KR."""
    return f"no key result {kr_id!r} is configured"


def require_krs(config: Config, kr_ids: Iterable[str] | None) -> None:
    """Every id names a configured KR, or a ConfigError with one did-you-mean per unknown id."""
    known = {kr.id for _, kr in config.key_results()}
    unknown = sorted(set(kr_ids or ()) - known)
    if unknown:
        raise ConfigError(
            [ConfigIssue(kr_not_found(kr_id), hint=suggestion(kr_id, known)) for kr_id in unknown]
        )


def find_kr(config: Config, kr_id: str) -> tuple[Objective, KeyResult]:
    """The KR ``kr_id`` with its objective, or a ConfigError with a did-you-mean."""
    require_krs(config, [kr_id])
    return config.key_result(kr_id)
