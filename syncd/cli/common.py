"""What every command shares: consoles, error handling, option types, config and store access.

This module and the command modules import only the standard library, typer and rich at import
time: ``syncd --help`` must not pay for SQLAlchemy, pydantic or a vendor SDK. Each command
imports what it needs inside its body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from syncd.config import LoadedConfig
    from syncd.store import Store

EXIT_PARTIAL, EXIT_CONFIG, EXIT_STORE = 1, 2, 3

out = Console()
err = Console(stderr=True)

T = TypeVar("T")

TIME_EXAMPLES = "e.g. 2026-11-21 or 2026-11-21T06:00"
READ_ONLY_SECRETS = ("store",)
"""Secret sections a read-only command resolves: it talks to the store, never to a source."""


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def say(text: str, console: Console | None = None, *, style: str | None = None) -> None:
    """Print plain text (markup-escaped), never broken mid-line when piped."""
    (console or out).print(escape(text), style=style, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_CONFIG, hint: str | None = None) -> NoReturn:
    """Print ``error: message`` (and an indented hint) to stderr and exit with ``code``."""
    from syncd.logs import scrub

    text = scrub(message) + (f"\n    hint: {scrub(hint)}" if hint else "")
    err.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def guarded(action: Callable[[], T]) -> T:
    """Run a command body, turning syncd's errors into a message and an exit code."""
    from syncd.errors import ConfigError, StoreError, SyncdError
    from syncd.logs import scrub

    try:
        return action()
    except ConfigError as exc:
        for issue in exc.issues:
            text = escape(scrub(issue.render()))
            err.print(f"[red]error:[/] {text}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CONFIG) from None
    except StoreError as exc:
        fail(str(exc), EXIT_STORE)
    except SyncdError as exc:
        fail(str(exc), EXIT_PARTIAL)


# -- option values -------------------------------------------------------------------------------


def parse_moment(text: str | None, option: str = "--as-of") -> datetime | None:
    """ISO 8601 date or date and time, with or without an offset; exit 2 with an example."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not a date or time", hint=f"write it as {TIME_EXAMPLES}")


def parse_day(text: str | None, option: str) -> date | None:
    """An ISO date (``2026-10-01``); exit 2 with an example."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not a date", hint="write it as e.g. 2026-10-01")


_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]*)):(?P<port>\d{1,5})$")


def parse_listen(text: str, option: str = "--listen") -> tuple[str, int]:
    """``host:port`` (``[::1]:9466`` for IPv6; an empty host means 127.0.0.1); port 0–65535,
    0 asking for any free port."""
    match = _LISTEN.match(text.strip())
    port = int(match["port"]) if match else -1
    if match is None or not 0 <= port <= 65535:
        fail(
            f"{option} {text!r} is not HOST:PORT with a port from 0 (any free) to 65535",
            hint="e.g. 127.0.0.1:9466 or [::1]:9466",
        )
    host = match["v6"] or match["host"] or "127.0.0.1"
    return host, port


def url_host(host: str) -> str:
    """``host`` as written in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="PATH",
        help="Config file or directory (default: $SYNCD_CONFIG, ./syncd.yaml, /etc/syncd, …)",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="TIME",
        help=f"Act as if it were this moment ({TIME_EXAMPLES}; config time zone unless an "
        "offset is given)",
        show_default=False,
    ),
]
KrOption = Annotated[
    list[str] | None,
    typer.Option("--kr", metavar="KR", help="Only this KR (repeatable)", show_default=False),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table for people, json for scripts")
]


# -- config, KRs and the store -------------------------------------------------------------------


def load(config: Path | None, *, read_only: bool = False) -> LoadedConfig:
    """The configuration; a read-only command resolves only the store's secrets."""
    from syncd.session import load as load_config

    return load_config(config, read_secrets=READ_ONLY_SECRETS if read_only else True)


def moment(as_of: str | None, loaded: LoadedConfig) -> datetime:
    """``--as-of`` (or now) in the config time zone."""
    from syncd.session import moment as resolve

    return resolve(parse_moment(as_of), loaded)


def suggestion(name: str, known: Iterable[str]) -> str:
    """``did you mean 'x'?`` when a known name is close, else where to list them."""
    from syncd.lookup import suggestion as suggest

    return suggest(name, known)


def check_krs(loaded: LoadedConfig, kr_ids: Iterable[str] | None) -> None:
    """Every id names a configured KR, or a ConfigError with one did-you-mean per unknown id."""
    from syncd.lookup import require_krs

    require_krs(loaded.config, kr_ids)


@contextmanager
def store_for_reading(loaded: LoadedConfig) -> Iterator[Store]:
    """The store for a read-only command; a SQLite store that does not exist yet is an error
    (opening it would create an empty one and show every KR as not started)."""
    from sqlalchemy.engine import make_url

    from syncd.errors import StoreError
    from syncd.session import opened_store

    url = make_url(loaded.config.store.get_secret_value())
    database = url.database or ""
    file_backed = database not in ("", ":memory:") and not database.startswith("file:")
    if url.get_backend_name() == "sqlite" and file_backed and not Path(database).exists():
        raise StoreError(
            f"the store {database} does not exist yet (from `store:` in "
            f"{', '.join(str(f) for f in loaded.files) or 'the config'})\n"
            "    hint: check the path, or measure first: `syncd sync` or `syncd backfill --since "
            "DATE` create it"
        )
    with opened_store(loaded) as store:
        yield store
