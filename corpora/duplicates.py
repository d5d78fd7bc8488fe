"""Near-duplicate detection for ad texts: shared long sentences, MinHash similarity and
the groups they form.

The corpus checker reports both signals, and the grouped splits put each group whole
into one split so that no ad's near-copy leaks from train into dev or test. Texts are
compared as case-folded word sequences, so punctuation, spacing and case do not hide a
copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

_WORD_RE = re.compile(r"\w+")
# Sentence ends: final punctuation before a space, a line break, or a list bullet.
_SENTENCE_BREAK_RE = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*|\s*[•▪►]\s*")

DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE_WORDS = 3
DEFAULT_SIMILARITY_THRESHOLD = 0.5
DEFAULT_SHARED_SENTENCE_WORDS = 9
# The MinHash seed is part of the method: fixed so that reports and splits are the same on
# every machine.
_MINHASH_SEED = 1


def words(text: str) -> list[str]:
    """The case-folded word tokens of a text (runs of letters, digits and underscores)."""
    return _WORD_RE.findall(text.casefold())


def sentences(text: str) -> list[str]:
    """The sentences of a text, split at final punctuation, line breaks and bullets."""
    return [part for part in _SENTENCE_BREAK_RE.split(text) if part and part.strip()]


def shingles(text: str, size: int = DEFAULT_SHINGLE_WORDS) -> set[bytes]:
    """Word `size`-shingles of a text, UTF-8 encoded (a shorter text is one shingle)."""
    tokens = words(text)
    if not tokens:
        return set()
    if len(tokens) < size:
        return {" ".join(tokens).encode("utf-8")}
    return {" ".join(tokens[i:i + size]).encode("utf-8") for i in range(len(tokens) - size + 1)}


@dataclass(frozen=True)
class SimilarPair:
    """Two texts whose estimated Jaccard similarity of word shingles is at or over a threshold."""

    a: str
    b: str
    similarity: float


@dataclass(frozen=True)
class SharedSentence:
    """A sentence of at least `min_words` words found, word for word, in several texts."""

    sentence: str
    ids: tuple[str, ...]


def find_shared_sentences(texts: Mapping[str, str],
                          min_words: int = DEFAULT_SHARED_SENTENCE_WORDS) -> list[SharedSentence]:
    """Sentences of `min_words` words or more of one text that occur word for word in
    another text, as a sentence there or inside a longer one (a missing full stop must not
    hide a copy).

    Words are compared case-folded, ignoring punctuation. Each result gives the sentence
    as first written (in id order) and every text holding it, in the order of `texts`.
    """
    order = {text_id: n for n, text_id in enumerate(texts)}
    shared = [SharedSentence(sentence, tuple(sorted(ids, key=order.__getitem__)))
              for sentence, ids in _shared_sentences(_canonical(texts), min_words)]
    return sorted(shared, key=lambda s: [order[i] for i in s.ids])


def find_similar_pairs(texts: Mapping[str, str], threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
                       *, num_perm: int = DEFAULT_NUM_PERM,
                       shingle_words: int = DEFAULT_SHINGLE_WORDS) -> list[SimilarPair]:
    """Pairs of texts whose MinHash estimate of word-shingle Jaccard similarity is at or over
    `threshold`, most similar first, then in the order of `texts` (`a` before `b`).

    Candidates come from a MinHash LSH index; every candidate is then checked against the
    threshold with its own MinHash estimate.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"similarity threshold must be in (0, 1], got {threshold}")
    order = {text_id: n for n, text_id in enumerate(texts)}
    pairs = [SimilarPair(*sorted((a, b), key=order.__getitem__), similarity)
             for a, b, similarity in _similar_pairs(_canonical(texts), threshold, num_perm,
                                                    shingle_words)]
    return sorted(pairs, key=lambda p: (-p.similarity, order[p.a], order[p.b]))


def _canonical(texts: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(texts.items()))


