"""`centinela clusters list|show`: ads linked by a shared contact or a re-posted text."""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipelines.settings import Settings

if TYPE_CHECKING:
    from annotation.store.clusters import ClusterMember, ClusterSummary, SharedContact

clusters_app = typer.Typer(
    help="Clusters of ads linked by a shared contact (phone, e-mail, handle; compared by "
         "HMAC pseudonym) or a near-duplicate text, as scans build them.",
    no_args_is_help=True)

_DB_HELP = "SQLAlchemy URL of the store (default: CENTINELA_DB, else centinela.db in your data folder)."


class Format(str, Enum):
    table = "table"
    jsonl = "jsonl"


@clusters_app.command("list")
def list_command(
    min_size: Annotated[int, typer.Option("--min-size", min=2, help="Smallest cluster shown.")] = 2,
    limit: Annotated[int, typer.Option(min=1, help="How many clusters, largest first.")] = 50,
    output: Annotated[Format, typer.Option("--format", help="table, or jsonl: one cluster per "
                                           "line with its ad_ids.")] = Format.table,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help=_DB_HELP)] = None,
) -> None:
    """List clusters, largest first, then most recently seen: size, distinct contacts,
    first and last seen, countries and sources."""
    from annotation.store import open_store
    from annotation.store.clusters import list_clusters, load_cluster

    with open_store(db or Settings.from_env().db_url) as store, store.begin() as session:
        clusters = list_clusters(session, min_size=min_size, limit=limit)
        if output is Format.jsonl:
            for cluster in clusters:
                found = load_cluster(session, cluster.id)
                typer.echo(json.dumps(_cluster_json(cluster, found[1] if found else [])))
            return
    _print_clusters(clusters)


@clusters_app.command("show")
def show_command(
    cluster_id: Annotated[int, typer.Argument(metavar="ID", help="Cluster id (from `list`).")],
    output: Annotated[Format, typer.Option("--format", help="table, or jsonl: the cluster on "
                                           "one line, then one line per ad.")] = Format.table,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help=_DB_HELP)] = None,
) -> None:
    """Show one cluster: its ads (source, country, when seen, the ad each re-posts, highest
    risk and score) and the contacts they share, by pseudonym, never in clear."""
    from annotation.store import open_store
    from annotation.store.clusters import list_cluster_members, list_shared_contacts, load_cluster

    with open_store(db or Settings.from_env().db_url) as store, store.begin() as session:
        found = load_cluster(session, cluster_id)
        if found is None:
            typer.echo(f"Error: no cluster {cluster_id}", err=True)
            raise typer.Exit(1)
        cluster, ad_ids = found
        members = list_cluster_members(session, ad_ids)
        shared = list_shared_contacts(session, cluster.id)
    if output is Format.jsonl:
        typer.echo(json.dumps(_cluster_json(cluster, ad_ids)))
        for member in members:
            typer.echo(json.dumps({**vars(member), "linked_at": member.linked_at.isoformat()}))
        return
    _print_cluster(cluster, members, shared, cluster_id)


def _cluster_json(cluster: ClusterSummary, ad_ids: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = dict(vars(cluster))
    data.update(first_seen=data["first_seen"].isoformat(),
                last_seen=data["last_seen"].isoformat(), countries=list(data["countries"]),
                sources=list(data["sources"]), ad_ids=ad_ids)
    return data


def _print_clusters(clusters: list[ClusterSummary]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if not clusters:
        Console().print("No cluster yet: scans link ads that share a contact or a text.")
        return
    table = Table(title="Clusters", title_justify="left")
    for name, justify in (("id", "right"), ("ads", "right"), ("contacts", "right"),
                          ("first seen", "left"), ("last seen", "left"),
                          ("countries", "left"), ("sources", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for c in clusters:
        table.add_row(str(c.id), str(c.size), str(c.contacts), f"{c.first_seen:%Y-%m-%d %H:%M}",
                      f"{c.last_seen:%Y-%m-%d %H:%M}", Text(", ".join(c.countries) or "-"),
                      Text(", ".join(c.sources)))
    Console().print(table)


def _print_cluster(cluster: ClusterSummary, members: list[ClusterMember],
                   shared: list[SharedContact], asked: int) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    merged = f" (cluster {asked} was merged into it)" if asked != cluster.id else ""
    console.print(Text.assemble(
        (f"Cluster {cluster.id}", "bold"), merged,
        f": {cluster.size} ads, {cluster.contacts} contacts, seen "
        f"{cluster.first_seen:%Y-%m-%d} to {cluster.last_seen:%Y-%m-%d}"))
    ads = Table(title="Ads", title_justify="left")
    for name in ("ad id", "source", "country", "seen", "re-posts", "risk hint", "score"):
        ads.add_column(name, overflow="fold")
    for m in members:
        ads.add_row(Text(m.ad_id), Text(m.source), m.country or "-", f"{m.linked_at:%Y-%m-%d %H:%M}",
                    Text(m.duplicate_of or "-"), m.risk or "-",
                    "-" if m.score is None else f"{m.score:.2f}")
    console.print(ads)
    if shared:
        contacts = Table(title="Shared contacts (HMAC pseudonyms)", title_justify="left")
        contacts.add_column("kind")
        contacts.add_column("pseudonym")
        contacts.add_column("ads", justify="right")
        for contact in shared:
            contacts.add_row(contact.kind, contact.pseudonym[:16], str(contact.ads))
        console.print(contacts)
