"""No ad text in Prefect's database or storage after a scan that crashes (issue 11, item 8).

`centinela scan` runs as a user types it, in its own process with its own PREFECT_HOME
(so its temporary Prefect server keeps its database there), with a fault on
the second batch with the ad's text in its message. Afterwards
no file under PREFECT_HOME holds the text: not the database (task and flow states, logs,
events), not its WAL, not the result storage.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotation.store import open_store
from annotation.store.tables import AdRow, ScanRow
from tests.fakes import FAKE_DETECTOR_NAME

SECRET = "Zorzal-7731 retenemos el pasaporte"
# `centinela scan` with the fake detector, and a fault injected where a scan task turns
# ads into entities: it fails on the ad holding SECRET and quotes its text, as a library's
# error can (lingua's UnicodeEncodeError did, in the reliability report).
_SCRIPT = f"""
import sys
import pipelines.flows.scan as flow
from tests.fakes import register_fake_detectors

def failing_prepare_ads(ads, key, prepare=flow.prepare_ads):
    for ad in ads:
        if {SECRET!r} in ad.text:
            raise ValueError("cannot handle " + repr(ad.text))
    return prepare(ads, key)

flow.prepare_ads = failing_prepare_ads
register_fake_detectors()
from pipelines.cli import app
app(sys.argv[1:])
"""


def files_holding(folder: Path, needle: str) -> list[str]:
    """Files under `folder` whose bytes hold `needle` as UTF-8, also inside base64 (how
    Prefect stores pickled results)."""
    raw = needle.encode("utf-8")
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if raw in data or raw in _decoded_base64(data):
            found.append(str(path.relative_to(folder)))
    return found


def _decoded_base64(data: bytes) -> bytes:
    try:
        stored = json.loads(data)
    except ValueError:
        return b""
    if isinstance(stored, dict) and isinstance(stored.get("data"), str):
        try:
            return base64.b64decode(stored["data"])
        except ValueError:
            return b""
    return b""


@pytest.mark.slow
def test_a_crashed_scan_leaves_no_ad_text_in_prefect(tmp_path: Path) -> None:
    prefect_home = tmp_path / "prefect-home"
    source = tmp_path / "ads.jsonl"
    lines = [{"id": "ok-1", "lang": "es", "text": "Cajero para tienda, sueldo fijo."},
             {"id": "bad-2", "lang": "es", "text": f"Trabajo en el exterior, {SECRET}."},
             {"id": "ok-3", "lang": "es", "text": "Mesero con experiencia, turno de noche."}]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    db = tmp_path / "centinela.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(prefect_home), CENTINELA_HOME=str(tmp_path / "home"),
               CENTINELA_DB=f"sqlite:///{db}", PYTHONPATH=str(Path(__file__).parents[1]))
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, "scan", str(source), "--model", FAKE_DETECTOR_NAME,
         "--batch-size", "1"],
        env=env, capture_output=True, text=True, timeout=600)

    assert result.returncode != 0  # the scan did crash
    assert (prefect_home / "prefect.db").is_file()  # and Prefect did record it
    assert files_holding(prefect_home, SECRET) == []
    assert files_holding(prefect_home, "retenemos") == []
    assert SECRET not in result.stdout + result.stderr
    assert "bad-2" in result.stderr or "ads.jsonl:2" in result.stderr  # where, not what
    with open_store(f"sqlite:///{db}") as store, store.begin() as session:
        assert session.get(AdRow, "ok-1") is not None  # the batch before it is kept
        (scan,) = session.query(ScanRow).all()
        assert scan.status == "failed"
