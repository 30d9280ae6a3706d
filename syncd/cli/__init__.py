"""The ``syncd`` command line.

Exit codes: 0 success; 1 some KRs could not be measured (the others were stored); 2 the
configuration or the command line is wrong; 3 the store cannot be used.

Only typer, rich and the standard library load at start: each command imports the rest inside
its body, so ``syncd --help`` stays fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape

from syncd import __version__
from syncd.cli.common import EXIT_CONFIG, err, out

try:  # newer typer ships its own copy of click; its exceptions are the ones raised
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - typer on the real click
    from click import exceptions as click_errors  # type: ignore[no-redef]

app = typer.Typer(
    name="syncd",
    help="Key-result progress from the data: pull metrics, store measurements, see progress.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: real choices and metavars, no <bool> types
)
db_app = typer.Typer(
    help="Manage the measurement store.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(db_app, name="db")


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class LogFormat(StrEnum):
    auto = "auto"
    json = "json"
    console = "console"


def _print_version(value: bool) -> None:
    if value:
        out.print(f"syncd {__version__}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def main_options(
    log_level: Annotated[
        LogLevel,
        typer.Option(case_sensitive=False, envvar="SYNCD_LOG_LEVEL", help="Log events from"),
    ] = LogLevel.warning,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            case_sensitive=False,
            envvar="SYNCD_LOG_FORMAT",
            help="auto: JSON under journald, readable text elsewhere",
        ),
    ] = LogFormat.auto,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """syncd: key-result progress from the data, not from feel."""
    from syncd import logs

    logs.configure(level=log_level.value, fmt=log_format.value)


# Registers the commands on ``app`` and ``db_app``.
from syncd.cli import measure, plan, read, service, setup, sinks  # noqa: E402

__all__ = ["app", "main", "measure", "plan", "read", "service", "setup", "sinks"]


def _usage_error(exc: click_errors.UsageError) -> int:
    """One line for a wrong command line: what is wrong and where to read about it."""
    if isinstance(exc, click_errors.NoArgsIsHelpError):
        out.print(exc.format_message(), highlight=False, markup=False)
        return EXIT_CONFIG
    command = exc.ctx.command_path if exc.ctx is not None else "syncd"
    message = exc.format_message().replace("Value error, ", "")  # typer's pydantic prefix
    err.print(
        f"[bold red]error:[/] {escape(message)}  (see `{command} --help`)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_CONFIG if exc.exit_code == 2 else exc.exit_code


def main() -> None:
    """Console-script entry point."""
    from syncd.paths import restrict_umask

    restrict_umask()  # store, spool, WAL, reports: 0600/0700 outside systemd too
    try:
        code = app(standalone_mode=False)
    except click_errors.UsageError as exc:
        code = _usage_error(exc)
    except typer.Abort:
        err.print("aborted.")
        code = 130
    except click_errors.ClickException as exc:
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}", highlight=False)
        code = exc.exit_code
    sys.exit(code if isinstance(code, int) else 0)
