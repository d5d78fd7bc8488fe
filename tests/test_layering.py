"""Imports point one way: corpora <- models <- annotation <- evaluation <- pipelines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["corpora", "models", "annotation", "evaluation", "pipelines"]
# Packages a layer must not import (Prefect only in pipelines; DB not in models). The web
# app lives in annotation/ and must start light: no detectors or ML libraries there; a
# scan composes `models` and `annotation` in pipelines/.
FORBIDDEN = {
    "corpora": {"prefect", "sqlalchemy", "alembic", "fastapi", "sklearn", "torch", "transformers"},
    "models": {"prefect", "sqlalchemy", "alembic", "fastapi"},
    "annotation": {"prefect", "models", "spacy", "sklearn", "torch", "transformers"},
    "evaluation": {"prefect"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


SOURCES = [(layer, path) for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]


@pytest.mark.parametrize(("layer", "path"), SOURCES,
                         ids=[str(p.relative_to(ROOT)) for _, p in SOURCES])
def test_imports_only_downward(layer, path):
    imported = _imports(path)
    rank = LAYERS.index(layer)
    upward = {name for name in imported if name in LAYERS and LAYERS.index(name) > rank}
    assert not upward, f"{path.relative_to(ROOT)} imports a higher layer: {sorted(upward)}"
    banned = imported & FORBIDDEN.get(layer, set())
    assert not banned, f"{path.relative_to(ROOT)} imports {sorted(banned)}"


def test_package_inits_stay_light():
    for layer in LAYERS:
        init = ROOT / layer / "__init__.py"
        heavy = _imports(init) & {"torch", "prefect", "spacy", "sklearn", "transformers", "sqlalchemy"}
        assert not heavy, f"{init} imports {heavy} at import time"
