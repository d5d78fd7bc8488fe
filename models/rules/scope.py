"""What the words around a match say about it: negation, context words, amounts.

A match is dropped when a negation cue stands in it or shortly before it in the same clause
("no cobramos ninguna cuota"), when a word of its rule's `not_preceded_by` /
`not_followed_by` stands near it, or when its amount is too small. Clauses end at the
pattern file's `breaks`, read on the text as written (Portuguese "e" is a break, "é" is
not), at line breaks and at symbols such as bullets and emoji; a comma does not end a
negated list ("no cobramos inscripción, examen ni visa").
"""

from __future__ import annotations

import unicodedata

from models.rules.lexicon import Lexicon, Rule, amount_in


class AdTokens:
    """A tokenized ad as plain lists: each token's LOWER id and start in `text` (the
    unfolded clean text of the doc), so judging a match creates no spaCy Token objects."""

    __slots__ = ("text", "lowers", "starts")

    def __init__(self, text: str, lowers: list[int], starts: list[int]):
        self.text = text
        self.lowers = lowers
        self.starts = starts


class Scope:
    """Judges matches of one language's rules in a tokenized ad (`AdTokens`)."""

    def __init__(self, lexicon: Lexicon, vocab):
        self.lexicon = lexicon
        self.vocab = vocab
        self.strings = vocab.strings
        add = self.strings.add
        self._cues = frozenset(add(w) for w in lexicon.negation_cues)
        self._joiners = frozenset(add(w) for w in lexicon.list_joiners)
        self._comma = add(",")
        self._pseudo_ids = tuple(tuple(add(w) for w in p) for p in lexicon.pseudo_negations)
        # LOWER id -> (its text, its length, always a break (line break, symbol), is_punct)
        self._info: dict[int, tuple[str, int, bool, bool]] = {}

    def _token(self, x: int) -> tuple[str, int, bool, bool]:
        info = self._info.get(x)
        if info is None:
            if len(self._info) > 500_000:  # a long-running process meets new words forever
                self._info.clear()
            folded = self.strings[x]
            info = self._info[x] = (folded, len(folded),
                                    "\n" in folded or _is_symbol(folded),
                                    bool(self.vocab[x].is_punct))
        return info

    def keeps(self, ad: AdTokens, start: int, end: int, rule: Rule) -> bool:
        """Whether a match of `rule` survives its amount, negation and context words."""
        if rule.amount_min is not None and not self.amount_ok(ad, start, end, rule):
            return False
        if rule.negatable != "false" and self.negated(ad, start, end, rule.negatable):
            return False
        return not ((rule.not_preceded_by or rule.not_followed_by)
                    and self.ruled_out(ad, start, end, rule))

    def amount_ok(self, ad: AdTokens, start: int, end: int, rule: Rule) -> bool:
        lex = self.lexicon
        value = amount_in([self._token(x)[0] for x in ad.lowers[start:end]],
                          lex.number_words, lex.multipliers)
        return value is not None and value >= rule.amount_min

    def negated(self, ad: AdTokens, start: int, end: int, negatable: str) -> bool:
        """A cue in the match (unless `negatable` is "before") or shortly before it, in the
        same clause, and not the start of a pseudo-negation such as "no importa"."""
        lex, lowers, cues = self.lexicon, ad.lowers, self._cues
        if negatable == "true" and any(
                lowers[i] in cues and not self._pseudo(ad, i) for i in range(start, end)):
            return True
        budget, i = lex.negation_window, start - 1
        while i >= 0 and budget > 0:
            x = lowers[i]
            if x == self._comma and self._in_list(ad, i, end):
                budget += 2  # "no cobramos inscripción, examen ni visa": one list, one scope
            elif self._is_break(ad, i):
                return False
            elif x in cues and not self._pseudo(ad, i):
                return True
            elif not self._token(x)[3]:
                budget -= 1
            i -= 1
        return False

    def ruled_out(self, ad: AdTokens, start: int, end: int, rule: Rule) -> bool:
        """One of the rule's `not_preceded_by` / `not_followed_by` words stands near the
        match, in the same clause."""
        window = self.lexicon.negation_window
        before = range(start - 1, max(start - 1 - window, -1), -1)
        after = range(end, min(end + window, len(ad.lowers)))
        for positions, words in ((before, rule.not_preceded_by), (after, rule.not_followed_by)):
            for i in positions:
                if self._token(ad.lowers[i])[0] in words:
                    return True
                if self._is_break(ad, i):
                    break
        return False

    def _in_list(self, ad: AdTokens, comma: int, end: int) -> bool:
        """The comma at `comma` separates items of a list that a joiner ("o", "ni", "ou",
        "nem") closes at or after the match ending at `end`, in the same clause."""
        joiners, lowers = self._joiners, ad.lowers
        for j in range(comma + 1, min(len(lowers), end + 8)):
            if lowers[j] in joiners:
                return True
            if j >= end and self._is_break(ad, j):
                return False
        return False

    def _is_break(self, ad: AdTokens, i: int) -> bool:
        """A listed break word or mark as written in `ad.text` (the unfolded text of the
        doc), a line break, or a symbol such as a bullet or an emoji."""
        _, length, always, _ = self._token(ad.lowers[i])
        if always:
            return True
        start = ad.starts[i]
        return ad.text[start:start + length].lower() in self.lexicon.clause_breaks

    def _pseudo(self, ad: AdTokens, i: int) -> bool:
        lowers = ad.lowers
        return any(tuple(lowers[i:i + len(p)]) == p for p in self._pseudo_ids)


def _is_symbol(text: str) -> bool:
    """An emoji, bullet or other symbol token (no letters or digits)."""
    return not any(ch.isalnum() for ch in text) and any(
        unicodedata.category(ch) in ("So", "Sm", "Sk") or ch in "•·▪►➡" for ch in text)
