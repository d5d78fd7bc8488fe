"""Where the rules of one language match in an ad: anchors, windows and two matchers.

spaCy's Matcher tries each of its patterns at every token it is given, creating a Token
object per token and calling Python predicates for word lists. Most rules can only match
near a rare word, so each rule is only tried where it could match:

- a rule is a *candidate* in an ad when each of its required tokens' words occurs in it;
- its matches must contain its *anchor* (its rarest required token, or for rules made only
  of patterns such as a phone number, the token its most specific pattern accepts);
- rules made of word tests and `?` (most of them) are matched by `_Walk`: from each
  position of the anchor, walking left and right over token ids, with no Token objects;
  the others run a spaCy Matcher on the windows within `max_len` of an anchor.

The matches are those of spaCy's Matcher over the whole ad; `matches(..., exhaustive=True)`
computes them that way, and the tests compare both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from corpora.normalize import fold_text
from models.rules.lexicon import Lexicon, Rule

Span = tuple[int, int]


@dataclass(frozen=True)
class _Anchor:
    """A rule with required word lists: their indexes in `RuleMatcher.word_sets`, the
    words of its anchor and the index of the anchor among the rule's tokens."""

    key: str
    required: tuple[int, ...]
    anchor: frozenset[int]
    token: int


@dataclass(frozen=True)
class _RegexAnchor:
    """A rule whose required tokens are all patterns (a phone number, a URL)."""

    key: str
    regex: re.Pattern
    token: int


@dataclass(frozen=True)
class _Walk:
    """A rule as a test per token, which tokens are optional, and which is its anchor."""

    tests: tuple[Callable[[int], bool], ...]
    optional: tuple[bool, ...]
    anchor: int

    def __post_init__(self) -> None:
        # (test, optional) of the tokens left of the anchor, nearest first, and right of it
        k = self.anchor
        object.__setattr__(self, "_left", tuple(
            (self.tests[j], self.optional[j]) for j in range(k - 1, -1, -1)))
        object.__setattr__(self, "_right", tuple(
            (self.tests[j], self.optional[j]) for j in range(k + 1, len(self.tests))))

    def spans(self, lowers: list[int], positions: list[int]) -> set[Span]:
        """Every (start, end) of a match that puts the anchor at one of `positions`: the
        starts reachable walking left from the anchor times the ends reachable walking
        right, as the two sides do not depend on each other."""
        n, k, tests, optional = len(lowers), self.anchor, self.tests, self.optional
        found: set[Span] = set()
        if not any(optional):  # one length: test the tokens at their fixed offsets
            size = len(tests)
            for p in positions:
                start = p - k
                if start < 0 or start + size > n:
                    continue
                for j, test in enumerate(tests):
                    if not test(lowers[start + j]):
                        break
                else:
                    found.add((start, start + size))
            return found
        anchor_test = tests[k]
        for p in positions:
            if not anchor_test(lowers[p]):
                continue
            starts = [p]  # distinct, so each step's moves are distinct too
            for test, opt in self._left:
                if len(starts) == 1:
                    s = starts[0]
                    if s > 0 and test(lowers[s - 1]):
                        starts = [s, s - 1] if opt else [s - 1]
                    elif not opt:
                        starts = []
                        break
                    continue
                moved = [s - 1 for s in starts if s > 0 and test(lowers[s - 1])]
                if opt:
                    if moved:
                        starts = starts + [s for s in moved if s not in starts]
                else:
                    starts = moved
                    if not starts:
                        break
            if not starts:
                continue
            ends = [p + 1]
            for test, opt in self._right:
                if len(ends) == 1:
                    e = ends[0]
                    if e < n and test(lowers[e]):
                        ends = [e, e + 1] if opt else [e + 1]
                    elif not opt:
                        ends = []
                        break
                    continue
                moved = [e + 1 for e in ends if e < n and test(lowers[e])]
                if opt:
                    if moved:
                        ends = ends + [e for e in moved if e not in ends]
                else:
                    ends = moved
                    if not ends:
                        break
            if ends:
                found.update((s, e) for s in starts for e in ends)
        return found


