"""`centinela detect` run in a fresh Python process, to see what it imports: the saved
models load from arrays, so detection must start without scikit-learn, skops, SciPy,
torch, Prefect or datasets (importing them was most of its start-up)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sklearn", "skops", "scipy", "torch", "prefect", "datasets")

_SCRIPT = (
    "import json, sys\n"
    "from pipelines.cli import app\n"
    "try:\n"
    "    app(['detect', '-', '--model', sys.argv[1]])\n"
    "except SystemExit as exit:\n"
    "    assert not exit.code, exit.code\n"
    f"heavy = set({HEAVY!r}) & {{name.split('.')[0] for name in sys.modules}}\n"
    "print(json.dumps(sorted(heavy)), file=sys.stderr)\n")


@dataclass
class DetectRun:
    record: dict  # the one output line, parsed
    heavy: list[str]  # the heavy packages the process had imported when done


def detect_in_fresh_process(home: Path, model: str, ad: dict) -> DetectRun:
    """`centinela detect - --model MODEL` on one ad, with CENTINELA_HOME=`home` and a
    bare environment; fails the test (with the process's stderr) when detect fails."""
    run = subprocess.run([sys.executable, "-c", _SCRIPT, model], input=json.dumps(ad),
                         text=True, capture_output=True, cwd=ROOT, check=False,
                         env={"PATH": "/usr/bin:/bin", "CENTINELA_HOME": str(home)})
    assert run.returncode == 0, (model, run.stderr[-2000:])
    return DetectRun(json.loads(run.stdout), json.loads(run.stderr.strip().splitlines()[-1]))
