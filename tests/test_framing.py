"""Framed copies of corpus ads for training (corpora/framing.py) and the held-out frames of
the framing check (evaluation/framing_check.py)."""

import pytest

from corpora.corpus import batch_of, load_corpus
from corpora.framing import SUFFIX, framed, framed_copies, load_frames
from corpora.records import Ad
from evaluation.framing_check import HELD_OUT_FRAMES, framed_set


@pytest.fixture(scope="module")
def seed_ads():
    return load_corpus().ads


def test_a_framed_copy_keeps_labels_and_moves_evidence(seed_ads):
    ad = next(a for a in seed_ads if a.lang == "pt" and len(a.evidence) >= 2)
    opening, closing = load_frames()["pt"][0]
    copy = framed(ad, opening, closing)
    assert copy.text == opening + ad.text + closing
    assert copy.id == ad.id + SUFFIX and batch_of(copy.id) == batch_of(ad.id)
    assert (copy.indicators, copy.risk, copy.kind) == (ad.indicators, ad.risk, ad.kind)
    for indicator, spans in ad.evidence.items():
        moved = copy.evidence[indicator]
        assert [s.text for s in moved] == [s.text for s in spans]
        assert all(copy.text[s.start:s.end] == s.text for s in moved)
        assert moved[0].start == spans[0].start + len(opening)


def test_about_half_of_the_corpus_ads_get_a_frame_of_their_language(seed_ads):
    copies = framed_copies(seed_ads)
    assert 0.4 < len(copies) / len(seed_ads) < 0.6
    by_id = {a.id: a for a in seed_ads}
    openings = {lang: {o for o, _ in pairs} for lang, pairs in load_frames().items()}
    for copy in copies[:200]:
        original = by_id[copy.id.removesuffix(SUFFIX)]
        assert any(copy.text.startswith(o) for o in openings[original.lang])
    assert framed_copies(seed_ads) == copies  # seeded


def test_frames_name_no_indicator():
    from models.registry import load_detector

    rules = load_detector("indicators.rules.v3")
    frames = [(lang, text) for source in (load_frames(), HELD_OUT_FRAMES)
              for lang, pairs in source.items() for pair in pairs for text in pair]
    hits = rules.detect_hits([Ad(id=f"f{i}", source="classified", lang=lang, text=text)
                              for i, (lang, text) in enumerate(frames)])
    assert [(text, h) for (_, text), h in zip(frames, hits, strict=True) if h] == []


def test_the_check_frames_are_not_the_training_frames(seed_ads):
    training = {text for pairs in load_frames().values() for pair in pairs for text in pair}
    held_out = {text for pairs in HELD_OUT_FRAMES.values() for pair in pairs for text in pair}
    assert not training & held_out
    dev = seed_ads[:20]
    assert [a.indicators for a in framed_set(dev)] == [a.indicators for a in dev]


def test_framing_check_command_parses_its_options(monkeypatch, capsys) -> None:
    from evaluation.framing_check import main

    monkeypatch.setattr("sys.argv", ["framing_check", "--help"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0 and "--home" in capsys.readouterr().out
