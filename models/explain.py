"""One sentence per indicator in the ad's language, quoting the evidence."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from corpora.records import IndicatorHit, Lang
from corpora.taxonomy import Taxonomy
from corpora.yamlload import load_yaml

EXPLANATIONS_PATH = Path(__file__).with_name("explanations.yaml")
_MAX_QUOTE = 80


@cache
def _templates() -> dict:
    return load_yaml(EXPLANATIONS_PATH.read_text(encoding="utf-8"))


def explain_hits(hits: list[IndicatorHit], lang: Lang, taxonomy: Taxonomy) -> str:
    """The explanation of an assessment: one sentence per hit, in taxonomy order."""
    templates = _templates()
    if lang == "und":
        return templates["unsupported"]["en"]
    if not hits:
        return templates["no_hits"][lang]
    order = {ind_id: n for n, ind_id in enumerate(taxonomy.ids)}
    sentences = []
    for hit in sorted(hits, key=lambda h: order.get(h.id, len(order))):
        indicator = taxonomy.get(hit.id)
        quote = " … ".join(dict.fromkeys(ev.text for ev in hit.evidence))
        if len(quote) > _MAX_QUOTE:
            quote = quote[: _MAX_QUOTE - 1].rstrip() + "…"
        # A hit with no phrase (a trained model's alone) says so instead of quoting.
        sentences.append(templates["sentence" if quote else "model_only"][lang].format(
            name=indicator.name[lang],
            quote=quote,
            strength=templates["strength_words"][lang][hit.strength],
            hint=indicator.ictip[0].label,
        ))
    return " ".join(sentences)
