"""YAML read safely, with libyaml's C parser when it is installed (several times faster
than PyYAML's pure-Python one; same results)."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str | bytes) -> Any:
    """`yaml.safe_load`, on the C parser when present."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
