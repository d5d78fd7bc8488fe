"""`centinela serve`: the review web app on a local port (uvicorn)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from pipelines.commands.database import DB_HELP, masked_url, open_cli_store
from pipelines.settings import Settings


def serve(
    host: Annotated[str, typer.Option(
        help="Address to listen on. Only loopback addresses (127.0.0.1, ::1, localhost) "
             "unless --allow-remote.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8000,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Listen on a non-loopback address. Put it behind an HTTPS "
                               "reverse proxy: sign-in passwords cross the network.")] = False,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)] = None,
) -> None:
    """Serve the review web app: the risk-ordered queue, each ad with its highlighted
    evidence and a decision form, scans, users and the audit log.

    Sign in with an account made by `centinela users add NAME --role ROLE`. The server
    listens on 127.0.0.1:8000 by default, reachable from this machine only.
    """
    import uvicorn

    from annotation.accounts import list_users
    from annotation.web.app import create_app

    if not allow_remote and not _is_loopback(host):
        raise typer.BadParameter(
            f"{host} is not a loopback address; add --allow-remote to listen on it "
            "(behind an HTTPS reverse proxy)", param_hint="--host")
    settings = Settings.from_env()
    db_url = db or settings.db_url
    store = open_cli_store(db_url)
    with store.begin() as session:
        if not list_users(session):
            typer.echo("No user yet: make the first admin with "
                       "`centinela users add NAME --role admin`.", err=True)
    typer.echo(f"Centinela review on http://{host}:{port} (store {masked_url(db_url)})")
    try:
        uvicorn.run(create_app(store, settings.secret.decode("utf-8"),
                               cards_dir=settings.home / "model-cards"), host=host, port=port,
                    proxy_headers=allow_remote, server_header=False, log_level="info")
    finally:
        store.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
