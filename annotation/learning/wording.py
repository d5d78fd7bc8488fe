"""New wording: phrases that recently became frequent in flagged or near-threshold ads and
that no rule covers, so trainers can decide whether they are a new way of saying an
indicator.

The caller chooses, per language, two sets of ads: the **target** (the recent window's
flagged or near-threshold ads) and the **reference** (the same kind of ads from an earlier
window), and passes each ad's **covered spans**: the evidence spans the rules found in it
(computed in `pipelines` with the rules detector; this module loads no model).

Phrases are word n-grams (1 to `max_words` words) inside one sentence, compared folded
(lowercase, no accents). A phrase is reported when:

1. it occurs in at least `min_ads` target ads;
2. no rule covers it: at most `max_covered_share` of its occurrences in target ads (grown
   to their formula, see below) overlap a covered span;
3. it rose: its share of target ads is above its share of reference ads, and the
   log-likelihood ratio G2 of that difference is at least `min_llr`.

**The statistic.** Per phrase, a 2x2 table of ads: target ads with the phrase `a` and
without it `c`, reference ads with it `b` and without it `d`. With each cell's expected
count `E = row total x column total / all ads`, `G2 = 2 * sum(O * ln(O / E))` over the four
cells (Dunning 1993, "Accurate methods for the statistics of surprise and coincidence";
as used to compare corpora by Rayson & Garside 2000). G2 follows a chi-square
distribution with one degree of freedom when the phrase is equally common in both
windows: 10.83 is p = 0.001, 15.13 is p = 0.0001 (the default, since thousands of phrases
are tested at once). Counting ads rather than occurrences keeps one ad repeating a phrase
from looking like a trend.

A phrase is shown grown to the fixed formula it belongs to: word by word, left and right,
for as long as every occurrence has the same neighbouring word in its sentence ("paseos de
sobremesa" inside "se requieren chicas para paseos de sobremesa" every time). Coverage is
judged on the grown formula, so a fragment of a sentence a rule already flags is not new.
A phrase is dropped in favour of a longer reported one that contains it and occurs in as
many target ads (it adds nothing), and phrases that begin or end with a stop word, or hold
no word of three letters or more, are never reported.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from corpora.normalize import fold_text

DEFAULT_MIN_LLR = 15.13  # chi-square, 1 degree of freedom, p = 0.0001
_TOKEN = re.compile(r"\w+")
_BREAK = re.compile(r"[.!?;:\n\r•|()\[\]]")
_EXAMPLES = 5


@dataclass(frozen=True)
class WordingAd:
    """An ad's text and the spans of it the rules already cover (end-exclusive offsets)."""

    ad_id: str
    text: str
    covered: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Occurrence:
    ad_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class NewPhrase:
    """A phrase that rose in the target window and that no rule covers."""

    lang: str
    phrase: str  # folded (lowercase, no accents), grown to its fixed formula
    tested: str  # the n-gram whose counts and G2 these are
    target_ads: int
    reference_ads: int
    target_share: float
    reference_share: float
    llr: float
    covered_share: float
    examples: tuple[Occurrence, ...]  # up to five, for provenance and display

    @property
    def surface(self) -> str:
        """The phrase as most often written in the target ads."""
        return Counter(o.text for o in self.examples).most_common(1)[0][0]


def log_likelihood_ratio(a: int, b: int, n_target: int, n_reference: int) -> float:
    """G2 of `a` of `n_target` ads against `b` of `n_reference` ads (see module doc)."""
    cells = ((a, n_target, a + b), (n_target - a, n_target, n_target + n_reference - a - b),
             (b, n_reference, a + b), (n_reference - b, n_reference,
                                       n_target + n_reference - a - b))
    total = n_target + n_reference
    g2 = 0.0
    for observed, row, column in cells:
        if observed > 0:
            g2 += observed * math.log(observed * total / (row * column))
    return 2.0 * g2


Token = tuple[str, int, int, int]  # folded word, start, end, sentence number


def _tokens(ad: WordingAd) -> list[Token]:
    """The ad's folded words with their offsets and the number of their sentence."""
    folded = fold_text(ad.text)
    out: list[Token] = []
    sentence, last_end = 0, 0
    for match in _TOKEN.finditer(folded):
        if _BREAK.search(folded, last_end, match.start()):
            sentence += 1
        out.append((match.group(), match.start(), match.end(), sentence))
        last_end = match.end()
    return out


def _ngrams(tokens: list[Token], max_words: int) -> list[tuple[tuple[str, ...], int, int]]:
    """(words, first token, token count) of every n-gram that stays in one sentence."""
    out = []
    for i in range(len(tokens)):
        for n in range(1, max_words + 1):
            j = i + n - 1
            if j >= len(tokens) or tokens[j][3] != tokens[i][3]:
                break
            out.append((tuple(t[0] for t in tokens[i:j + 1]), i, n))
    return out


@dataclass
class _Tally:
    ads: set[int] = field(default_factory=set)
    places: list[tuple[int, int, int]] = field(default_factory=list)  # ad, token, count


