"""Model files cannot run code (issue 11, item 6): a skops file is loaded only when every
type it holds is on an explicit allow-list, so a crafted artifact that calls
`builtins.eval` (even with `meta.json` rewritten to match) is refused before anything in it
is built."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from models.artifacts import (
    TRUSTED_SKOPS_TYPES,
    ArtifactError,
    load_artifact,
    load_skops,
    save_artifact,
    save_skops,
)


def _node(value: object, folder: Path) -> dict:
    """The skops schema node of `value`, as `skops.io.dump` writes it."""
    path = folder / "node.skops"
    save_skops(value, path)
    with zipfile.ZipFile(path) as archive:
        node = json.loads(archive.read("schema.json"))
    node.pop("protocol"), node.pop("_skops_version")  # only at the top of a file
    return node


def craft_eval_artifact(root: Path, marker: Path) -> Path:
    """An artifact whose skops file calls builtins.eval on load (the attack of the
    reliability report, P6), with meta.json's hashes recomputed to match."""
    def write(folder: Path) -> None:
        schema = _node({"rules_sha256": "0" * 64, "labels": ["a"]}, root)
        expression = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
        schema["content"]["rules_sha256"] = {
            "__class__": "eval", "__module__": "builtins",
            "__loader__": "ConstructorFromReduceNode",
            "content": _node((expression,), root)}
        schema.update(protocol=2, _skops_version="0.16.0")
        with zipfile.ZipFile(folder / "ensemble.skops", "w") as archive:
            archive.writestr("schema.json", json.dumps(schema))

    return save_artifact(root, "indicators.ensemble", "1", write,
                         training_data_sha256="0" * 64).path


def test_a_crafted_artifact_that_calls_eval_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "payload-ran"
    folder = craft_eval_artifact(tmp_path, marker)
    artifact = load_artifact(folder)  # the hashes match: meta.json alone cannot tell
    with pytest.raises(ArtifactError, match=r"untrusted types \['builtins.eval'\]"):
        load_skops(artifact.file("ensemble.skops"))
    assert not marker.exists()


@pytest.mark.parametrize("name", ["builtins.exec", "builtins.getattr", "builtins.__import__",
                                  "models.artifacts.save_skops", "os.system"])
def test_nothing_but_the_listed_types_is_trusted(name: str) -> None:
    assert name not in TRUSTED_SKOPS_TYPES
    assert all(not t.startswith(("builtins.", "os.", "subprocess."))
               for t in TRUSTED_SKOPS_TYPES)


def test_a_file_that_is_not_skops_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "ensemble.skops"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ArtifactError, match="ensemble.skops: not a readable skops file"):
        load_skops(path)


def test_the_models_types_still_load(tmp_path: Path) -> None:
    from corpora.normalize import fold_text

    path = tmp_path / "f.skops"
    save_skops({"preprocessor": fold_text, "weights": [0.5, 1.0]}, path)
    assert load_skops(path)["preprocessor"] is fold_text
