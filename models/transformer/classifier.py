"""A local encoder checkpoint with one sigmoid per indicator: load, window, predict, save.

Any folder that `AutoTokenizer`/`AutoModelForSequenceClassification` can read offline
works (XLM-R, BERTimbau, BETO...); its tokenizer must be a fast one, since evidence needs
character offsets. torch and transformers are imported inside functions, so importing this
module stays light.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CONFIG_FILE = "indicators.json"
CONFIG_FORMAT = 1
# Weight formats that unpickle on load: an artifact folder must hold none of them.
UNSAFE_SUFFIXES = (".bin", ".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib", ".h5")
_NO_LIMIT = 100_000  # tokenizers without a known limit report a huge model_max_length


class CheckpointError(ValueError):
    """A checkpoint or model folder cannot be used; the message says why and what to do."""


def resolve_device(device: str = "auto") -> str:
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; an explicit device is checked."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CheckpointError(f"device {device!r} was asked for but torch sees no CUDA GPU; "
                              "use device='cpu' or 'auto'")
    return device


@dataclass(frozen=True)
class Windows:
    """Texts cut into overlapping windows of at most `max_length` tokens.

    Row `w` holds the model inputs of one window, its tokens' character offsets into the
    text it came from (`text_index[w]`) and each token's word number (None for special
    tokens), so attributions can be mapped back to words and characters.
    """

    inputs: list[dict[str, list[int]]]
    offsets: list[list[tuple[int, int]]]
    word_ids: list[list[int | None]]
    text_index: list[int]


def _load_pretrained(path: Path, labels: tuple[str, ...] | None) -> tuple[Any, Any]:
    """Tokenizer and sequence-classification model from a local folder, offline.

    With `labels` a new multi-label head of that size is put on the encoder (replacing any
    head the checkpoint had); without, the folder is one of our artifacts and is loaded as
    saved, from safetensors only.
    """
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(
            f"{path}: checkpoint folder does not exist. Pass the folder of an encoder you "
            "downloaded beforehand (config.json, weights, tokenizer files), e.g. "
            "xlm-roberta-base; nothing is downloaded at run time.")
    if not (path / "config.json").is_file():
        raise CheckpointError(f"{path}: no config.json; this is not a transformers checkpoint "
                              "folder (save one with save_pretrained)")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    options: dict[str, Any] = {"local_files_only": True}
    if labels is None:
        options["use_safetensors"] = True
    else:
        options.update(num_labels=len(labels), id2label=dict(enumerate(labels)),
                       label2id={label: n for n, label in enumerate(labels)},
                       problem_type="multi_label_classification", ignore_mismatched_sizes=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(path, **options)
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: cannot load it as a local encoder checkpoint: {exc}") \
            from exc
    if not getattr(tokenizer, "is_fast", False):
        raise CheckpointError(f"{path}: the tokenizer is not a fast (tokenizers) one; evidence "
                              "needs its character offsets. Add a tokenizer.json to the folder.")
    if tokenizer.pad_token is None:
        # Some encoders ship without a padding token; any special token works under the mask.
        tokenizer.pad_token = tokenizer.sep_token or tokenizer.eos_token or tokenizer.unk_token
    return model, tokenizer


class TransformerClassifier:
    """An encoder with a multi-label head: probabilities per indicator, in `labels` order.

    `thresholds[k]` is the probability from which indicator `labels[k]` counts as found
    (chosen on the dev split at training time, 0.5 without one).
    """

    def __init__(self, model: Any, tokenizer: Any, labels: tuple[str, ...],
                 thresholds: tuple[float, ...] | None = None, *, max_length: int = 256,
                 stride: int | None = None, device: str = "cpu", base: str = ""):
        limit = getattr(tokenizer, "model_max_length", None) or _NO_LIMIT
        if limit >= _NO_LIMIT and getattr(model.config, "max_position_embeddings", None):
            # No limit from the tokenizer: stay inside the position table (RoBERTa-style
            # models keep its first two rows for padding).
            limit = model.config.max_position_embeddings - 2
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.labels = tuple(labels)
        self.thresholds = tuple(thresholds) if thresholds is not None else (0.5,) * len(labels)
        self.max_length = int(min(max_length, limit))
        self.stride = int(stride if stride is not None else self.max_length // 4)
        self.device = device
        self.base = base
        self.training_log: Any = None  # a training.TrainingLog after fit_transformer
        if len(self.thresholds) != len(self.labels):
            raise CheckpointError(
                f"{len(self.thresholds)} thresholds for {len(self.labels)} labels")
        if self.max_length < 8:
            raise CheckpointError(f"max_length {self.max_length} is too short (at least 8)")

    @classmethod
    def from_checkpoint(cls, checkpoint: str | Path, labels: tuple[str, ...], *,
                        max_length: int = 256, device: str = "auto") -> TransformerClassifier:
        """A new, untrained head on the encoder in the local folder `checkpoint`."""
        model, tokenizer = _load_pretrained(Path(checkpoint), tuple(labels))
        return cls(model, tokenizer, tuple(labels), max_length=max_length,
                   device=resolve_device(device), base=Path(checkpoint).name)

    @classmethod
    def load(cls, folder: str | Path, *, device: str = "auto") -> TransformerClassifier:
        """A classifier saved with `save` (safetensors weights + tokenizer + config)."""
        folder = Path(folder)
        try:
            config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{folder}: no readable {CONFIG_FILE} ({exc})") from exc
        if config.get("format") != CONFIG_FORMAT:
            raise CheckpointError(f"{folder / CONFIG_FILE}: format {config.get('format')!r} is "
                                  f"not {CONFIG_FORMAT}; retrain the model with this version")
        try:
            labels = tuple(config["labels"])
            thresholds = tuple(float(config["thresholds"][label]) for label in labels)
            windows = {"max_length": int(config["max_length"]), "stride": int(config["stride"])}
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{folder / CONFIG_FILE}: incomplete ({exc!r}); "
                                  "retrain the model") from exc
        model, tokenizer = _load_pretrained(folder, None)
        if model.config.num_labels != len(labels):
            raise CheckpointError(f"{folder}: the head has {model.config.num_labels} outputs "
                                  f"but {CONFIG_FILE} lists {len(labels)} labels")
        model.eval()
        return cls(model, tokenizer, labels, thresholds, **windows,
                   device=resolve_device(device), base=config.get("base", ""))

    def config(self) -> dict[str, Any]:
        """What `load` needs besides the weights and tokenizer files."""
        return {"format": CONFIG_FORMAT, "labels": list(self.labels),
                "thresholds": {label: round(float(t), 4)
                               for label, t in zip(self.labels, self.thresholds)},
                "max_length": self.max_length, "stride": self.stride, "base": self.base,
                "model_type": getattr(self.model.config, "model_type", "")}

    def save(self, folder: str | Path) -> None:
        """Write safetensors weights, tokenizer files and the config into `folder`."""
        folder = Path(folder)
        # transformers 5 always writes safetensors and dropped the flag; 4.x needs it.
        params = inspect.signature(self.model.save_pretrained).parameters
        options = {"safe_serialization": True} if "safe_serialization" in params else {}
        self.model.save_pretrained(folder, **options)
        self.tokenizer.save_pretrained(folder)
        (folder / CONFIG_FILE).write_text(json.dumps(self.config(), indent=2, ensure_ascii=False),
                                          encoding="utf-8")
        unsafe = sorted(p.name for p in folder.iterdir()
                        if p.is_dir() or p.suffix in UNSAFE_SUFFIXES)
        if unsafe or not any(p.suffix == ".safetensors" for p in folder.iterdir()):
            raise CheckpointError(f"{folder}: expected safetensors weights and plain files only; "
                                  f"found {unsafe or 'no .safetensors file'}")

    def encode(self, texts: list[str]) -> dict[str, Any]:
        """Padded, truncated model inputs (tensors on the device) for training."""
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length,
                                 padding=True, return_tensors="pt")
        return {key: value.to(self.device) for key, value in encoded.items()
                if key in self.tokenizer.model_input_names}

    def tokenize_windows(self, texts: list[str]) -> Windows:
        """Every text as one or more overlapping windows (long texts are not cut short)."""
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length,
                                 stride=self.stride, return_overflowing_tokens=True,
                                 return_offsets_mapping=True)
        names = [n for n in self.tokenizer.model_input_names if n in encoded]
        count = len(encoded["input_ids"])
        return Windows(
            inputs=[{name: encoded[name][w] for name in names} for w in range(count)],
            offsets=[[tuple(pair) for pair in encoded["offset_mapping"][w]] for w in range(count)],
            word_ids=[encoded.word_ids(w) for w in range(count)],
            text_index=list(encoded["overflow_to_sample_mapping"]),
        )

    def collate(self, rows: list[dict[str, list[int]]]) -> dict[str, Any]:
        """Pad window inputs into tensors on the device."""
        import torch

        width = max(len(row["input_ids"]) for row in rows)
        pad = {"input_ids": self.tokenizer.pad_token_id or 0}
        return {
            name: torch.tensor([row[name] + [pad.get(name, 0)] * (width - len(row[name]))
                                for row in rows], device=self.device)
            for name in rows[0]
        }

    def window_probabilities(self, windows: Windows, batch_size: int = 32) -> np.ndarray:
        """Sigmoid outputs per window: shape (windows, labels)."""
        import torch

        self.model.eval()
        out = np.zeros((len(windows.inputs), len(self.labels)), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(windows.inputs), batch_size):
                batch = self.collate(windows.inputs[start:start + batch_size])
                logits = self.model(**batch).logits.float()
                out[start:start + len(logits)] = torch.sigmoid(logits).cpu().numpy()
        return out

    def predict_windows(self, windows: Windows, n_texts: int,
                        batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, best window) per text and label: a text's probability for an
        indicator is its highest over the text's windows."""
        per_window = self.window_probabilities(windows, batch_size)
        probs = np.full((n_texts, len(self.labels)), -1.0, dtype=np.float32)
        best = np.zeros((n_texts, len(self.labels)), dtype=np.int64)
        for w, t in enumerate(windows.text_index):
            higher = per_window[w] > probs[t]
            probs[t, higher] = per_window[w, higher]
            best[t, higher] = w
        return probs, best

    def predict_proba(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Probabilities per text and indicator, shape (len(texts), len(labels))."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.predict_windows(self.tokenize_windows(texts), len(texts), batch_size)[0]
