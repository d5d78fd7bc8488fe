"""`centinela clusters list|show` as a user types them, on a store linked by the tests."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from annotation.linking import link_ads, prepare_ads
from annotation.store import open_store, save_ads
from corpora.records import Ad
from pipelines.cli import app

KEY = b"test-key-0123456789abcdef"


def linked_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    ads = [Ad(id=f"x{n}", lang="es", country="MX", source=source, text=text) for n, (source, text)
           in enumerate([("feed", "Se buscan edecanes, pago diario. WhatsApp 55 5550 0160."),
                         ("pages", "Modelos para eventos en Cancún, llama al 55 5550 0160."),
                         ("feed", "Cajero para tienda, sueldo fijo. Tel 55 5550 0161."),
                         ("feed", "Bodeguero con experiencia. Tel 55 5550 0162.")])]
    with open_store(url) as store, store.begin() as session:
        save_ads(session, ads)
        link_ads(session, prepare_ads(ads, KEY))
    return url


def test_clusters_list_and_show(tmp_path: Path) -> None:
    url = linked_store(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["clusters", "list", "--db", url])
    assert listed.exit_code == 0, listed.output
    assert "feed, pages" in listed.output and "MX" in listed.output

    lines = runner.invoke(app, ["clusters", "list", "--db", url, "--format", "jsonl"])
    [cluster] = [json.loads(line) for line in lines.output.splitlines()]
    assert cluster["ad_ids"] == ["x0", "x1"] and cluster["size"] == 2
    assert cluster["sources"] == ["feed", "pages"] and cluster["contacts"] == 1

    shown = runner.invoke(app, ["clusters", "show", str(cluster["id"]), "--db", url])
    assert shown.exit_code == 0, shown.output
    assert "x0" in shown.output and "x1" in shown.output and "phone" in shown.output
    assert "5550" not in listed.output + shown.output  # contacts never in clear

    missing = runner.invoke(app, ["clusters", "show", "999", "--db", url])
    assert missing.exit_code == 1 and "no cluster 999" in missing.output
    empty = runner.invoke(app, ["clusters", "list", "--db", url, "--min-size", "3"])
    assert empty.exit_code == 0 and "No cluster" in empty.output
