"""spaCy, imported without torch.

Importing spaCy imports thinc, and thinc imports torch whenever it is installed (the
transformer extra), which takes seconds, though only thinc's torch layers need it and
Centinela uses spaCy for tokenising and matching only. So the first import of spaCy hides
torch from thinc; torch itself imports as usual afterwards (the transformer detector).
"""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()


def import_spacy():
    """The spaCy module, imported (the first time) without thinc importing torch."""
    with _lock:
        if "spacy" not in sys.modules and "torch" not in sys.modules:
            sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` fails
            try:
                import spacy  # noqa: F401
            finally:
                del sys.modules["torch"]
    import spacy

    return spacy


def blank(lang: str):
    """`spacy.blank(lang)`: a tokenizer-only pipeline."""
    return import_spacy().blank(lang)
