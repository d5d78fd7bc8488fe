"""The `centinela` command line: one Typer app over the library (no logic of its own)."""

from __future__ import annotations

import typer

from pipelines.commands.annotate import annotate_app
from pipelines.commands.bench import bench
from pipelines.commands.clusters import clusters_app
from pipelines.commands.corpus import corpus_app
from pipelines.commands.detect import detect
from pipelines.commands.evaluate import evaluate
from pipelines.commands.export import export_app
from pipelines.commands.models import models_app
from pipelines.commands.privacy import erase, purge_command
from pipelines.commands.review import queue_app
from pipelines.commands.scan import scan
from pipelines.commands.schedule import schedule
from pipelines.commands.serve import serve
from pipelines.commands.train import train
from pipelines.commands.users import users_app
from pipelines.commands.wording import wording_app

app = typer.Typer(
    name="centinela",
    help="Find human-trafficking recruitment indicators in Spanish and Portuguese job and "
         "migration ads, explain them, and queue them for human review.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    # A traceback's local variables may hold ad text or a database password.
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """Find human-trafficking recruitment indicators in Spanish and Portuguese job and
    migration ads, explain them, and queue them for human review.

    Settings come from the environment: CENTINELA_DB (SQLAlchemy URL, default a SQLite
    file in your data folder), CENTINELA_HOME, CENTINELA_MODEL, CENTINELA_SECRET.
    """


app.command("detect")(detect)
app.command("bench")(bench)
app.command("scan")(scan)
app.command("schedule")(schedule)
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("serve")(serve)
app.command("erase")(erase)
app.command("purge")(purge_command)
app.add_typer(corpus_app, name="corpus")
app.add_typer(clusters_app, name="clusters")
app.add_typer(users_app, name="users")
app.add_typer(queue_app, name="queue")
app.add_typer(export_app, name="export")
app.add_typer(annotate_app, name="annotate")
app.add_typer(wording_app, name="wording")
app.add_typer(models_app, name="models")


if __name__ == "__main__":
    app()
