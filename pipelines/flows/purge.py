"""The `purge` flow: apply the retention policy (annotation.retention) to the store, as
`centinela purge` does; `centinela schedule` runs it daily (`[retention] schedule`)."""

from __future__ import annotations

from prefect import flow, get_run_logger
from pydantic import SecretStr

from annotation.retention import PURGED_TABLES, Purge, purge
from annotation.store import compact_store, open_store
from pipelines.settings import Settings


@flow(name="purge", persist_result=False)
def purge_flow(db_url: SecretStr | None = None, dry_run: bool = False,
               actor: str = "purge-flow") -> Purge:
    """Redact what the retention policy of the settings file says is due now, in the
    store at `db_url` (default: CENTINELA_DB); then compact the store if anything went.
    Logs counts only."""
    logger = get_run_logger()
    settings = Settings.from_env()
    url = db_url.get_secret_value() if db_url else settings.db_url
    with open_store(url) as store:
        with store.begin() as session:
            done = purge(session, settings.retention, actor=actor, dry_run=dry_run)
        if done.rows.ads:
            compact_store(store, PURGED_TABLES)
    logger.info("Purge%s: %s", " (dry run)" if dry_run else "",
                ", ".join(f"{name} {count}" for name, count in done.as_dict().items()))
    return done
