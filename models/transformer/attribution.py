"""Evidence from gradient x input: which words pushed an indicator's logit up.

For each (window, indicator) pair the logit's gradient with respect to the input
embeddings, times the embeddings, summed over the hidden size, scores every token. Token
scores add up to word scores; the best words become short phrases (neighbouring words
merge, punctuation between them is kept, punctuation and space at the ends are trimmed),
given as character spans of the text the tokenizer saw.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from models.transformer.classifier import TransformerClassifier, Windows


def token_attributions(classifier: TransformerClassifier, windows: Windows,
                       pairs: list[tuple[int, int]], batch_size: int = 32) -> list[np.ndarray]:
    """Gradient x input score per token for each (window, label index) pair."""
    import torch

    model = classifier.model
    model.eval()
    embeddings = model.get_input_embeddings()
    scores: list[np.ndarray] = []
    with torch.enable_grad():
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            batch = classifier.collate([windows.inputs[w] for w, _ in chunk])
            input_ids = batch.pop("input_ids")
            # A leaf copy of the word embeddings: its gradient is the attribution signal.
            embedded = embeddings(input_ids).detach().requires_grad_(True)
            logits = model(inputs_embeds=embedded, **batch).logits
            labels = torch.tensor([label for _, label in chunk], device=logits.device)
            chosen = logits.gather(1, labels[:, None]).sum()
            (gradient,) = torch.autograd.grad(chosen, embedded)
            per_token = (gradient * embedded).sum(-1).detach().float().cpu().numpy()
            for row, (w, _) in enumerate(chunk):
                scores.append(per_token[row, :len(windows.inputs[w]["input_ids"])])
    return scores


def _is_trim(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def _is_evidence_word(text: str) -> bool:
    """A word worth quoting: a number, or two or more letters ("y", "a" alone are not)."""
    word = "".join(char for char in text if char.isalnum())
    return len(word) >= 2 or word.isdigit()


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without punctuation or space at either end (possibly empty)."""
    while start < end and _is_trim(text[start]):
        start += 1
    while end > start and _is_trim(text[end - 1]):
        end -= 1
    return start, end


def phrase_spans(text: str, scores: np.ndarray, offsets: list[tuple[int, int]],
                 word_ids: list[int | None], top_words: int = 3) -> list[tuple[int, int]]:
    """Character spans in `text` of the phrases made of the `top_words` best-scoring words.

    Only words with a positive score and a number or two letters count. Chosen words merge
    into one phrase when nothing but punctuation or space separates them ("18-25").
    """
    score: dict[int, float] = {}
    span: dict[int, tuple[int, int]] = {}
    for token_score, (start, end), word in zip(scores, offsets, word_ids):
        if word is None or end <= start:
            continue  # special tokens and padding
        score[word] = score.get(word, 0.0) + float(token_score)
        first, last = span.get(word, (start, end))
        span[word] = (min(first, start), max(last, end))
    words = sorted(span)
    wordy = {w for w in words if any(char.isalnum() for char in text[slice(*span[w])])}
    candidates = [w for w in wordy if score[w] > 0 and _is_evidence_word(text[slice(*span[w])])]
    chosen = sorted(sorted(candidates, key=lambda w: -score[w])[:top_words])
    phrases: list[tuple[int, int]] = []
    previous = None
    for w in chosen:
        joined = previous is not None and not any(previous < v < w for v in wordy)
        if joined:
            phrases[-1] = (phrases[-1][0], span[w][1])
        else:
            phrases.append(span[w])
        previous = w
    trimmed = (trim_span(text, start, end) for start, end in phrases)
    return list(dict.fromkeys(p for p in trimmed if p[1] > p[0]))
