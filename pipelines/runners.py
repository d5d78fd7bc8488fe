"""Where a scan's detection batches run: in this process (threads), or on a Dask cluster
through prefect-dask, either a local one started for the run or a running scheduler."""

from __future__ import annotations

from typing import Any, Literal

Runner = Literal["local", "dask"]


def task_runner(runner: Runner, address: str | None = None, workers: int = 2) -> Any:
    """The Prefect task runner for `runner` (None: the flow's default thread pool).

    `dask` with an `address` (tcp://scheduler:8786) uses that cluster; without one it
    starts a LocalCluster of `workers` processes (one thread each, no dashboard) for the
    run. Every worker loads the model once and must see the same CENTINELA_HOME.
    """
    if runner == "local":
        return None
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs={
        "n_workers": workers, "threads_per_worker": 1, "processes": True,
        "dashboard_address": None})


def in_flight(runner: Runner, workers: int) -> int:
    """How many batches to keep assessing ahead of storing: enough to keep every worker
    busy, few enough to hold memory flat."""
    return 2 if runner == "local" else 2 * max(workers, 1)
