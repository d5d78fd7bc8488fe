"""How much a frame of news wording costs a detector: the dev split bare and framed.

Every dev ad is scored as written and again inside a frame of the kind the public record
puts around an offer (a prosecutor's note, a police warning, a ruling, a fact-check). The
frames here are not those training uses (`corpora/frames.yaml`), so the framed figure
measures frames the detector never saw. Labels do not change with the frame. Reports
macro-F1, micro recall and precision, and per-indicator recall, bare -> framed. Only the
dev split is used. Run: `python -m evaluation.framing_check --home CENTINELA_HOME [--model NAME]`.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

from corpora.framing import framed
from corpora.records import LabelledAd
from evaluation import metrics as m

# Held out from training: other wording, other sources.
HELD_OUT_FRAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "es": (
        ("Según informó la fiscalía esta semana, el anuncio circulaba en redes sociales. ",
         " La investigación continúa y no se descartan nuevas detenciones."),
        ("Un comunicado de la policía advierte sobre publicaciones que circulan en la región. ",
         " Las autoridades piden denunciar cualquier caso sospechoso."),
        ("La víctima relató ante el juez cómo fue contactada. ",
         " El tribunal condenó a los acusados a ocho años de prisión."),
        ("Un lector nos hizo llegar la captura de pantalla de este texto. ",
         " Intentamos comunicarnos con el autor, sin éxito."),
    ),
    "pt": (
        ("Segundo o Ministério Público, o anúncio circulava nas redes sociais. ",
         " A investigação continua e novas prisões não estão descartadas."),
        ("Um comunicado da polícia alerta para publicações que circulam na região. ",
         " As autoridades pedem que casos suspeitos sejam denunciados."),
        ("A vítima contou ao juiz como foi abordada. ",
         " O tribunal condenou os acusados a oito anos de prisão."),
        ("Um leitor nos enviou a captura de tela deste texto. ",
         " Tentamos contato com o autor, sem sucesso."),
    ),
}


def framed_set(ads: Sequence[LabelledAd], seed: int = 7) -> list[LabelledAd]:
    """Each ad inside one held-out frame of its language (seeded)."""
    rng = random.Random(seed)
    return [framed(ad, *rng.choice(HELD_OUT_FRAMES[ad.lang])) for ad in ads]


def scores(detector, ads: Sequence[LabelledAd], labels: Sequence[str]) -> list[m.Counts]:
    """Per-indicator counts of the detector's hits on `ads`."""
    assessments = detector.assess([ad.to_ad() for ad in ads])
    return m.count_labels(m.label_matrix([ad.indicators for ad in ads], labels),
                          m.predicted_matrix(assessments, labels))


def main() -> None:
    from corpora.corpus import load_corpus, read_splits
    from corpora.taxonomy import load_taxonomy
    from models.registry import load_detector

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="indicators.ensemble.v2")
    parser.add_argument("--home", type=Path, required=True,
                        help="the Centinela home the trained model is registered in")
    args = parser.parse_args()
    dev_ids = set(read_splits().ids["dev"])
    dev = [ad for ad in load_corpus().ads if ad.id in dev_ids]
    labels = load_taxonomy().ids
    detector = load_detector(args.model, home=args.home)
    bare, wrapped = scores(detector, dev, labels), scores(detector, framed_set(dev), labels)
    print(f"{args.model} on the dev split ({len(dev)} ads), bare -> framed")
    for name, value in (("macro-F1", m.macro_f1),
                        ("micro recall", lambda c: m.micro_counts(c).recall),
                        ("micro precision", lambda c: m.micro_counts(c).precision)):
        print(f"  {name:16s} {value(bare):.3f} -> {value(wrapped):.3f}")
    for label, b, w in zip(labels, bare, wrapped, strict=True):
        print(f"  {label:20s} recall {b.recall or 0:.2f} -> {w.recall or 0:.2f}")


if __name__ == "__main__":
    main()
