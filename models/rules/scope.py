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


class Scope:
    """Judges matches of one language's rules in a tokenized ad (`doc`, `text`)."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    def keeps(self, doc, text: str, start: int, end: int, rule: Rule) -> bool:
        """Whether a match of `rule` survives its amount, negation and context words."""
        if rule.amount_min is not None and not self.amount_ok(doc, start, end, rule):
            return False
        if rule.negatable != "false" and self.negated(doc, text, start, end, rule.negatable):
            return False
        return not ((rule.not_preceded_by or rule.not_followed_by)
                    and self.ruled_out(doc, text, start, end, rule))

    def amount_ok(self, doc, start: int, end: int, rule: Rule) -> bool:
        lex = self.lexicon
        value = amount_in([t.lower_ for t in doc[start:end]], lex.number_words, lex.multipliers)
        return value is not None and value >= rule.amount_min

    def negated(self, doc, text: str, start: int, end: int, negatable: str) -> bool:
        """A cue in the match (unless `negatable` is "before") or shortly before it, in the
        same clause, and not the start of a pseudo-negation such as "no importa"."""
        lex = self.lexicon
        if negatable == "true" and any(
                doc[i].lower_ in lex.negation_cues and not self._pseudo(doc, i)
                for i in range(start, end)):
            return True
        budget, i = lex.negation_window, start - 1
        while i >= 0 and budget > 0:
            token = doc[i]
            if token.lower_ == "," and self._in_list(doc, text, i, end):
                budget += 2  # "no cobramos inscripción, examen ni visa": one list, one scope
            elif self._is_break(token, text):
                return False
            elif token.lower_ in lex.negation_cues and not self._pseudo(doc, i):
                return True
            elif not token.is_punct:
                budget -= 1
            i -= 1
        return False

    def ruled_out(self, doc, text: str, start: int, end: int, rule: Rule) -> bool:
        """One of the rule's `not_preceded_by` / `not_followed_by` words stands near the
        match, in the same clause."""
        window = self.lexicon.negation_window
        before = range(start - 1, max(start - 1 - window, -1), -1)
        after = range(end, min(end + window, len(doc)))
        for positions, words in ((before, rule.not_preceded_by), (after, rule.not_followed_by)):
            for i in positions:
                if doc[i].lower_ in words:
                    return True
                if self._is_break(doc[i], text):
                    break
        return False

    def _in_list(self, doc, text: str, comma: int, end: int) -> bool:
        """The comma at `comma` separates items of a list that a joiner ("o", "ni", "ou",
        "nem") closes at or after the match ending at `end`, in the same clause."""
        joiners = self.lexicon.list_joiners
        for j in range(comma + 1, min(len(doc), end + 8)):
            if doc[j].lower_ in joiners:
                return True
            if j >= end and self._is_break(doc[j], text):
                return False
        return False

    def _is_break(self, token, text: str) -> bool:
        """A listed break word or mark as written in `text` (the unfolded text of the doc),
        a line break, or a symbol such as a bullet or an emoji."""
        folded = token.lower_
        if "\n" in folded or _is_symbol(folded):
            return True
        return text[token.idx:token.idx + len(folded)].lower() in self.lexicon.clause_breaks

    def _pseudo(self, doc, i: int) -> bool:
        return any(tuple(t.lower_ for t in doc[i:i + len(p)]) == p
                   for p in self.lexicon.pseudo_negations)


def _is_symbol(text: str) -> bool:
    """An emoji, bullet or other symbol token (no letters or digits)."""
    return not any(ch.isalnum() for ch in text) and any(
        unicodedata.category(ch) in ("So", "Sm", "Sk") or ch in "•·▪►➡" for ch in text)
