"""Framed copies of corpus ads: the ad inside the words the public record puts around an
offer it quotes (a news lead, a police note, a ruling, a victim's statement).

Real deceptive offers mostly reach Centinela inside such a frame, while the corpus holds
them bare; a detector trained on bare ads reads the frame's words as evidence against
every indicator (`python -m evaluation.framing_check`: the dev split in frames training
never uses, v2's macro-F1 0.899 bare, 0.864 framed). Training adds a framed copy of a
share of the train split's ads, with the same labels and the evidence moved by the
opening's length; the frames (`frames.yaml`) name no indicator. With half the ads framed
the same check gave 0.898 bare, 0.875 framed; with all of them 0.895 and 0.861. A copy
keeps its ad's id with a suffix, so it stays in the writer's batch (`batch_of`) and
out-of-fold splits keep the two together.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from corpora.records import Evidence, LabelledAd
from corpora.yamlload import load_yaml

FRAMES_PATH = Path(__file__).with_name("frames.yaml")
SUFFIX = "~framed"
DEFAULT_SHARE = 0.5


@cache
def load_frames(path: Path = FRAMES_PATH) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per language, the (opening, closing) pairs."""
    data = load_yaml(path.read_text(encoding="utf-8"))
    return {lang: tuple((opening, closing) for opening, closing in pairs)
            for lang, pairs in data.items()}


def framed(ad: LabelledAd, opening: str, closing: str) -> LabelledAd:
    """`ad` inside one frame: same labels, evidence moved to the new text."""
    shift = len(opening)
    text = opening + ad.text + closing
    evidence = {indicator: [Evidence.from_text(text, span.start + shift, span.end + shift)
                            for span in spans]
                for indicator, spans in ad.evidence.items()}
    return ad.model_copy(update={"id": ad.id + SUFFIX, "text": text, "evidence": evidence})


def framed_copies(ads: Sequence[Any], share: float = DEFAULT_SHARE, seed: int = 13
                  ) -> list[LabelledAd]:
    """Framed copies of a seeded `share` of the corpus ads among `ads` (people's
    corrections from the store are left as they are), each in a frame of its language."""
    frames = load_frames()
    rng = random.Random(seed)
    out = []
    for ad in ads:
        if isinstance(ad, LabelledAd) and ad.lang in frames and rng.random() < share:
            out.append(framed(ad, *rng.choice(frames[ad.lang])))
    return out
