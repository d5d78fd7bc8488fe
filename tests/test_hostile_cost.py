"""An ad of 1 MB made of symbols costs about what an ordinary ad of 1 MB costs (issue 11,
item 2): spaCy's tokenizer was quadratic in a run of symbols with no spaces (20,000 "!"
took a minute, a 1 MB run would take hours).

Benchmark-style, not a timed test: every ad is assessed in the same worker process, one
after the other, and a hostile ad may take at most `RATIO` times the ordinary one (with a
floor for a fast machine). A hostile ad that overruns is stopped, so the test fails
instead of hanging.
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpora.normalize import MAX_TOKEN_CHARS, break_long_runs

MB = 1_000_000
RATIO = 3.0
FLOOR_SECONDS = 10.0
ORDINARY = ("Se busca cajero para tienda de barrio en Zapopan, turno de mañana, sueldo fijo y "
            "prestaciones de ley. Vaga de garçom em Recife, salário fixo e gorjetas. "
            "Informes al +57 601 555 0123 o en empleo@example.org. ")
HOSTILE = {
    "exclamation marks": "!",
    "emoji": "\U0001F600",
    "dollar signs": "$",
    "double quotes": '"',
    "closing brackets": ")",
    "opening brackets": "(",
    "a word with marks": "pasaje!!!!",
    "emoji between letters": "a\U0001F4B0",
    "one long word": "x",
}


def one_megabyte(unit: str) -> str:
    """`unit` repeated to 1 MB of UTF-8, then a phrase the rules know."""
    return unit * (MB // len(unit.encode("utf-8"))) + " trabajo en el exterior"


def _worker(conn: Connection) -> None:
    """Load the rules detector, then assess each text sent and send back its seconds."""
    from corpora.sources.ads import ad_from_record
    from models.registry import load_detector

    detector = load_detector("indicators.rules.v1")
    conn.send("ready")
    while (text := conn.recv()) is not None:
        ad = ad_from_record({"id": "x", "text": text, "lang": "es"}, normalise=False)
        started = time.perf_counter()
        detector.assess([ad])
        conn.send(time.perf_counter() - started)


@pytest.mark.slow
def test_a_megabyte_of_symbols_costs_no_more_than_a_megabyte_of_words() -> None:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    worker = multiprocessing.get_context("spawn").Process(target=_worker, args=(child,))
    worker.start()
    try:
        assert parent.poll(300) and parent.recv() == "ready"
        parent.send(one_megabyte(ORDINARY))
        assert parent.poll(600)
        ordinary = parent.recv()
        budget = max(RATIO * ordinary, FLOOR_SECONDS)
        for name, unit in HOSTILE.items():
            parent.send(one_megabyte(unit))
            assert parent.poll(budget), (
                f"1 MB of {name} took over {budget:.1f} s (1 MB of ordinary text: "
                f"{ordinary:.1f} s)")
            seconds = parent.recv()
            assert seconds <= budget, f"{name}: {seconds:.1f} s vs {ordinary:.1f} s"
        parent.send(None)
        worker.join(30)
    finally:
        if worker.is_alive():
            worker.kill()
            worker.join()


@given(st.text(alphabet=st.sampled_from("ab1 !$)\U0001F600\n.é"), max_size=400))
def test_breaking_long_runs_keeps_the_length_and_only_adds_spaces(text: str) -> None:
    broken = break_long_runs(text)
    assert len(broken) == len(text)
    assert all(new in (old, " ") for old, new in zip(text, broken, strict=True))
    assert max(map(len, broken.split()), default=0) <= MAX_TOKEN_CHARS


def test_evidence_around_a_long_run_keeps_its_offsets(rules_detector) -> None:
    from corpora.sources.ads import ad_from_record

    text = "!" * 5000 + " Trabajo en el exterior, pasaje pagado " + "\U0001F600" * 3000
    ad = ad_from_record({"id": "x", "text": text, "lang": "es"}, normalise=False)
    (assessment,) = rules_detector.assess([ad])
    spans = [span for hit in assessment.hits for span in hit.evidence]
    assert {span.text for span in spans} >= {"pasaje pagado"}
    assert all(text[span.start:span.end] == span.text for span in spans)
