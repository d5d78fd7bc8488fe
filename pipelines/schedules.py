"""Schedules: one Prefect deployment of the `scan-sources` flow per source that has a
`schedule` (cron) in the sources file, and the daily `purge` flow (retention, on the
`[retention] schedule` cron), served by `centinela schedule`.

Prefect's temporary in-process server runs no scheduler, so when no Prefect server is
configured (PREFECT_API_URL) `pipelines.prefect_env.local_prefect_server` starts a full one
on 127.0.0.1 for as long as the schedules are served; it dies with the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corpora.sources.config import SourcesFile


def build_deployments(sources_file: SourcesFile, only: str | None = None) -> list[Any]:
    """A deployment per scheduled source (named after it), running `scan-sources` on that
    source alone. Raises ValueError when no source has a schedule."""
    from pipelines.flows.sources import scan_sources

    scheduled = [source for source in sources_file.select(only) if source.schedule]
    if not scheduled:
        raise ValueError(f"{sources_file.path}: no source has a 'schedule' (a cron line such "
                         "as \"0 */6 * * *\")")
    path = str(Path(sources_file.path).resolve())
    return [scan_sources.to_deployment(
        name=source.name, cron=source.schedule, tags=["centinela", source.kind],
        description=f"Scan the source {source.name!r} of {path}",
        parameters={"sources_path": path, "only": source.name}) for source in scheduled]


def purge_deployment(cron: str) -> Any:
    """The `purge` flow (annotation.retention) on `cron`, named 'purge'."""
    from pipelines.flows.purge import purge_flow

    return purge_flow.to_deployment(
        name="purge", cron=cron, tags=["centinela", "retention"],
        description="Apply the retention policy ([retention] of the settings file)")
