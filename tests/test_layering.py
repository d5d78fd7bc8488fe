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


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` except those under `if TYPE_CHECKING:` (never run)."""
    nodes, stack = [], [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                stack.extend(child.orelse)
            else:
                stack.append(child)
    return nodes


def _module_imports(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports when it runs, at the top or in a function."""
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


@pytest.mark.parametrize("layer", ["models", "evaluation"])
def test_no_import_circle(layer):
    """No import circle between the modules of `layer`, even through imports inside
    functions (a lazy import that dodges a circle still couples two modules both ways)."""
    paths = {_module(path): path for name, path in SOURCES if name == layer}
    graph = {name: _module_imports(path, set(paths)) - {name} for name, path in paths.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                circle = trail[trail.index(other):] + [other]
                pytest.fail("import circle: " + " -> ".join(circle))
            if other not in state:
                visit(other, [*trail, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("layer", ["corpora", "models", "annotation", "evaluation"])
def test_settings_are_read_only_at_the_entry_point(layer):
    """The environment is read in pipelines/ (pipelines/settings.py) and passed down:
    no library module reads os.environ or os.getenv."""
    for _, path in (s for s in SOURCES if s[0] == layer):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        reads = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                 and isinstance(node.value, ast.Name) and node.value.id == "os"]
        assert not reads, f"{path.relative_to(ROOT)}:{reads[0]} reads the environment"
