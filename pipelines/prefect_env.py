"""Prefect settings for flows run in-process from the command line."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager


def local_prefect() -> AbstractContextManager[object]:
    """Prefect settings for a local run: no analytics, and a temporary local server
    unless the user configured one (PREFECT_API_URL)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        temporary_settings,
    )

    updates: dict[object, object] = {
        PREFECT_SERVER_ANALYTICS_ENABLED: os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"]}
    if not PREFECT_API_URL.value():
        updates[PREFECT_SERVER_EPHEMERAL_ENABLED] = True
    return temporary_settings(updates=updates)  # type: ignore[arg-type]
