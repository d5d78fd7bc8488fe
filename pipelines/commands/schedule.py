"""`centinela schedule`: serve one Prefect deployment per scheduled source, each on its cron."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import Settings


def schedule(
    sources: Annotated[Path, typer.Argument(
        metavar="SOURCES_FILE", show_default=False,
        help="The sources file (sources.toml); every enabled source with a `schedule` "
             "(cron) gets a deployment.")],
    only: Annotated[str | None, typer.Option(
        "--only", metavar="NAME", help="Serve only this source's schedule.")] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="At most this many scans at once (default: no limit).")] = None,
) -> None:
    """Scan each source of a sources file on its own cron, until stopped (Ctrl-C).

    Serves one Prefect deployment of the `scan-sources` flow per scheduled source (named
    after the source), with Prefect `serve`: each run scans that source into CENTINELA_DB
    with CENTINELA_MODEL, as `centinela scan --sources FILE --only NAME` would, and its
    counts are in the Prefect logs and UI. The `purge` flow runs daily too (`[retention]
    schedule` of the settings file), as `centinela purge` would. With PREFECT_API_URL set, that Prefect server
    is used; without it, a local one is started on 127.0.0.1 (its UI address is printed)
    and stopped with the command. Run it under systemd to keep it up (see the README).
    """
    from prefect import serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from corpora.sources.config import SourcesFileError, load_sources_file
    from pipelines.prefect_env import PrefectServerError, local_prefect_server
    from pipelines.schedules import build_deployments, purge_deployment
    from pipelines.settings import SettingsError

    settings = Settings.from_env()
    try:
        sources_file = load_sources_file(sources, allow_loopback=settings.allow_loopback)
        deployments = [*build_deployments(sources_file, only),
                       purge_deployment(settings.retention.schedule)]
    except (SourcesFileError, SettingsError, ValueError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    for deployment in deployments:
        typer.echo(f"Schedule: {deployment.name} at '{deployment.schedules[0].schedule.cron}'")
    if PREFECT_API_URL.value():
        serve(*deployments, limit=limit, pause_on_shutdown=False)
        return
    try:
        with local_prefect_server() as api_url, \
                temporary_settings({PREFECT_API_URL: api_url}):
            typer.echo(f"Prefect server (and UI) on {api_url.removesuffix('/api')}")
            serve(*deployments, limit=limit, pause_on_shutdown=False)
    except PrefectServerError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
