"""Commands about the configuration and the store: ``validate``, ``schema``, ``db upgrade``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from syncd.cli import app, db_app
from syncd.cli.common import ConfigOption, err, guarded, load, out, say


@app.command()
def validate(
    path: Annotated[
        Path | None,
        typer.Argument(metavar="[PATH]", help="Config file or directory", show_default=False),
    ] = None,
    config: ConfigOption = None,
    secrets: Annotated[
        bool,
        typer.Option(
            "--secrets",
            help="Also read every secret reference, as sync does (default: check their syntax)",
        ),
    ] = False,
) -> None:
    """Check a configuration: every error with file, line, key and a hint; hygiene warnings."""

    def body() -> None:
        from syncd.config import require_key_results
        from syncd.session import load as load_config

        loaded = load_config(path or config, read_secrets=secrets)
        require_key_results(loaded)
        for warning in loaded.warnings:
            say(warning.render(), err, style="yellow")
        count = len(loaded.config.key_results())
        out.print(
            f"[green]valid:[/] {len(loaded.files)} file(s), {len(loaded.config.objectives)} "
            f"objectives, {count} key results, {len(loaded.warnings)} warning(s)",
            highlight=False,
        )
        if not secrets:
            out.print("[dim]secret references: syntax checked; --secrets reads them[/]")

    guarded(body)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the configuration language (for editors)."""
    from syncd.config import config_schema

    sys.stdout.write(json.dumps(config_schema(), indent=2) + "\n")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the store's migrations up to the newest (also done on every start)."""

    def body() -> None:
        from syncd.store import Store

        loaded = load(config, read_only=True)
        store = Store.open(loaded.config.store.get_secret_value(), upgrade=False)
        try:
            revision = store.upgrade()
        finally:
            store.close()
        say(f"store at revision {revision}", style="green")

    guarded(body)
