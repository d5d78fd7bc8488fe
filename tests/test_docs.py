"""Docs are tested: every command is in the README and has help; every indicator has a
guidelines page."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from corpora.taxonomy import load_taxonomy
from pipelines.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command):
    assert f"centinela {command}" in README, f"README.md does not mention `centinela {command}`"
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0 and len(result.output) > 200


@pytest.mark.parametrize("indicator", load_taxonomy().ids)
def test_every_indicator_has_a_guidelines_page(indicator):
    page = ROOT / "annotation" / "guidelines" / "indicators" / f"{indicator}.md"
    assert page.is_file(), f"no guidelines page for {indicator}"
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# {indicator}")
    assert "[[" in text  # positive examples mark their evidence span


def test_readme_has_exactly_the_two_setup_commands():
    assert "make run" in README and "make test" in README