class RuleMatcher:
    """Compiled rules of one language; `plan` says where each may match, `run` matches."""

    def __init__(self, nlp, lexicon: Lexicon):
        self.nlp = nlp
        self.strings = nlp.vocab.strings
        common = {fold_text(w) for w in nlp.Defaults.stop_words}
        self.rules: dict[str, Rule] = {}
        self._matchers: dict[str, object] = {}  # rule key -> spaCy Matcher, made when needed
        self.max_len: dict[str, int | None] = {}
        self.walks: dict[str, _Walk] = {}
        self.word_sets: list[frozenset[int]] = []
        set_index: dict[frozenset[int], int] = {}
        self.anchors: list[_Anchor] = []
        self.anchored: dict[int, list[int]] = {}  # word id -> anchors placed on it
        self.regex_anchors: list[_RegexAnchor] = []
        self.unanchored: list[str] = []  # rules tried on whole ads
        self._regex_hits: dict[int, tuple[_RegexAnchor, ...]] = {}  # word id -> anchors
        self._no_regex: set[int] = set()  # word ids that no regex anchor accepts
        self._punct: dict[int, bool] = {}
        for rule in lexicon.rules + [r for rs in lexicon.unless.values() for r in rs]:
            self.rules[rule.key] = rule
            self.max_len[rule.key] = _max_length(rule)
            required = [(i, t) for i, t in enumerate(rule.tokens) if not _optional(t.get("OP"))]
            words = [(i, _words(t)) for i, t in required if _words(t)]
            regexes = [(i, t["LOWER"]["REGEX"]) for i, t in required if _regex(t)]
            # The rarest required token: a word list with the smallest share of common
            # words, else (when all hold common words) a pattern such as a phone number.
            def rarity(ws: list[str]) -> tuple[float, int]:
                return _common_share(ws, common), len(ws)

            if rule.amount_min is not None:
                regexes = []  # any number: not rare
            if not words or (regexes and min(rarity(w) for _, w in words)[0] > 0):
                if regexes:
                    token, regex = max(regexes, key=lambda r: len(r[1]))
                    self.regex_anchors.append(_RegexAnchor(rule.key, re.compile(regex), token))
                    self._compile_walk(rule, token)
                else:
                    self.unanchored.append(rule.key)
                continue
            token, anchor_words = min(words, key=lambda w: rarity(w[1]))
            ids = []
            for _, ws in words:
                word_set = frozenset(self.strings.add(w) for w in ws)
                ids.append(set_index.setdefault(word_set, len(set_index)))
                if ids[-1] == len(self.word_sets):
                    self.word_sets.append(word_set)
            anchor = _Anchor(rule.key, tuple(ids),
                             frozenset(self.strings[w] for w in anchor_words), token)
            self.anchors.append(anchor)
            for word in anchor.anchor:
                self.anchored.setdefault(word, []).append(len(self.anchors) - 1)
            self._compile_walk(rule, token)
        self.anchor_words = frozenset(self.anchored)
        # word id -> bitmask of the word sets holding it; anchor index -> its required sets
        self._word_masks: dict[int, int] = {}
        for index, word_set in enumerate(self.word_sets):
            for word in word_set:
                self._word_masks[word] = self._word_masks.get(word, 0) | (1 << index)
        self._masked_words = frozenset(self._word_masks)
        # anchor index -> (rule key, its only anchor word or None, its anchor words)
        self._anchor_plans = [(a.key, next(iter(a.anchor)) if len(a.anchor) == 1 else None,
                               a.anchor) for a in self.anchors]
        self._required_masks = [sum(1 << s for s in set(a.required)) for a in self.anchors]
        self.anchored = {w: tuple(ids) for w, ids in self.anchored.items()}

    def plan(self, lowers: list[int],
             present: set[int] | None = None) -> dict[str, list[int] | None]:
        """Rule key -> positions of its anchor in the ad (None: try the whole ad), for the
        rules that may match an ad whose tokens have these LOWER ids (`present`: their set,
        when the caller has it)."""
        plan: dict[str, list[int] | None] = dict.fromkeys(self.unanchored)
        if present is None:
            present = set(lowers)
        # Words whose regex anchors are known to be none are skipped at C speed.
        unknown = present.difference(self._no_regex)
        accepted: dict[_RegexAnchor, list[int]] = {}
        if unknown:
            regex_hits = self._regex_hits
            for word in unknown:
                found = regex_hits.get(word)
                if found is None:
                    found = self._regex_anchors_of(word)
                for a in found:
                    accepted.setdefault(a, []).append(word)
        hit_words = present.intersection(self.anchor_words)
        live: list[int] = []
        if hit_words:
            # One bit per word set: the sets some word of the ad belongs to.
            word_masks = self._word_masks
            present_mask = 0
            for word in present.intersection(self._masked_words):
                present_mask |= word_masks[word]
            anchored, masks = self.anchored, self._required_masks
            if len(hit_words) == 1:
                candidates = anchored[next(iter(hit_words))]
            else:
                candidates = {i for w in hit_words for i in anchored[w]}
            live = [i for i in candidates if masks[i] & present_mask == masks[i]]
        if not live and not accepted:
            return plan
        wanted = hit_words.union(*accepted.values()) if accepted else hit_words
        positions: dict[int, list[int]] = {}
        for i, word in enumerate(lowers):
            if word in wanted:
                if word in positions:
                    positions[word].append(i)
                else:
                    positions[word] = [i]
        for a, ws in accepted.items():
            plan[a.key] = (positions[ws[0]] if len(ws) == 1
                           else sorted(p for w in ws for p in positions[w]))
        anchor_plans = self._anchor_plans
        for i in live:
            key, single, anchor = anchor_plans[i]
            if single is not None:
                plan[key] = positions[single]
                continue
            words = hit_words.intersection(anchor)
            if len(words) == 1:
                plan[key] = positions[words.pop()]
            else:
                plan[key] = sorted(p for w in words for p in positions[w])
        return plan

    def run(self, doc, lowers: list[int], key: str,
            positions: list[int] | None) -> list[tuple[int, int]]:
        """The (start, end) token spans where rule `key` matches, given its plan entry."""
        walk = self.walks.get(key)
        if walk is not None and positions is not None:
            return sorted(walk.spans(lowers, positions))
        n = len(lowers)
        reach = self.max_len[key]
        if positions is None or reach is None:
            return [(s, e) for _, s, e in self.matcher(key)(doc)]
        windows = _merge([(max(0, p - reach + 1), min(n, p + reach)) for p in positions])
        matcher = self.matcher(key)
        return [(start + s, start + e) for start, end in windows
                for _, s, e in matcher(doc[start:end])]

    def run_exhaustive(self, doc, key: str) -> list[tuple[int, int]]:
        """spaCy's Matcher over the whole ad: the reference `run` must agree with."""
        return [(s, e) for _, s, e in self.matcher(key)(doc)]

    def matcher(self, key: str):
        """The spaCy Matcher of rule `key`, made on first use (most rules never need one:
        `_Walk` matches them). Patterns were validated when the lexicon was compiled."""
        found = self._matchers.get(key)
        if found is None:
            from spacy.matcher import Matcher

            found = Matcher(self.nlp.vocab)
            found.add(key, [self.rules[key].tokens])
            self._matchers[key] = found
        return found

    def _regex_anchors_of(self, word: int) -> tuple[_RegexAnchor, ...]:
        if len(self._regex_hits) + len(self._no_regex) > 500_000:
            self._regex_hits.clear()  # a long-running process meets new words forever
            self._no_regex.clear()
        text = self.strings[word]
        known = tuple(a for a in self.regex_anchors if a.regex.search(text))
        if known:
            self._regex_hits[word] = known
        else:
            self._no_regex.add(word)
        return known

    def _compile_walk(self, rule: Rule, anchor_token: int) -> None:
        """Compile `rule` to a `_Walk` when it only uses word tests and `?`."""
        tests = [self._token_test(t) for t in rule.tokens]
        if all(t is not None for t in tests):
            self.walks[rule.key] = _Walk(tuple(tests),
                                         tuple(t.get("OP") == "?" for t in rule.tokens),
                                         anchor_token)

    def _token_test(self, token: dict) -> Callable[[int], bool] | None:
        """A test on a token's LOWER id equal to spaCy's, or None when not supported."""
        if not set(token) <= {"LOWER", "OP", "IS_PUNCT"} or token.get("OP") not in (None, "?"):
            return None
        checks: list[Callable[[int], bool]] = []
        lower = token.get("LOWER")
        if isinstance(lower, str):
            word = self.strings.add(lower)
            checks.append(lambda x: x == word)
        elif isinstance(lower, dict) and set(lower) == {"IN"}:
            ids = frozenset(self.strings.add(w) for w in lower["IN"])
            checks.append(ids.__contains__)
        elif isinstance(lower, dict) and set(lower) == {"NOT_IN"}:
            ids = frozenset(self.strings.add(w) for w in lower["NOT_IN"])
            checks.append(lambda x: x not in ids)
        elif isinstance(lower, dict) and set(lower) == {"REGEX"}:
            checks.append(self._regex_test(re.compile(lower["REGEX"])))
        elif lower is not None:
            return None
        if "IS_PUNCT" in token:
            wanted = bool(token["IS_PUNCT"])
            checks.append(lambda x: self._is_punct(x) == wanted)
        if not checks:
            return lambda x: True
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(check(x) for check in checks)

    def _regex_test(self, regex: re.Pattern) -> Callable[[int], bool]:
        seen: dict[int, bool] = {}

        def test(x: int) -> bool:
            known = seen.get(x)
            if known is None:
                if len(seen) > 500_000:
                    seen.clear()
                known = seen[x] = bool(regex.search(self.strings[x]))
            return known
        return test

    def _is_punct(self, x: int) -> bool:
        known = self._punct.get(x)
        if known is None:
            known = self._punct[x] = bool(self.nlp.vocab[x].is_punct)
        return known


def _common_share(words: list[str], common: set[str]) -> float:
    """The share of `words` that are stop words or punctuation: how often the list occurs."""
    return sum(w in common or not any(c.isalnum() for c in w) for w in words) / len(words)


def _optional(op: str | None) -> bool:
    return op in ("?", "*", "!") or (op is not None and op.startswith("{")
                                     and op.strip("{}").split(",")[0] in ("", "0"))


def _words(token: dict) -> list[str]:
    lower = token.get("LOWER")
    if isinstance(lower, str):
        return [lower]
    if isinstance(lower, dict) and "IN" in lower:
        return list(lower["IN"])
    return []


def _regex(token: dict) -> bool:
    return isinstance(token.get("LOWER"), dict) and "REGEX" in token["LOWER"]


def _max_length(rule: Rule) -> int | None:
    """The most tokens a match of `rule` can span; None when unbounded (`*`, `+`, `{n,}`)."""
    total = 0
    for token in rule.tokens:
        op = token.get("OP")
        if op in (None, "?", "!"):
            total += 1
        elif op.startswith("{") and op.strip("{}").split(",")[-1].strip():
            total += int(op.strip("{}").split(",")[-1])
        else:
            return None
    return total


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]