def _count(tokenized: Sequence[list[Token]], max_words: int, keep_places: bool
           ) -> dict[tuple[str, ...], _Tally]:
    tallies: dict[tuple[str, ...], _Tally] = defaultdict(_Tally)
    for n_ad, tokens in enumerate(tokenized):
        for words, i, n in _ngrams(tokens, max_words):
            tally = tallies[words]
            tally.ads.add(n_ad)
            if keep_places:
                tally.places.append((n_ad, i, n))
    return tallies


def _extend(places: list[tuple[int, int, int]], tokenized: Sequence[list[Token]],
            longest: int) -> list[tuple[int, int, int]]:
    """The occurrences grown word by word, left then right, for as long as every one of
    them has the same neighbouring word in its sentence (the phrase is part of a longer,
    fixed formula)."""
    for step in (-1, 1):
        while places[0][2] < longest:
            neighbours = set()
            for n_ad, i, n in places:
                tokens = tokenized[n_ad]
                k = i - 1 if step < 0 else i + n
                if not 0 <= k < len(tokens) or tokens[k][3] != tokens[i][3]:
                    neighbours = set()
                    break
                neighbours.add(tokens[k][0])
            if len(neighbours) != 1:
                break
            places = [(n_ad, i - 1, n + 1) if step < 0 else (n_ad, i, n + 1)
                      for n_ad, i, n in places]
    return places


def _covered_share(places: list[tuple[int, int, int]], target: Sequence[WordingAd],
                   tokenized: Sequence[list[Token]]) -> float:
    """Share of the occurrences that overlap a span the rules cover."""
    covered = 0
    for n_ad, i, n in places:
        start, end = tokenized[n_ad][i][1], tokenized[n_ad][i + n - 1][2]
        covered += any(s < end and start < e for s, e in target[n_ad].covered)
    return covered / len(places)


def _reportable(words: tuple[str, ...], stop_words: Collection[str]) -> bool:
    return (words[0] not in stop_words and words[-1] not in stop_words
            and any(len(w) >= 3 and not w.isdigit() and w not in stop_words for w in words))


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def find_new_wording(target: Sequence[WordingAd], reference: Sequence[WordingAd], *,
                     lang: str, stop_words: Collection[str] = frozenset(), max_words: int = 4,
                     min_ads: int = 3, min_llr: float = DEFAULT_MIN_LLR,
                     max_covered_share: float = 0.5, longest: int = 10,
                     limit: int = 50) -> list[NewPhrase]:
    """Phrases that rose in `target` against `reference` and that no rule covers, highest
    G2 first (see the module docstring for each condition).

    A reported phrase is shown grown to the fixed formula it is part of, when every one
    of its occurrences sits in the same words (up to `longest` words); its counts and G2
    are those of the n-gram that was tested.
    """
    if not reference:
        raise ValueError(f"{lang}: no reference ads; new wording needs an earlier window "
                         "to compare with")
    if not target:
        return []
    stop = {fold_text(w.lower()) for w in stop_words}
    target = list({ad.ad_id: ad for ad in target}.values())
    n_target, n_reference = len(target), len({a.ad_id for a in reference})
    tokenized = [_tokens(ad) for ad in target]
    found = _count(tokenized, max_words, keep_places=True)
    before = _count([_tokens(ad) for ad in reference], max_words, keep_places=False)
    best: dict[tuple[str, ...], NewPhrase] = {}
    for words, tally in found.items():
        a = len(tally.ads)
        b = len(before[words].ads) if words in before else 0
        if a < min_ads or a / n_target <= b / n_reference or not _reportable(words, stop):
            continue
        llr = log_likelihood_ratio(a, b, n_target, n_reference)
        if llr < min_llr:
            continue
        grown = _extend(tally.places, tokenized, longest)
        covered = _covered_share(grown, target, tokenized)
        if covered > max_covered_share:
            continue
        first_ad, first, count = grown[0]
        phrase = tuple(t[0] for t in tokenized[first_ad][first:first + count])
        examples: list[Occurrence] = []
        for n_ad, i, n in grown:
            ad, start, end = target[n_ad], tokenized[n_ad][i][1], tokenized[n_ad][i + n - 1][2]
            if len(examples) < _EXAMPLES and all(o.ad_id != ad.ad_id for o in examples):
                examples.append(Occurrence(ad.ad_id, start, end, ad.text[start:end]))
        candidate = NewPhrase(
            lang=lang, phrase=" ".join(phrase), tested=" ".join(words), target_ads=a,
            reference_ads=b, target_share=round(a / n_target, 4),
            reference_share=round(b / n_reference, 4), llr=round(llr, 2),
            covered_share=round(covered, 4), examples=tuple(examples))
        known = best.get(phrase)
        if known is None or (candidate.llr, len(words)) > (known.llr, len(known.tested.split())):
            best[phrase] = candidate
    rose = list(best.values())
    kept = [p for p in rose if not any(
        len(q.phrase) > len(p.phrase) and q.target_ads == p.target_ads
        and _contains(tuple(q.phrase.split()), tuple(p.phrase.split())) for q in rose)]
    kept.sort(key=lambda p: (-p.llr, -len(p.phrase.split()), p.phrase))
    return kept[:limit]
