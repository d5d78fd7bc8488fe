"""A damaged corpus gets a clear error, never a quiet subset or a traceback (issue 11, item
12): `evaluate` that scores part of a split says so in the console and the HTML report and
exits 1 unless --allow-missing; `train` names the file, the line and the cause."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import corpora.corpus as corpus_module
from corpora.corpus import SEED_DIR
from evaluation.report import KEYWORD_BASELINE
from pipelines.commands.evaluate import evaluate
from pipelines.commands.train import train


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    root = tmp_path / "seed"
    shutil.copytree(SEED_DIR, root)
    return root


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("COLUMNS", "200")
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("evaluate")(evaluate)
    app.command("train")(train)
    return app


def dev_line(root: Path) -> tuple[Path, int, str]:
    """A line of the corpus holding an ad of the dev split: its file, number and id."""
    dev = set(json.loads((root / "splits.json").read_text(encoding="utf-8"))["dev"])
    for path in sorted((root / "ads").glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if json.loads(line)["id"] in dev:
                return path, number, json.loads(line)["id"]
    raise AssertionError("no dev ad")


def cut_line(path: Path, number: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = lines[number - 1][:40]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_evaluate(cli: typer.Typer, root: Path, tmp_path: Path, *extra: str):
    (tmp_path / "real").mkdir(exist_ok=True)
    return CliRunner().invoke(cli, [
        "evaluate", "--model", KEYWORD_BASELINE, "--no-baselines", "--root", str(root),
        "--out", str(tmp_path / "out"), "--real-ads", str(tmp_path / "real"), *extra],
        terminal_width=200)


def test_evaluate_on_part_of_the_split_says_so_and_fails(cli: typer.Typer, seed_copy: Path,
                                                         tmp_path: Path) -> None:
    path, number, ad_id = dev_line(seed_copy)
    cut_line(path, number)

    result = run_evaluate(cli, seed_copy, tmp_path)
    assert result.exit_code == 1, result.output
    assert "of the dev split were scored" in result.stderr
    assert f"{path.name}:{number}" in result.stderr and ad_id in result.stderr
    assert "--allow-missing" in result.stderr and "Traceback" not in result.output
    (html,) = (tmp_path / "out").glob("evaluation-dev-*.html")
    assert "of the dev split were scored" in html.read_text(encoding="utf-8")

    allowed = run_evaluate(cli, seed_copy, tmp_path, "--allow-missing")
    assert allowed.exit_code == 0, allowed.output
    assert "of the dev split were scored" in allowed.stderr


def test_evaluate_with_a_corpus_file_gone_fails(cli: typer.Typer, seed_copy: Path,
                                                tmp_path: Path) -> None:
    (seed_copy / "ads" / "pt-1.jsonl").unlink()
    result = run_evaluate(cli, seed_copy, tmp_path)
    assert result.exit_code == 1
    assert "pt-1-" in result.stderr and "centinela corpus check" in result.stderr


def test_evaluate_on_a_whole_corpus_is_quiet(cli: typer.Typer, seed_copy: Path,
                                             tmp_path: Path) -> None:
    result = run_evaluate(cli, seed_copy, tmp_path)
    assert result.exit_code == 0, result.output
    assert "were scored" not in result.stderr


@pytest.fixture
def train_on(monkeypatch: pytest.MonkeyPatch):
    """Make `centinela train` read the corpus at a given root."""
    load, read = corpus_module.load_corpus, corpus_module.read_splits

    def use(root: Path) -> None:
        monkeypatch.setattr(corpus_module, "load_corpus", lambda *a, **k: load(root))
        monkeypatch.setattr(corpus_module, "read_splits",
                            lambda *a, **k: read(root / "splits.json"))
    return use


@pytest.mark.parametrize("damage", ["cut line", "empty file", "missing file"])
def test_train_on_a_damaged_corpus_names_the_file_line_and_cause(
        cli: typer.Typer, seed_copy: Path, train_on, damage: str) -> None:
    path = seed_copy / "ads" / "es-1.jsonl"
    if damage == "cut line":
        cut_line(path, 1)
        expected = ["es-1.jsonl:1", "invalid JSON", "es-1-0001"]
    elif damage == "empty file":
        path.write_text("", encoding="utf-8")
        expected = ["files with no ad: es-1.jsonl", "es-1-0001"]
    else:
        path.unlink()
        expected = ["es-1-0001", "centinela corpus check"]
    train_on(seed_copy)

    result = CliRunner().invoke(cli, ["train"], terminal_width=200)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot train:")
    for text in expected:
        assert text in result.stderr
    assert "Traceback" not in result.output and "KeyError" not in result.output


@pytest.mark.parametrize("damage", ["no ads folder", "corrupt splits"])
def test_train_prints_a_corpus_error_as_one_line(cli: typer.Typer, seed_copy: Path,
                                                 train_on, damage: str) -> None:
    if damage == "no ads folder":
        shutil.rmtree(seed_copy / "ads")
    else:
        (seed_copy / "splits.json").write_text('{"train": [', encoding="utf-8")
    train_on(seed_copy)

    result = CliRunner().invoke(cli, ["train"], terminal_width=200)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