# The two searches below are pure functions of the texts; the checker, the splitter and
# their tests ask for the same corpus several times in one process, so results are kept.
@lru_cache(maxsize=8)
def _shared_sentences(items: tuple[tuple[str, str], ...],
                      min_words: int) -> tuple[tuple[str, frozenset[str]], ...]:
    tokens = {text_id: words(text) for text_id, text in items}
    joined = {text_id: f" {' '.join(toks)} " for text_id, toks in tokens.items()}
    holders_of: dict[tuple[str, ...], list[str]] = {}
    for text_id, toks in tokens.items():
        for i in range(len(toks) - min_words + 1):
            ids = holders_of.setdefault(tuple(toks[i:i + min_words]), [])
            if not ids or ids[-1] != text_id:
                ids.append(text_id)
    found: dict[tuple[str, ...], tuple[str, set[str]]] = {}
    for text_id, text in items:
        for sentence in sentences(text):
            key = tuple(words(sentence))
            if len(key) < min_words:
                continue
            phrase = f" {' '.join(key)} "
            others = {other for other in holders_of[key[:min_words]]
                      if other != text_id and phrase in joined[other]}
            if others:
                _, ids = found.setdefault(key, (sentence.strip(), set()))
                ids.update(others | {text_id})
    return tuple((sentence, frozenset(ids)) for sentence, ids in found.values())


@lru_cache(maxsize=8)
def _similar_pairs(items: tuple[tuple[str, str], ...], threshold: float, num_perm: int,
                   shingle_words: int) -> tuple[tuple[str, str, float], ...]:
    from datasketch import MinHash, MinHashLSH

    items = tuple((text_id, text) for text_id, text in items if words(text))
    sketches = dict(zip((text_id for text_id, _ in items), MinHash.bulk(
        (shingles(text, shingle_words) for _, text in items),
        num_perm=num_perm, seed=_MINHASH_SEED)))
    # LSH misses some pairs just above its own threshold (its S-curve is not a step), so the
    # index is built lower and every candidate is verified against the real threshold.
    lsh = MinHashLSH(threshold=max(threshold * 0.8, 0.05), num_perm=num_perm)
    pairs = []
    for text_id, _ in items:
        sketch = sketches[text_id]
        for other in lsh.query(sketch):
            similarity = sketch.jaccard(sketches[other])
            if similarity >= threshold:
                pairs.append((other, text_id, round(similarity, 4)))
        lsh.insert(text_id, sketch)
    return tuple(pairs)


def group_ids(ids: Iterable[str], links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected groups of `ids` under `links` (union-find), every id in exactly one group.

    Groups keep the order of `ids`, and so do the ids inside each group; a link naming an
    unknown id is an error.
    """
    order = list(dict.fromkeys(ids))
    position = {item: n for n, item in enumerate(order)}
    parent = {item: item for item in order}

    def root(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for a, b in links:
        if a not in parent or b not in parent:
            raise KeyError(f"link ({a}, {b}) names an id that is not in the list")
        root_a, root_b = root(a), root(b)
        if root_a != root_b:
            first, last = sorted((root_a, root_b), key=position.__getitem__)
            parent[last] = first
    groups: dict[str, list[str]] = {}
    for item in order:
        groups.setdefault(root(item), []).append(item)
    return list(groups.values())


def near_duplicate_groups(texts: Mapping[str, str],
                          threshold: float = DEFAULT_SIMILARITY_THRESHOLD, *,
                          min_shared_sentence_words: int = DEFAULT_SHARED_SENTENCE_WORDS,
                          ) -> list[list[str]]:
    """Groups of texts linked by MinHash similarity at or over `threshold` or by a shared
    sentence of `min_shared_sentence_words` words or more; unlinked texts are groups of one."""
    links = [(p.a, p.b) for p in find_similar_pairs(texts, threshold)]
    for shared in find_shared_sentences(texts, min_shared_sentence_words):
        links.extend((shared.ids[0], other) for other in shared.ids[1:])
    return group_ids(texts.keys(), links)
