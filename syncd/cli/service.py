"""Long-running commands: ``run`` (the service), ``serve`` (the dashboard) and ``demo``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from syncd.cli import app
from syncd.cli.common import (
    AsOfOption,
    ConfigOption,
    err,
    fail,
    guarded,
    load,
    out,
    parse_listen,
    parse_moment,
    say,
    url_host,
)

DASHBOARD_LISTEN = "127.0.0.1:9466"


@app.command()
def serve(
    config: ConfigOption = None,
    listen: Annotated[
        str, typer.Option(metavar="HOST:PORT", help="Where to listen, e.g. 127.0.0.1:9466")
    ] = DASHBOARD_LISTEN,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="SYNCD_DASHBOARD_TOKEN",
            metavar="TOKEN",
            help="Bearer token every request needs",
            show_default=False,
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Serve a non-loopback address without a token (behind an authenticating proxy)",
        ),
    ] = False,
) -> None:
    """Serve the read-only dashboard, its JSON API (/api/v1/) and /livez until Ctrl-C."""
    from syncd.exposure import exposed_without_token, is_loopback

    host, port = parse_listen(listen)
    if not token and not insecure and not is_loopback(host):
        fail(
            "--listen "
            + exposed_without_token(
                listen,
                serves="the dashboard and the API",
                token_option="--token (SYNCD_DASHBOARD_TOKEN)",
                opt_out="--insecure",
            )
        )

    def body() -> None:
        from syncd.observe import StatusServer
        from syncd.observe.probes import probes_blueprint
        from syncd.session import opened_store
        from syncd.store import Store
        from syncd.web import create_dashboard_app

        loaded = load(config, read_only=True)
        with opened_store(loaded):
            pass  # migrated and reachable before we say where to look
        web = create_dashboard_app(
            loaded, lambda: Store.open(loaded.config.store.get_secret_value()), token=token
        )
        web.register_blueprint(probes_blueprint(live=[], ready=[]))
        server = StatusServer(web, host=host, port=port)
        try:
            server.start()
        except OSError as exc:
            fail(
                f"--listen {listen}: cannot listen there: {exc.strerror or exc}",
                hint="is another syncd serve, run or demo using it? choose another port",
            )
        say(f"dashboard: http://{url_host(host)}:{server.port}/  (probe: /livez)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()

    guarded(body)


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run the service: measure every KR on its schedule until SIGTERM (systemd: Type=notify).

    SIGHUP reloads the config (an invalid one is reported; the old one keeps running).
    """

    def body() -> int:
        from syncd.daemon.service import Daemon

        daemon = Daemon(config)
        daemon.on_ready = lambda line: say(line)
        return daemon.serve()

    raise typer.Exit(guarded(body))


@app.command()
def demo(
    once: Annotated[
        bool, typer.Option("--once", help="One backfill and sync pass, then exit")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", metavar="PATH", help="Demo config (default: config/demo.yaml)"
        ),
    ] = None,
    as_of: AsOfOption = None,
    port: Annotated[
        int,
        typer.Option(
            metavar="PORT",
            min=0,
            max=65535,
            help="Dashboard port; a free one is taken when it is busy (0: any free port)",
        ),
    ] = 9466,
) -> None:
    """Try syncd with no credentials: sample data, a SQLite store, the cycle backfilled."""
    when = parse_moment(as_of)

    def body() -> None:
        from syncd.demo.runner import run_demo

        run_demo(config, once=once, as_of=when, console=out, err=err, port=port)

    guarded(body)
